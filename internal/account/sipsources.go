package account

import (
	"context"
	"errors"
	"strings"

	"callrec/internal/roles"
	"callrec/internal/sipsource"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// SIPSourceInput creates or patches a SIPREC source (an SBC or SIP
// platform allowed to send the tenant's calls); nil fields are left alone.
type SIPSourceInput struct {
	Name    *string `json:"name"`
	Address *string `json:"address"`
	Domain  *string `json:"domain"`
	// Unmatched: "record" (calls matching no user are recorded as
	// Unassigned, the default) or "metadata" (kept without audio).
	Unmatched *string `json:"unmatched"`
}

func (in SIPSourceInput) apply(s *store.SIPSource) error {
	errs := validate.Errors{}
	if in.Name != nil {
		s.Name = strings.TrimSpace(*in.Name)
	}
	if in.Address != nil {
		s.Address = strings.TrimSpace(*in.Address)
	}
	if in.Domain != nil {
		s.Domain = strings.ToLower(strings.TrimSpace(*in.Domain))
	}
	if in.Unmatched != nil {
		s.Unmatched = strings.TrimSpace(*in.Unmatched)
	}
	if s.Unmatched == "" {
		s.Unmatched = store.UnmatchedRecord
	}
	if s.Unmatched != store.UnmatchedRecord && s.Unmatched != store.UnmatchedMetadata {
		errs.Add("unmatched", "record or metadata")
	}
	if s.Name == "" || len(s.Name) > 100 {
		errs.Add("name", "required, at most 100 characters")
	}
	if !sipsource.Valid(s.Address) {
		errs.Add("address", "an IP address or a CIDR prefix such as 192.0.2.0/24")
	}
	if len(s.Domain) > 253 || strings.ContainsAny(s.Domain, " @/:") {
		errs.Add("domain", "a SIP domain or request-URI user, without scheme or port")
	}
	return errs.Err()
}

// errOverlap refuses an address another tenant's source already claims.
// It names neither that tenant nor its source: the caller may not learn
// who else records from where.
var errOverlap = validate.Field("address",
	"overlaps a source registered to another customer; an SBC shared between customers needs a different domain or request-URI user on each customer's source")

// checkOverlap refuses src when it would claim calls a source of another
// tenant claims. It runs in tx after LockSIPSources, so that of two tenants
// registering overlapping sources at once the second sees the first.
func checkOverlap(ctx context.Context, tx store.Q, src store.SIPSource) error {
	if err := tx.LockSIPSources(ctx); err != nil {
		return err
	}
	others, err := tx.SIPSourcesOutsideTenant(ctx, src.TenantID)
	if err != nil {
		return err
	}
	for _, o := range others {
		if sipsource.Overlap(src, o) {
			return errOverlap
		}
	}
	return nil
}

// sourceConflict names the field a duplicate source collides on.
func sourceConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return validate.Field("name", "a SIPREC source with this name already exists")
	}
	return mapStore(err)
}

func sourceAudit(s store.SIPSource) map[string]string {
	return map[string]string{"name": s.Name, "address": s.Address, "domain": s.Domain, "unmatched": s.Unmatched}
}

// CreateSIPSource registers a SIPREC source for the tenant, audited.
func (s *Service) CreateSIPSource(ctx context.Context, a Actor, tenantID string, in SIPSourceInput) (store.SIPSource, error) {
	now := s.stamp()
	src := store.SIPSource{ID: NewID(), TenantID: tenantID, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&src); err != nil {
		return src, err
	}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := checkOverlap(ctx, tx, src); err != nil {
			return err
		}
		if err := tx.InsertSIPSource(ctx, src); err != nil {
			return sourceConflict(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "sip_source.create", "sip_source", src.ID, sourceAudit(src))
	})
	return src, err
}

