package auth

import (
	"strconv"

	"github.com/google/uuid"

	"callrec/internal/mail"
)

func itoa(n int) string { return strconv.Itoa(n) }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func mailTo(to, subject, body string) mail.Message {
	return mail.Message{To: to, Subject: subject, Body: body}
}
