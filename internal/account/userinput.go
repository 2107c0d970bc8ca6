package account

import (
	"slices"
	"strings"
	"time"

	"callrec/internal/auth"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// UserInput creates or patches a user; nil fields are left alone. Password
// and PIN are write-only and stored hashed.
type UserInput struct {
	Name                *string   `json:"name"`
	Active              *bool     `json:"active"`
	Role                *string   `json:"role"`
	Groups              *[]string `json:"groups"`
	ManagedGroups       *[]string `json:"managed_groups"`
	Email               *string   `json:"email"`
	Timezone            *string   `json:"timezone"`
	Language            *string   `json:"language"`
	Record              *string   `json:"record"`
	RecordInbound       *bool     `json:"record_inbound"`
	RecordOutbound      *bool     `json:"record_outbound"`
	Extensions          *[]string `json:"extensions"`
	Confidential        *bool     `json:"confidential"`
	ScreenUsername      *string   `json:"screen_recording_username"`
	Login               *string   `json:"login"`
	PortalAccess        *bool     `json:"web_portal_access"`
	AuthType            *string   `json:"auth_type"`
	Require2FA          *bool     `json:"two_factor_required"`
	ValidTill           *string   `json:"valid_till"`
	PIN                 *string   `json:"pin"`
	Password            *string   `json:"password"`
	Licenses            *[]string `json:"licenses"`
	SpeechAnalyticsType *string   `json:"speech_analytics_type"`
}

// Record settings and authentication types the guide names.
var (
	RecordModes = []string{"always", "on_demand", "never", "default"}
	AuthTypes   = []string{"password", "ldap", "broadworks", "metaswitch", "saml"}
)

// apply validates the input and copies it onto u. It hashes a new PIN and
// password, so it returns the hashes it made through u.
func (in UserInput) apply(u *store.User, provider bool) error {
	errs := validate.Errors{}
	setStr := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	setStr(&u.Name, in.Name)
	if !validate.Name(u.Name) {
		errs.Add("name", "required, at most 200 characters")
	}
	if in.Active != nil {
		u.Active = *in.Active
	}
	setStr(&u.Role, in.Role)
	if provider {
		if u.Role != roles.ProviderAdmin {
			errs.Add("role", "provider users must have the provider_admin role")
		}
	} else if !roles.Valid(u.Role) {
		errs.Add("role", "one of admin, supervisor, user_self_view, user, api_user")
	}
	setStr(&u.Email, in.Email)
	if u.Email != "" && !validate.Email(u.Email) {
		errs.Add("email", "not a valid email address")
	}
	setStr(&u.Timezone, in.Timezone)
	if !validate.Timezone(u.Timezone) {
		errs.Add("timezone", "an IANA timezone such as Europe/London, or empty to use the tenant's")
	}
	setStr(&u.Language, in.Language)
	if !validate.Language(u.Language) {
		errs.Addf("language", "one of %s, or empty for the default", strings.Join(validate.Languages(), ", "))
	}
	setStr(&u.Record, in.Record)
	if !slices.Contains(RecordModes, u.Record) {
		errs.Add("record", "one of always, on_demand, never, default")
	}
	if in.RecordInbound != nil {
		u.RecordInbound = *in.RecordInbound
	}
	if in.RecordOutbound != nil {
		u.RecordOutbound = *in.RecordOutbound
	}
	if in.Confidential != nil {
		u.Confidential = *in.Confidential
	}
	setStr(&u.ScreenUsername, in.ScreenUsername)
	if u.ScreenUsername != "" && !validate.ScreenUsername(u.ScreenUsername) {
		errs.Add("screen_recording_username", `supported formats: NETBIOS\login, DOMAIN\login, login`)
	}
	setStr(&u.Login, in.Login)
	if u.Login != "" && !validate.Login(u.Login) {
		errs.Add("login", "2–254 letters, digits or . _ @ + -")
	}
	if in.PortalAccess != nil {
		u.PortalAccess = *in.PortalAccess
	}
	if u.PortalAccess && u.Login == "" {
		errs.Add("login", "required when web portal access is enabled")
	}
	setStr(&u.AuthType, in.AuthType)
	if !slices.Contains(AuthTypes, u.AuthType) {
		errs.Add("auth_type", "one of password, ldap, broadworks, metaswitch, saml")
	}
	if in.Require2FA != nil {
		u.Require2FA = *in.Require2FA
	}
	if in.ValidTill != nil {
		u.ValidTill = nil
		if v := strings.TrimSpace(*in.ValidTill); v != "" {
			t, ok := parseDate(v)
			if !ok {
				errs.Add("valid_till", "a date as YYYY-MM-DD or an RFC 3339 time")
			}
			u.ValidTill = &t
		}
	}
	setStr(&u.SpeechAnalyticsType, in.SpeechAnalyticsType)
	if u.SpeechAnalyticsType != "basic" && u.SpeechAnalyticsType != "advanced" {
		errs.Add("speech_analytics_type", "basic or advanced")
	}
	in.applySecrets(u, errs)
	in.checkLists(errs)
	return errs.Err()
}

func (in UserInput) applySecrets(u *store.User, errs validate.Errors) {
	if in.PIN != nil {
		if *in.PIN == "" {
			u.PINHash = ""
		} else if !validate.PIN(*in.PIN) {
			errs.Add("pin", "digits only, at least 3")
		} else if h, err := auth.HashSecret(*in.PIN); err == nil {
			u.PINHash = h
		}
	}
	if in.Password != nil {
		if err := auth.CheckPasswordRule(*in.Password); err != nil {
			errs.Add("password", err.Error())
		} else if h, err := auth.HashSecret(*in.Password); err == nil {
			u.PasswordHash = h
		}
	}
}

func (in UserInput) checkLists(errs validate.Errors) {
	if in.Extensions != nil {
		seen := map[string]bool{}
		for i, e := range *in.Extensions {
			e = strings.TrimSpace(e)
			(*in.Extensions)[i] = e
			if !validate.Extension(e) {
				errs.Addf("extensions", "%q is neither a number of at least 3 digits nor a Teams user id", e)
			} else if seen[e] {
				errs.Addf("extensions", "%q is listed twice", e)
			}
			seen[e] = true
		}
		if len(*in.Extensions) > 50 {
			errs.Add("extensions", "at most 50")
		}
	}
	if in.Licenses != nil {
		for _, lt := range *in.Licenses {
			if !isLicenseType(lt) {
				errs.Addf("licenses", "unknown license type %q", lt)
			}
		}
	}
	for field, list := range map[string]*[]string{"groups": in.Groups, "managed_groups": in.ManagedGroups} {
		if list != nil && len(*list) > 500 {
			errs.Add(field, "at most 500")
		}
	}
}

func parseDate(v string) (time.Time, bool) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		// A date means access through the end of that day.
		return t.UTC().Add(24*time.Hour - time.Microsecond), true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}
