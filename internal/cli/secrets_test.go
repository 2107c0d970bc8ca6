package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callrec/internal/config"
	"callrec/internal/store/storetest"
)

// TestSecretsAtRest: the data directory is its owner's only, the SQLite
// file too, and the nodes' shared secret is stored sealed: every node on
// the database gets the same one, and the database alone does not give it.
func TestSecretsAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := config.Load(func(string) string { return "" })
		cfg.DataDir, cfg.DatabaseURL = dir, b.URL(t)
		if b.Name == "sqlite" {
			cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, "callrec.db")
		}
		if err := cfg.Finish(); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, err := openApp(context.Background(), cfg, log, true)
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		modes := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "encryption.key"): 0o600}
		if b.Name == "sqlite" {
			modes[filepath.Join(dir, "callrec.db")] = 0o600
		}
		for path, want := range modes {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
			}
		}
		first, err := a.clusterSecret("internal")
		if err != nil {
			t.Fatal(err)
		}
		other, err := openApp(context.Background(), cfg, log, false)
		if err != nil {
			t.Fatal(err)
		}
		defer other.close()
		if again, err := other.clusterSecret("internal"); err != nil || again != first || len(first) != 64 {
			t.Fatalf("a second node got %q (%v), the first %q", again, err, first)
		}
		stored, err := a.db.Q().ClusterSecret(context.Background(), "internal", "unused")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, sealedPrefix) || strings.Contains(stored, first) {
			t.Fatalf("stored in the clear: %q", stored)
		}
	})
}

// TestListeners: the node-to-node routes and /metrics move to their own
// addresses when those are set, and leave the public one.
func TestListeners(t *testing.T) {
	cfg := config.Load(func(string) string { return "" })
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = "sqlite://" + filepath.Join(cfg.DataDir, "c.db")
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	tests := []struct {
		roles, internal, metrics string
		want                     []string
	}{
		{"web,recorder", "", "", []string{":8080 portal and API"}},
		{"web,recorder", "10.0.0.5:9090", "127.0.0.1:9100", []string{":8080 portal and API", "10.0.0.5:9090 node-to-node routes", "127.0.0.1:9100 metrics"}},
		{"recorder", "", "", []string{":8080 recorder internal endpoint"}},
		{"recorder", "10.0.0.5:9090", "", []string{"10.0.0.5:9090 node-to-node routes"}},
		{"worker", "10.0.0.5:9090", "", nil},
	}
	for _, tt := range tests {
		a.cfg.Roles, a.cfg.InternalAddr, a.cfg.MetricsAddr = tt.roles, tt.internal, tt.metrics
		a.cfg.HTTPAddr = ":8080"
		var got []string
		for _, l := range a.listeners() {
			got = append(got, l.addr+" "+l.what)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("roles %s internal %q metrics %q: %q, want %q", tt.roles, tt.internal, tt.metrics, got, tt.want)
		}
	}
}
