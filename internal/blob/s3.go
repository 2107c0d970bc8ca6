package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores objects in a bucket of any S3-compatible service through
// minio-go (a well-kept S3 client that works against AWS and self-hosted
// services alike), which signs (SigV4), uploads large files in parts, and
// sends each part's Content-MD5 so the server verifies what it stores.
// Path-style addressing keeps it working against self-hosted services.
//
// URL: s3://BUCKET?endpoint=https://host:port&region=R&prefix=P
// [&lock_days=N&lock_mode=governance|compliance]; the keys come from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. With lock_days each object
// is stored under S3 Object Lock (WORM) for that many days: the bucket must
// have Object Lock enabled, and a delete before then is refused.
type S3 struct {
	client   *minio.Client
	bucket   string
	prefix   string
	lockDays int
	lockMode minio.RetentionMode
	now      func() time.Time
}

// NewS3 reads an s3:// URL.
func NewS3(u *url.URL) (*S3, error) {
	q := u.Query()
	s := &S3{bucket: u.Host, prefix: strings.Trim(q.Get("prefix"), "/"), now: time.Now, lockMode: minio.Governance}
	if s.bucket == "" {
		return nil, errors.New("blob: s3 URL needs a bucket: s3://BUCKET?endpoint=…")
	}
	region := q.Get("region")
	if region == "" {
		region = "us-east-1"
	}
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = "https://s3." + region + ".amazonaws.com"
	}
	ep, err := url.Parse(endpoint)
	if err != nil || ep.Host == "" || (ep.Scheme != "http" && ep.Scheme != "https") {
		return nil, fmt.Errorf("blob: s3 endpoint %q: want http(s)://host[:port]", endpoint)
	}
	if v := q.Get("lock_days"); v != "" {
		if s.lockDays, err = strconv.Atoi(v); err != nil || s.lockDays < 1 || s.lockDays > 36500 {
			return nil, fmt.Errorf("blob: s3 lock_days %q: want 1 to 36500", v)
		}
	}
	switch m := q.Get("lock_mode"); m {
	case "", "governance":
	case "compliance":
		s.lockMode = minio.Compliance
	default:
		return nil, fmt.Errorf("blob: s3 lock_mode %q: want governance or compliance", m)
	}
	s.client, err = minio.New(ep.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Secure: ep.Scheme == "https",
		Region: region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %w", err)
	}
	return s, nil
}

func (s *S3) key(key string) string {
	if s.prefix != "" {
		return s.prefix + "/" + key
	}
	return key
}

// Put uploads the file, in parts when it is large, and checks that the
// service stored every byte.
func (s *S3) Put(ctx context.Context, key, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	// Content-MD5 on every part lets the service refuse a corrupted upload;
	// the payload is then sent unsigned and unchunked (UNSIGNED-PAYLOAD),
	// which every S3 implementation reads, rather than aws-chunked.
	opts := minio.PutObjectOptions{SendContentMd5: true, DisableContentSha256: true, ContentType: contentType(key)}
	if s.lockDays > 0 {
		opts.Mode, opts.RetainUntilDate = s.lockMode, s.now().AddDate(0, 0, s.lockDays)
	}
	info, err := s.client.FPutObject(ctx, s.bucket, s.key(key), path, opts)
	if err != nil {
		return fmt.Errorf("blob: s3 put %s: %w", key, err)
	}
	if info.Size != st.Size() {
		return fmt.Errorf("blob: s3 put %s: stored %d of %d bytes", key, info.Size, st.Size())
	}
	return nil
}

// contentType names what callrec stores: Ogg Opus recordings, CSV exports.
func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".opus"), strings.HasSuffix(key, ".ogg"):
		return "audio/ogg"
	case strings.HasSuffix(key, ".wav"):
		return "audio/wav"
	case strings.HasSuffix(key, ".csv"):
		return "text/csv"
	}
	return "application/octet-stream"
}

// s3Object is an object read with ranged GETs as it is sought.
type s3Object struct {
	*minio.Object
	size int64
}

func (o s3Object) Size() int64 { return o.size }

// Open returns the object for reading; seeks turn into ranged GETs.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err("get", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, s3Err("get", key, err)
	}
	return s3Object{obj, st.Size}, nil
}

// Delete removes the object; one that is not there is no error.
func (s *S3) Delete(ctx context.Context, key string) error {
	err := s.client.RemoveObject(ctx, s.bucket, s.key(key), minio.RemoveObjectOptions{})
	if err = s3Err("delete", key, err); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func s3Err(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
		return fmt.Errorf("blob: s3 %s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("blob: s3 %s %s: %w", op, key, err)
}
