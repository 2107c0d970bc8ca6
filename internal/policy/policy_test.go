package policy

import (
	"strings"
	"testing"

	"callrec/internal/store"
)

func TestDecide(t *testing.T) {
	base := store.User{Active: true, Record: "always", RecordInbound: true, RecordOutbound: true, Licenses: []string{"call_recording"}}
	cases := []struct {
		name           string
		mutate         func(*store.User)
		direction      string
		tenant         string
		want, onDemand bool
		reason         string
	}{
		{"always", func(*store.User) {}, "inbound", RuleNever, true, false, "user's rule: always"},
		{"inactive", func(u *store.User) { u.Active = false }, "inbound", "", false, false, "inactive"},
		{"no license", func(u *store.User) { u.Licenses = []string{"live_monitoring"} }, "inbound", "", false, false, "license"},
		{"never", func(u *store.User) { u.Record = "never" }, "outbound", RuleAlways, false, false, "user's rule: never"},
		{"on demand", func(u *store.User) { u.Record = "on_demand" }, "outbound", RuleNever, true, true, "user's rule: on demand"},
		{"on demand, direction off", func(u *store.User) { u.Record, u.RecordOutbound = "on_demand", false }, "outbound", "", false, false, "outbound"},
		{"no inbound", func(u *store.User) { u.RecordInbound = false }, "inbound", "", false, false, "inbound"},
		{"no inbound, outbound call", func(u *store.User) { u.RecordInbound = false }, "outbound", "", true, false, "always"},
		{"no outbound", func(u *store.User) { u.RecordOutbound = false }, "outbound", "", false, false, "outbound"},
		{"default, tenant unset", func(u *store.User) { u.Record = "default" }, "inbound", "", true, false, "tenant default: always"},
		{"default, tenant always", func(u *store.User) { u.Record = "default" }, "inbound", RuleAlways, true, false, "tenant default: always"},
		{"default, tenant never", func(u *store.User) { u.Record = "default" }, "inbound", RuleNever, false, false, "tenant default: never"},
		{"default, tenant on demand", func(u *store.User) { u.Record = "default" }, "inbound", RuleOnDemand, true, true, "tenant default: on demand"},
		{"default, tenant never, inactive", func(u *store.User) { u.Record, u.Active = "default", false }, "inbound", RuleAlways, false, false, "inactive"},
	}
	for _, c := range cases {
		u := base
		u.Licenses = append([]string(nil), base.Licenses...)
		c.mutate(&u)
		d := Decide(u, c.direction, c.tenant)
		if d.Record != c.want || d.OnDemand != c.onDemand || !strings.Contains(d.Reason, c.reason) {
			t.Errorf("%s: got %+v, want record %v, on demand %v, reason containing %q", c.name, d, c.want, c.onDemand, c.reason)
		}
	}
}
