package blob

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeS3 keeps objects in memory and insists on a SigV4 Authorization.
type fakeS3 struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AK/") {
		http.Error(w, "no auth", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		f.objs[r.URL.Path] = b
	case http.MethodGet:
		b, ok := f.objs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	case http.MethodDelete:
		delete(f.objs, r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}
}

func TestStores(t *testing.T) {
	fake := &fakeS3{objs: map[string][]byte{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AK")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SK")
	stores := map[string]string{
		"disk": "file://" + t.TempDir(),
		"s3":   "s3://rec?endpoint=" + url.QueryEscape(srv.URL) + "&prefix=p",
	}
	for name, raw := range stores {
		t.Run(name, func(t *testing.T) {
			s, err := Open(raw)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			src := filepath.Join(t.TempDir(), "x")
			os.WriteFile(src, []byte("hello recording"), 0o600)
			if err := s.Put(ctx, "t1/2026/c1.opus", src); err != nil {
				t.Fatal(err)
			}
			o, err := s.Open(ctx, "t1/2026/c1.opus")
			if err != nil {
				t.Fatal(err)
			}
			o.Seek(6, io.SeekStart)
			b, _ := io.ReadAll(o)
			o.Close()
			if string(b) != "recording" || o.Size() != 15 {
				t.Errorf("read %q size %d", b, o.Size())
			}
			if err := s.Delete(ctx, "t1/2026/c1.opus"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Open(ctx, "t1/2026/c1.opus"); !errors.Is(err, ErrNotFound) {
				t.Errorf("after delete: %v", err)
			}
		})
	}
}
