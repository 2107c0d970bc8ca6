package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"

	"callrec/internal/account"
	"callrec/internal/validate"
)

// errFor maps an account error to the RFC 7644 §3.12 error the client
// sees; unexpected causes are logged and answered with a generic 500.
func (s *Server) errFor(err error, id string) error {
	var verrs validate.Errors
	var se scimerr.ScimError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, account.ErrNotFound):
		return scimerr.ScimErrorResourceNotFound(id)
	case errors.Is(err, account.ErrDefaultGroupFixed):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeMutability, Status: http.StatusBadRequest, Detail: "The default group holds every user; it cannot be renamed, deleted or left."}
	case errors.Is(err, account.ErrLicenseExhausted):
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest, Detail: "No license of that type is left in the tenant's pool."}
	case errors.As(err, &verrs):
		for _, why := range verrs {
			if strings.Contains(why, "already") {
				return scimerr.ScimError{ScimType: scimerr.ScimTypeUniqueness, Status: http.StatusConflict, Detail: describe(verrs)}
			}
		}
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest, Detail: describe(verrs)}
	case errors.Is(err, account.ErrForbidden):
		return scimerr.ScimError{Status: http.StatusForbidden, Detail: "Not allowed."}
	}
	s.log.Error("scim: request failed", "err", err)
	return scimerr.ScimErrorInternal
}

// describe names the offending callrec fields by their SCIM attribute.
func describe(e validate.Errors) string {
	names := map[string]string{"login": "userName", "name": "displayName", "email": "emails", "licenses": "licenses",
		"web_portal_access": "webPortalAccess", "auth_type": "authenticationType"}
	var parts []string
	for f, why := range e {
		if n, ok := names[f]; ok {
			f = n
		}
		parts = append(parts, fmt.Sprintf("%s: %s", f, why))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// writeError answers with the RFC 7644 error body.
func writeError(w http.ResponseWriter, e scimerr.ScimError) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}
