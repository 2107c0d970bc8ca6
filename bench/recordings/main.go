// Command recordings seeds a store with calls (1,000,000 by default) and
// measures the Recordings search the portal and API run: p50/p95/max per
// kind of filter, as an admin sees the tenant (the widest scope).
//
//	go run ./bench/recordings -db sqlite:///tmp/bench.db -calls 1000000
//	go run ./bench/recordings -db postgres://… -calls 1000000
package main

import (
	"context"
	"database/sql/driver"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"callrec/internal/account"
	"callrec/internal/store"
)

func main() {
	dbURL := flag.String("db", "", "sqlite://FILE or postgres:// URL (a fresh database)")
	calls := flag.Int("calls", 1_000_000, "calls to seed")
	users := flag.Int("users", 500, "users in the tenant")
	runs := flag.Int("runs", 40, "queries per filter")
	reuse := flag.Bool("reuse", false, "measure a database an earlier run seeded (its tenant Bench) instead of seeding")
	flag.Parse()
	if *dbURL == "" {
		log.Fatal("-db is required")
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var loading atomic.Bool
	loading.Store(true)
	bulkLoadPragmas(&loading)
	db, err := store.Open(ctx, *dbURL, clock)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	var s seeded
	if *reuse {
		s, err = reseeded(ctx, db)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("measuring the seeded tenant: %d users, %d groups\n", len(s.users), len(s.groups))
	} else {
		s, err = seed(ctx, db, clock, *calls, *users)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seeded %d calls, %d users, %d groups in %.1f s\n", *calls, *users, len(s.groups), s.took.Seconds())
	}
	// Measure on connections as the server opens them, not the loader's.
	db.Close()
	loading.Store(false)
	if db, err = store.Open(ctx, *dbURL, clock); err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	measure(ctx, db, s, now, *runs)
}

// bulkLoadPragmas makes SQLite connections opened while loading is set
// trade durability for speed (a large page cache, no fsync, temporary
// b-trees in memory): a benchmark's database is thrown away if the load
// fails. The server's own settings live in store.Open.
func bulkLoadPragmas(loading *atomic.Bool) {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
		if !loading.Load() {
			return nil
		}
		for _, p := range []string{"cache_size = -524288", "synchronous = OFF", "temp_store = MEMORY"} {
			if _, err := conn.ExecContext(context.Background(), "PRAGMA "+p, []driver.NamedValue{}); err != nil {
				return fmt.Errorf("bench: pragma %s: %w", p, err)
			}
		}
		return nil
	})
}

type seeded struct {
	tenant string
	users  []string
	groups []string
	took   time.Duration
}

