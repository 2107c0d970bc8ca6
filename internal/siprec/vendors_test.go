package siprec

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func vendor(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/vendors/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLegacySchema: the pre-RFC schema maps onto the same model as RFC
// 7865: participants with every identity, streams with labels, who sends
// what.
func TestLegacySchema(t *testing.T) {
	md, err := ParseMetadata(vendor(t, "legacy-siprec-namespace.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if md.SessionID != "legacy-sess-1" || md.SIPSessionID != "a1b2c3;remote=d4e5f6" || len(md.Participants) != 2 || len(md.Streams) != 2 {
		t.Fatalf("parsed %+v", md)
	}
	desk, agent := md.Participants[0], md.Participants[1]
	if desk.Name != "Front Desk" || !slices.Equal(desk.Send, []string{"ls1"}) || !slices.Equal(desk.Recv, []string{"ls2"}) {
		t.Errorf("front desk %+v", desk)
	}
	if !slices.Equal(agent.AORs, []string{"sip:2001@pbx.example", "tel:+14085552001"}) {
		t.Errorf("agent's identities %v, want both nameIDs", agent.AORs)
	}
	if p, ok := md.ParticipantFor("2"); !ok || p.ID != "lp2" {
		t.Errorf("stream 2's sender: %+v %v", p, ok)
	}
}

// TestNoPhantomParticipant: an association naming an id that is no
// participant makes no one up.
func TestNoPhantomParticipant(t *testing.T) {
	md, err := ParseMetadata(vendor(t, "rfc7865-phantom-assoc.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range md.Participants {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"pa", "pb"}) {
		t.Errorf("participants %v, want pa and pb only", ids)
	}
}

// conference writes RFC 7865 metadata of a bridge with n participants.
func conference(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="conf"/>`)
	for i := range n {
		fmt.Fprintf(&b, `<participant participant_id="p%d"><nameID aor="sip:+1555%07d@bridge.example"><name>Participant %d</name></nameID><nameID aor="tel:+1555%07d"/></participant>`, i, i, i, i)
	}
	b.WriteString(`<stream stream_id="s1" session_id="conf"><label>1</label></stream><stream stream_id="s2" session_id="conf"><label>2</label></stream>`)
	b.WriteString(`<participantstreamassoc participant_id="p0"><send>s1</send></participantstreamassoc></recording>`)
	return []byte(b.String())
}

// TestLargeConference: 300 and 1,000 participants are taken with every
// identity; 1,001 are refused.
func TestLargeConference(t *testing.T) {
	for _, n := range []int{300, maxParticipants} {
		md, err := ParseMetadata(conference(n))
		if err != nil {
			t.Fatalf("%d participants: %v", n, err)
		}
		if len(md.Participants) != n || len(md.Participants[n-1].AORs) != 2 {
			t.Fatalf("%d participants: got %d, last %+v", n, len(md.Participants), md.Participants[n-1])
		}
	}
	if _, err := ParseMetadata(conference(maxParticipants + 1)); err == nil {
		t.Fatal("1,001 participants accepted")
	}
}

// BenchmarkParseMetadata measures a 1,000-participant conference: bytes
// in, time and memory per parse (go test -bench ParseMetadata -benchmem).
func BenchmarkParseMetadata(b *testing.B) {
	doc := conference(maxParticipants)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMetadata(doc); err != nil {
			b.Fatal(err)
		}
	}
}
