package ui

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// importView is the import page and, after a run, its report.
type importView struct {
	Columns []string
	CSV     string
	Result  *account.ImportResult
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	h.adminView(w, r, http.StatusOK, "import", "Import users", "import", importView{Columns: account.CSVColumns}, "")
	return nil
}

// importSubmit checks (dry run) or imports the uploaded or pasted CSV.
func (h *Handler) importSubmit(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID := p.TenantID
	v := importView{Columns: account.CSVColumns, CSV: r.PostFormValue("csv")}
	if file, _, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(file, maxUploadBytes))
		file.Close()
		if err != nil {
			return err
		}
		if len(b) > 0 {
			v.CSV = string(b)
		}
	}
	if strings.TrimSpace(v.CSV) == "" {
		h.adminView(w, r, http.StatusBadRequest, "import", "Import users", "import", v, "Choose a CSV file or paste its contents first.")
		return nil
	}
	dry := r.PostFormValue("step") != "import"
	res, err := h.Accounts.ImportUsers(r.Context(), p.Actor(), tenantID, strings.NewReader(v.CSV), dry)
	if fields, ok := formErrors(err); ok {
		h.adminView(w, r, http.StatusBadRequest, "import", "Import users", "import", v, "The file cannot be read: "+fields["file"])
		return nil
	}
	if err != nil {
		return err
	}
	if res.Applied {
		h.redirectFlash(w, r, "/admin/users", "import_done")
		return nil
	}
	v.Result = &res
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusBadRequest
	}
	h.adminView(w, r, status, "import", "Import users", "import", v, "")
	return nil
}

// exportUsers downloads the (filtered) user list as CSV.
func (h *Handler) exportUsers(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID := p.TenantID
	q := r.URL.Query()
	f := store.UserFilter{Search: q.Get("search"), GroupID: q.Get("group"), Role: q.Get("role"), License: q.Get("license")}
	if s := q.Get("status"); s == "active" || s == "inactive" {
		active := s == "active"
		f.Active = &active
	}
	csvDownload(w, "users")
	err := h.Accounts.ExportUsersCSV(r.Context(), p.Actor(), w, tenantID, f)
	if err != nil && !errors.Is(err, r.Context().Err()) {
		h.Log.Error("ui: export users", "err", err)
	}
	return nil
}

func csvDownload(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
}
