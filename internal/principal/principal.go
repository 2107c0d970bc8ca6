// Package principal resolves who is calling — a portal session or an API
// bearer token — and in which tenant, and checks CSRF tokens for
// session-authenticated changes. The API and the portal share it.
package principal

import (
	"context"
	"net"
	"net/http"
	"strings"

	"callrec/internal/auth"
	"callrec/internal/caller"
	"callrec/internal/store"
)

// CookieName is the portal session cookie.
const CookieName = "callrec_session"

// Principal is the authenticated caller, as the services take it.
type Principal = caller.Caller

type ctxKey struct{}

// From returns the caller resolved by Middleware, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// With stores p in ctx (tests and Middleware).
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// ClientIP is the peer address without the port. callrec does not trust
// X-Forwarded-For unless a proxy is configured, which this build does not do.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Resolver builds principals from requests.
type Resolver struct {
	Auth *auth.Service
	DB   *store.DB
}

// Middleware resolves the caller, if any, into the request context. A bad
// bearer token or an unknown tenant is answered by the routes that need a
// caller, not here, so public pages still work.
func (rv *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := rv.resolve(r); p != nil {
			r = r.WithContext(With(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

func (rv *Resolver) resolve(r *http.Request) *Principal {
	ctx := r.Context()
	ip := ClientIP(r)
	if h := r.Header.Get("Authorization"); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil
		}
		t, u, err := rv.Auth.ResolveBearer(ctx, strings.TrimSpace(raw))
		if err != nil {
			return nil
		}
		return rv.withTenant(ctx, &Principal{User: u, Token: &t, IP: ip}, r.Header.Get("X-Tenant-ID"))
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	sess, u, err := rv.Auth.Resolve(ctx, c.Value)
	if err != nil {
		return nil
	}
	pick := r.Header.Get("X-Tenant-ID")
	if pick == "" {
		pick = sess.ActingTenantID
	}
	return rv.withTenant(ctx, &Principal{User: u, Session: &sess, IP: ip}, pick)
}

// withTenant fixes the acting tenant: a tenant user's own, or a provider
// admin's pick when that tenant exists.
func (rv *Resolver) withTenant(ctx context.Context, p *Principal, pick string) *Principal {
	if !p.IsProvider() {
		p.TenantID = p.User.TenantID
		return p
	}
	if pick != "" {
		if t, err := rv.DB.Q().GetTenant(ctx, pick); err == nil {
			p.TenantID = t.ID
		}
	}
	return p
}

// CSRFOK reports whether a state-changing request carries the session's
// CSRF token (header X-CSRF-Token or form field csrf_token). Bearer-token
// requests cannot be forged by a browser and pass.
func CSRFOK(r *http.Request, p *Principal) bool {
	if p == nil || p.Session == nil {
		return true
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf_token")
	}
	return auth.SameToken(got, p.Session.CSRFToken)
}
