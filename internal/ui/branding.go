package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"callrec/internal/brand"
	"callrec/internal/principal"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// brandingView is Service provider > Branding.
type brandingView struct {
	Brand    brand.Brand
	Form     brand.Input
	Errors   map[string]string
	Contrast string // the saved accent's contrast with white, "6.78:1"
	MaxLogo  int
}

// logoCSP is the policy the logo is served with: an SVG opened on its own
// (not as the <img> the portal shows it in) may not run script or load
// anything, and is sandboxed as an opaque origin.
const logoCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// serveLogo serves the provider's logo to anyone: the sign-in page shows it.
func (h *Handler) serveLogo(w http.ResponseWriter, r *http.Request) {
	typ, data, err := h.Brand.Logo(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.Log.Error("ui: brand logo", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Security-Policy", logoCSP)
	w.Header().Set("Cache-Control", h.brandCache(r))
	_, _ = w.Write(data)
}

// serveTheme serves the palette derived from the accent colour; the
// strict CSP keeps styles in files, so the colours come as a stylesheet.
func (h *Handler) serveTheme(w http.ResponseWriter, r *http.Request) {
	p := brand.PaletteOf(h.Brand.Current(r.Context()).AccentColor)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", h.brandCache(r))
	_, _ = fmt.Fprintf(w, ":root { --brand: %s; --brand-strong: %s; --brand-soft: %s; }\n", p.Accent, p.Strong, p.Soft)
}

// brandCache lets browsers keep the logo and theme when the address names
// the brand's current version (pages always do), and revalidate otherwise.
func (h *Handler) brandCache(r *http.Request) string {
	if r.URL.Query().Get("v") == strconv.FormatInt(h.Brand.Current(r.Context()).Version(), 10) {
		return "public, max-age=86400"
	}
	return "no-cache"
}

func (h *Handler) brandingPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	b := h.Brand.Current(r.Context())
	h.brandingForm(w, r, http.StatusOK, brandingView{Brand: b, Form: brand.InputOf(b)}, "")
	return nil
}

func (h *Handler) brandingForm(w http.ResponseWriter, r *http.Request, status int, v brandingView, msg string) {
	if c, ok := brand.ContrastWithWhite(v.Brand.AccentColor); ok {
		v.Contrast = fmt.Sprintf("%.2f:1", c)
	}
	v.MaxLogo = brand.MaxLogoBytes >> 10
	h.adminView(w, r, status, "branding", "Branding", "branding", v, msg)
}

// saveBranding sets the brand's fields, then the logo when one is
// attached (or removes it when asked).
func (h *Handler) saveBranding(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := r.PostForm
	in := brand.Input{ProductName: f.Get("product_name"), Tagline: f.Get("tagline"), AccentColor: f.Get("accent_color"),
		SupportEmail: f.Get("support_email"), SupportPhone: f.Get("support_phone"), SupportURL: f.Get("support_url"),
		TermsText: f.Get("terms_text"), MSAppName: f.Get("ms_app_name"), MSAppUPN: f.Get("ms_app_upn"),
		MSPolicyPrefix: f.Get("ms_policy_prefix")}
	ctx := r.Context()
	refuse := func(err error) error {
		var errs validate.Errors
		if !errors.As(err, &errs) {
			return serviceErr(err)
		}
		h.brandingForm(w, r, http.StatusBadRequest, brandingView{Brand: h.Brand.Current(ctx), Form: in, Errors: errs},
			"The brand was not saved: check the marked fields.")
		return nil
	}
	logo, err := uploadedLogo(r)
	if err != nil {
		return refuse(err)
	}
	if logo != nil {
		if _, err := brand.CheckLogo(logo); err != nil { // before anything is saved
			return refuse(validate.Field("logo", err.Error()))
		}
	}
	if _, err := h.Brand.Set(ctx, p, in); err != nil {
		return refuse(err)
	}
	switch {
	case logo != nil:
		if _, err := h.Brand.SetLogo(ctx, p, logo); err != nil {
			return refuse(err)
		}
	case formBool(r, "remove_logo"):
		if _, err := h.Brand.DeleteLogo(ctx, p); err != nil {
			return serviceErr(err)
		}
	}
	h.redirectFlash(w, r, "/admin/provider/branding", "brand_saved")
	return nil
}

// uploadedLogo reads the form's logo file, if one was chosen.
func uploadedLogo(r *http.Request) ([]byte, error) {
	file, hdr, err := r.FormFile("logo")
	if errors.Is(err, http.ErrMissingFile) || err == nil && hdr.Size == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, validate.Field("logo", "could not read the file")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, brand.MaxLogoBytes+1))
	if err != nil {
		return nil, validate.Field("logo", "could not read the file")
	}
	return data, nil
}

func (h *Handler) resetBranding(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if _, err := h.Brand.Reset(r.Context(), p); err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/admin/provider/branding", "brand_reset")
	return nil
}

// brandFlash is the text of a Branding flash key.
func brandFlash(key string) string {
	switch key {
	case "brand_saved":
		return "The brand was saved. Every page, e-mail and new Teams setup uses it now."
	case "brand_reset":
		return "The provider brand was removed: the built-in brand applies again."
	}
	return ""
}
