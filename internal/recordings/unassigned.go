package recordings

import (
	"context"
	"errors"
	"time"

	"callrec/internal/caller"
	"callrec/internal/extension"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// UnknownWindow is how far back the unknown-extensions report looks.
const UnknownWindow = 30 * 24 * time.Hour

// UnknownExtension is an address seen in the tenant's Unassigned calls:
// the extension it names, how many calls, and the user who has that
// extension now, if one was created since.
type UnknownExtension struct {
	AOR       string
	Extension string
	Calls     int
	UserID    string
	UserName  string
}

// ErrNoOwner refuses to assign calls to an address no user has as an extension.
var ErrNoOwner = errors.New("recordings: no user has this extension yet")

// mayAssign: the report and the assignment are for those who manage users
// and see the whole tenant's recordings.
func mayAssign(p *caller.Caller) bool {
	return p.TenantID != "" && p.Can(roles.UsersManage) && p.Can(roles.RecordingsViewAll)
}

// UnknownExtensions lists the addresses of the last 30 days' Unassigned
// calls, the most frequent first, with their owner if a user has since
// been given the extension.
func (s *Service) UnknownExtensions(ctx context.Context, p *caller.Caller) ([]UnknownExtension, error) {
	if !mayAssign(p) {
		return nil, ErrForbidden
	}
	q := s.DB.Q()
	addrs, err := q.UnknownAddresses(ctx, p.TenantID, s.now().Add(-UnknownWindow), 200)
	if err != nil {
		return nil, err
	}
	out := make([]UnknownExtension, 0, len(addrs))
	for _, a := range addrs {
		u := UnknownExtension{AOR: a.AOR, Extension: extension.Of(a.AOR), Calls: a.Calls}
		if owner, err := s.owner(ctx, p.TenantID, a.AOR); err != nil {
			return nil, err
		} else if owner != nil {
			u.UserID, u.UserName = owner.ID, owner.Name
		}
		out = append(out, u)
	}
	return out, nil
}

// owner is the tenant's user one of the address's spellings is an
// extension of, or nil.
func (s *Service) owner(ctx context.Context, tenantID, aor string) (*store.User, error) {
	cands := extension.Candidates(aor)
	owners, err := s.DB.Q().ExtensionUsers(ctx, tenantID, cands)
	if err != nil {
		return nil, err
	}
	for _, c := range cands {
		if id, ok := owners[c]; ok {
			u, err := s.DB.Q().GetUser(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			return &u, nil
		}
	}
	return nil, nil
}

// AssignPast gives the Unassigned calls the address took part in to the
// user who now has it as an extension (their later calls match on their
// own), and audits how many moved.
func (s *Service) AssignPast(ctx context.Context, p *caller.Caller, aor string) (int, store.User, error) {
	if !mayAssign(p) {
		return 0, store.User{}, ErrForbidden
	}
	owner, err := s.owner(ctx, p.TenantID, aor)
	if err != nil {
		return 0, store.User{}, err
	}
	if owner == nil {
		return 0, store.User{}, ErrNoOwner
	}
	var n int
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		ids, err := tx.AssignUnassigned(ctx, p.TenantID, aor, owner.ID)
		if err != nil {
			return err
		}
		n = len(ids)
		return s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, "calls.assigned", "user", owner.ID,
			map[string]any{"address": aor, "calls": n})
	})
	return n, *owner, err
}
