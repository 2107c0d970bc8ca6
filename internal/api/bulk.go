package api

import (
	"errors"
	"fmt"

	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// maxCSVBody bounds an imported CSV file (about 20,000 users' worth).
const maxCSVBody = 5 << 20

// userFilter reads the users list's query parameters; the list and the
// CSV export share them.
func userFilter(q url.Values) (store.UserFilter, error) {
	f := store.UserFilter{Search: q.Get("search"), GroupID: q.Get("group"), Role: q.Get("role"), License: q.Get("license"), Cursor: q.Get("cursor")}
	if s := q.Get("status"); s != "" {
		if s != "active" && s != "inactive" {
			return f, validationFailed(map[string]string{"status": "active or inactive"})
		}
		active := s == "active"
		f.Active = &active
	}
	limit, err := limitParam(q.Get("limit"))
	f.Limit = limit
	return f, err
}

// auditFilter reads the audit log's query parameters; the list and the CSV
// export share them.
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Cursor: q.Get("cursor")}
	fields := map[string]string{}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields[name] = "an RFC 3339 time"
				continue
			}
			*dst = &t
		}
	}
	if len(fields) > 0 {
		return f, validationFailed(fields)
	}
	limit, err := limitParam(q.Get("limit"))
	f.Limit = limit
	return f, err
}

func dryRun(r *http.Request) bool {
	v := r.URL.Query().Get("dry_run")
	return v == "1" || v == "true"
}

// bulkUpdate previews (dry_run=1) or applies one change set to many users.
func (h *Handler) bulkUpdate(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var req account.BulkRequest
	if err := decode(w, r, &req); err != nil {
		return perUserFieldError(err)
	}
	if dryRun(r) {
		plan, err := h.Accounts.PreviewBulk(r.Context(), p.Actor(), p.TenantID, req)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "applied": false, "plan": plan})
		return nil
	}
	plan, err := h.Accounts.BulkUpdate(r.Context(), p.Actor(), p.TenantID, req)
	if short, ok := errors.AsType[*account.ShortageError](err); ok {
		var body struct {
			Error struct {
				Code    string              `json:"code"`
				Message string              `json:"message"`
				Pools   []account.PoolCheck `json:"pools"`
			} `json:"error"`
		}
		body.Error.Code, body.Error.Message, body.Error.Pools = errLicense.Code, short.Error()+"; nothing was changed", short.Pools
		writeJSON(w, http.StatusConflict, body)
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dry_run": false, "applied": true, "plan": plan})
	return nil
}

// perUserFieldError explains why Bulk Edit refuses a per-user field
// instead of calling it unknown.
func perUserFieldError(err error) error {
	ae, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	for f := range ae.Fields {
		if slices.Contains(account.PerUserFields, f) {
			return validationFailed(map[string]string{f: "set per user: Bulk Edit does not change names, extensions, logins, PINs or credentials"})
		}
	}
	return err
}

func (h *Handler) exportUsers(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := userFilter(r.URL.Query())
	if err != nil {
		return err
	}
	csvHeaders(w, "users")
	return h.Accounts.ExportUsersCSV(r.Context(), p.Actor(), w, p.TenantID, f)
}

// importUsers takes a CSV body (text/csv) and answers the per-row report;
// with errors nothing is written and the status is 400.
func (h *Handler) importUsers(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
		return validationFailed(map[string]string{"body": "send the file as Content-Type: text/csv"})
	}
	body := http.MaxBytesReader(w, r.Body, maxCSVBody)
	res, err := h.Accounts.ImportUsers(r.Context(), p.Actor(), p.TenantID, body, dryRun(r))
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		return validationFailed(map[string]string{"body": fmt.Sprintf("larger than %d bytes", maxCSVBody)})
	}
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 && !res.DryRun {
		var body struct {
			Error struct {
				Code    string             `json:"code"`
				Message string             `json:"message"`
				Rows    []account.RowError `json:"rows"`
			} `json:"error"`
		}
		body.Error.Code = "validation_failed"
		body.Error.Message = fmt.Sprintf("%d problem(s) in the file; nothing was imported", len(res.Errors))
		body.Error.Rows = res.Errors
		writeJSON(w, http.StatusBadRequest, body)
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (h *Handler) exportAudit(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	csvHeaders(w, "audit-log")
	return h.Accounts.ExportAuditCSV(r.Context(), p.Actor(), w, p.TenantID, f)
}

func csvHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
}
