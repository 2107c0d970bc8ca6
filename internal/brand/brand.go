// Package brand is the provider's white label: the product name, logo,
// accent colour, support contact, terms text and the names callrec gives
// its objects in Microsoft Teams. The installation has one provider, so
// the brand is installation-wide: every tenant sees its provider's brand,
// and without one the built-in brand applies.
package brand

import (
	"strings"
	"time"
	"unicode"
)

// Brand is the brand in force.
type Brand struct {
	// Custom is false for the built-in brand (no provider brand set).
	Custom       bool   `json:"custom"`
	ProductName  string `json:"product_name"`
	Tagline      string `json:"tagline"`
	AccentColor  string `json:"accent_color"` // #rrggbb
	SupportEmail string `json:"support_email"`
	SupportPhone string `json:"support_phone"`
	SupportURL   string `json:"support_url"`
	// TermsText replaces the built-in terms of use when set: plain text,
	// paragraphs separated by blank lines.
	TermsText string `json:"terms_text"`
	// MSAppName, MSAppUPN and MSPolicyPrefix are what the provider typed;
	// empty ones are derived from the product name (AppName, AppUPNLocal,
	// PolicyName say what is used).
	MSAppName      string    `json:"ms_app_name"`
	MSAppUPN       string    `json:"ms_app_upn"`
	MSPolicyPrefix string    `json:"ms_policy_prefix"`
	LogoType       string    `json:"logo_type"` // "", "image/png" or "image/svg+xml"
	UpdatedAt      time.Time `json:"updated_at"`
}

// DefaultAccent is the built-in accent colour (app.css's --brand).
const DefaultAccent = "#1f4fd1"

// Default is the built-in brand: what callrec has always shown.
func Default() Brand {
	return Brand{ProductName: "callrec", Tagline: "Call Recording", AccentColor: DefaultAccent,
		MSAppName: "CallRec", MSAppUPN: "callrec", MSPolicyPrefix: "CallRec"}
}

// AppName is the display name of the Teams application instance (Step 3's
// default).
func (b Brand) AppName() string {
	if b.MSAppName != "" {
		return b.MSAppName
	}
	return b.ProductName
}

// AppUPNLocal is the local part of the application instance's UPN (Step
// 3's default): the product name's letters and digits, lower case.
func (b Brand) AppUPNLocal() string {
	if b.MSAppUPN != "" {
		return b.MSAppUPN
	}
	return strings.ToLower(alnum(b.ProductName))
}

// PolicyPrefix is what the compliance recording policy's name starts with.
func (b Brand) PolicyPrefix() string {
	if b.MSPolicyPrefix != "" {
		return b.MSPolicyPrefix
	}
	return alnum(b.ProductName)
}

// PolicyName is the compliance recording policy's name (Step 3's default).
func (b Brand) PolicyName() string { return b.PolicyPrefix() + "RecordingPolicy" }

// HasSupport reports whether a support contact is set.
func (b Brand) HasSupport() bool {
	return b.SupportEmail != "" || b.SupportPhone != "" || b.SupportURL != ""
}

// TermsParagraphs splits the terms text at blank lines.
func (b Brand) TermsParagraphs() []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(b.TermsText, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Version changes whenever the brand does: it keys the logo's and the
// theme's addresses so that browsers fetch the new ones.
func (b Brand) Version() int64 { return b.UpdatedAt.UnixMilli() }

// alnum keeps the ASCII letters and digits of s: Microsoft's UPNs and
// policy identities take few characters.
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
}
