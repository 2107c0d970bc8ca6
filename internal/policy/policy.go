// Package policy decides whether a user's call is recorded: one rule set
// for SBC-forked calls (the recorder) and Teams calls (the bot).
package policy

import (
	"slices"

	"callrec/internal/store"
)

// Decide applies a user's recording settings to a call direction
// ("inbound" or "outbound") and says why.
func Decide(u store.User, direction string) (record bool, reason string) {
	switch {
	case !u.Active:
		return false, "user is inactive"
	case !slices.Contains(u.Licenses, "call_recording"):
		return false, "user has no call recording license"
	case u.Record == "never":
		return false, "user's rule: never record"
	case u.Record == "on_demand":
		return false, "user's rule: record on demand, not requested"
	case direction == "inbound" && !u.RecordInbound:
		return false, "user's rule: inbound calls not recorded"
	case direction == "outbound" && !u.RecordOutbound:
		return false, "user's rule: outbound calls not recorded"
	case u.Record == "default":
		return true, "tenant default: record"
	}
	return true, "user's rule: always record"
}
