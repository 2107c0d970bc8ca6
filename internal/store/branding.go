package store

import (
	"context"
	"fmt"
	"time"
)

// Branding is the provider's white label as stored: one row for the
// installation. The logo travels separately (BrandingLogo), so that pages
// read the brand without the image.
type Branding struct {
	ProductName    string
	Tagline        string
	AccentColor    string
	SupportEmail   string
	SupportPhone   string
	SupportURL     string
	TermsText      string
	MSAppName      string
	MSAppUPN       string
	MSPolicyPrefix string
	LogoType       string // "" when there is no logo
	UpdatedAt      time.Time
}

// brandingID is the key of the installation's one branding row.
const brandingID = "installation"

// GetBranding returns the brand, or ErrNotFound when none was set.
func (q Q) GetBranding(ctx context.Context) (Branding, error) {
	var b Branding
	err := q.row(ctx, `SELECT product_name, tagline, accent_color, support_email, support_phone, support_url, terms_text,
		ms_app_name, ms_app_upn, ms_policy_prefix, logo_type, updated_at FROM branding WHERE id = ?`, brandingID).
		Scan(&b.ProductName, &b.Tagline, &b.AccentColor, &b.SupportEmail, &b.SupportPhone, &b.SupportURL, &b.TermsText,
			&b.MSAppName, &b.MSAppUPN, &b.MSPolicyPrefix, &b.LogoType, &b.UpdatedAt)
	if err != nil {
		return b, fmt.Errorf("store: get branding: %w", mapErr(err))
	}
	return b, nil
}

// PutBranding writes the brand's fields (not the logo), creating the row.
func (q Q) PutBranding(ctx context.Context, b Branding) error {
	_, err := q.exec(ctx, `INSERT INTO branding (id, product_name, tagline, accent_color, support_email, support_phone, support_url,
		terms_text, ms_app_name, ms_app_upn, ms_policy_prefix, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET product_name = excluded.product_name, tagline = excluded.tagline,
		accent_color = excluded.accent_color, support_email = excluded.support_email, support_phone = excluded.support_phone,
		support_url = excluded.support_url, terms_text = excluded.terms_text, ms_app_name = excluded.ms_app_name,
		ms_app_upn = excluded.ms_app_upn, ms_policy_prefix = excluded.ms_policy_prefix, updated_at = excluded.updated_at`,
		brandingID, b.ProductName, b.Tagline, b.AccentColor, b.SupportEmail, b.SupportPhone, b.SupportURL,
		b.TermsText, b.MSAppName, b.MSAppUPN, b.MSPolicyPrefix, b.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: put branding: %w", err)
	}
	return nil
}

// SetBrandingLogo replaces the logo (typ "" and no data removes it); the
// brand row must exist.
func (q Q) SetBrandingLogo(ctx context.Context, typ, base64Data string, at time.Time) error {
	err := affectedOne(q.exec(ctx, `UPDATE branding SET logo_type = ?, logo = ?, updated_at = ? WHERE id = ?`, typ, base64Data, at, brandingID))
	if err != nil {
		return fmt.Errorf("store: set branding logo: %w", err)
	}
	return nil
}

// BrandingLogo returns the logo's type and base64 data; ErrNotFound when
// there is no brand or no logo.
func (q Q) BrandingLogo(ctx context.Context) (typ, base64Data string, err error) {
	err = q.row(ctx, `SELECT logo_type, logo FROM branding WHERE id = ? AND logo_type <> ''`, brandingID).Scan(&typ, &base64Data)
	if err != nil {
		return "", "", fmt.Errorf("store: branding logo: %w", mapErr(err))
	}
	return typ, base64Data, nil
}

// DeleteBranding removes the brand: the built-in one applies again.
func (q Q) DeleteBranding(ctx context.Context) error {
	if _, err := q.exec(ctx, `DELETE FROM branding WHERE id = ?`, brandingID); err != nil {
		return fmt.Errorf("store: delete branding: %w", err)
	}
	return nil
}
