package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	scimerr "github.com/elimity-com/scim/errors"

	"callrec/internal/account"
)

// ChangesSchema names the changes feed's answer, a callrec extension
// message: SCIM has no standard way to report deletions to a poller.
const ChangesSchema = "urn:callrec:params:scim:api:messages:2.0:Changes"

type change struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Deleted  bool   `json:"deleted,omitempty"`
	At       string `json:"changedAt"`
	User     any    `json:"resource,omitempty"`
}

// changes serves GET /scim/v2/Changes?since=<cursor>&count=<n>: the users
// created, changed or deleted after the cursor, oldest first, each a full
// User resource or a tombstone, and the cursor to ask with next.
func (s *Server) changes(w http.ResponseWriter, r *http.Request, c *account.Caller) {
	if r.Method != http.MethodGet {
		writeError(w, scimerr.ScimError{Status: http.StatusMethodNotAllowed, Detail: "GET only."})
		return
	}
	count := maxResults
	if v := r.URL.Query().Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, scimerr.ScimErrorBadRequest("count: a positive integer"))
			return
		}
		count = min(n, maxResults)
	}
	cs, next, err := s.accounts.UserChanges(r.Context(), c, r.URL.Query().Get("since"), count)
	if err != nil {
		se, _ := s.errFor(err, "").(scimerr.ScimError)
		writeError(w, se)
		return
	}
	names := map[string]string{}
	if gs, err := s.accounts.Groups(r.Context(), c, ""); err == nil {
		for _, g := range gs {
			names[g.ID] = g.Name
		}
	}
	exts, _ := s.accounts.ExternalIDs(r.Context(), c)
	out := make([]change, 0, len(cs))
	for _, ch := range cs {
		e := change{ID: ch.ID, UserName: ch.Login, Deleted: ch.Deleted, At: ch.At.Format(time.RFC3339Nano)}
		if !ch.Deleted {
			e.User = filterable(userResource(ch.User, names, exts[ch.ID]))
		}
		out = append(out, e)
	}
	w.Header().Set("Content-Type", "application/scim+json")
	_ = json.NewEncoder(w).Encode(map[string]any{"schemas": []string{ChangesSchema}, "totalResults": len(out),
		"Resources": out, "nextCursor": next})
}
