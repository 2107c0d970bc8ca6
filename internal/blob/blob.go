// Package blob stores finished recordings and exports: on local disk
// (file://DIR) or in an S3 bucket (s3://BUCKET?endpoint=…).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFound means no object has the key.
var ErrNotFound = errors.New("blob: not found")

// Object is an open stored object.
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// Store is where finished recordings go.
type Store interface {
	// Put stores the file at path under key, replacing any object there.
	Put(ctx context.Context, key, path string) error
	// Open returns the object for reading with seeks (HTTP Range).
	Open(ctx context.Context, key string) (Object, error)
	Delete(ctx context.Context, key string) error
}

// Open returns the store a CALLREC_BLOB_URL names.
func Open(raw string) (Store, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("blob: URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "file":
		dir := u.Path
		if u.Host != "" && u.Host != "localhost" {
			dir = u.Host + u.Path // file://relative/dir
		}
		if u.Opaque != "" {
			dir = u.Opaque
		}
		return NewDisk(dir)
	case "s3":
		return NewS3(u)
	}
	return nil, fmt.Errorf("blob: unsupported URL scheme %q (want file:// or s3://)", u.Scheme)
}

// Disk keeps objects as files under a directory.
type Disk struct{ dir string }

// NewDisk creates the directory if needed.
func NewDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("blob: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Disk{dir: dir}, nil
}

func (d *Disk) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "..") {
		return "", fmt.Errorf("blob: bad key %q", key)
	}
	return filepath.Join(d.dir, clean), nil
}

// Put copies the file into place atomically (temp file, fsync, rename).
func (d *Disk) Put(ctx context.Context, key, path string) error {
	dst, err := d.path(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(d.dir); err != nil {
		return fmt.Errorf("blob: store unavailable: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".put-*")
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("blob: write %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("blob: sync %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

type file struct {
	*os.File
	size int64
}

func (f file) Size() int64 { return f.size }

// Open opens the object's file.
func (d *Disk) Open(_ context.Context, key string) (Object, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: %w", err)
	}
	return file{f, st.Size()}, nil
}

// Delete removes the object; a missing object is not an error.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}
