package recorder_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestDatabaseOutageAtInvite takes the calls table away while a call is
// placed: the call is still answered and recorded, its row appears once
// the database is back, and the recording is stored and playable.
func TestDatabaseOutageAtInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		var dbURL string
		open := b
		open.URL = func(t testing.TB) string { dbURL = b.URL(t); return dbURL }
		e := newEnv(t, open, 0)
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()

		unlock := lockCalls(t, b.Name, dbURL)
		call, err := e.client.Dial(ctx, e.spec("sip:2001@pbx.example"))
		if err != nil {
			unlock()
			t.Fatalf("INVITE during the outage: %v", err)
		}
		flows := []*siprecload.Flow{
			siprecload.NewFlow(call.Targets[0], siprecload.ToneSource(callerTone)),
			siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(agentTone)),
		}
		for _, f := range flows {
			e.pacer.Add(f)
		}
		time.Sleep(time.Second) // real time: the call must carry audio
		unlock()

		deadline := time.Now().Add(10 * time.Second)
		for len(e.calls()) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		e.stopTones(flows)
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		rows := e.calls()
		if len(rows) != 1 {
			t.Fatalf("%d call rows after the outage, want 1", len(rows))
		}
		c := rows[0]
		waitEvent(t, evs, "call.stored", c.ID, 20*time.Second)
		c, err = e.db.Q().GetCall(ctx, e.tenant.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// PostgreSQL loses reads too (the tenant is locked), so the recorder
		// records by default; SQLite still reads, so the user's rule decides.
		reason := map[string]string{"sqlite": "user's rule: always record", "postgres": "database unavailable"}[b.Name]
		if !c.Recorded || c.State != store.CallCompleted || !strings.Contains(c.DecisionReason, reason) ||
			c.ExpiresAt == nil || c.SizeBytes == 0 || c.DurationMS < 900 {
			t.Errorf("call after the outage: %+v", c)
		}
		res, wav := e.getAudio(c.ID, "")
		if res.StatusCode != 200 || len(wav) < 44+4*8000 {
			t.Errorf("audio: %d, %d bytes", res.StatusCode, len(wav))
		}
	})
}

// lockCalls makes the calls table unwritable until the returned function is
// called: on SQLite another writer holds the database (reads go on), on
// PostgreSQL an exclusive lock takes the calls and tenants tables away.
func lockCalls(t *testing.T, backend, dbURL string) func() {
	t.Helper()
	ctx := context.Background()
	driver, dsn, lock := "pgx", dbURL, "LOCK TABLE calls, tenants IN ACCESS EXCLUSIVE MODE"
	if backend == "sqlite" {
		driver, dsn, lock = "sqlite", "file:"+strings.TrimPrefix(dbURL, "sqlite://"), ""
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	begin := "BEGIN"
	if backend == "sqlite" {
		begin = "BEGIN EXCLUSIVE"
	}
	for _, q := range []string{begin, lock} {
		if q == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return func() {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		db.Close()
	}
}
