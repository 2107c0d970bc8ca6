package brand

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/validate"
)

func TestContrastWithWhite(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		want float64
	}{
		{"#000000", 21}, {"#ffffff", 1}, {"#767676", 4.54}, {DefaultAccent, 6.78},
	} {
		got, ok := ContrastWithWhite(tc.hex)
		if !ok || math.Abs(got-tc.want) > 0.01 {
			t.Errorf("ContrastWithWhite(%s) = %.3f, %v; want %.2f", tc.hex, got, ok, tc.want)
		}
	}
}

func TestPaletteKeepsContrast(t *testing.T) {
	for _, hex := range []string{DefaultAccent, "#767676", "#7a1fa2", "#0b6e4f"} {
		p := PaletteOf(hex)
		a, _ := parseHex(p.Accent)
		s, _ := parseHex(p.Soft)
		if c := contrast(a, s); c < MinContrast {
			t.Errorf("%s: accent on soft %s is %.2f:1", hex, p.Soft, c)
		}
		if p.Strong == p.Accent {
			t.Errorf("%s: no hover shade", hex)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Input
		field string // "" = valid
	}{
		{"minimal", Input{ProductName: "Acme Voice"}, ""},
		{"no name", Input{}, "product_name"},
		{"light accent", Input{ProductName: "Acme", AccentColor: "#ffcc00"}, "accent_color"},
		{"bad accent", Input{ProductName: "Acme", AccentColor: "blue"}, "accent_color"},
		{"bad email", Input{ProductName: "Acme", SupportEmail: "nope"}, "support_email"},
		{"script url", Input{ProductName: "Acme", SupportURL: "javascript:alert(1)"}, "support_url"},
		{"name gives no upn", Input{ProductName: "Ääö"}, "ms_app_upn"},
		{"upn given", Input{ProductName: "Ääö", MSAppUPN: "rec", MSPolicyPrefix: "Rec"}, ""},
		{"bad prefix", Input{ProductName: "Acme", MSPolicyPrefix: "a b"}, "ms_policy_prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			var errs validate.Errors
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("unexpected %v", err)
			case tc.field != "" && (!errors.As(err, &errs) || errs[tc.field] == ""):
				t.Fatalf("want an error on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestDerivedNames(t *testing.T) {
	d := Default()
	if d.AppName() != "CallRec" || d.AppUPNLocal() != "callrec" || d.PolicyName() != "CallRecRecordingPolicy" {
		t.Fatalf("built-in Microsoft names changed: %q %q %q", d.AppName(), d.AppUPNLocal(), d.PolicyName())
	}
	b := Brand{ProductName: "Acme Voice 2"}
	if b.AppName() != "Acme Voice 2" || b.AppUPNLocal() != "acmevoice2" || b.PolicyName() != "AcmeVoice2RecordingPolicy" {
		t.Fatalf("derived: %q %q %q", b.AppName(), b.AppUPNLocal(), b.PolicyName())
	}
}

// TestInputOfBuiltIn: the first save of the admin form, with only the
// product name changed, must not keep the vendor's Microsoft names.
func TestInputOfBuiltIn(t *testing.T) {
	in := InputOf(Default())
	in.ProductName = "Acme"
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	b := Brand{ProductName: in.ProductName, MSAppName: in.MSAppName, MSAppUPN: in.MSAppUPN, MSPolicyPrefix: in.MSPolicyPrefix}
	if b.AppName() != "Acme" || b.AppUPNLocal() != "acme" || b.PolicyName() != "AcmeRecordingPolicy" {
		t.Fatalf("names after the first save: %q %q %q", b.AppName(), b.AppUPNLocal(), b.PolicyName())
	}
}

func tinyPNG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckLogo(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#7a1fa2"/></svg>`, TypeSVG},
		{"svg with xml decl and internal link", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><g id="a"/></defs><use xlink:href="#a"/></svg>`, TypeSVG},
		{"script", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, ""},
		{"handler", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`, ""},
		{"foreign", `<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>`, ""},
		{"external", `<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>`, ""},
		{"js link", `<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>`, ""},
		{"entity", `<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>`, ""},
		{"html", `<html><body/></html>`, ""},
		{"garbage", "GIF89a....", ""},
		{"huge", `<svg>` + strings.Repeat(" ", MaxLogoBytes) + `</svg>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckLogo([]byte(tc.data))
			if got != tc.want || (tc.want == "") != (err != nil) {
				t.Fatalf("CheckLogo = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if typ, err := CheckLogo(tinyPNG(t)); typ != TypePNG || err != nil {
		t.Fatalf("png: %q %v", typ, err)
	}
}

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := clock.NewFake()
		db := storetest.Open(t, b, clk.Now)
		s := New(db, clk.Now)
		prov := &caller.Caller{User: store.User{ID: "p1", Login: "provider", Role: roles.ProviderAdmin}}
		tenantAdmin := &caller.Caller{User: store.User{ID: "a1", Login: "admin", Role: roles.Admin, TenantID: "t1"}, TenantID: "t1"}

		if got := s.Current(ctx); got.Custom || got.ProductName != "callrec" {
			t.Fatalf("before any brand: %+v", got)
		}
		in := Input{ProductName: "Acme Voice", AccentColor: "#7A1FA2", SupportEmail: "help@acme.example"}
		if _, err := s.Set(ctx, tenantAdmin, in); !errors.Is(err, account.ErrForbidden) {
			t.Fatalf("tenant admin set the brand: %v", err)
		}
		if _, err := s.SetLogo(ctx, tenantAdmin, tinyPNG(t)); !errors.Is(err, account.ErrForbidden) {
			t.Fatalf("tenant admin set the logo: %v", err)
		}
		got, err := s.Set(ctx, prov, in)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Custom || got.ProductName != "Acme Voice" || got.AccentColor != "#7a1fa2" || got.PolicyName() != "AcmeVoiceRecordingPolicy" {
			t.Fatalf("after Set: %+v", got)
		}
		if _, err := s.SetLogo(ctx, prov, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>`)); err == nil {
			t.Fatal("unsafe SVG accepted")
		}
		logo := tinyPNG(t)
		if got, err = s.SetLogo(ctx, prov, logo); err != nil || got.LogoType != TypePNG || got.ProductName != "Acme Voice" {
			t.Fatalf("SetLogo: %+v %v", got, err)
		}
		typ, data, err := s.Logo(ctx)
		if err != nil || typ != TypePNG || !bytes.Equal(data, logo) {
			t.Fatalf("Logo: %q %d bytes %v", typ, len(data), err)
		}
		entries, _, err := db.Q().ListAudit(ctx, "", store.AuditFilter{Action: "branding.", Limit: 10})
		if err != nil || len(entries) != 2 {
			t.Fatalf("audit: %d entries, %v", len(entries), err)
		}
		if got, err = s.DeleteLogo(ctx, prov); err != nil || got.LogoType != "" {
			t.Fatalf("DeleteLogo: %+v %v", got, err)
		}
		if got, err = s.Reset(ctx, prov); err != nil || got.Custom {
			t.Fatalf("Reset: %+v %v", got, err)
		}
		if got := s.Current(ctx); got.Custom {
			t.Fatalf("after Reset: %+v", got)
		}
	})
}
