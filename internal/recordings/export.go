package recordings

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"callrec/internal/principal"
	"callrec/internal/store"
)

// maxExport bounds one CSV export.
const maxExport = 100_000

// ExportCSV writes every call the caller may see matching f, in f's order,
// with times in loc.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, p *principal.Principal, f store.RecordingFilter, loc *time.Location) error {
	cw := csv.NewWriter(w)
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
				cell(r.Caller), cell(r.Callee), cell(r.UserName), cell(r.GroupName), r.State, strconv.FormatBool(r.Confidential),
				strconv.FormatBool(r.Recorded), cell(r.DecisionReason)}
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

// cell defuses values a spreadsheet would run as a formula; phone numbers
// such as +15551234 stay as they are.
func cell(s string) string {
	if s == "" {
		return s
	}
	risky := strings.ContainsRune("=@\t\r", rune(s[0]))
	if (s[0] == '+' || s[0] == '-') && strings.Trim(s[1:], "0123456789 ") != "" {
		risky = true
	}
	if risky {
		return "'" + s
	}
	return s
}
