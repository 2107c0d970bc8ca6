package account

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"callrec/internal/store"
	"callrec/internal/validate"
)

// SIPSourceInput creates or patches a SIPREC source (an SBC or SIP
// platform allowed to send the tenant's calls); nil fields are left alone.
type SIPSourceInput struct {
	Name    *string `json:"name"`
	Address *string `json:"address"`
	Domain  *string `json:"domain"`
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
	if s.Name == "" || len(s.Name) > 100 {
		errs.Add("name", "required, at most 100 characters")
	}
	if !validSourceAddress(s.Address) {
		errs.Add("address", "an IP address or a CIDR prefix such as 192.0.2.0/24")
	}
	if len(s.Domain) > 253 || strings.ContainsAny(s.Domain, " @/:") {
		errs.Add("domain", "a SIP domain or request-URI user, without scheme or port")
	}
	return errs.Err()
}

func validSourceAddress(a string) bool {
	if strings.Contains(a, "/") {
		_, err := netip.ParsePrefix(a)
		return err == nil
	}
	_, err := netip.ParseAddr(a)
	return err == nil
}

// sourceConflict names the field a duplicate source collides on.
func sourceConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return validate.Field("name", "a SIPREC source with this name already exists")
	}
	return mapStore(err)
}

func sourceAudit(s store.SIPSource) map[string]string {
	return map[string]string{"name": s.Name, "address": s.Address, "domain": s.Domain}
}

// CreateSIPSource registers a SIPREC source for the tenant, audited.
func (s *Service) CreateSIPSource(ctx context.Context, a Actor, tenantID string, in SIPSourceInput) (store.SIPSource, error) {
	now := s.stamp()
	src := store.SIPSource{ID: NewID(), TenantID: tenantID, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&src); err != nil {
		return src, err
	}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertSIPSource(ctx, src); err != nil {
			return sourceConflict(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "sip_source.create", "sip_source", src.ID, sourceAudit(src))
	})
	return src, err
}

// UpdateSIPSource patches one of the tenant's sources, audited.
func (s *Service) UpdateSIPSource(ctx context.Context, a Actor, tenantID, id string, in SIPSourceInput) (store.SIPSource, error) {
	var src store.SIPSource
	err := s.db.InTx(ctx, func(tx store.Q) error {
		var err error
		if src, err = tx.GetSIPSource(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		if err := in.apply(&src); err != nil {
			return err
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
