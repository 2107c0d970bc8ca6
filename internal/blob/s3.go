package blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// S3 stores objects in a bucket of any S3-compatible service, signing each
// request with AWS Signature Version 4. Path-style addressing keeps it
// working against MinIO and other self-hosted services.
//
// URL: s3://BUCKET?endpoint=https://host:port&region=R&prefix=P; the keys
// come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
type S3 struct {
	endpoint, bucket, region, prefix string
	access, secret                   string
	client                           *http.Client
	now                              func() time.Time
}

// NewS3 reads an s3:// URL.
func NewS3(u *url.URL) (*S3, error) {
	q := u.Query()
	s := &S3{bucket: u.Host, endpoint: strings.TrimRight(q.Get("endpoint"), "/"), region: q.Get("region"),
		prefix: strings.Trim(q.Get("prefix"), "/"), access: os.Getenv("AWS_ACCESS_KEY_ID"),
		secret: os.Getenv("AWS_SECRET_ACCESS_KEY"), client: &http.Client{Timeout: 5 * time.Minute}, now: time.Now}
	if s.bucket == "" {
		return nil, errors.New("blob: s3 URL needs a bucket: s3://BUCKET?endpoint=…")
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.endpoint == "" {
		s.endpoint = "https://s3." + s.region + ".amazonaws.com"
	}
	return s, nil
}

func (s *S3) objectURL(key string) string {
	if s.prefix != "" {
		key = s.prefix + "/" + key
	}
	return s.endpoint + "/" + s.bucket + "/" + (&url.URL{Path: key}).EscapedPath()
}

func (s *S3) do(ctx context.Context, method, key string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.objectURL(key), body)
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %w", err)
	}
	if body != nil {
		req.ContentLength = size
	}
	s.sign(req)
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 %s: %w", method, err)
	}
	if res.StatusCode == http.StatusNotFound {
		res.Body.Close()
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if res.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		res.Body.Close()
		return nil, fmt.Errorf("blob: s3 %s %s: %s: %s", method, key, res.Status, msg)
	}
	return res, nil
}

// sign adds SigV4 headers; the payload is declared unsigned so a large file
// need not be read twice.
func (s *S3) sign(req *http.Request) {
	t := s.now().UTC()
	amzDate, day := t.Format("20060102T150405Z"), t.Format("20060102")
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	signed := "host;x-amz-content-sha256;x-amz-date"
	canonical := strings.Join([]string{req.Method, req.URL.EscapedPath(), req.URL.RawQuery,
		"host:" + req.URL.Host + "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:" + amzDate + "\n",
		signed, "UNSIGNED-PAYLOAD"}, "\n")
	scope := day + "/" + s.region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+s.secret), day)
	for _, part := range []string{s.region, "s3", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+s.access+"/"+scope+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(hmacSHA256(key, toSign)))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Put uploads the file.
func (s *S3) Put(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	res, err := s.do(ctx, http.MethodPut, key, f, st.Size())
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}

// Open downloads the object to a temporary file, so that it can be served
// with seeks; the file goes away on Close.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	res, err := s.do(ctx, http.MethodGet, key, nil, 0)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	tmp, err := os.CreateTemp("", "callrec-s3-*")
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	os.Remove(tmp.Name())
	n, err := io.Copy(tmp, res.Body)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("blob: s3 get %s: %w", key, err)
	}
	return file{tmp, n}, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	res, err := s.do(ctx, http.MethodDelete, key, nil, 0)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}
