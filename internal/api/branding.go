package api

import (
	"errors"
	"io"
	"net/http"

	"callrec/internal/brand"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// registerBranding lists the provider's brand: the same service as
// Service provider > Branding in the portal.
func (h *Handler) registerBranding(mux *http.ServeMux) {
	provider := access{perm: roles.TenantsManage}
	h.route(mux, "GET /api/v1/provider/branding", provider, h.getBranding)
	h.route(mux, "PUT /api/v1/provider/branding", provider, h.putBranding)
	h.route(mux, "DELETE /api/v1/provider/branding", provider, h.resetBranding)
	h.route(mux, "PUT /api/v1/provider/branding/logo", provider, h.putBrandingLogo)
	h.route(mux, "DELETE /api/v1/provider/branding/logo", provider, h.deleteBrandingLogo)
}

// brandingJSON is the brand with the names it gives in Microsoft Teams.
type brandingJSON struct {
	brand.Brand
	Contrast  float64 `json:"accent_contrast"` // with white
	AppName   string  `json:"effective_app_name"`
	AppUPN    string  `json:"effective_app_upn"`
	Policy    string  `json:"effective_policy_name"`
	LogoURL   string  `json:"logo_url"` // "" without a logo
	UpdatedAt *string `json:"updated_at"`
}

func brandingOf(b brand.Brand) brandingJSON {
	c, _ := brand.ContrastWithWhite(b.AccentColor)
	out := brandingJSON{Brand: b, Contrast: float64(int(c*100)) / 100, AppName: b.AppName(), AppUPN: b.AppUPNLocal(), Policy: b.PolicyName()}
	if b.LogoType != "" {
		out.LogoURL = "/brand/logo"
	}
	if b.Custom {
		s := b.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
		out.UpdatedAt = &s
	}
	return out
}

func (h *Handler) getBranding(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	b, err := h.Brand.Get(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandingOf(b))
	return nil
}

func (h *Handler) putBranding(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in brand.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	b, err := h.Brand.Set(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandingOf(b))
	return nil
}

func (h *Handler) resetBranding(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	b, err := h.Brand.Reset(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandingOf(b))
	return nil
}

// putBrandingLogo takes the image as the body (PNG or SVG; the type is
// read from the bytes, not from Content-Type).
func (h *Handler) putBrandingLogo(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, brand.MaxLogoBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return validationFailed(map[string]string{"logo": "at most 256 KiB"})
	}
	if err != nil {
		return validationFailed(map[string]string{"logo": "could not read the body"})
	}
	b, err := h.Brand.SetLogo(r.Context(), p, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandingOf(b))
	return nil
}

func (h *Handler) deleteBrandingLogo(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	b, err := h.Brand.DeleteLogo(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandingOf(b))
	return nil
}
