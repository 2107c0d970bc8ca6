package recordings

import (
	"context"
	"io"
	"strconv"
	"time"

	"callrec/internal/caller"
	"callrec/internal/csvexport"
	"callrec/internal/store"
)

// maxExport bounds one CSV export.
const maxExport = 100_000

// ExportCSV writes every call the caller may see matching f, in f's order,
// with times in loc.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, p *caller.Caller, f store.RecordingFilter, loc *time.Location) error {
	if _, err := s.ScopeOf(ctx, p); err != nil {
		return err
	}
	if err := s.Accounts.Audit(ctx, s.DB.Q(), p.Actor(), p.TenantID, "recordings.export", "tenant", p.TenantID, f); err != nil {
		return err
	}
	cw := csvexport.NewWriter(w)
	head := []string{"id", "started_at", "duration_seconds", "direction", "caller", "callee", "user", "group", "state", "confidential", "recorded", "decision_reason"}
	if err := cw.Write(head); err != nil {
		return err
	}
	f.Limit, f.Cursor = 500, ""
	for n := 0; n < maxExport; {
		recs, next, err := s.List(ctx, p, f)
		if err != nil {
			return err
		}
		for _, r := range recs {
			row := []string{r.ID, r.StartedAt.In(loc).Format(time.RFC3339), strconv.FormatInt((r.DurationMS+500)/1000, 10), r.Direction,
				r.Caller, r.Callee, r.UserName, r.GroupName, r.State, strconv.FormatBool(r.Confidential),
				strconv.FormatBool(r.Recorded), r.DecisionReason}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		n += len(recs)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	return cw.Error()
}
