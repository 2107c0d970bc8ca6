package sipsource_test

import (
	"net/netip"
	"testing"

	"callrec/internal/sipsource"
	"callrec/internal/store"
)

func src(id, tenant, address, domain string) store.SIPSource {
	return store.SIPSource{ID: id, TenantID: tenant, Name: id, Address: address, Domain: domain}
}

// TestOverlap: addresses that share an IP overlap, in IPv4, IPv6 and
// IPv4-mapped IPv6 spellings, unless both sides name different domains.
func TestOverlap(t *testing.T) {
	tests := []struct {
		name    string
		a, b    store.SIPSource
		overlap bool
	}{
		{"same IP", src("a", "A", "192.0.2.10", ""), src("b", "B", "192.0.2.10", ""), true},
		{"different IPs", src("a", "A", "192.0.2.10", ""), src("b", "B", "192.0.2.11", ""), false},
		{"IP inside CIDR", src("a", "A", "192.0.2.0/24", ""), src("b", "B", "192.0.2.77", ""), true},
		{"IP outside CIDR", src("a", "A", "192.0.2.0/25", ""), src("b", "B", "192.0.2.200", ""), false},
		{"intersecting CIDRs", src("a", "A", "10.0.0.0/8", ""), src("b", "B", "10.20.0.0/16", ""), true},
		{"adjacent CIDRs", src("a", "A", "10.0.0.0/25", ""), src("b", "B", "10.0.0.128/25", ""), false},
		{"unmasked CIDR", src("a", "A", "10.0.0.77/24", ""), src("b", "B", "10.0.0.1", ""), true},
		{"IPv6", src("a", "A", "2001:db8::/32", ""), src("b", "B", "2001:db8:1::5", ""), true},
		{"IPv6 apart", src("a", "A", "2001:db8::/48", ""), src("b", "B", "2001:db8:1::5", ""), false},
		{"IPv4 and IPv6", src("a", "A", "0.0.0.0/0", ""), src("b", "B", "2001:db8::1", ""), false},
		{"v4-mapped address", src("a", "A", "::ffff:192.0.2.10", ""), src("b", "B", "192.0.2.0/24", ""), true},
		{"v4-mapped prefix", src("a", "A", "::ffff:192.0.2.0/120", ""), src("b", "B", "192.0.2.9", ""), true},
		{"different domains", src("a", "A", "192.0.2.10", "a.example"), src("b", "B", "192.0.2.10", "B.example"), false},
		{"same domain in other case", src("a", "A", "192.0.2.10", "a.example"), src("b", "B", "192.0.2.0/24", "A.Example"), true},
		{"one side without domain", src("a", "A", "192.0.2.10", "a.example"), src("b", "B", "192.0.2.10", ""), true},
		{"unparseable", src("a", "A", "nowhere", ""), src("b", "B", "0.0.0.0/0", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sipsource.Overlap(tt.a, tt.b); got != tt.overlap {
				t.Errorf("Overlap(%s, %s) = %v", tt.a.Address, tt.b.Address, got)
			}
			if got := sipsource.Overlap(tt.b, tt.a); got != tt.overlap {
				t.Errorf("Overlap is not symmetric for %s, %s", tt.a.Address, tt.b.Address)
			}
		})
	}
}

// TestConflicts flags overlaps across tenants only.
func TestConflicts(t *testing.T) {
	all := []store.SIPSource{
		src("a1", "A", "10.0.0.0/8", ""), src("a2", "A", "10.1.0.0/16", ""),
		src("b1", "B", "10.1.2.3", ""), src("c1", "C", "192.0.2.1", ""),
	}
	got := sipsource.Conflicts(all)
	if len(got) != 3 || len(got["a1"]) != 1 || len(got["a2"]) != 1 || len(got["b1"]) != 2 || got["c1"] != nil {
		t.Errorf("conflicts = %v", got)
	}
}

// TestMatch ranks a domain-qualified source above an unqualified one, then
// the longer prefix, and refuses to choose between tenants on a tie.
func TestMatch(t *testing.T) {
	sources := []store.SIPSource{
		src("wide", "A", "10.0.0.0/8", ""),
		src("narrow", "B", "10.1.0.0/16", ""),
		src("host", "B", "10.1.2.3", ""),
		src("qualified", "C", "10.0.0.0/8", "c.example"),
		src("a-dom", "A", "172.16.0.0/12", "shared.example"),
		src("b-dom", "B", "172.16.0.0/12", "other.example"),
		src("legacy-a", "A", "192.0.2.0/24", ""),
		src("legacy-b", "B", "192.0.2.0/24", ""),
		src("same-1", "A", "198.51.100.0/24", ""),
		src("same-2", "A", "198.51.100.0/24", ""),
		src("v6", "D", "2001:db8::/32", "d.example"),
	}
	tests := []struct {
		from, uri string
		want      string
		ambiguous int
	}{
		{"10.9.9.9", "srs@10.0.0.1", "wide", 0},
		{"10.1.9.9", "srs@10.0.0.1", "narrow", 0},
		{"10.1.2.3", "srs@10.0.0.1", "host", 0},
		{"10.1.2.3", "srs@C.Example", "qualified", 0},
		{"10.1.2.3", "c.example@10.0.0.1", "qualified", 0},
		{"::ffff:10.1.2.3", "srs@10.0.0.1", "host", 0},
		{"172.16.0.1", "srs@shared.example", "a-dom", 0},
		{"172.16.0.1", "srs@other.example", "b-dom", 0},
		{"172.16.0.1", "shared.example@other.example", "", 2},
		{"172.16.0.1", "srs@third.example", "", 0},
		{"192.0.2.5", "srs@x", "", 2},
		{"198.51.100.5", "srs@x", "same-1", 0},
		{"2001:db8::1", "d.example@x", "v6", 0},
		{"203.0.113.1", "srs@x", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.uri, func(t *testing.T) {
			r := sipsource.Match(sources, netip.MustParseAddr(tt.from), tt.uri)
			if r.Source.ID != tt.want || r.Found != (tt.want != "") || len(r.Ambiguous) != tt.ambiguous {
				t.Errorf("Match = %+v, want %q with %d ambiguous", r, tt.want, tt.ambiguous)
			}
		})
	}
}

// TestPrefix accepts what the forms accept and normalises it.
func TestPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10":            "192.0.2.10/32",
		"192.0.2.10/24":         "192.0.2.0/24",
		"::ffff:192.0.2.10":     "192.0.2.10/32",
		"::ffff:192.0.2.10/120": "192.0.2.0/24",
		"::ffff:0:0/80":         "::/80",
		"2001:DB8::1":           "2001:db8::1/128",
	} {
		p, err := sipsource.Prefix(in)
		if err != nil || p.String() != want {
			t.Errorf("Prefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "nowhere", "10.0.0.300", "10.0.0.0/33", "10.0.0.1/"} {
		if sipsource.Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}
