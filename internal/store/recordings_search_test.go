package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// searchCall is a call of the text-search fixture and the fields the
// search covers.
type searchCall struct {
	caller, callee string
	parties        [][2]string // name, address
	notes          []string
}

func (c searchCall) fields() []string {
	out := []string{c.caller, c.callee}
	for _, p := range c.parties {
		out = append(out, p[0], p[1])
	}
	return append(out, c.notes...)
}

var searchFixture = []searchCall{
	{caller: "+15551234567", callee: "2001", parties: [][2]string{{"Émile Zola", "sip:+15551234567@pbx.example"}, {"Agent 7", "sip:2001@pbx.example"}}},
	{caller: "+4930123456", callee: "2002", parties: [][2]string{{"Jürgen MÜLLER", "sip:+4930123456@carrier.de"}}, notes: []string{"Refund 100% approved"}},
	{caller: "anonymous", callee: "2003", parties: [][2]string{{"ИВАН Петров", "sip:ivan@example.ru"}}, notes: []string{"callback_later", "Ørsted asked about the invoice"}},
	{caller: "+15550001111", callee: "2004", notes: []string{"李小龍 called about a_b testing", `quote "VIP" \ backslash`}},
	{caller: "2005", callee: "+15559876543", parties: [][2]string{{"émile dupont", "sip:emile@example.fr"}}},
	{caller: "+15551234", callee: "2006", notes: []string{"Kelvin 5K and ſ long s"}},
}

