package siprec_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"callrec/internal/siprec"
	"callrec/internal/siprec/siptest"
)

// TestTrustedProxySpeaksForTheSource: a request relayed by a configured
// proxy (Kamailio's dispatcher) is attributed to the SRC the proxy names
// in X-Callrec-Source, its last copy, so the recorder matches the SRC's
// registered source and checks in-dialog requests against it. Anyone else
// naming a source in that header is attributed to its own address.
func TestTrustedProxySpeaksForTheSource(t *testing.T) {
	s := startServerWith(t, siprec.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	hdr := siprec.SourceHeader + ": "
	cases := []struct {
		name  string
		from  string
		extra []string
		want  string
	}{
		{"proxy relays for an SRC", "127.0.0.2", []string{hdr + "192.0.2.7"}, "192.0.2.7"},
		{"proxy's own copy is the last", "127.0.0.2", []string{hdr + "198.51.100.9", hdr + "192.0.2.7"}, "192.0.2.7"},
		{"IPv4-mapped address unmapped", "127.0.0.2", []string{hdr + "::ffff:192.0.2.7"}, "192.0.2.7"},
		{"proxy without the header is itself", "127.0.0.2", nil, "127.0.0.2"},
		{"proxy with a malformed header is itself", "127.0.0.2", []string{hdr + "sbc.example"}, "127.0.0.2"},
		{"another peer cannot speak for a source", "127.0.0.1", []string{hdr + "192.0.2.7"}, "127.0.0.1"},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				p := s.peer(t, network, c.from)
				callID := siptest.Random(16)
				r, err := p.Do(siptest.Req{Method: "INVITE", Target: s.addr, CallID: callID, FromTag: "f", Body: offer, Extra: c.extra}, 5*time.Second)
				if err != nil || r.Code != 200 {
					t.Fatalf("INVITE: %d %v", r.Code, err)
				}
				s.h.mu.Lock()
				got := s.h.dialogs[callID].Source
				s.h.mu.Unlock()
				if got.String() != c.want {
					t.Fatalf("INVITE attributed to %v, want %s", got, c.want)
				}
				toTag := tagOf(r.Header("To"))
				r, err = p.Do(siptest.Req{Method: "BYE", Target: s.addr, CallID: callID, FromTag: "f", ToTag: toTag, CSeq: 2, Extra: c.extra}, 5*time.Second)
				if err != nil || r.Code != 200 {
					t.Fatalf("BYE: %d %v", r.Code, err)
				}
				s.h.mu.Lock()
				ended := s.h.ended[len(s.h.ended)-1]
				s.h.mu.Unlock()
				if ended.CallID != callID || ended.Source.String() != c.want {
					t.Fatalf("BYE of %s attributed to %v, want %s", ended.CallID, ended.Source, c.want)
				}
			})
		}
	}
}

// tagOf returns the tag parameter of a From or To header value.
func tagOf(h string) string {
	_, tag, _ := strings.Cut(h, ";tag=")
	tag, _, _ = strings.Cut(tag, ";")
	return strings.TrimSpace(tag)
}
