// Package sipsource holds the rules of a SIPREC source's address space:
// which INVITEs a source claims, when sources of two tenants would claim the
// same calls, and which source an INVITE belongs to. The account service
// (refusing an overlap), the recorder (matching) and the provider's list of
// sources (flagging conflicts) apply these same rules.
package sipsource

import (
	"net/netip"
	"slices"
	"strings"

	"callrec/internal/store"
)

// Prefix parses a source address, an IP or a CIDR prefix, as the prefix of
// peer addresses it covers, masked. An IPv4-mapped IPv6 address or prefix
// becomes the IPv4 one: the recorder unmaps the peer's address, so that is
// the only way it can match.
func Prefix(address string) (netip.Prefix, error) {
	if !strings.Contains(address, "/") {
		a, err := netip.ParseAddr(address)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(address)
	if err != nil {
		return p, err
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Valid reports whether address is an IP address or a CIDR prefix.
func Valid(address string) bool {
	_, err := Prefix(address)
	return err == nil
}

// Overlap reports whether two sources would claim some of the same calls:
// their addresses share at least one IP, and they are not both qualified by
// a domain (request-URI host or user) that differs between them. It says
// nothing about tenants: an overlap within one tenant is allowed.
func Overlap(a, b store.SIPSource) bool {
	pa, err := Prefix(a.Address)
	if err != nil {
		return false
	}
	pb, err := Prefix(b.Address)
	if err != nil || !pa.Overlaps(pb) {
		return false
	}
	if a.Domain != "" && b.Domain != "" && !strings.EqualFold(a.Domain, b.Domain) {
		return false
	}
	return true
}

// Conflicts maps the id of every source that overlaps a source of another
// tenant to those other sources, in the order given.
func Conflicts(sources []store.SIPSource) map[string][]store.SIPSource {
	out := map[string][]store.SIPSource{}
	for i, a := range sources {
		for _, b := range sources[i+1:] {
			if a.TenantID != b.TenantID && Overlap(a, b) {
				out[a.ID] = append(out[a.ID], b)
				out[b.ID] = append(out[b.ID], a)
			}
		}
	}
	return out
}

// Result is the source an INVITE belongs to.
type Result struct {
	Source store.SIPSource
	Found  bool
	// Ambiguous lists the best-ranked sources when they belong to more
	// than one tenant (Found is then false): the call must be refused,
	// never given to one of them by guess.
	Ambiguous []store.SIPSource
}

// Match finds the source an INVITE from the peer address from, with the
// request-URI requestURI (user@host), belongs to. A source matches when its
// prefix contains the address and, if it names a domain, the request-URI's
// host or user equals it (case-insensitive). A domain-qualified source ranks
// above an unqualified one, then the most specific prefix wins; among equal
// ranks of one tenant the first in sources wins.
func Match(sources []store.SIPSource, from netip.Addr, requestURI string) Result {
	from = from.Unmap()
	user, host, _ := strings.Cut(strings.ToLower(requestURI), "@")
	var best []store.SIPSource
	bestRank := -1
	for _, s := range sources {
		p, err := Prefix(s.Address)
		if err != nil || !p.Contains(from) {
			continue
		}
		rank := p.Bits()
		if d := strings.ToLower(s.Domain); d != "" {
			if d != host && d != user {
				continue
			}
			rank += 1000 // above any unqualified prefix, even a /128
		}
		switch {
		case rank > bestRank:
			best, bestRank = []store.SIPSource{s}, rank
		case rank == bestRank:
			best = append(best, s)
		}
	}
	if len(best) == 0 {
		return Result{}
	}
	if slices.ContainsFunc(best, func(s store.SIPSource) bool { return s.TenantID != best[0].TenantID }) {
		return Result{Ambiguous: best}
	}
	return Result{Source: best[0], Found: true}
}
