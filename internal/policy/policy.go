// Package policy decides whether a user's call is recorded: one rule set
// for SBC-forked calls (the recorder) and Teams calls (the bot).
package policy

import (
	"slices"

	"callrec/internal/store"
)

// Tenant default rules (tenants.default_record): what a user whose Record
// setting is "default" gets.
const (
	RuleAlways   = "always"
	RuleOnDemand = "on_demand"
	RuleNever    = "never"
)

// TenantRules are the rules a tenant's default may take.
var TenantRules = []string{RuleAlways, RuleOnDemand, RuleNever}

// Decision is a user's rule applied to one call, and why.
type Decision struct {
	Record bool
	// OnDemand: the call is recorded but kept silent from its start until
	// someone with the pause/resume permission (the user on their own
	// call) starts it; only the audio from then on is kept.
	OnDemand bool
	Reason   string
}

// Decide applies a user's recording settings to a call direction
// ("inbound" or "outbound"); tenantRule is the tenant's default rule, for
// users whose Record setting is "default" (empty means always).
func Decide(u store.User, direction, tenantRule string) Decision {
	switch {
	case !u.Active:
		return Decision{Reason: "user is inactive"}
	case !slices.Contains(u.Licenses, "call_recording"):
		return Decision{Reason: "user has no call recording license"}
	}
	rule, whose := u.Record, "user's rule"
	if rule == "default" || rule == "" {
		rule, whose = tenantRule, "tenant default"
		if rule == "" {
			rule = RuleAlways
		}
	}
	switch {
	case rule == RuleNever:
		return Decision{Reason: whose + ": never record"}
	case direction == "inbound" && !u.RecordInbound:
		return Decision{Reason: "user's rule: inbound calls not recorded"}
	case direction == "outbound" && !u.RecordOutbound:
		return Decision{Reason: "user's rule: outbound calls not recorded"}
	case rule == RuleOnDemand:
		return Decision{Record: true, OnDemand: true, Reason: whose + ": on demand, silent until started"}
	}
	return Decision{Record: true, Reason: whose + ": always record"}
}
