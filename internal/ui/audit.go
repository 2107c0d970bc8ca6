package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"callrec/internal/httpserver"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// auditView is one page of the audit log with its filters.
type auditView struct {
	Entries  []store.AuditEntry
	Names    map[string]string
	Actions  []string
	Actor    string
	Action   string
	Object   string
	From, To string
	Filtered bool
	NextURL  template.URL
	Export   template.URL
	Provider bool
}

// objectTypes are the kinds of object the audit log names.
var objectTypes = []option{{"user", "User"}, {"group", "Group"}, {"tenant", "Tenant"}, {"token", "API token"}, {"sip_source", "SIPREC source"}}

// auditFilterOf reads the viewer's filters; dates are whole UTC days.
func auditFilterOf(q url.Values) (store.AuditFilter, auditView, string) {
	v := auditView{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object_type"), From: q.Get("from"), To: q.Get("to")}
	f := store.AuditFilter{Actor: v.Actor, Action: v.Action, ObjectType: v.Object, Cursor: q.Get("cursor"), Limit: 50}
	msg := ""
	if v.From != "" {
		if t, err := time.Parse("2006-01-02", v.From); err == nil {
			f.From = &t
		} else {
			msg = "“From” is not a date; it was ignored."
		}
	}
	if v.To != "" {
		if t, err := time.Parse("2006-01-02", v.To); err == nil {
			end := t.Add(24 * time.Hour)
			f.To = &end
		} else {
			msg = "“To” is not a date; it was ignored."
		}
	}
	v.Filtered = v.Actor != "" || v.Action != "" || v.Object != "" || f.From != nil || f.To != nil
	return f, v, msg
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	q := r.URL.Query()
	f, v, msg := auditFilterOf(q)
	page, err := h.Accounts.AuditLog(r.Context(), p, f)
	if err != nil {
		return errNotFoundIfBadCursor(serviceErr(err))
	}
	v.Entries, v.Actions, v.Names = page.Entries, page.Actions, page.Names
	v.Provider = p.TenantID == ""
	filters := url.Values{}
	for _, k := range []string{"actor", "action", "object_type", "from", "to"} {
		if x := q.Get(k); x != "" {
			filters.Set(k, x)
		}
	}
	v.Export = withQuery("/admin/audit/export", filters, "", "")
	if page.Next != "" {
		v.NextURL = withQuery("/admin/audit", filters, "cursor", page.Next)
	}
	h.adminView(w, r, http.StatusOK, "audit", "Audit log", "audit", v, msg)
	return nil
}

func (h *Handler) auditExport(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, _, _ := auditFilterOf(r.URL.Query())
	f.Cursor = ""
	csvDownload(w, "audit-log")
	w = httpserver.Stream(w, httpserver.StreamWriteTimeout) // up to 100,000 rows, as the recordings export
	if err := h.Accounts.ExportAudit(r.Context(), p, w, f); err != nil {
		h.Log.Error("ui: export audit", "err", err)
	}
	return nil
}

// objectTypeLabel names an object type for the table.
func objectTypeLabel(t string) string {
	for _, o := range objectTypes {
		if o.Value == t {
			return o.Label
		}
	}
	return t
}
