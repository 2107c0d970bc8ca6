package recorder_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/recorder"
	"callrec/internal/siprec"
	"callrec/internal/siprec/siptest"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestTrustedProxyAttribution: behind Kamailio every request comes from
// the proxy. A call the trusted proxy relays for another tenant's SBC
// (named in X-Callrec-Source) is that tenant's; the proxy relaying a BYE
// for another SRC gets 481 and the call goes on; the same header from a
// peer that is not the proxy is ignored, so it cannot claim the other
// tenant's source (403).
func TestTrustedProxyAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0, func(c *recorder.Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}
		})
		ctx := context.Background()
		name := "Northwind"
		nw, err := account.New(e.db, nil).CreateTenant(ctx, account.System, account.TenantInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := e.db.Q().InsertSIPSource(ctx, store.SIPSource{ID: account.NewID(), TenantID: nw.ID, Name: "Northwind SBC",
			Address: "192.0.2.7", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		e.rec.InvalidateSources()
		const sdp = "v=0\r\no=SBC 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n"
		named := func(src string) []string { return []string{siprec.SourceHeader + ": " + src} }
		do := func(network, from string, r siptest.Req) siptest.Response {
			t.Helper()
			p, err := siptest.Dial(network, from, e.sipAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r.Target, r.User = e.sipAddr, "northwind"
			res, err := p.Do(r, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		for _, network := range []string{"udp", "tcp"} {
			// Not the proxy: the header is ignored, 127.0.0.2 matches no source for this request-URI.
			callID := siptest.Random(16)
			if r := do(network, "127.0.0.2", siptest.Req{Method: "INVITE", CallID: callID, FromTag: "f", Body: sdp, Extra: named("192.0.2.7")}); r.Code != 403 {
				t.Fatalf("%s: INVITE naming Northwind's SBC from a non-proxy: %d, want 403", network, r.Code)
			}
			// The proxy relaying for Northwind's SBC.
			callID = siptest.Random(16)
			r := do(network, "127.0.0.3", siptest.Req{Method: "INVITE", CallID: callID, FromTag: "f", Body: sdp, Extra: named("192.0.2.7")})
			if r.Code != 200 {
				t.Fatalf("%s: relayed INVITE: %d, want 200", network, r.Code)
			}
			_, toTag, _ := strings.Cut(r.Header("To"), "tag=")
			if !e.rec.Live(callID) {
				t.Fatalf("%s: relayed call not live", network)
			}
			bye := siptest.Req{Method: "BYE", CallID: callID, FromTag: "f", ToTag: toTag, CSeq: 2, Extra: named("192.0.2.8")}
			if r := do(network, "127.0.0.3", bye); r.Code != 481 {
				t.Fatalf("%s: BYE relayed for another SRC: %d, want 481", network, r.Code)
			}
			if !e.rec.Live(callID) {
				t.Fatalf("%s: a BYE for another SRC ended the call", network)
			}
			bye.Extra, bye.CSeq = named("192.0.2.7"), 3
			if r := do(network, "127.0.0.3", bye); r.Code != 200 {
				t.Fatalf("%s: BYE relayed for the SBC: %d, want 200", network, r.Code)
			}
		}
		if n := len(e.calls()); n != 0 {
			t.Errorf("Contoso got %d calls, want 0", n)
		}
		got := e.callsOf(nw.ID)
		if len(got) != 2 {
			t.Fatalf("Northwind has %d calls, want 2", len(got))
		}
	})
}
