package policy

import (
	"testing"

	"callrec/internal/store"
)

func TestDecide(t *testing.T) {
	base := store.User{Active: true, Record: "always", RecordInbound: true, RecordOutbound: true, Licenses: []string{"call_recording"}}
	cases := []struct {
		name      string
		mutate    func(*store.User)
		direction string
		want      bool
	}{
		{"always", func(*store.User) {}, "inbound", true},
		{"inactive", func(u *store.User) { u.Active = false }, "inbound", false},
		{"no license", func(u *store.User) { u.Licenses = []string{"live_monitoring"} }, "inbound", false},
		{"never", func(u *store.User) { u.Record = "never" }, "outbound", false},
		{"on demand", func(u *store.User) { u.Record = "on_demand" }, "outbound", false},
		{"no inbound", func(u *store.User) { u.RecordInbound = false }, "inbound", false},
		{"no inbound, outbound call", func(u *store.User) { u.RecordInbound = false }, "outbound", true},
		{"no outbound", func(u *store.User) { u.RecordOutbound = false }, "outbound", false},
		{"default", func(u *store.User) { u.Record = "default" }, "inbound", true},
	}
	for _, c := range cases {
		u := base
		u.Licenses = append([]string(nil), base.Licenses...)
		c.mutate(&u)
		if got, why := Decide(u, c.direction); got != c.want || why == "" {
			t.Errorf("%s: got %v (%q), want %v", c.name, got, why, c.want)
		}
	}
}
