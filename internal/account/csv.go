package account

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"callrec/internal/csvexport"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// CSVColumns are the user list's CSV columns, in order. Lists (groups,
// managed groups, extensions, licenses) are separated by ";"; groups are
// named, not numbered, so a file can be edited by hand.
var CSVColumns = []string{"id", "name", "login", "email", "active", "role", "groups", "managed_groups", "timezone", "language",
	"record", "record_inbound", "record_outbound", "extensions", "confidential", "screen_recording_username",
	"web_portal_access", "auth_type", "two_factor_required", "valid_till", "licenses", "speech_analytics_type"}

// maxImportRows bounds one import.
const maxImportRows = 5000

// ExportUsersCSV writes the tenant's users matching f (all pages) as CSV;
// the export is audited before the first row goes out.
func (s *Service) ExportUsersCSV(ctx context.Context, a Actor, w io.Writer, tenantID string, f store.UserFilter) error {
	q := s.db.Q()
	if err := s.Audit(ctx, q, a, tenantID, "users.export", "tenant", tenantID, f); err != nil {
		return err
	}
	gs, err := q.GroupNames(ctx, tenantID)
	if err != nil {
		return err
	}
	cw := csvexport.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	f.Limit, f.Cursor = 500, ""
	for {
		users, next, err := q.ListUsers(ctx, tenantID, f)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := cw.Write(userRecord(u, gs)); err != nil {
				return err
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	return cw.Error()
}

func userRecord(u store.User, groups map[string]string) []string {
	names := func(ids []string) string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, groups[id])
		}
		slices.Sort(out)
		return strings.Join(out, ";")
	}
	valid := ""
	if u.ValidTill != nil {
		valid = u.ValidTill.Format("2006-01-02")
	}
	return []string{u.ID, u.Name, u.Login, u.Email, yesNo(u.Active), u.Role, names(u.Groups),
		names(u.ManagedGroups), u.Timezone, u.Language, u.Record, yesNo(u.RecordInbound), yesNo(u.RecordOutbound),
		strings.Join(u.Extensions, ";"), yesNo(u.Confidential), u.ScreenUsername, yesNo(u.PortalAccess), u.AuthType, yesNo(u.Require2FA), valid, strings.Join(u.Licenses, ";"), u.SpeechAnalyticsType}
}

// RowError is one problem of one CSV row; Row counts the header as row 1,
// as a spreadsheet does.
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
	Name    string `json:"name,omitempty"`
}

// ImportResult reports an import. With errors, or on a dry run, nothing
// was written.
type ImportResult struct {
	DryRun  bool       `json:"dry_run"`
	Rows    int        `json:"rows"`
	Created int        `json:"created"`
	Updated int        `json:"updated"`
	Errors  []RowError `json:"errors"`
	Applied bool       `json:"applied"`
}

// errRollback ends an import transaction without writing.
var errRollback = errors.New("account: import rolled back")

// ImportUsers creates or updates users from CSV. A row with an id, or
// with the login of a user of the tenant, updates that user; other rows
// create users. Columns missing from the file leave those settings alone.
// Every row is tried in one transaction, each behind a savepoint so that
// all problems are reported; the transaction commits only when no row
// failed and dryRun is false, so an import is all or nothing and a dry run
// checks exactly what the import would.
func (s *Service) ImportUsers(ctx context.Context, a Actor, tenantID string, r io.Reader, dryRun bool) (ImportResult, error) {
	res := ImportResult{DryRun: dryRun, Errors: []RowError{}}
	header, rows, err := readCSV(r)
	if err != nil {
		return res, err
	}
	res.Rows = len(rows)
	err = s.db.InTx(ctx, func(tx store.Q) error {
		groups, err := tx.ListGroups(ctx, tenantID, "")
		if err != nil {
			return err
		}
		for i, rec := range rows {
			row := importRow{num: i + 2, cells: cellMap(header, rec)}
			created, err := s.importRowTx(ctx, tx, a, tenantID, row, groups)
			if err != nil {
				if !rowProblem(err) {
					return err
				}
				res.Errors = append(res.Errors, rowErrors(row, err)...)
				continue
			}
			if created {
				res.Created++
			} else {
				res.Updated++
			}
		}
		if dryRun || len(res.Errors) > 0 {
			return errRollback
		}
		return s.Audit(ctx, tx, a, tenantID, "user.import", "tenant", tenantID, map[string]int{"created": res.Created, "updated": res.Updated})
	})
	if errors.Is(err, errRollback) {
		return res, nil
	}
	res.Applied = err == nil
	return res, err
}

