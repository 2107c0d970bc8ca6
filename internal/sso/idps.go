package sso

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// MatchNameID matches users by the assertion's NameID (the default); any
// other match attribute names an assertion attribute.
const MatchNameID = "nameid"

// IdPInput is a provider admin's change to an identity provider; nil
// fields are left as they are. MetadataXML, or MetadataURL when no XML is
// given, fills the entity ID, endpoints and certificates the input leaves
// empty.
type IdPInput struct {
	Name           *string `json:"name"`
	TenantID       *string `json:"tenant_id"` // "" or null: every tenant of the provider
	EntityID       *string `json:"entity_id"`
	MetadataURL    *string `json:"metadata_url"`
	MetadataXML    *string `json:"metadata_xml"`
	SSOURL         *string `json:"sso_url"`
	SLOURL         *string `json:"slo_url"`
	Cert1          *string `json:"cert1"`
	Cert2          *string `json:"cert2"`
	MatchAttribute *string `json:"match_attribute"`
	EnforcesMFA    *bool   `json:"enforces_mfa"`
	Enabled        *bool   `json:"enabled"`
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// mayManage: identity providers are the provider's, managed by its admins only.
func mayManage(c *caller.Caller) error {
	if c == nil || !c.IsProvider() {
		return account.ErrForbidden
	}
	return nil
}

// ListIdPs lists every identity provider.
func (s *Service) ListIdPs(ctx context.Context, c *caller.Caller) ([]store.SAMLIdP, error) {
	if err := mayManage(c); err != nil {
		return nil, err
	}
	return s.db.Q().ListSAMLIdPs(ctx)
}

// GetIdP returns one identity provider.
func (s *Service) GetIdP(ctx context.Context, c *caller.Caller, id string) (store.SAMLIdP, error) {
	if err := mayManage(c); err != nil {
		return store.SAMLIdP{}, err
	}
	return s.db.Q().GetSAMLIdP(ctx, id)
}

// CreateIdP registers an identity provider, audited.
func (s *Service) CreateIdP(ctx context.Context, c *caller.Caller, in IdPInput) (store.SAMLIdP, error) {
	if err := mayManage(c); err != nil {
		return store.SAMLIdP{}, err
	}
	now := s.stamp()
	x := store.SAMLIdP{ID: account.NewID(), MatchAttr: MatchNameID, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(ctx, &x, in); err != nil {
		return x, err
	}
	err := s.db.InTx(ctx, func(q store.Q) error {
		if err := q.InsertSAMLIdP(ctx, x); err != nil {
			return idpConflict(err)
		}
		return s.audit(ctx, q, c.Actor(), x.TenantID, "saml_idp.create", x.ID, idpAudit(x))
	})
	return x, err
}

// UpdateIdP changes an identity provider, audited.
func (s *Service) UpdateIdP(ctx context.Context, c *caller.Caller, id string, in IdPInput) (store.SAMLIdP, error) {
	if err := mayManage(c); err != nil {
		return store.SAMLIdP{}, err
	}
	var x store.SAMLIdP
	err := s.db.InTx(ctx, func(q store.Q) error {
		var err error
		if x, err = q.GetSAMLIdP(ctx, id); err != nil {
			return err
		}
		if err := s.apply(ctx, &x, in); err != nil {
			return err
		}
		x.UpdatedAt = s.stamp()
		if err := q.UpdateSAMLIdP(ctx, x); err != nil {
			return idpConflict(err)
		}
		return s.audit(ctx, q, c.Actor(), x.TenantID, "saml_idp.update", x.ID, idpAudit(x))
	})
	return x, err
}

// DeleteIdP removes an identity provider, audited. Sessions it started
// stay until they end.
func (s *Service) DeleteIdP(ctx context.Context, c *caller.Caller, id string) error {
	if err := mayManage(c); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(q store.Q) error {
		x, err := q.GetSAMLIdP(ctx, id)
		if err != nil {
			return err
		}
		if err := q.DeleteSAMLIdP(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, q, c.Actor(), x.TenantID, "saml_idp.delete", x.ID, idpAudit(x))
	})
}

// RegisterFromMetadata registers (or, for an entity ID already known,
// refreshes) an enabled IdP from its metadata XML, matching users by NameID:
// the one call `callrec demo` needs to trust the provider portal emulator.
// tenantID "" makes it provider-wide.
func (s *Service) RegisterFromMetadata(ctx context.Context, metadataXML []byte, tenantID, name string) (store.SAMLIdP, error) {
	system := &caller.Caller{User: store.User{Login: "system", Role: roles.ProviderAdmin}}
	md := string(metadataXML)
	in := IdPInput{Name: &name, TenantID: &tenantID, MetadataXML: &md}
	ed, err := samlsp.ParseMetadata(metadataXML)
	if err != nil {
		return store.SAMLIdP{}, validate.Field("metadata_xml", "not SAML metadata: "+err.Error())
	}
	if old, err := s.db.Q().GetSAMLIdPByEntityID(ctx, ed.EntityID); err == nil {
		empty := ""
		in.Cert1, in.Cert2, in.SSOURL, in.SLOURL = &empty, &empty, &empty, &empty
		return s.UpdateIdP(ctx, system, old.ID, in)
	}
	return s.CreateIdP(ctx, system, in)
}

// apply validates in onto x, reading metadata when given.
func (s *Service) apply(ctx context.Context, x *store.SAMLIdP, in IdPInput) error {
	errs := validate.Errors{}
	set(&x.Name, in.Name)
	set(&x.TenantID, in.TenantID)
	set(&x.EntityID, in.EntityID)
	set(&x.MetadataURL, in.MetadataURL)
	set(&x.MetadataXML, in.MetadataXML)
	set(&x.SSOURL, in.SSOURL)
	set(&x.SLOURL, in.SLOURL)
	set(&x.Cert1, in.Cert1)
	set(&x.Cert2, in.Cert2)
	set(&x.MatchAttr, in.MatchAttribute)
	set(&x.EnforcesMFA, in.EnforcesMFA)
	set(&x.Enabled, in.Enabled)
	x.Name, x.EntityID, x.MatchAttr = strings.TrimSpace(x.Name), strings.TrimSpace(x.EntityID), strings.TrimSpace(x.MatchAttr)
	if in.MetadataXML != nil || in.MetadataURL != nil {
		if err := s.fromMetadata(ctx, x, in.MetadataXML != nil && *in.MetadataXML != ""); err != nil {
			errs.Add(metadataField(in), err.Error())
		}
	}
	if x.Name == "" {
		errs.Add("name", "required")
	}
	if x.EntityID == "" {
		errs.Add("entity_id", "required (or give the metadata)")
	}
	if x.MatchAttr == "" {
		x.MatchAttr = MatchNameID
	}
	if len(x.MatchAttr) > 200 {
		errs.Add("match_attribute", "at most 200 characters")
	}
	for field, v := range map[string]string{"sso_url": x.SSOURL, "slo_url": x.SLOURL, "metadata_url": x.MetadataURL} {
		if v != "" && !httpURL(v) {
			errs.Add(field, "an http(s) URL")
		}
	}
	if x.Cert1 == "" && x.Cert2 != "" {
		x.Cert1, x.Cert2 = x.Cert2, ""
	}
	if x.Cert1 == "" {
		errs.Add("cert1", "a signing certificate is required (or give the metadata)")
	}
	for field, v := range map[string]string{"cert1": x.Cert1, "cert2": x.Cert2} {
		if v == "" {
			continue
		}
		c, err := ParseCertificate(v)
		if err != nil {
			errs.Add(field, "not an X.509 certificate (PEM or base64)")
			continue
		}
		if field == "cert1" {
			x.Cert1 = certPEM(c.Raw)
		} else {
			x.Cert2 = certPEM(c.Raw)
		}
	}
	if x.TenantID != "" {
		if _, err := s.db.Q().GetTenant(ctx, x.TenantID); err != nil {
			errs.Add("tenant_id", "no such tenant")
		}
	}
	return errs.Err()
}

func metadataField(in IdPInput) string {
	if in.MetadataXML != nil && *in.MetadataXML != "" {
		return "metadata_xml"
	}
	return "metadata_url"
}

// fromMetadata fills the entity ID, endpoints and certificates x leaves
// empty from its metadata (the XML, else fetched from the URL).
func (s *Service) fromMetadata(ctx context.Context, x *store.SAMLIdP, useXML bool) error {
	var ed *saml.EntityDescriptor
	var err error
	switch {
	case useXML:
		ed, err = samlsp.ParseMetadata([]byte(x.MetadataXML))
	case x.MetadataURL != "":
		u, perr := url.Parse(x.MetadataURL)
		if perr != nil || !httpURL(x.MetadataURL) {
			return errors.New("an http(s) URL")
		}
		ed, err = samlsp.FetchMetadata(ctx, s.client, *u)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read the metadata: %v", err)
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return errors.New("the metadata describes no identity provider")
	}
	if x.EntityID == "" {
		x.EntityID = ed.EntityID
	} else if x.EntityID != ed.EntityID {
		return fmt.Errorf("the metadata is for %q, not %q", ed.EntityID, x.EntityID)
	}
	d := ed.IDPSSODescriptors[0]
	for _, e := range d.SingleSignOnServices {
		if x.SSOURL == "" && e.Binding == saml.HTTPRedirectBinding {
			x.SSOURL = e.Location
		}
	}
	for _, e := range d.SingleLogoutServices {
		if x.SLOURL == "" && (e.Binding == saml.HTTPRedirectBinding || e.Binding == saml.HTTPPostBinding) {
			x.SLOURL = e.Location
		}
	}
	var certs []string
	for _, k := range d.KeyDescriptors {
		if k.Use != "" && k.Use != "signing" {
			continue
		}
		for _, c := range k.KeyInfo.X509Data.X509Certificates {
			certs = append(certs, c.Data)
		}
	}
	if x.Cert1 == "" && len(certs) > 0 {
		x.Cert1 = certs[0]
	}
	if x.Cert2 == "" && len(certs) > 1 {
		x.Cert2 = certs[1]
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func idpConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return validate.Field("entity_id", "an identity provider with this entity ID is registered already")
	}
	return err
}

// idpAudit is what the audit log keeps of an IdP (certificates by
// fingerprint would be nicer; their presence is enough to follow changes).
func idpAudit(x store.SAMLIdP) map[string]any {
	return map[string]any{"name": x.Name, "entity_id": x.EntityID, "tenant_id": x.TenantID, "match_attribute": x.MatchAttr,
		"enforces_mfa": x.EnforcesMFA, "enabled": x.Enabled, "certificates": countCerts(x)}
}

func countCerts(x store.SAMLIdP) int {
	n := 0
	for _, c := range []string{x.Cert1, x.Cert2} {
		if c != "" {
			n++
		}
	}
	return n
}

// audit writes an audit entry of the SSO service.
func (s *Service) audit(ctx context.Context, q store.Q, a caller.Actor, tenantID, action, objectID string, detail any) error {
	var d bytes.Buffer
	if detail != nil {
		if err := json.NewEncoder(&d).Encode(detail); err != nil {
			return err
		}
	}
	err := q.InsertAudit(ctx, store.AuditEntry{ID: account.NewID(), TenantID: tenantID, ActorID: a.UserID, ActorLogin: a.Login,
		Action: action, ObjectType: "saml_idp", ObjectID: objectID, Detail: strings.TrimSpace(d.String()), IP: a.IP, CreatedAt: s.stamp()})
	if err != nil {
		return fmt.Errorf("sso: audit %s: %w", action, err)
	}
	return nil
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// TenantsUsingSSO says which tenants have an enabled IdP of their own, and
// whether an enabled provider-wide IdP serves every tenant (the tenant
// list's Single sign-on column).
func (s *Service) TenantsUsingSSO(ctx context.Context, c *caller.Caller) (own map[string]bool, all bool, err error) {
	if err := mayManage(c); err != nil {
		return nil, false, err
	}
	return s.db.Q().SAMLTenants(ctx)
}
