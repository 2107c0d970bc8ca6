package secretbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenAndKeyFile(t *testing.T) {
	dir := t.TempDir()
	b, err := Load("", dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "encryption.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	sealed := b.Seal([]byte("refresh-token-123"), "tenant-a/integration-1")
	if strings.Contains(sealed, "refresh-token") {
		t.Fatal("sealed value shows the plaintext")
	}
	again, err := Load("", dir) // same key file on the next start
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Open(sealed, "tenant-a/integration-1")
	if err != nil || string(got) != "refresh-token-123" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := again.Open(sealed, "tenant-b/integration-1"); err != ErrOpen {
		t.Fatalf("open in another context: %v, want ErrOpen", err)
	}
	other, _ := Load("", t.TempDir())
	if _, err := other.Open(sealed, "tenant-a/integration-1"); err != ErrOpen {
		t.Fatalf("open with another key: %v, want ErrOpen", err)
	}
	if _, err := Load("not base64!", dir); err == nil {
		t.Fatal("a malformed configured key was accepted")
	}
}
