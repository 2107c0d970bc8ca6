package recordings_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/clock"
	"callrec/internal/recordings"
	"callrec/internal/recovery"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// newTenant opens a store on a fake clock and creates the tenant
// Contoso in it (retention days 0: the default).
func newTenant(t *testing.T, b storetest.Backend, days int) (*clock.Fake, *store.DB, *account.Service, store.Tenant) {
	t.Helper()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	accounts := account.New(db, c.Now)
	in := account.TenantInput{Name: ptr("Contoso")}
	if days > 0 {
		in.RetentionDays = &days
	}
	tn, err := accounts.CreateTenant(context.Background(), account.System, in)
	if err != nil {
		t.Fatal(err)
	}
	return c, db, accounts, tn
}

func ptr[T any](v T) *T { return &v }

// TestRetentionSweep moves a fake clock past each recording's expiry and
// checks that the daily job deletes exactly the expired audio and rows,
// keeps active calls, and writes an audit entry per deletion.
func TestRetentionSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock, db, accounts, tn := newTenant(t, b, 30)
		disk, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		svc := &recordings.Service{DB: db, Accounts: accounts, Blobs: disk, Now: clock.Now}
		// Calls started on days 0, 10 and 20, each kept for the tenant's 30
		// days, and one still active whose expiry has passed.
		mk := func(startDay int, state string) store.Call {
			start := clock.Now().AddDate(0, 0, startDay)
			exp := start.AddDate(0, 0, tn.RetentionDays)
			c := store.Call{ID: account.NewID(), TenantID: tn.ID, State: state, StartedAt: start, ExpiresAt: &exp,
				BlobKey: "calls/" + account.NewID(), SizeBytes: 1000, Recorded: true, CreatedAt: start, UpdatedAt: start}
			src := filepath.Join(t.TempDir(), "a")
			if err := os.WriteFile(src, []byte("OggS"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := disk.Put(ctx, c.BlobKey, src); err != nil {
				t.Fatal(err)
			}
			if err := db.Q().InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		day0, day10, day20 := mk(0, store.CallCompleted), mk(10, store.CallInterrupted), mk(20, store.CallCompleted)
		active := mk(0, store.CallActive)
		exists := func(c store.Call) (row, audio bool) {
			_, err := db.Q().GetCall(ctx, tn.ID, c.ID)
			_, berr := disk.Open(ctx, c.BlobKey)
			return err == nil, berr == nil
		}
		steps := []struct {
			advanceDays int
			deleted     int
			gone, kept  []store.Call
		}{
			{29, 0, nil, []store.Call{day0, day10, day20, active}},
			{2, 1, []store.Call{day0}, []store.Call{day10, day20, active}},
			{10, 1, []store.Call{day10}, []store.Call{day20, active}},
			{100, 1, []store.Call{day20}, []store.Call{active}},
		}
		total := 0
		for i, st := range steps {
			clock.Advance(time.Duration(st.advanceDays) * 24 * time.Hour)
			res, err := svc.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.Deleted != st.deleted || res.Failed != 0 {
				t.Fatalf("step %d: %+v, want %d deleted", i, res, st.deleted)
			}
			total += res.Deleted
			for _, c := range st.gone {
				if row, audio := exists(c); row || audio {
					t.Errorf("step %d: expired call kept (row %v, audio %v)", i, row, audio)
				}
			}
			for _, c := range st.kept {
				if row, audio := exists(c); !row || !audio {
					t.Errorf("step %d: call deleted early (row %v, audio %v)", i, row, audio)
				}
			}
		}
		es, _, err := db.Q().ListAudit(ctx, tn.ID, store.AuditFilter{Action: "recording.expire", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != total || es[0].ActorLogin != "system" {
			t.Fatalf("%d audit entries for %d deletions: %+v", len(es), total, es)
		}
		use, err := db.Q().TenantStorage(ctx, tn.ID)
		if err != nil || use.Recordings != 1 || use.Bytes != 1000 {
			t.Fatalf("storage use %+v %v, want the active call only", use, err)
		}
	})
}

// TestRunRetentionDaily runs the job loop on a ticker the test drives.
func TestRunRetentionDaily(t *testing.T) {
	b := storetest.Backends()[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock, db, accounts, tn := newTenant(t, b, 0)
	exp := clock.Now().Add(time.Hour)
	c := store.Call{ID: account.NewID(), TenantID: tn.ID, State: store.CallCompleted, StartedAt: clock.Now(), ExpiresAt: &exp,
		CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := db.Q().InsertCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	svc := &recordings.Service{DB: db, Accounts: accounts, Now: clock.Now}
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { svc.RunRetention(ctx, tick); close(done) }()
	tick <- time.Time{} // the first sweep ran and waits for the next day
	if _, err := db.Q().GetCall(ctx, tn.ID, c.ID); err != nil {
		t.Fatalf("deleted before expiry: %v", err)
	}
	clock.Advance(24 * time.Hour)
	tick <- time.Time{}
	tick <- time.Time{} // the second sweep has finished
	if _, err := db.Q().GetCall(ctx, tn.ID, c.ID); err == nil {
		t.Fatal("expired call kept after the daily sweep")
	}
	cancel()
	<-done
}

// panicky is a blob store whose first deletion panics.
type panicky struct {
	blob.Store
	once sync.Once
}

func (p *panicky) Delete(ctx context.Context, key string) error {
	p.once.Do(func() { panic("blob client bug") })
	return p.Store.Delete(ctx, key)
}

// TestRetentionSurvivesPanic: a sweep that panics is logged once with its
// stack and counted, and the next day's sweep runs; the audio the panic
// left behind is purged from its tombstone.
func TestRetentionSurvivesPanic(t *testing.T) {
	b := storetest.Backends()[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock, db, accounts, tn := newTenant(t, b, 0)
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	guard := recovery.New(slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	svc := &recordings.Service{DB: db, Accounts: accounts, Blobs: &panicky{Store: disk}, Now: clock.Now, Guard: guard}
	expired := func() store.Call {
		exp := clock.Now().Add(-time.Minute)
		c := store.Call{ID: account.NewID(), TenantID: tn.ID, State: store.CallCompleted, StartedAt: clock.Now(), ExpiresAt: &exp,
			BlobKey: tn.ID + "/" + account.NewID() + ".opus", Recorded: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
		src := filepath.Join(t.TempDir(), "a")
		if err := os.WriteFile(src, []byte("OggS"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := disk.Put(ctx, c.BlobKey, src); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().InsertCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := expired()
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { svc.RunRetention(ctx, tick); close(done) }()
	tick <- time.Time{} // the first sweep (which panicked) is over
	if n := guard.Count("worker retention"); n != 1 {
		t.Fatalf("%v panics counted, want 1", n)
	}
	second := expired()
	tick <- time.Time{}
	tick <- time.Time{} // the second sweep is over
	for _, c := range []store.Call{first, second} {
		if _, err := db.Q().GetCall(ctx, tn.ID, c.ID); err == nil {
			t.Errorf("expired call %s kept", c.ID)
		}
	}
	if n, err := svc.PurgeDeleted(ctx); err != nil || n != 1 {
		t.Errorf("purged %d (%v), want the audio the panic left", n, err)
	}
	if got := strings.Count(logs.String(), "panic recovered"); got != 1 || !strings.Contains(logs.String(), "retention_test.go") {
		t.Errorf("want one panic logged with its stack, got %d:\n%s", got, logs.String())
	}
	cancel()
	<-done
}
