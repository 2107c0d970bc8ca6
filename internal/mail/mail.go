// Package mail sends the few messages callrec writes (password resets)
// through SMTP. Without SMTP nothing is sent and the log says so — never
// with the message, whose link would let anyone reading the log in.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"mime"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/url"
	"strings"
)

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Body    string
	// FromName is the sender's display name (the provider's product name);
	// the address stays the configured one.
	FromName string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender stands in for SMTP when none is configured: it logs that a
// message was not sent, without its body.
type LogSender struct{ Log *slog.Logger }

// Send logs a warning naming the recipient and the way out.
func (l LogSender) Send(_ context.Context, m Message) error {
	l.Log.Warn("mail not sent: no SMTP configured (CALLREC_SMTP_URL); an administrator can set a password with `callrec admin reset-password`",
		"to", m.To, "subject", m.Subject)
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
		s.from = "noreply@" + host // no vendor name: the display name carries the brand
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return s, nil
}

// Send delivers m, within ctx's deadline.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("mail: connect: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	defer c.Close()
	if err := s.deliver(c, m.To, msg); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return c.Quit()
}

// compose writes the message's headers and body. Display name and subject
// are RFC 2047 encoded, so a brand name with accents or quotes reaches the
// reader as typed and cannot add a header.
func (s *SMTPSender) compose(m Message) ([]byte, error) {
	if strings.ContainsAny(m.To+m.Subject+m.FromName, "\r\n") {
		return nil, fmt.Errorf("mail: header injection refused")
	}
	from := s.from
	if m.FromName != "" {
		from = (&netmail.Address{Name: m.FromName, Address: s.from}).String()
	}
	return []byte("From: " + from + "\r\nTo: " + m.To + "\r\nSubject: " + mime.QEncoding.Encode("utf-8", m.Subject) +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + m.Body), nil
}

// deliver speaks SMTP as smtp.SendMail does: STARTTLS when offered, AUTH
// when configured, then one message.
func (s *SMTPSender) deliver(c *smtp.Client, to string, msg []byte) error {
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: s.host}); err != nil {
			return err
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}