// UpdateSIPSource patches one of the tenant's sources, audited. A change
// of address or domain must not overlap another tenant's source; a rename
// changes no call's owner and is not checked, so a source that overlapped
// before this rule existed can still be renamed.
func (s *Service) UpdateSIPSource(ctx context.Context, a Actor, tenantID, id string, in SIPSourceInput) (store.SIPSource, error) {
	var src store.SIPSource
	err := s.db.InTx(ctx, func(tx store.Q) error {
		var err error
		if src, err = tx.GetSIPSource(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		before := src
		if err := in.apply(&src); err != nil {
			return err
		}
		if src.Address != before.Address || src.Domain != before.Domain {
			if err := checkOverlap(ctx, tx, src); err != nil {
				return err
			}
		}
		src.UpdatedAt = s.stamp()
		if err := tx.UpdateSIPSource(ctx, src); err != nil {
			return sourceConflict(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "sip_source.update", "sip_source", src.ID, sourceAudit(src))
	})
	return src, err
}

// DeleteSIPSource removes one of the tenant's sources, audited: its calls
// stay, and its next INVITE is refused with 403.
func (s *Service) DeleteSIPSource(ctx context.Context, a Actor, tenantID, id string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		src, err := tx.GetSIPSource(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if err := tx.DeleteSIPSource(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "sip_source.delete", "sip_source", id, sourceAudit(src))
	})
}

// SourceConflict is another tenant's source that claims some of the same
// calls as a listed source.
type SourceConflict struct {
	ID         string `json:"id"`
	TenantID   string `json:"tenant_id"`
	TenantName string `json:"tenant_name"`
	Name       string `json:"name"`
}

// ProviderSIPSource is one row of the provider's list of every tenant's
// sources, with the other tenants' sources it overlaps (the recorder
// refuses a call that matches two of them equally well).
type ProviderSIPSource struct {
	store.ProviderSIPSource
	Conflicts []SourceConflict `json:"conflicts"`
}

// ProviderSIPSources lists every tenant's SIPREC sources for a provider
// admin, by tenant and name, each with its overlaps across tenants. Only
// the provider may call it: callers check roles.TenantsManage.
func (s *Service) ProviderSIPSources(ctx context.Context) ([]ProviderSIPSource, error) {
	rows, err := s.db.Q().ProviderSIPSources(ctx)
	if err != nil {
		return nil, err
	}
	plain := make([]store.SIPSource, len(rows))
	tenantNames := map[string]string{}
	for i, r := range rows {
		plain[i] = r.SIPSource
		tenantNames[r.TenantID] = r.TenantName
	}
	conflicts := sipsource.Conflicts(plain)
	out := make([]ProviderSIPSource, len(rows))
	for i, r := range rows {
		out[i] = ProviderSIPSource{ProviderSIPSource: r, Conflicts: []SourceConflict{}}
		for _, c := range conflicts[r.ID] {
			out[i].Conflicts = append(out[i].Conflicts, SourceConflict{ID: c.ID, TenantID: c.TenantID, TenantName: tenantNames[c.TenantID], Name: c.Name})
		}
	}
	return out, nil
}

// SIPSources lists the acting tenant's SIPREC sources, for whoever
// manages its integrations.
func (s *Service) SIPSources(ctx context.Context, c *Caller) ([]store.SIPSource, error) {
	tenantID, err := inTenant(c, roles.IntegrationsManage)
	if err != nil {
		return nil, err
	}
	return s.db.Q().ListSIPSources(ctx, tenantID)
}

// SIPSource returns a source of the acting tenant; any other is ErrNotFound.
func (s *Service) SIPSource(ctx context.Context, c *Caller, id string) (store.SIPSource, error) {
	tenantID, err := inTenant(c, roles.IntegrationsManage)
	if err != nil {
		return store.SIPSource{}, err
	}
	src, err := s.db.Q().GetSIPSource(ctx, tenantID, id)
	return src, mapStore(err)
}

// ProviderSources is ProviderSIPSources for a caller: the provider's own
// admins only, since the list spans every tenant.
func (s *Service) ProviderSources(ctx context.Context, c *Caller) ([]ProviderSIPSource, error) {
	if err := provider(c); err != nil {
		return nil, err
	}
	return s.ProviderSIPSources(ctx)
}
