package recorder_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"callrec/internal/blob"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestDeleteWhileStoreDown deletes a call through the API while its upload
// fails (blob store down) and is retried: once the store is back there is
// no object, the spool is gone, and the recorder attempts no more uploads.
func TestDeleteWhileStoreDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		e.blobs.setDown(true)
		id := e.endedCall()
		waitUntil(t, 10*time.Second, "upload retries", func() bool { return len(e.blobs.uploads()) >= 2 })
		if st := e.deleteCall(id); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		atDelete := len(e.blobs.uploads())
		e.blobs.setDown(false)
		e.checkDropped(id)
		if n := len(e.blobs.uploads()) - atDelete; n > 1 {
			t.Errorf("%d uploads after the delete, want at most the one in flight", n)
		}
	})
}

// TestDeleteDuringUpload deletes a call while its upload is in flight (the
// blob store holds the Put until the delete is done): the uploader finds
// the row gone when it records the upload and deletes the object it put.
func TestDeleteDuringUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		entered, release := make(chan struct{}, 1), make(chan struct{})
		e.blobs.mu.Lock()
		e.blobs.hold = func() {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
		e.blobs.mu.Unlock()
		id := e.endedCall()
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("no upload started")
		}
		st := e.deleteCall(id)
		close(release)
		if st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		e.checkDropped(id)
		if n := len(e.blobs.uploads()); n != 1 {
			t.Errorf("%d uploads, want 1", n)
		}
	})
}

// TestDeletedSpoolAfterRestart deletes a call whose recording waits for
// the blob store, then restarts the recorder with the spool as a crash can
// leave it (the row-pending marker back, the row's end not noted: neither
// is synced): recovery must not write the row again nor upload the audio.
func TestDeletedSpoolAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		e.blobs.setDown(true)
		id := e.endedCall()
		waitUntil(t, 10*time.Second, "an upload attempt", func() bool { return len(e.blobs.uploads()) >= 1 })
		e.stopRec()
		if st := e.deleteCall(id); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		dir := filepath.Join(e.spool, id)
		if err := os.WriteFile(filepath.Join(dir, "row.pending"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		end, err := os.ReadFile(filepath.Join(dir, "end.json"))
		if err != nil {
			t.Fatal(err)
		}
		end = []byte(strings.Replace(string(end), `"row_done":true`, `"row_done":false`, 1))
		if err := os.WriteFile(filepath.Join(dir, "end.json"), end, 0o600); err != nil {
			t.Fatal(err)
		}
		before := len(e.blobs.uploads())
		e.blobs.setDown(false)
		e.startRecorder()
		e.checkDropped(id)
		if n := len(e.blobs.uploads()) - before; n != 0 {
			t.Errorf("%d uploads after the restart, want none", n)
		}
	})
}

// endedCall places a call with a tone per side, waits until its spool
// holds audio, ends it and waits for the end to reach its row.
func (e *env) endedCall() string {
	e.t.Helper()
	ctx := context.Background()
	known := map[string]bool{}
	for _, c := range e.calls() {
		known[c.ID] = true
	}
	call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
	var id string
	waitUntil(e.t, 10*time.Second, "the call row", func() bool {
		for _, c := range e.calls() {
			if !known[c.ID] {
				id = c.ID
			}
		}
		return id != ""
	})
	waitUntil(e.t, 10*time.Second, "spooled audio", func() bool {
		st, err := os.Stat(filepath.Join(e.spool, id, "t00-1.pcm"))
		return err == nil && st.Size() >= 2*4000
	})
	e.stopTones(flows)
	if err := call.Bye(ctx); err != nil {
		e.t.Fatal(err)
	}
	waitUntil(e.t, 10*time.Second, "the call's end on its row", func() bool {
		c, err := e.db.Q().GetCall(ctx, e.tenant.ID, id)
		return err == nil && c.State == store.CallCompleted
	})
	return id
}

// deleteCall deletes a call through the API and returns the status.
func (e *env) deleteCall(id string) int {
	e.t.Helper()
	req, _ := http.NewRequest("DELETE", e.api.URL+"/api/v1/calls/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// checkDropped waits for the deleted call's spool to go, then checks that
// no upload left an object, that the row stays gone, and that the recorder
// stopped trying: no upload for ten retry periods.
func (e *env) checkDropped(id string) {
	e.t.Helper()
	ctx := context.Background()
	waitUntil(e.t, 20*time.Second, "the spool removed", func() bool {
		_, err := os.Stat(filepath.Join(e.spool, id))
		return errors.Is(err, os.ErrNotExist)
	})
	settled := len(e.blobs.uploads())
	// Absence takes a wait: ten retry periods with nothing uploaded.
	time.Sleep(10 * e.cfg.RetryEvery)
	if n := len(e.blobs.uploads()); n != settled {
		e.t.Errorf("%d more uploads after the spool was removed", n-settled)
	}
	for _, key := range slices.Compact(e.blobs.uploads()) {
		if o, err := e.blobs.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			if err == nil {
				o.Close()
			}
			e.t.Errorf("object %s left in the blob store (%v)", key, err)
		}
	}
	if _, err := e.db.Q().GetCall(ctx, e.tenant.ID, id); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("deleted call's row is back: %v", err)
	}
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
