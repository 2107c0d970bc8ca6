package brand

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// Service reads the brand for every page and lets the provider admin set it.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service; now is the clock (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Get returns the brand in force: the provider's, or the built-in one. A
// nil Service (tests, tools without a store) has the built-in brand.
func (s *Service) Get(ctx context.Context) (Brand, error) {
	if s == nil {
		return Default(), nil
	}
	b, err := s.db.Q().GetBranding(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return Default(), nil
	}
	if err != nil {
		return Default(), fmt.Errorf("brand: %w", err)
	}
	return fromStore(b), nil
}

// Current is Get for callers that show the built-in brand rather than
// fail when the store does not answer (a page, a mail, a script comment).
func (s *Service) Current(ctx context.Context) Brand {
	b, _ := s.Get(ctx)
	return b
}

// Logo returns the logo's type and bytes; store.ErrNotFound when none.
func (s *Service) Logo(ctx context.Context) (string, []byte, error) {
	if s == nil {
		return "", nil, store.ErrNotFound
	}
	typ, b64, err := s.db.Q().BrandingLogo(ctx)
	if err != nil {
		return "", nil, err
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, fmt.Errorf("brand: stored logo: %w", err)
	}
	return typ, data, nil
}

// Input is the brand a provider admin sets (PUT: every field, empty ones
// cleared; empty Microsoft names derive from the product name).
type Input struct {
	ProductName    string `json:"product_name"`
	Tagline        string `json:"tagline"`
	AccentColor    string `json:"accent_color"`
	SupportEmail   string `json:"support_email"`
	SupportPhone   string `json:"support_phone"`
	SupportURL     string `json:"support_url"`
	TermsText      string `json:"terms_text"`
	MSAppName      string `json:"ms_app_name"`
	MSAppUPN       string `json:"ms_app_upn"`
	MSPolicyPrefix string `json:"ms_policy_prefix"`
}

// InputOf is the form of a brand (the admin page fills its fields with
// it). The built-in brand's Microsoft names are left empty: saved as
// typed they would keep the vendor's names under the provider's product,
// while empty they follow the product name the provider types.
func InputOf(b Brand) Input {
	in := Input{ProductName: b.ProductName, Tagline: b.Tagline, AccentColor: b.AccentColor, SupportEmail: b.SupportEmail,
		SupportPhone: b.SupportPhone, SupportURL: b.SupportURL, TermsText: b.TermsText,
		MSAppName: b.MSAppName, MSAppUPN: b.MSAppUPN, MSPolicyPrefix: b.MSPolicyPrefix}
	if !b.Custom {
		in.MSAppName, in.MSAppUPN, in.MSPolicyPrefix = "", "", ""
	}
	return in
}

var (
	hexRe    = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	upnRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	prefixRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,48}$`) // + "RecordingPolicy" stays within 64
	phoneRe  = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{2,39}$`)
)

// Validate trims the input and names each bad field.
func (in *Input) Validate() error {
	for _, f := range []*string{&in.ProductName, &in.Tagline, &in.AccentColor, &in.SupportEmail, &in.SupportPhone,
		&in.SupportURL, &in.TermsText, &in.MSAppName, &in.MSAppUPN, &in.MSPolicyPrefix} {
		*f = strings.TrimSpace(*f)
	}
	in.AccentColor = strings.ToLower(in.AccentColor)
	errs := validate.Errors{}
	if !validate.Name(in.ProductName) || len([]rune(in.ProductName)) > 60 {
		errs.Add("product_name", "required, at most 60 characters")
	}
	if in.Tagline != "" && (!validate.Name(in.Tagline) || len([]rune(in.Tagline)) > 80) {
		errs.Add("tagline", "at most 80 characters on one line")
	}
	if in.AccentColor == "" {
		in.AccentColor = DefaultAccent
	}
	if !hexRe.MatchString(in.AccentColor) {
		errs.Add("accent_color", "a colour as #rrggbb")
	} else if ratio, _ := ContrastWithWhite(in.AccentColor); ratio < MinContrast {
		errs.Addf("accent_color", "contrast with white is %.2f:1; at least %.1f:1 is needed (WCAG AA) — choose a darker colour", ratio, MinContrast)
	}
	if in.SupportEmail != "" && !validate.Email(in.SupportEmail) {
		errs.Add("support_email", "an email address")
	}
	if in.SupportPhone != "" && !phoneRe.MatchString(in.SupportPhone) {
		errs.Add("support_phone", "a phone number: digits, spaces, + ( ) . -")
	}
	if in.SupportURL != "" {
		if u, err := url.Parse(in.SupportURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.SupportURL) > 500 {
			errs.Add("support_url", "an http(s) address of at most 500 characters")
		}
	}
	if len(in.TermsText) > 20000 {
		errs.Add("terms_text", "at most 20000 characters")
	}
	if in.MSAppName != "" && (!validate.Name(in.MSAppName) || len(in.MSAppName) > 64) {
		errs.Add("ms_app_name", "at most 64 characters")
	}
	b := Brand{ProductName: in.ProductName, MSAppUPN: in.MSAppUPN, MSPolicyPrefix: in.MSPolicyPrefix}
	if !upnRe.MatchString(b.AppUPNLocal()) {
		errs.Add("ms_app_upn", "1–64 letters, digits, dots, dashes or underscores (the product name gives none to derive it from)")
	}
	if !prefixRe.MatchString(b.PolicyPrefix()) {
		errs.Add("ms_policy_prefix", "1–49 letters, digits, dashes or underscores (the product name gives none to derive it from)")
	}
	return errs.Err()
}

