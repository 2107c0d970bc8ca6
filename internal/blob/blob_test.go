package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
)

// TestStores runs the Store contract on disk, on an in-process S3
// implementation (gofakes3), and — when CALLREC_TEST_S3_URL names one, as
// .ci/run does with SeaweedFS — on a real S3-compatible server.
func TestStores(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer fake.Close()
	stores := map[string]string{
		"disk":   "file://" + t.TempDir(),
		"s3fake": "s3://rec?endpoint=" + url.QueryEscape(fake.URL) + "&prefix=p",
	}
	if real := os.Getenv("CALLREC_TEST_S3_URL"); real != "" {
		stores["s3server"] = real
	} else {
		t.Log("CALLREC_TEST_S3_URL not set: no real S3 server tested")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "AK")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "SK")
	}
	for name, raw := range stores {
		t.Run(name, func(t *testing.T) {
			s, err := Open(raw)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if s3, ok := s.(*S3); ok && name == "s3server" {
				// The server may still be creating the bucket it was told to.
				if ok, err := s3.client.BucketExists(ctx, s3.bucket); err == nil && !ok {
					_ = s3.client.MakeBucket(ctx, s3.bucket, minio.MakeBucketOptions{})
				}
			}
			key := "t1/2026/" + name + ".opus"
			src := filepath.Join(t.TempDir(), "x")
			os.WriteFile(src, []byte("hello recording"), 0o600)
			if err := s.Put(ctx, key, src); err != nil {
				t.Fatal(err)
			}
			o, err := s.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			o.Seek(6, io.SeekStart)
			b, _ := io.ReadAll(o)
			o.Close()
			if string(b) != "recording" || o.Size() != 15 {
				t.Errorf("read %q size %d", b, o.Size())
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("after delete: %v", err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("deleting what is gone: %v", err)
			}
			if name == "disk" {
				return
			}
			// A recording larger than a part goes up in parts and comes
			// back byte for byte, from any offset.
			big := make([]byte, 20<<20+12345)
			rand.Read(big)
			os.WriteFile(src, big, 0o600)
			if err := s.Put(ctx, "t1/big.opus", src); err != nil {
				t.Fatal(err)
			}
			o, err = s.Open(ctx, "t1/big.opus")
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			o.Seek(17<<20, io.SeekStart)
			tail, _ := io.ReadAll(o)
			if o.Size() != int64(len(big)) || !bytes.Equal(tail, big[17<<20:]) {
				t.Errorf("large object: size %d, tail %d bytes equal=%v", o.Size(), len(tail), bytes.Equal(tail, big[17<<20:]))
			}
			_ = s.Delete(ctx, "t1/big.opus")
		})
	}
}

// TestS3URL: a bad endpoint, lock days or mode in the URL is refused.
func TestS3URL(t *testing.T) {
	for _, raw := range []string{
		"s3://?endpoint=http://h:1", "s3://b?endpoint=ftp://h", "s3://b?endpoint=http://h&lock_days=0",
		"s3://b?endpoint=http://h&lock_days=x", "s3://b?endpoint=http://h&lock_mode=forever",
	} {
		if _, err := Open(raw); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	if _, err := Open("s3://b?endpoint=http://h:9&lock_days=30&lock_mode=compliance"); err != nil {
		t.Errorf("a locked bucket's URL: %v", err)
	}
}

// flipper corrupts one byte of every upload on its way to the service.
type flipper struct{ next http.Handler }

func (f flipper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && r.ContentLength > 0 {
		b, _ := io.ReadAll(r.Body)
		b[len(b)/2] ^= 0xff
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	f.next.ServeHTTP(w, r)
}

// TestS3RefusesCorruptUpload: an upload damaged on the way is refused by
// the service (its Content-MD5 does not match), and Put says so, so the
// recording stays on the spool and is retried.
func TestS3RefusesCorruptUpload(t *testing.T) {
	srv := httptest.NewServer(flipper{gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server()})
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AK")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SK")
	s, err := Open("s3://rec?endpoint=" + url.QueryEscape(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "x")
	os.WriteFile(src, []byte("hello recording"), 0o600)
	if err := s.Put(context.Background(), "c.opus", src); err == nil || !strings.Contains(err.Error(), "BadDigest") {
		t.Fatalf("a corrupted upload: %v, want the service's BadDigest", err)
	}
}

// TestS3ObjectLock: with lock_days the upload asks the service to keep the
// object under Object Lock until then, in the mode the URL names.
func TestS3ObjectLock(t *testing.T) {
	var mode, until string
	inner := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mode, until = r.Header.Get("X-Amz-Object-Lock-Mode"), r.Header.Get("X-Amz-Object-Lock-Retain-Until-Date")
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AK")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SK")
	s, err := Open("s3://rec?endpoint=" + url.QueryEscape(srv.URL) + "&lock_days=30&lock_mode=compliance")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "x")
	os.WriteFile(src, []byte("hello recording"), 0o600)
	if err := s.Put(context.Background(), "c.opus", src); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, until)
	if mode != "COMPLIANCE" || err != nil || at.Sub(time.Now().AddDate(0, 0, 30)).Abs() > time.Minute {
		t.Errorf("lock mode %q until %q (%v), want COMPLIANCE for 30 days", mode, until, err)
	}
}