// seed makes a tenant with users in groups and calls spread over a year,
// newest on the last day, inserted 500 rows a statement and 20 statements
// a transaction. The calls of the first fifth of the users (those with a
// speech analytics license) get a transcript of 40–160 words drawn from a
// call-centre vocabulary.
func seed(ctx context.Context, db *store.DB, clock func() time.Time, n, nUsers int) (seeded, error) {
	start := time.Now()
	acc := account.New(db, clock)
	name := "Bench"
	tn, err := acc.CreateTenant(ctx, account.System, account.TenantInput{Name: &name})
	if err != nil {
		return seeded{}, err
	}
	s := seeded{tenant: tn.ID}
	q := db.Q()
	for g := range 10 {
		gname := fmt.Sprintf("Team %d", g)
		grp, err := acc.CreateGroup(ctx, account.System, tn.ID, account.GroupInput{Name: &gname})
		if err != nil {
			return s, err
		}
		s.groups = append(s.groups, grp.ID)
	}
	role := "user"
	for u := range nUsers {
		uname, login := fmt.Sprintf("Agent %d", u), fmt.Sprintf("agent%d", u)
		usr, err := acc.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &uname, Login: &login, Role: &role})
		if err != nil {
			return s, err
		}
		if err := q.AddGroupMember(ctx, tn.ID, s.groups[u%len(s.groups)], usr.ID); err != nil {
			return s, err
		}
		s.users = append(s.users, usr.ID)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := clock()
	const perStmt, perTx = 500, 20
	batch := make([]store.Call, 0, perStmt*perTx)
	var transcripts []store.Transcript
	for i := range n {
		started := now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
		dur := rng.Int64N(900_000) + 5_000
		ended := started.Add(time.Duration(dur) * time.Millisecond)
		exp := started.AddDate(0, 0, 90)
		state, user := store.CallCompleted, rng.IntN(len(s.users))
		switch r := rng.IntN(100); {
		case r == 0:
			state = store.CallFailed
		case r < 3:
			state = store.CallInterrupted
		}
		batch = append(batch, store.Call{ID: account.NewID(), TenantID: tn.ID, State: state,
			Direction: []string{"inbound", "outbound", "internal"}[rng.IntN(3)], StartedAt: started, EndedAt: &ended,
			DurationMS: dur, SizeBytes: dur * 3, BlobKey: fmt.Sprintf("calls/%d", i), Recorded: true, Confidential: rng.IntN(50) == 0,
			ExpiresAt: &exp, RecordedUserID: s.users[user],
			Caller: fmt.Sprintf("+1555%07d", rng.IntN(10_000_000)), Callee: fmt.Sprintf("%d", 2000+rng.IntN(nUsers)),
			CreatedAt: started, UpdatedAt: ended})
		if user < len(s.users)/5 {
			c := batch[len(batch)-1]
			transcripts = append(transcripts, store.Transcript{CallID: c.ID, TenantID: tn.ID, Engine: "pocketsphinx",
				LicenseType: "basic", Body: speech(rng), CreatedAt: ended})
		}
		if len(batch) == cap(batch) || i == n-1 {
			err := db.InTx(ctx, func(tx store.Q) error {
				for chunk := range slices.Chunk(batch, perStmt) {
					if err := tx.BulkInsertCalls(ctx, chunk); err != nil {
						return err
					}
				}
				for chunk := range slices.Chunk(transcripts, 100) {
					if err := tx.BulkInsertTranscripts(ctx, chunk); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return s, err
			}
			batch, transcripts = batch[:0], transcripts[:0]
		}
		if (i+1)%100_000 == 0 {
			fmt.Fprintf(os.Stderr, "  %d calls\n", i+1)
		}
	}
	if err := db.Analyze(ctx); err != nil {
		return s, err
	}
	s.took = time.Since(start)
	return s, nil
}

// reseeded finds what seed made in an earlier run, so that a change to
// the queries can be measured without seeding again.
func reseeded(ctx context.Context, db *store.DB) (seeded, error) {
	q := db.Q()
	tn, err := q.FindTenant(ctx, "Bench")
	if err != nil {
		return seeded{}, fmt.Errorf("no seeded tenant (run without -reuse first): %w", err)
	}
	s := seeded{tenant: tn.ID}
	groups, err := q.ListGroups(ctx, tn.ID, "Team")
	if err != nil {
		return s, err
	}
	for _, g := range groups {
		s.groups = append(s.groups, g.ID)
	}
	f := store.UserFilter{Limit: 200}
	for {
		page, next, err := q.ListUsers(ctx, tn.ID, f)
		if err != nil {
			return s, err
		}
		for _, u := range page {
			s.users = append(s.users, u.ID)
		}
		if next == "" {
			return s, nil
		}
		f.Cursor = next
	}
}

// measure runs each filter runs times with varying values and prints the
// latency of one page (50 rows) as the list shows it.
func measure(ctx context.Context, db *store.DB, s seeded, now time.Time, runs int) {
	day := 24 * time.Hour
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	rng := rand.New(rand.NewPCG(3, 4))
	filters := []struct {
		name string
		make func() store.RecordingFilter
	}{
		{"newest, last 30 days", func() store.RecordingFilter { return store.RecordingFilter{From: ago(30 * day)} }},
		{"one user, last 90 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(90 * day), UserID: s.users[rng.IntN(len(s.users))]}
		}},
		{"one group, last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), GroupID: s.groups[rng.IntN(len(s.groups))]}
		}},
		{"inbound >= 5 min, last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Direction: "inbound", MinDurationMS: 300_000}
		}},
		{"failed, all time", func() store.RecordingFilter { return store.RecordingFilter{State: store.CallFailed} }},
		{"longest first, last 7 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(7 * day), Sort: store.SortDuration}
		}},
		{"supervisor scope (50 users), last 30 days", func() store.RecordingFilter {
			off := rng.IntN(len(s.users) - 50)
			no := false
			return store.RecordingFilter{From: ago(30 * day), UserIDs: s.users[off : off+50], Confidential: &no}
		}},
		{"text (number digits), last 7 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(7 * day), Text: fmt.Sprintf("555%03d", rng.IntN(1000))}
		}},
		{"text (number digits), last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: fmt.Sprintf("555%03d", rng.IntN(1000))}
		}},
		{"text (number digits), all time", func() store.RecordingFilter {
			return store.RecordingFilter{Text: fmt.Sprintf("555%03d", rng.IntN(1000))}
		}},
		{"text in every call (+1555), last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: "+1555"}
		}},
		{"text of 2 chars, last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: fmt.Sprintf("%02d", rng.IntN(100))}
		}},
		{"text (transcript word), last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: rareWords[rng.IntN(len(rareWords))]}
		}},
		{"text (transcript word), all time", func() store.RecordingFilter {
			return store.RecordingFilter{Text: rareWords[rng.IntN(len(rareWords))]}
		}},
		{"text (transcript phrase), last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: "cancel my " + rareWords[rng.IntN(len(rareWords))]}
		}},
		{"text matching nothing, last 30 days", func() store.RecordingFilter {
			return store.RecordingFilter{From: ago(30 * day), Text: "zq" + strings.Repeat("x", 1+rng.IntN(4))}
		}},
	}
	fmt.Printf("%-44s %9s %9s %9s\n", "filter (one page of 50)", "p50 ms", "p95 ms", "max ms")
	for _, f := range filters {
		var lat []float64
		for range runs {
			flt := f.make()
			flt.Limit = 50
			t0 := time.Now()
			_, next, err := db.Q().SearchRecordings(ctx, s.tenant, flt)
			if err != nil {
				log.Fatal(err)
			}
			lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
			if next != "" && rng.IntN(2) == 0 {
				flt.Cursor = next
				t0 = time.Now()
				if _, _, err := db.Q().SearchRecordings(ctx, s.tenant, flt); err != nil {
					log.Fatal(err)
				}
				lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
			}
		}
		slices.Sort(lat)
		fmt.Printf("%-44s %9.1f %9.1f %9.1f\n", f.name, pct(lat, 50), pct(lat, 95), lat[len(lat)-1])
	}
}

func pct(sorted []float64, p int) float64 {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

// commonWords make most of a seeded transcript; rareWords, each in about
// one transcript of a hundred, are what a search looks for.
var (
	commonWords = strings.Fields(`hello thank you for calling how can i help today my account number is the invoice payment
		please hold on a moment let me check that for you yes no okay right sure i see the order was shipped last week
		delivery address phone number email card balance service internet connection problem issue again later call back
		sorry about that we can do this now is there anything else have a nice day goodbye`)
	rareWords = strings.Fields(`refund warranty cancellation subscription broadband router technician voucher complaint
		mortgage insurance overdraft roaming upgrade discount contract engineer appointment password fraud`)
)

// speech is a seeded transcript: 40–160 words, mostly common, a rare one
// in one of every hundred.
func speech(rng *rand.Rand) string {
	n := 40 + rng.IntN(121)
	words := make([]string, n)
	for i := range words {
		if rng.IntN(100*n/60) == 0 {
			words[i] = rareWords[rng.IntN(len(rareWords))]
		} else {
			words[i] = commonWords[rng.IntN(len(commonWords))]
		}
	}
	return strings.Join(words, " ")
}
