package cli

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"callrec/internal/auth"
	"callrec/internal/siprecload"
	"callrec/internal/store"
)

// TestDemoRecordsSiprecLoad runs `callrec demo`, points siprec-load at the
// SIP address it prints, and finds the recorded calls through the API.
func TestDemoRecordsSiprecLoad(t *testing.T) {
	ctx, dir, webURL, sipAddr := startDemo(t, "36200-36299")

	sum, err := siprecload.Run(ctx, siprecload.Config{Target: sipAddr, Calls: 2, Concurrency: 2, Duration: time.Second, CPS: 20})
	if err != nil || sum.Completed != 2 || sum.Failed != 0 {
		t.Fatalf("siprec-load against the demo: %+v, %v", sum, err)
	}

	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "callrec.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin, err := db.Q().GetUserByLogin(ctx, "admin@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.NewService(db, auth.Options{}).CreateToken(ctx, admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	// The BYE is answered before the row is ended (the end runs beside
	// it), so the rows are read until both calls are complete.
	var page struct {
		Items []store.Call `json:"items"`
	}
	recorded := 0
	for deadline := time.Now().Add(10 * time.Second); recorded != 2 && time.Now().Before(deadline); {
		req, _ := http.NewRequestWithContext(ctx, "GET", webURL+"/api/v1/calls", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page.Items = nil
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET /api/v1/calls: %d %v", res.StatusCode, err)
		}
		recorded = 0
		for _, c := range page.Items {
			if c.Recorded && c.State == store.CallCompleted {
				recorded++
			}
		}
		if recorded != 2 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if recorded != 2 {
		t.Errorf("%d completed recorded calls in the API, want 2: %+v", recorded, page.Items)
	}

	// Sustained mode keeps two calls up for two seconds, replacing each as
	// it ends, so it places more calls than it holds at once.
	start := time.Now()
	sum, err = siprecload.Run(ctx, siprecload.Config{Target: sipAddr, Concurrency: 2, For: 2 * time.Second,
		Duration: 300 * time.Millisecond, MaxDuration: 600 * time.Millisecond, CPS: 20})
	if err != nil || sum.Failed != 0 || sum.Completed != sum.Calls || sum.Calls <= 2 {
		t.Fatalf("sustained siprec-load: %+v, %v; want every call completed and more than 2 placed", sum, err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("sustained run ended after %v, before its 2 s", took)
	}
}