// readCSV parses the file and checks its header.
func readCSV(r io.Reader) ([]string, [][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, validate.Field("file", "empty, or not CSV: the first line must name the columns")
	}
	errs := validate.Errors{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		header[i] = h
		if !slices.Contains(CSVColumns, h) {
			errs.Addf("file", "unknown column %q; the columns are %s", h, strings.Join(CSVColumns, ", "))
		}
	}
	if !slices.Contains(header, "name") && !slices.Contains(header, "id") && !slices.Contains(header, "login") {
		errs.Add("file", "needs a name column (and id or login to update existing users)")
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, validate.Field("file", "not valid CSV: "+err.Error())
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rows) == maxImportRows {
			return nil, nil, validate.Field("file", fmt.Sprintf("at most %d users per import", maxImportRows))
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return nil, nil, validate.Field("file", "has a header but no users")
	}
	return header, rows, nil
}

func cellMap(header, rec []string) map[string]string {
	m := make(map[string]string, len(header))
	for i, h := range header {
		if i < len(rec) {
			m[h] = csvexport.Restore(strings.TrimSpace(rec[i]))
		} else {
			m[h] = ""
		}
	}
	return m
}

type importRow struct {
	num   int
	cells map[string]string
}

// rowFailure is a row problem that is not a field of the user.
type rowFailure struct{ field, msg string }

func (e rowFailure) Error() string { return e.field + ": " + e.msg }

func rowProblem(err error) bool {
	var verrs validate.Errors
	var rf rowFailure
	return errors.As(err, &verrs) || errors.As(err, &rf) || errors.Is(err, ErrLicenseExhausted) || errors.Is(err, ErrNotFound)
}

func rowErrors(row importRow, err error) []RowError {
	name := row.cells["name"]
	if name == "" {
		name = row.cells["login"]
	}
	var verrs validate.Errors
	var rf rowFailure
	switch {
	case errors.As(err, &verrs):
		out := make([]RowError, 0, len(verrs))
		keys := make([]string, 0, len(verrs))
		for k := range verrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, RowError{Row: row.num, Field: k, Message: verrs[k], Name: name})
		}
		return out
	case errors.As(err, &rf):
		return []RowError{{Row: row.num, Field: rf.field, Message: rf.msg, Name: name}}
	case errors.Is(err, ErrLicenseExhausted):
		return []RowError{{Row: row.num, Field: "licenses", Message: "no license of a requested type is left in the pool", Name: name}}
	}
	return []RowError{{Row: row.num, Field: "id", Message: "no user with this id in the tenant", Name: name}}
}

