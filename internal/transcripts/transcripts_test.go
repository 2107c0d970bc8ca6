package transcripts_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/aiemu"
	"callrec/internal/blob"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/secretbox"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/transcripts"
)

func ptr[T any](v T) *T { return &v }

type world struct {
	clock    *clock.Fake
	db       *store.DB
	svc      *transcripts.Service
	emu      *aiemu.Server
	emuURL   string
	provider *caller.Caller
	admin    map[string]*caller.Caller // by tenant name
	tenant   map[string]string         // tenant name → id
	licensed string                    // call of a licensed user (tenant A)
	bare     string                    // call of an unlicensed user (tenant A)
	other    string                    // call of a licensed user of tenant B
}

// stereoOpus is an archived recording: a 110 Hz voice on the left (the
// recorded user) at 1–2.5 s, a 250 Hz voice on the right at 3.5–5 s.
func stereoOpus(t *testing.T) string {
	t.Helper()
	const rate, secs = 8000, 6
	var pcm bytes.Buffer
	for i := 0; i < rate*secs; i++ {
		at := float64(i) / rate
		var l, r float64
		if at >= 1 && at < 2.5 {
			l = 8000 * math.Sin(2*math.Pi*110*at)
		}
		if at >= 3.5 && at < 5 {
			r = 8000 * math.Sin(2*math.Pi*250*at)
		}
		_ = binary.Write(&pcm, binary.LittleEndian, [2]int16{int16(l), int16(r)})
	}
	path := filepath.Join(t.TempDir(), "call.opus")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := recorder.EncodePCM(&pcm, f, recorder.DefaultEncode); err != nil {
		t.Fatal(err)
	}
	return path
}

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{clock: clock.NewFake(), admin: map[string]*caller.Caller{}, tenant: map[string]string{}}
	w.db = storetest.Open(t, b, w.clock.Now)
	accounts := account.New(w.db, w.clock.Now)
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	w.emu = aiemu.New(aiemu.Config{Key: "sk-emu-secret", Transcriber: aiemu.ByPitch(180, "please check my invoice payment", "your payment arrived yesterday")})
	srv := httptest.NewServer(w.emu)
	t.Cleanup(srv.Close)
	w.emuURL = srv.URL
	rec := &recordings.Service{DB: w.db, Accounts: accounts, Now: w.clock.Now}
	w.svc = &transcripts.Service{DB: w.db, Accounts: accounts, Recordings: rec, Blobs: disk, Box: box, Now: w.clock.Now, Node: "n1"}
	w.provider = &caller.Caller{User: store.User{ID: "prov", Login: "provider", Role: roles.ProviderAdmin}}
	opus := stereoOpus(t)
	call := func(tenantID, userID string) string {
		id := account.NewID()
		now := w.clock.Now()
		if err := w.db.Q().InsertCall(ctx, store.Call{ID: id, TenantID: tenantID, RecordedUserID: userID, Recorded: true, State: store.CallCompleted,
			Direction: "inbound", StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := disk.Put(ctx, "calls/"+id, opus); err != nil {
			t.Fatal(err)
		}
		// What the recorder does when it stores a call (recordAudio).
		err := w.db.InTx(ctx, func(tx store.Q) error {
			if err := tx.SetCallAudio(ctx, tenantID, id, "calls/"+id, "opus", "x", 1); err != nil {
				return err
			}
			_, err := tx.QueueTranscriptIfLicensed(ctx, tenantID, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for _, name := range []string{"A", "B"} {
		tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: ptr("Tenant " + name),
			Licenses: map[string]int{"call_recording": 5, "speech_analytics": 5}})
		if err != nil {
			t.Fatal(err)
		}
		w.tenant[name] = tn.ID
		admin, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: ptr("Admin " + name), Login: ptr("admin" + name),
			Role: ptr(roles.Admin), Password: ptr("Secret#2026")})
		if err != nil {
			t.Fatal(err)
		}
		w.admin[name] = &caller.Caller{User: admin, TenantID: tn.ID}
		agent, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: ptr("Agent " + name), Login: ptr("agent" + name),
			Role: ptr(roles.User), Password: ptr("Secret#2026"), Licenses: &[]string{"call_recording", "speech_analytics"}, SpeechAnalyticsType: ptr("basic")})
		if err != nil {
			t.Fatal(err)
		}
		if name == "A" {
			bare, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: ptr("Bare"), Login: ptr("bare"),
				Role: ptr(roles.User), Password: ptr("Secret#2026"), Licenses: &[]string{"call_recording"}})
			if err != nil {
				t.Fatal(err)
			}
			w.licensed, w.bare = call(tn.ID, agent.ID), call(tn.ID, bare.ID)
		} else {
			w.other = call(tn.ID, agent.ID)
		}
	}
	return w
}

