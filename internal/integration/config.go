package integration

import (
	"regexp"
	"strings"

	"callrec/internal/brand"
	"callrec/internal/validate"
)

// Config is what Step 3 ("Configure") sets, with the guide's defaults.
type Config struct {
	Scope              string `json:"scope"` // "group" or "all"
	GroupName          string `json:"group_name"`
	GroupNickname      string `json:"group_nickname"` // the group UPN's local part (mailNickname)
	Notification       bool   `json:"notification"`
	NotificationAgreed bool   `json:"notification_agreed"`
	AppName            string `json:"app_name"`
	AppUPNLocal        string `json:"app_upn_local"`
	PolicyName         string `json:"policy_name"`
	PolicyDescription  string `json:"policy_description"`
	Flags              Flags  `json:"flags"`
}

// Flags are the recording application's four Required* settings. They are
// off by default: on, a call cannot proceed when the recorder is missing.
type Flags struct {
	RequiredBeforeMeetingJoin       bool `json:"required_before_meeting_join"`
	RequiredBeforeCallEstablishment bool `json:"required_before_call_establishment"`
	RequiredDuringMeeting           bool `json:"required_during_meeting"`
	RequiredDuringCall              bool `json:"required_during_call"`
}

// Any reports whether a flag is on.
func (f Flags) Any() bool {
	return f.RequiredBeforeMeetingJoin || f.RequiredBeforeCallEstablishment || f.RequiredDuringMeeting || f.RequiredDuringCall
}

// NotificationStatement is what an admin agrees to by turning the recording
// notification off (the guide's words).
const NotificationStatement = "By disabling the Recording audio notification, you are automatically agreeing to the following: " +
	"this service will only be used to record calls after all legally required notices have been provided to all parties " +
	"to the call or meeting being recorded."

// FlagsWarning explains what checking a policy flag does.
const FlagsWarning = "Checking a policy flag lets calls of that type proceed only if the recorder has joined them successfully — " +
	"including when a system error or glitch keeps the recorder from joining. Leave them unchecked to let calls proceed."

// DefaultConfig is Step 3 as the guide fills it in, with the built-in brand.
func DefaultConfig() Config { return DefaultConfigFor(brand.Default()) }

// DefaultConfigFor is Step 3 as the guide fills it in, with the names the
// provider's brand gives the application instance and the policy.
func DefaultConfigFor(b brand.Brand) Config {
	return Config{Scope: "group", GroupName: "Recorded Users", GroupNickname: "recorded_users", Notification: true,
		AppName: b.AppName(), AppUPNLocal: b.AppUPNLocal(), PolicyName: b.PolicyName(), PolicyDescription: "Automatically record calls"}
}

var (
	upnLocalRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	policyNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$`)
)

// ValidMailNickname applies Microsoft's mailNickname rules: 1–64 ASCII
// characters, none of @ ( ) \ [ ] " ; : . < > , or space.
func ValidMailNickname(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`@()\[]";:.<>,`, r) {
			return false
		}
	}
	return true
}

// Validate checks the configuration and names each bad field.
func (c *Config) Validate() error {
	errs := validate.Errors{}
	c.GroupName = strings.TrimSpace(c.GroupName)
	c.GroupNickname = strings.TrimSpace(c.GroupNickname)
	c.AppName = strings.TrimSpace(c.AppName)
	c.AppUPNLocal = strings.TrimSpace(c.AppUPNLocal)
	c.PolicyName = strings.TrimSpace(c.PolicyName)
	c.PolicyDescription = strings.TrimSpace(c.PolicyDescription)
	switch c.Scope {
	case "group":
		if !validate.Name(c.GroupName) || len(c.GroupName) > 256 {
			errs.Add("group_name", "required, at most 256 characters")
		}
		if !ValidMailNickname(c.GroupNickname) {
			errs.Add("group_nickname", `1–64 ASCII characters without spaces or @ ( ) \ [ ] " ; : . < > ,`)
		}
	case "all":
	default:
		errs.Add("scope", "group or all")
	}
	if !c.Notification && !c.NotificationAgreed {
		errs.Add("notification_agreed", "turning the recording notification off requires agreeing to the statement")
	}
	if !validate.Name(c.AppName) || len(c.AppName) > 64 {
		errs.Add("app_name", "required, at most 64 characters")
	}
	if !upnLocalRe.MatchString(c.AppUPNLocal) {
		errs.Add("app_upn_local", "1–64 letters, digits, dots, dashes or underscores")
	}
	if !policyNameRe.MatchString(c.PolicyName) {
		errs.Add("policy_name", "1–64 letters, digits, spaces, dashes or underscores")
	}
	if c.PolicyDescription == "" || len(c.PolicyDescription) > 256 {
		errs.Add("policy_description", "required, at most 256 characters")
	}
	return errs.Err()
}
