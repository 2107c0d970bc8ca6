package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestLogSenderKeepsTheLinkOut: without SMTP the log says a mail was not
// sent and how to help the user, never the message, whose reset link
// would let anyone who reads the log sign in.
func TestLogSenderKeepsTheLinkOut(t *testing.T) {
	var buf bytes.Buffer
	s := LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := s.Send(context.Background(), Message{To: "ada@example.com", Subject: "Reset your callrec password",
		Body: "Open https://portal/reset-password?token=r_secret"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "r_secret") || !strings.Contains(out, "level=WARN") || !strings.Contains(out, "callrec admin reset-password") {
		t.Errorf("log line: %s", out)
	}
}
