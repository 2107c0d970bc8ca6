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

// TestComposeCarriesTheBrand: the brand is the sender's display name, the
// address the configured one, and a name or subject cannot add a header.
func TestComposeCarriesTheBrand(t *testing.T) {
	s, err := NewSMTP("smtp://mail.example:25")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.compose(Message{To: "ada@example.com", Subject: "Reset your Acmé Voice password", Body: "hi", FromName: "Acmé Voice"})
	if err != nil {
		t.Fatal(err)
	}
	head := string(msg)
	if !strings.Contains(head, "From: =?utf-8?q?Acm=C3=A9_Voice?= <noreply@mail.example>\r\n") ||
		!strings.Contains(head, "Subject: =?utf-8?q?Reset_your_Acm=C3=A9_Voice_password?=\r\n") {
		t.Fatalf("headers:\n%s", head)
	}
	if strings.Contains(strings.ToLower(head), "callrec") {
		t.Fatalf("vendor name in a branded mail:\n%s", head)
	}
	if _, err := s.compose(Message{To: "ada@example.com", Subject: "x", FromName: "Acme\r\nBcc: eve@example.com"}); err == nil {
		t.Fatal("a line break in the display name was accepted")
	}
}
