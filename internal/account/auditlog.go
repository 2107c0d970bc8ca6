package account

import (
	"context"
	"encoding/json"
	"io"

	"callrec/internal/csvexport"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// maxAuditExport bounds one audit CSV export.
const maxAuditExport = 100_000

// ObjectNames names the objects of audit entries (users, groups, tenants,
// tokens) so that screens and exports show names rather than ids. An
// object that no longer exists is named from the entry's detail when the
// change recorded it (deletions do).
func (s *Service) ObjectNames(ctx context.Context, tenantID string, entries []store.AuditEntry) map[string]string {
	q := s.db.Q()
	out := map[string]string{}
	groups, _ := q.GroupNames(ctx, tenantID)
	for _, e := range entries {
		if e.ObjectID == "" || out[e.ObjectID] != "" {
			continue
		}
		switch e.ObjectType {
		case "user":
			if u, err := q.GetUserByID(ctx, e.ObjectID); err == nil && u.TenantID == tenantID {
				out[e.ObjectID] = u.Name
			}
		case "group":
			out[e.ObjectID] = groups[e.ObjectID]
		case "tenant":
			if t, err := q.GetTenant(ctx, e.ObjectID); err == nil && (tenantID == "" || t.ID == tenantID) {
				out[e.ObjectID] = t.Name
			}
		}
		if out[e.ObjectID] == "" {
			var d map[string]any
			if json.Unmarshal([]byte(e.Detail), &d) == nil {
				if n, ok := d["name"].(string); ok {
					out[e.ObjectID] = n
				}
			}
		}
	}
	return out
}

// ExportAuditCSV writes the tenant's audit entries matching f, newest
// first; the export itself is audited before the first row goes out.
func (s *Service) ExportAuditCSV(ctx context.Context, a Actor, w io.Writer, tenantID string, f store.AuditFilter) error {
	if err := s.Audit(ctx, s.db.Q(), a, tenantID, "audit.export", "tenant", tenantID, f); err != nil {
		return err
	}
	cw := csvexport.NewWriter(w)
	if err := cw.Write([]string{"time", "actor", "action", "object_type", "object", "object_id", "ip", "detail"}); err != nil {
		return err
	}
	f.Limit, f.Cursor = 500, ""
	for n := 0; n < maxAuditExport; {
		es, next, err := s.db.Q().ListAudit(ctx, tenantID, f)
		if err != nil {
			return err
		}
		names := s.ObjectNames(ctx, tenantID, es)
		for _, e := range es {
			rec := []string{csvTime(e.CreatedAt), e.ActorLogin, e.Action, e.ObjectType, names[e.ObjectID], e.ObjectID, e.IP, e.Detail}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		n += len(es)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	return cw.Error()
}

// AuditPage is one page of the audit log with its objects' names.
type AuditPage struct {
	Entries []store.AuditEntry
	Next    string // cursor of the next page, "" at the end
	Names   map[string]string
	Actions []string // every action the log holds, for the filter
}

// auditTenant is the log c reads: the acting tenant's, or in the
// provider's own view (no tenant picked) the provider's entries.
func auditTenant(c *Caller) (string, error) {
	if c == nil || !c.Can(roles.AuditView) {
		return "", ErrForbidden
	}
	return c.TenantID, nil
}

// AuditLog returns one page of the log the caller may read, matching f.
func (s *Service) AuditLog(ctx context.Context, c *Caller, f store.AuditFilter) (AuditPage, error) {
	tenantID, err := auditTenant(c)
	if err != nil {
		return AuditPage{}, err
	}
	var p AuditPage
	q := s.db.Q()
	if p.Entries, p.Next, err = q.ListAudit(ctx, tenantID, f); err != nil {
		return AuditPage{}, err
	}
	if p.Actions, err = q.AuditActions(ctx, tenantID); err != nil {
		return AuditPage{}, err
	}
	p.Names = s.ObjectNames(ctx, tenantID, p.Entries)
	return p, nil
}

// ExportAudit writes the log the caller may read, matching f, as CSV.
func (s *Service) ExportAudit(ctx context.Context, c *Caller, w io.Writer, f store.AuditFilter) error {
	tenantID, err := auditTenant(c)
	if err != nil {
		return err
	}
	return s.ExportAuditCSV(ctx, c.Actor(), w, tenantID, f)
}