// TestRecordingTextSearch proves the text filter means the same on both
// engines, through the trigram index or not: a substring of any field, in
// any case, with %, _, quotes and backslashes taken literally, within the
// tenant, across keyset pages and combined with a date filter.
func TestRecordingTextSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := clock.Start()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		tenants := []string{"tenant-a", "tenant-b"}
		for _, id := range tenants {
			if err := q.InsertTenant(ctx, store.Tenant{ID: id, Name: id, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		ids := make([]string, len(searchFixture))
		for _, tenant := range tenants {
			for i, fc := range searchFixture {
				id := fmt.Sprintf("%s-call-%d", tenant, i)
				ids[i] = id
				c := store.Call{ID: id, TenantID: tenant, State: store.CallCompleted, Direction: "inbound",
					StartedAt: now.Add(-time.Duration(i) * time.Hour), Caller: fc.caller, Callee: fc.callee, CreatedAt: now, UpdatedAt: now}
				for _, p := range fc.parties {
					c.Participants = append(c.Participants, store.CallParticipant{Name: p[0], AOR: p[1]})
				}
				if err := q.InsertCall(ctx, c); err != nil {
					t.Fatal(err)
				}
				for j, body := range fc.notes {
					n := store.CallNote{ID: fmt.Sprintf("%s-note-%d", id, j), CallID: id, Body: body, CreatedAt: now}
					if err := q.InsertCallNote(ctx, tenant, n); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		// tenant-a's ids are the last written by the loop above.
		for i := range ids {
			ids[i] = fmt.Sprintf("tenant-a-call-%d", i)
		}
		queries := []string{
			"555", "+1555", "+15551234", "1234567", "2001", "pbx.example", "SIP:", "émile", "ÉMILE", "Emile", "EMILE",
			"müller", "MÜLLER", "Ü", "ü", "иван", "ПЕТРОВ", "Пе", "ørsted", "ØRSTED", "Ø", "李小", "李小龍",
			"100%", "%", "0%", "a_b", "_", "callback_", "k_l", `"VIP"`, `"`, `\`, `\ b`, "vip\" \\", "kelvin 5k", "ſ",
			"zola", "a", "ab", "nothing-like-this", "2\x1f", "67 s", "  ", "'", "';--",
		}
		for _, text := range queries {
			want := []string{}
			for i, fc := range searchFixture {
				if slices.ContainsFunc(fc.fields(), func(f string) bool { return strings.Contains(strings.ToLower(f), strings.ToLower(text)) }) {
					want = append(want, ids[i])
				}
			}
			got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: text, Limit: 2})
			if !slices.Equal(got, want) {
				t.Errorf("%q: got %v, want %v", text, got, want)
			}
			from := now.Add(-150 * time.Minute)
			got = searchAll(t, q, "tenant-a", store.RecordingFilter{Text: text, From: &from, Sort: store.SortDuration, Limit: 1})
			want = slices.DeleteFunc(want, func(id string) bool { return id > "tenant-a-call-2" })
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%q since %v: got %v, want %v", text, from, got, want)
			}
		}

		// The index follows notes, participants and the call row as they change.
		n := store.CallNote{ID: "late-note", CallID: ids[5], Body: "Escalated to Zoë", CreatedAt: now}
		if err := q.InsertCallNote(ctx, "tenant-a", n); err != nil {
			t.Fatal(err)
		}
		if got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: "ZOË"}); !slices.Equal(got, []string{ids[5]}) {
			t.Errorf("after a note: %v", got)
		}
		if err := q.DeleteCallNote(ctx, "tenant-a", ids[5], "late-note"); err != nil {
			t.Fatal(err)
		}
		if got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: "zoë"}); len(got) != 0 {
			t.Errorf("after deleting the note: %v", got)
		}
		if _, err := q.DeleteCall(ctx, "tenant-a", ids[0]); err != nil {
			t.Fatal(err)
		}
		if got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: "émile"}); !slices.Equal(got, []string{ids[4]}) {
			t.Errorf("after deleting a call: %v", got)
		}
		if got := searchAll(t, q, "tenant-b", store.RecordingFilter{Text: "émile"}); len(got) != 2 {
			t.Errorf("tenant-b lost its calls when tenant-a deleted one: %v", got)
		}
	})
}

// searchAll follows the keyset pages and returns the ids in order.
func searchAll(t *testing.T, q store.Q, tenantID string, f store.RecordingFilter) []string {
	t.Helper()
	out := []string{}
	for range 100 {
		page, next, err := q.SearchRecordings(context.Background(), tenantID, f)
		if err != nil {
			t.Fatalf("search %q: %v", f.Text, err)
		}
		for _, r := range page {
			if r.TenantID != tenantID {
				t.Fatalf("search %q in %s returned a call of %s", f.Text, tenantID, r.TenantID)
			}
			out = append(out, r.ID)
		}
		if next == "" {
			return out
		}
		f.Cursor = next
	}
	t.Fatalf("search %q: more than 100 pages", f.Text)
	return nil
}

// TestRecordingTextSearchBroad covers a text most calls match, which SQLite
// checks per call rather than through the trigram index (past 10,000
// matches): the same calls in the same order, in any case.
func TestRecordingTextSearchBroad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := clock.Start()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		for _, id := range []string{"tenant-a", "tenant-b"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: id, Name: id, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		const n = 10_050
		var calls []store.Call
		var want []string
		for i := range n + 1 {
			id := fmt.Sprintf("call-%05d", i)
			c := store.Call{ID: id, TenantID: "tenant-a", State: store.CallCompleted, StartedAt: now.Add(-time.Duration(i) * time.Minute),
				Caller: fmt.Sprintf("+1999%06d", i), Callee: "Ünal Öztürk", CreatedAt: now, UpdatedAt: now}
			if i == n {
				c.Caller, c.Callee = "+4930", "2000"
			} else {
				want = append(want, id)
			}
			calls = append(calls, c)
		}
		calls = append(calls, store.Call{ID: "other-tenant", TenantID: "tenant-b", State: store.CallCompleted, StartedAt: now,
			Caller: "+1999", Callee: "Ünal", CreatedAt: now, UpdatedAt: now})
		err := db.InTx(ctx, func(tx store.Q) error {
			for chunk := range slices.Chunk(calls, 500) {
				if err := tx.BulkInsertCalls(ctx, chunk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"ünal öz", "ÜNAL ÖZTÜRK", "Unal", "+1999", "1999"} {
			got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: text, Limit: 500})
			if text == "Unal" {
				if len(got) != 0 {
					t.Errorf("%q: %d calls, want none", text, len(got))
				}
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q: %d calls (first %v), want %d", text, len(got), got[:min(3, len(got))], len(want))
			}
		}
		// Texts with trigrams in every call ("+19", "999") and rare ones
		// ("123"): the rare ones find the candidates, which must hold the
		// whole text; "900" is in exactly 10,000 calls, the threshold.
		for _, text := range []string{"99900012", "1999000123", "0001", "9990100", "+1999010049", "99900", "90001"} {
			var want []string
			for i, c := range calls {
				if c.TenantID == "tenant-a" && strings.Contains(strings.ToLower(c.Caller+"\x00"+c.Callee), strings.ToLower(text)) {
					want = append(want, fmt.Sprintf("call-%05d", i))
				}
			}
			if got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: text, Limit: 500}); !slices.Equal(got, want) {
				t.Errorf("%q: %d calls (first %v), want %d (first %v)", text, len(got), got[:min(3, len(got))], len(want), want[:min(3, len(want))])
			}
		}
		from := now.Add(-100 * time.Minute)
		got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: "öztürk", From: &from, Limit: 30})
		if !slices.Equal(got, want[:101]) {
			t.Errorf("öztürk in the last 100 minutes: %d calls, want 101", len(got))
		}
	})
}
