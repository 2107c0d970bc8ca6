package events_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"callrec/internal/events"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestSharedAcrossNodes: two nodes on one PostgreSQL database — an event
// published on the recorder node reaches the web node's subscriber and
// only its tenant's; after the web node's LISTEN connection is killed, an
// event published meanwhile still arrives (read back after reconnecting),
// once; a node started later does not replay what came before it.
func TestSharedAcrossNodes(t *testing.T) {
	for _, b := range storetest.Backends() {
		if b.Name != "postgres" {
			continue
		}
		ctx := context.Background()
		url := b.URL(t)
		open := func(app string) *store.DB {
			db, err := store.Open(ctx, url+"&application_name="+app, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		webApp := "callrec-web-" + time.Now().Format("150405.000000")
		recDB, webDB := open("callrec-recorder"), open(webApp)
		if _, err := recDB.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		recBus, webBus := events.NewShared(recDB.SharedEvents(), quiet), events.NewShared(webDB.SharedEvents(), quiet)
		defer recBus.Close()
		defer webBus.Close()
		got, stop := webBus.Subscribe("tenant-a")
		defer stop()
		other, stopOther := webBus.Subscribe("tenant-b")
		defer stopOther()

		recBus.Publish(ctx, events.New("tenant-a", "call.started", map[string]string{"id": "c1"}, time.Now()))
		expect(t, got, "call.started", `{"id":"c1"}`)

		// Kill the web node's listening connection, publish, and expect the
		// event after the reconnect's catch-up read.
		admin, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var killed int
		err = admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND query = 'LISTEN `+store.EventChannel+`'`, webApp).Scan(&killed)
		if err != nil || killed != 1 {
			t.Fatalf("terminated %d listening connections of the web node (%v), want 1", killed, err)
		}
		recBus.Publish(ctx, events.New("tenant-a", "call.ended", map[string]string{"id": "c1"}, time.Now()))
		expect(t, got, "call.ended", `{"id":"c1"}`)
		select {
		case e := <-got:
			t.Fatalf("delivered again: %+v", e)
		case e := <-other:
			t.Fatalf("another tenant's subscriber got %+v", e)
		case <-time.After(4 * time.Second): // longer than a catch-up poll
		}

		late := events.NewShared(open("callrec-late").SharedEvents(), quiet)
		defer late.Close()
		lateCh, stopLate := late.Subscribe("tenant-a")
		defer stopLate()
		recBus.Publish(ctx, events.New("tenant-a", "call.stored", map[string]string{"id": "c1"}, time.Now()))
		expect(t, lateCh, "call.stored", `{"id":"c1"}`)
	}
}

func expect(t *testing.T, ch <-chan events.Event, kind, data string) {
	t.Helper()
	select {
	case e := <-ch:
		if e.Kind != kind || string(e.Data) != data {
			t.Fatalf("got %s %s, want %s %s", e.Kind, e.Data, kind, data)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", kind)
	}
}
