// Package scim is callrec's SCIM 2.0 service provider (RFC 7643/7644) at
// /scim/v2: Users and Groups of one tenant, chosen by the bearer token
// (tokens are per tenant, issued by the provider admin), with the discovery
// endpoints (ServiceProviderConfig, ResourceTypes, Schemas) and a changes
// feed for daily pollers. The protocol — schemas, request validation,
// filter parsing and evaluation, PATCH parsing, list responses and the
// error format — is github.com/elimity-com/scim's; this package maps
// resources to callrec's users and groups and changes them only through
// the account service, so validation, licenses and audit are the portal's.
package scim

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	elim "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"callrec/internal/account"
	"callrec/internal/principal"
)

// Prefix is where the service listens.
const Prefix = "/scim/v2"

// maxBody bounds a SCIM request body; a user or a group with its members
// fits well within it.
const maxBody = 1 << 20

// maxResults is the most resources one list answer holds.
const maxResults = 200

// Server serves SCIM for the tenant of each request's token.
type Server struct {
	accounts *account.Service
	log      *slog.Logger
	elim     elim.Server
}

// New returns the SCIM service; publicURL is callrec's base URL, for the
// meta.location of resources.
func New(accounts *account.Service, log *slog.Logger, publicURL string) (*Server, error) {
	s := &Server{accounts: accounts, log: log}
	users := &userHandler{s: s}
	groups := &groupHandler{s: s}
	config := &elim.ServiceProviderConfig{
		DocumentationURI: optional.NewString("https://github.com/callrec/callrec/blob/main/docs/scim.md"),
		AuthenticationSchemes: []elim.AuthenticationScheme{{Type: elim.AuthenticationTypeOauthBearerToken, Name: "Bearer token",
			Description: "A per-tenant SCIM token the provider admin issues in callrec (Provider → Tenants → SCIM tokens).", Primary: true}},
		MaxResults: maxResults, SupportFiltering: true, SupportPatch: true,
	}
	types := []elim.ResourceType{
		{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Description: optional.NewString("callrec users"),
			Schema: schema.CoreUserSchema(), SchemaExtensions: []elim.SchemaExtension{{Schema: callrecUserSchema()}}, Handler: users},
		{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: optional.NewString("callrec groups"),
			Schema: schema.CoreGroupSchema(), Handler: groups},
	}
	es, err := elim.NewServer(&elim.ServerArgs{ServiceProviderConfig: config, ResourceTypes: types},
		elim.WithBaseURL(strings.TrimSuffix(publicURL, "/")+Prefix), elim.WithLogger(slogAdapter{log}))
	if err != nil {
		return nil, err
	}
	s.elim = es
	return s, nil
}

// ServeHTTP authenticates the token, picks its tenant and serves the
// request: the changes feed here, the rest through the library.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, err := s.accounts.SCIMCaller(r.Context(), strings.TrimSpace(raw), principal.ClientIP(r))
	if err != nil {
		if !errors.Is(err, account.ErrBadSCIMToken) {
			s.log.Error("scim: token", "err", err)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="callrec SCIM"`)
		writeError(w, scimerr.ScimError{Status: http.StatusUnauthorized, Detail: "A valid SCIM bearer token is required."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	r = r.WithContext(withCaller(r.Context(), c))
	path := strings.TrimPrefix(r.URL.Path, "/scim")
	if path == "/v2/Changes" {
		s.changes(w, r, c)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	s.elim.ServeHTTP(w, r2)
}

type callerKey struct{}

func withCaller(ctx context.Context, c *account.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

func callerOf(r *http.Request) *account.Caller {
	c, _ := r.Context().Value(callerKey{}).(*account.Caller)
	return c
}

// slogAdapter gives the library our logger.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Error(args ...interface{}) { a.log.Error("scim", "detail", args) }