// importRowTx creates or updates the user of one row behind a savepoint.
func (s *Service) importRowTx(ctx context.Context, tx store.Q, a Actor, tenantID string, row importRow, groups []store.Group) (created bool, err error) {
	in, err := row.input(groups)
	if err != nil {
		// Report the row's other problems too, checked as for a new user.
		verrs, _ := errors.AsType[validate.Errors](err)
		if _, aerr := s.newUser(tenantID, &in); aerr != nil && in.Name != nil {
			more, _ := errors.AsType[validate.Errors](aerr)
			for k, v := range more {
				verrs.Add(k, v)
			}
		}
		return false, err
	}
	sp := fmt.Sprintf("import_row_%d", row.num)
	if err := tx.Savepoint(ctx, sp); err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			if rerr := tx.RollbackTo(ctx, sp); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return
		}
		err = tx.Release(ctx, sp)
	}()
	existing, found, err := findImportTarget(ctx, tx, tenantID, row)
	if err != nil {
		return false, err
	}
	detail := map[string]any{"import": true, "row": row.num}
	if found {
		return false, s.updateUserTx(ctx, tx, a, existing, in, "user.update", detail)
	}
	if in.Name == nil {
		return false, validate.Field("name", "required for a new user")
	}
	u, err := s.newUser(tenantID, &in)
	if err != nil {
		return false, err
	}
	return true, s.insertUserTx(ctx, tx, a, tenantID, &u, in, "user.create")
}

// findImportTarget finds the user a row updates: by id, else by login.
func findImportTarget(ctx context.Context, tx store.Q, tenantID string, row importRow) (store.User, bool, error) {
	if id := row.cells["id"]; id != "" {
		u, err := tx.GetUser(ctx, tenantID, id)
		if err != nil {
			return u, false, mapStore(err)
		}
		return u, true, nil
	}
	login := row.cells["login"]
	if login == "" {
		return store.User{}, false, nil
	}
	u, err := tx.GetUserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.TenantID != tenantID) {
		// A login of another tenant fails on insert as "already used".
		return store.User{}, false, nil
	}
	return u, err == nil, err
}

// input turns the row's cells into a patch; absent columns stay nil.
func (row importRow) input(groups []store.Group) (UserInput, error) {
	var in UserInput
	errs := validate.Errors{}
	str := func(col string) *string {
		v, ok := row.cells[col]
		if !ok {
			return nil
		}
		return &v
	}
	boolean := func(col string) *bool {
		v, ok := row.cells[col]
		if !ok || v == "" {
			return nil
		}
		b, ok := parseBool(v)
		if !ok {
			errs.Add(col, "yes or no")
			return nil
		}
		return &b
	}
	list := func(col string) *[]string {
		v, ok := row.cells[col]
		if !ok {
			return nil
		}
		out := []string{}
		for _, x := range strings.Split(v, ";") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return &out
	}
	in.Name, in.Login, in.Email, in.Timezone, in.Language = str("name"), str("login"), str("email"), str("timezone"), str("language")
	in.ScreenUsername, in.ValidTill = str("screen_recording_username"), str("valid_till")
	for col, dst := range map[string]**string{"role": &in.Role, "record": &in.Record, "auth_type": &in.AuthType, "speech_analytics_type": &in.SpeechAnalyticsType} {
		if v := str(col); v != nil && *v != "" {
			*dst = v
		}
	}
	in.Active, in.RecordInbound, in.RecordOutbound = boolean("active"), boolean("record_inbound"), boolean("record_outbound")
	in.Confidential, in.PortalAccess, in.Require2FA = boolean("confidential"), boolean("web_portal_access"), boolean("two_factor_required")
	in.Extensions, in.Licenses = list("extensions"), list("licenses")
	for col, dst := range map[string]**[]string{"groups": &in.Groups, "managed_groups": &in.ManagedGroups} {
		names := list(col)
		if names == nil {
			continue
		}
		ids, err := groupIDs(*names, groups)
		if err != nil {
			errs.Add(col, err.Error())
			continue
		}
		*dst = &ids
	}
	return in, errs.Err()
}

func groupIDs(names []string, groups []store.Group) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(groups, func(g store.Group) bool { return strings.EqualFold(g.Name, n) })
		if i < 0 {
			return nil, fmt.Errorf("no group named %q in this tenant", n)
		}
		ids = append(ids, groups[i].ID)
	}
	return ids, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes", "y", "true", "1", "on":
		return true, true
	case "no", "n", "false", "0", "off":
		return false, true
	}
	return false, false
}

// csvTime formats audit times in the CSV export.
func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