// Set replaces the brand's fields (the logo stays), audited in the same
// transaction. Only a provider admin may.
func (s *Service) Set(ctx context.Context, c *caller.Caller, in Input) (Brand, error) {
	if err := providerOnly(c); err != nil {
		return Brand{}, err
	}
	if err := in.Validate(); err != nil {
		return Brand{}, err
	}
	row := store.Branding{ProductName: in.ProductName, Tagline: in.Tagline, AccentColor: in.AccentColor,
		SupportEmail: in.SupportEmail, SupportPhone: in.SupportPhone, SupportURL: in.SupportURL, TermsText: in.TermsText,
		MSAppName: in.MSAppName, MSAppUPN: in.MSAppUPN, MSPolicyPrefix: in.MSPolicyPrefix, UpdatedAt: s.stamp()}
	err := s.db.InTx(ctx, func(q store.Q) error {
		if err := q.PutBranding(ctx, row); err != nil {
			return err
		}
		return audit(ctx, q, c, "branding.update", in, row.UpdatedAt)
	})
	if err != nil {
		return Brand{}, err
	}
	return s.Get(ctx)
}

// SetLogo replaces the logo after CheckLogo; a provider that has not set a
// brand yet gets the built-in one's fields with it.
func (s *Service) SetLogo(ctx context.Context, c *caller.Caller, data []byte) (Brand, error) {
	if err := providerOnly(c); err != nil {
		return Brand{}, err
	}
	typ, err := CheckLogo(data)
	if err != nil {
		return Brand{}, validate.Field("logo", err.Error())
	}
	now := s.stamp()
	err = s.db.InTx(ctx, func(q store.Q) error {
		if _, err := q.GetBranding(ctx); errors.Is(err, store.ErrNotFound) {
			d := Default()
			if err := q.PutBranding(ctx, store.Branding{ProductName: d.ProductName, Tagline: d.Tagline, UpdatedAt: now}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if err := q.SetBrandingLogo(ctx, typ, base64.StdEncoding.EncodeToString(data), now); err != nil {
			return err
		}
		return audit(ctx, q, c, "branding.logo_set", map[string]any{"type": typ, "bytes": len(data)}, now)
	})
	if err != nil {
		return Brand{}, err
	}
	return s.Get(ctx)
}

// DeleteLogo removes the logo; the brand mark shows again.
func (s *Service) DeleteLogo(ctx context.Context, c *caller.Caller) (Brand, error) {
	if err := providerOnly(c); err != nil {
		return Brand{}, err
	}
	now := s.stamp()
	err := s.db.InTx(ctx, func(q store.Q) error {
		if err := q.SetBrandingLogo(ctx, "", "", now); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // no brand, so no logo: nothing to do
			}
			return err
		}
		return audit(ctx, q, c, "branding.logo_delete", nil, now)
	})
	if err != nil {
		return Brand{}, err
	}
	return s.Get(ctx)
}

// Reset removes the provider's brand: the built-in one applies again.
func (s *Service) Reset(ctx context.Context, c *caller.Caller) (Brand, error) {
	if err := providerOnly(c); err != nil {
		return Brand{}, err
	}
	now := s.stamp()
	err := s.db.InTx(ctx, func(q store.Q) error {
		if err := q.DeleteBranding(ctx); err != nil {
			return err
		}
		return audit(ctx, q, c, "branding.reset", nil, now)
	})
	if err != nil {
		return Brand{}, err
	}
	return Default(), nil
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// providerOnly refuses anyone but the provider's own admins: the brand is
// the installation's, and a tenant only ever sees it.
func providerOnly(c *caller.Caller) error {
	if c == nil || !c.IsProvider() || !c.Can(roles.TenantsManage) {
		return fmt.Errorf("brand: set by the provider admin only: %w", account.ErrForbidden)
	}
	return nil
}

// audit writes the change to the provider's audit log (no tenant).
func audit(ctx context.Context, q store.Q, c *caller.Caller, action string, detail any, at time.Time) error {
	d := ""
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		d = string(b)
	}
	a := c.Actor()
	return q.InsertAudit(ctx, store.AuditEntry{ID: account.NewID(), ActorID: a.UserID, ActorLogin: a.Login,
		Action: action, ObjectType: "branding", ObjectID: "installation", Detail: d, IP: a.IP, CreatedAt: at})
}

func fromStore(b store.Branding) Brand {
	out := Brand{Custom: true, ProductName: b.ProductName, Tagline: b.Tagline, AccentColor: b.AccentColor,
		SupportEmail: b.SupportEmail, SupportPhone: b.SupportPhone, SupportURL: b.SupportURL, TermsText: b.TermsText,
		MSAppName: b.MSAppName, MSAppUPN: b.MSAppUPN, MSPolicyPrefix: b.MSPolicyPrefix, LogoType: b.LogoType,
		UpdatedAt: b.UpdatedAt}
	if out.AccentColor == "" {
		out.AccentColor = DefaultAccent
	}
	return out
}
