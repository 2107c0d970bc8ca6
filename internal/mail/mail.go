// Package mail sends the few messages callrec writes (password resets):
// through SMTP when configured, otherwise to the log so a single-machine
// install still works.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/url"
	"strings"
)

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes messages to the log instead of mailing them.
type LogSender struct{ Log *slog.Logger }

// Send logs the message, body included: without SMTP the log is the only
// way an operator can hand a reset link to a user.
func (l LogSender) Send(_ context.Context, m Message) error {
	l.Log.Info("mail not sent (no SMTP configured)", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}

// SMTPSender mails through an SMTP server given as
// smtp://user:pass@host:port?from=addr.
type SMTPSender struct {
	addr string
	host string
	from string
	auth smtp.Auth
}

// NewSMTP parses the SMTP URL.
func NewSMTP(raw string) (*SMTPSender, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("mail: SMTP URL must look like smtp://user:pass@host:port?from=addr")
	}
	host, _, err := net.SplitHostPort(u.Host)
	if err != nil {
		host = u.Host
		u.Host = net.JoinHostPort(host, "25")
	}
	s := &SMTPSender{addr: u.Host, host: host, from: u.Query().Get("from")}
	if s.from == "" {
		s.from = "callrec@" + host
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return s, nil
}

// Send delivers m.
func (s *SMTPSender) Send(_ context.Context, m Message) error {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return fmt.Errorf("mail: header injection refused")
	}
	msg := "From: " + s.from + "\r\nTo: " + m.To + "\r\nSubject: " + m.Subject +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + m.Body
	if err := smtp.SendMail(s.addr, s.auth, s.from, []string{m.To}, []byte(msg)); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return nil
}
