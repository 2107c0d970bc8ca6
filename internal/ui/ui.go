// Package ui is the server-rendered portal: sign-in, 2-step verification,
// terms, password reset and the main layout with its sections.
package ui

import (
	"log/slog"
	"net/http"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/store"
)

// Handler serves the portal.
type Handler struct {
	Accounts      *account.Service
	Auth          *auth.Service
	DB            *store.DB
	Log           *slog.Logger
	SecureCookies bool
}

// Register lists every portal route.
func (h *Handler) Register(mux *http.ServeMux) {
}