func (w *world) configure(t *testing.T, key string) {
	t.Helper()
	if err := w.svc.SaveSettings(context.Background(), w.provider, transcripts.SettingsInput{Engine: "openai", URL: w.emuURL, Model: "whisper-1", Key: key}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Second) // settings are cached by their time
}

func TestTranscribeStoredCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		a := w.admin["A"]

		// No engine: the job waits, and the page says why.
		if ran, err := w.svc.RunOnce(ctx); err != nil || ran {
			t.Fatalf("ran %v err %v without an engine", ran, err)
		}
		v, err := w.svc.Get(ctx, a, w.licensed)
		if err != nil || v.Status != transcripts.StatusNotConfigured {
			t.Fatalf("before configuring: %+v %v", v, err)
		}
		if v, _ := w.svc.Get(ctx, a, w.bare); v.Status != transcripts.StatusNoLicense {
			t.Errorf("unlicensed user's call: %s", v.Status)
		}

		w.configure(t, "sk-emu-secret")
		if err := w.svc.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.emu.Requests(); n != 4 {
			t.Errorf("emulator transcribed %d segments, want 4 (two calls, two parties)", n)
		}
		v, err = w.svc.Get(ctx, a, w.licensed)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != transcripts.StatusDone || len(v.Lines) != 2 || v.LicenseType != "basic" || v.Engine != "openai:whisper-1" {
			t.Fatalf("transcript %+v", v)
		}
		if l := v.Lines[0]; l.Channel != "agent" || l.Text != "please check my invoice payment" || l.StartMS < 800 || l.StartMS > 1200 || len(l.Words) != 5 {
			t.Errorf("agent line %+v", l)
		}
		if l := v.Lines[1]; l.Channel != "other" || l.Text != "your payment arrived yesterday" || l.StartMS < 3300 || l.EndMS > 5200 {
			t.Errorf("other line %+v", l)
		}
		if strings.Join(v.Keywords, ",") != "payment,arrived,check,invoice,yesterday" {
			t.Errorf("keywords %v", v.Keywords)
		}

		// Tenant isolation: B's admin cannot read A's call, nor A's B's.
		if _, err := w.svc.Get(ctx, w.admin["B"], w.licensed); !errors.Is(err, transcripts.ErrNotFound) {
			t.Errorf("tenant B reads A's transcript: %v", err)
		}
		if err := w.svc.Rerun(ctx, a, w.other); !errors.Is(err, transcripts.ErrNotFound) {
			t.Errorf("tenant A re-runs B's call: %v", err)
		}
		if v, err := w.svc.Get(ctx, w.admin["B"], w.other); err != nil || v.Status != transcripts.StatusDone {
			t.Errorf("B's own call: %+v %v", v, err)
		}

		// License gating: no job and no re-run for an unlicensed user.
		if err := w.svc.Rerun(ctx, a, w.bare); !errors.Is(err, transcripts.ErrNoLicense) {
			t.Errorf("re-run unlicensed: %v", err)
		}
		if _, err := w.db.Q().GetTranscriptJob(ctx, w.tenant["A"], w.bare); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unlicensed call has a job: %v", err)
		}
		entries, _, err := w.db.Q().ListAudit(ctx, w.tenant["A"], store.AuditFilter{Action: "transcript.", Limit: 50})
		if err != nil || len(entries) != 1 || entries[0].Action != "transcript.create" {
			t.Errorf("audit %+v %v", entries, err)
		}
	})
}

func TestRerunAndRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		a := w.admin["A"]
		user := &caller.Caller{User: store.User{ID: "u", Role: roles.User, TenantID: w.tenant["A"]}, TenantID: w.tenant["A"]}
		w.configure(t, "sk-wrong")
		if ran, err := w.svc.RunOnce(ctx); err != nil || !ran {
			t.Fatalf("ran %v err %v", ran, err)
		}
		job, err := w.db.Q().GetTranscriptJob(ctx, w.tenant["A"], w.licensed)
		if err != nil || job.State != store.TranscriptQueued || job.Attempts != 1 || job.NotBefore == nil || !strings.Contains(job.Error, "401") {
			t.Fatalf("after a refused request: %+v %v", job, err)
		}
		if strings.Contains(job.Error, "sk-wrong") {
			t.Errorf("error shows the key: %s", job.Error)
		}
		// Not due again before its back-off.
		if ran, _ := w.svc.RunOnce(ctx); ran {
			if j, _ := w.db.Q().GetTranscriptJob(ctx, w.tenant["A"], w.licensed); j.Attempts != 1 {
				t.Errorf("retried before the back-off: %+v", j)
			}
		}
		w.configure(t, "sk-emu-secret")
		w.clock.Advance(time.Minute)
		if err := w.svc.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if v, _ := w.svc.Get(ctx, a, w.licensed); v.Status != transcripts.StatusDone {
			t.Fatalf("after the retry: %+v", v)
		}
		// Re-run on demand: needs recordings.annotate, is audited, runs again.
		if err := w.svc.Rerun(ctx, user, w.licensed); !errors.Is(err, transcripts.ErrForbidden) {
			t.Errorf("a user re-runs: %v", err)
		}
		if err := w.svc.Rerun(ctx, a, w.licensed); err != nil {
			t.Fatal(err)
		}
		if v, _ := w.svc.Get(ctx, a, w.licensed); v.Status != transcripts.StatusQueued || len(v.Lines) != 2 {
			t.Errorf("re-queued view %+v", v)
		}
		before := w.emu.Requests()
		if err := w.svc.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if w.emu.Requests() != before+2 {
			t.Errorf("re-run transcribed %d segments", w.emu.Requests()-before)
		}
		entries, _, _ := w.db.Q().ListAudit(ctx, w.tenant["A"], store.AuditFilter{Action: "transcript.rerun", Limit: 10})
		if len(entries) != 1 || entries[0].ActorID != a.User.ID {
			t.Errorf("re-run audit %+v", entries)
		}
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		if _, err := w.svc.GetSettings(ctx, w.admin["A"]); !errors.Is(err, transcripts.ErrForbidden) {
			t.Errorf("tenant admin reads engine settings: %v", err)
		}
		for _, bad := range []transcripts.SettingsInput{{Engine: "watson"}, {Engine: "openai", URL: "ftp://x", Model: "m"}, {Engine: "openai", URL: "http://x"}} {
			if err := w.svc.SaveSettings(ctx, w.provider, bad); err == nil {
				t.Errorf("accepted %+v", bad)
			}
		}
		if st, _ := w.db.Q().GetSpeechSettings(ctx); st.Engine != "" {
			t.Errorf("a refused change was stored: %+v", st)
		}
		w.configure(t, "sk-emu-secret")
		s, err := w.svc.GetSettings(ctx, w.provider)
		if err != nil || !s.KeySet || s.Status != "ok" || s.Model != "whisper-1" {
			t.Fatalf("settings %+v %v", s, err)
		}
		st, _ := w.db.Q().GetSpeechSettings(ctx)
		if strings.Contains(st.KeyEnc, "sk-emu") {
			t.Error("key stored in clear")
		}
		entries, _, _ := w.db.Q().ListAudit(ctx, "", store.AuditFilter{Action: "speech.", Limit: 10})
		for _, e := range entries {
			if strings.Contains(e.Detail, "sk-emu") {
				t.Errorf("audit shows the key: %s", e.Detail)
			}
		}
		if err := w.svc.SaveSettings(ctx, w.provider, transcripts.SettingsInput{Engine: "pocketsphinx"}); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Second)
		s, _ = w.svc.GetSettings(ctx, w.provider)
		if s.KeySet || (!s.SphinxBuiltIn && !strings.Contains(s.Status, "not built in")) {
			t.Errorf("pocketsphinx settings %+v", s)
		}
	})
}
