package ui_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"callrec/internal/store/storetest"
)

// postBranding sends the Branding form as the browser does (multipart,
// with an optional logo file).
func (b *browser) postBranding(fields map[string]string, logo string) page {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", csrfOf(b.e.t, b.get("/admin/provider/branding").body))
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if logo != "" {
		fw, _ := mw.CreateFormFile("logo", "logo.svg")
		_, _ = fw.Write([]byte(logo))
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+"/admin/provider/branding", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// TestBranding: the provider sets a brand through the form; a refused
// field keeps the brand as it was; the tenant's pages and the sign-in page
// carry the brand and not the vendor's name; a tenant admin may not open
// the page; the logo is served as an image that may run nothing.
func TestBranding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		prov := e.createUser("", "provider", "Pat Provider", "provider_admin", "Provider#2026")
		e.acceptTerms(prov)
		pb := e.browser()
		pb.signIn("provider", "Provider#2026")
		fields := map[string]string{"product_name": "Acme Voice", "accent_color": "#ffcc00", "support_phone": "+1 555 0100"}

		p := pb.postBranding(fields, "")
		if p.status != http.StatusBadRequest {
			t.Fatalf("a light accent: status %d", p.status)
		}
		mustContain(t, p, `id="err-accent_color"`, "at least 4.5:1", `value="Acme Voice"`)
		fields["accent_color"] = "#0b6e4f"
		p = pb.postBranding(fields, `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-logo"`) {
			t.Fatalf("a scripted SVG: status %d", p.status)
		}
		if strings.Contains(pb.get("/login").body, "Acme Voice") {
			t.Fatal("a refused form changed the brand")
		}
		p = pb.postBranding(fields, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>`)
		if p.status != http.StatusSeeOther {
			t.Fatalf("save: status %d\n%s", p.status, p.body)
		}

		anon := e.browser()
		login := anon.get("/login")
		mustContain(t, login, "<title>Sign in · Acme Voice</title>", `class="brand-logo"`, `href="tel:&#43;1%20555%200100"`, "/brand/theme.css?v=")
		if strings.Contains(strings.ToLower(login.body), "callrec") {
			t.Errorf("the sign-in page says callrec:\n%s", login.body)
		}
		theme := anon.get("/brand/theme.css")
		mustContain(t, theme, "--brand: #0b6e4f;")
		res, err := http.Get(e.srv.URL + "/brand/logo")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("logo headers %v", res.Header)
		}

		admin := e.browser()
		admin.signIn(adminLogin, adminPassword)
		if p := admin.get("/terms"); !strings.Contains(p.body, "Acme Voice") {
			t.Fatalf("terms page (status %d) without the brand", p.status)
		}
		u, err := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		if err != nil {
			t.Fatal(err)
		}
		e.acceptTerms(u)
		admin = e.browser()
		admin.signIn(adminLogin, adminPassword)
		for _, path := range []string{"/", "/admin/users", "/admin/settings", "/admin/integrations", "/account/security"} {
			p := admin.get(path)
			if p.status != http.StatusOK || !strings.Contains(p.body, `<span class="brand-name">Acme Voice</span>`) {
				t.Errorf("%s: status %d, no brand", path, p.status)
			}
			if strings.Contains(strings.ToLower(p.body), "callrec") {
				t.Errorf("%s says callrec", path)
			}
		}
		if p := admin.get("/admin/provider/branding"); p.status != http.StatusForbidden {
			t.Errorf("tenant admin opened Branding: %d", p.status)
		}

		if p := pb.post("/admin/provider/branding", "/admin/provider/branding/reset", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("reset: %d", p.status)
		}
		mustContain(t, anon.get("/login"), "<title>Sign in · callrec</title>")
	})
}
