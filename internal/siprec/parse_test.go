package siprec

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestSplitBody(t *testing.T) {
	full := multipartBody("XyZ", sampleSDP, sampleMetadata)
	lf := []byte(strings.ReplaceAll(string(full), "\r\n", "\n"))
	tests := []struct {
		name    string
		ct      string
		body    []byte
		wantErr error
		wantMD  bool
	}{
		{"multipart", `multipart/mixed;boundary=XyZ`, full, nil, true},
		{"quoted boundary, LF line ends", `multipart/mixed; boundary="XyZ"`, lf, nil, true},
		{"bare sdp", "application/sdp", []byte(sampleSDP), nil, false},
		{"text", "text/plain", []byte("hi"), ErrUnsupported, false},
		{"no boundary", "multipart/mixed", full, ErrMalformed, false},
		{"wrong boundary", "multipart/mixed;boundary=nope", full, ErrMalformed, false},
		// Several SBCs end the last part without "--XyZ--".
		{"no closing delimiter", "multipart/mixed;boundary=XyZ", []byte(strings.TrimSuffix(string(full), "--XyZ--\r\n")), nil, true},
		{"no sdp part", "multipart/mixed;boundary=B", []byte("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n"), ErrUnsupported, false},
		{"bad content type", "multipart/mixed;;;", full, ErrMalformed, false},
		{"header without colon", "multipart/mixed;boundary=B", []byte("--B\r\nbogus\r\n\r\nx\r\n--B--"), ErrMalformed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := SplitBody(tt.ct, tt.body)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !strings.HasPrefix(string(b.SDP), "v=0") {
				t.Errorf("SDP = %q", b.SDP)
			}
			if (b.Metadata != nil) != tt.wantMD {
				t.Errorf("metadata present = %v, want %v", b.Metadata != nil, tt.wantMD)
			}
		})
	}
}

func TestParseSDP(t *testing.T) {
	s, err := ParseSDP([]byte(sampleSDP))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Media) != 2 || s.Media[0].Port != 30000 || s.Media[0].Label != "1" || s.Media[1].Direction != SendOnly {
		t.Fatalf("media = %+v", s.Media)
	}
	if s.Media[0].Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("addr = %v", s.Media[0].Addr)
	}
	c, dtmf, ok := s.Media[0].Choose()
	if !ok || c.Name != "pcmu" || dtmf == nil || dtmf.PT != 101 {
		t.Errorf("choose = %+v %+v %v", c, dtmf, ok)
	}
	c, _, ok = s.Media[1].Choose()
	if !ok || c.Name != "opus" || c.PT != 96 {
		t.Errorf("choose opus = %+v %v", c, ok)
	}

	bad := map[string]string{
		"empty":        "",
		"no media":     "v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\n",
		"bad port":     "v=0\r\no=x\r\nm=audio xx RTP/AVP 0\r\n",
		"bad pt":       "v=0\r\no=x\r\nm=audio 1 RTP/AVP 300\r\n",
		"garbage line": "v=0\r\nhello\r\n",
		"bad rtpmap":   "v=0\r\no=x\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus\r\n",
		"version":      "v=1\r\no=x\r\nm=audio 1 RTP/AVP 0\r\n",
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSDP([]byte(body)); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestChooseRefusesUnknownCodecs(t *testing.T) {
	s, err := ParseSDP([]byte("v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18 97\r\na=rtpmap:97 AMR/8000\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Media[0].Choose(); ok {
		t.Error("G.729/AMR offer should have no codec")
	}
}

func TestBuildAnswerRoundTrip(t *testing.T) {
	ans := BuildAnswer(netip.MustParseAddr("127.0.0.1"), 7, 1, []AnswerMedia{
		{Type: "audio", Port: 20000, Codec: Format{PT: 0, Name: "pcmu", ClockRate: 8000}, DTMF: &Format{PT: 101, Name: "telephone-event", ClockRate: 8000}, Direction: RecvOnly, Label: "1"},
		{Type: "video", Port: 0, Codec: Format{PT: 99}},
	})
	s, err := ParseSDP(ans)
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, ans)
	}
	if s.Media[0].Direction != RecvOnly || s.Media[0].Port != 20000 || s.Media[0].Formats[1].Name != "telephone-event" || s.Media[1].Port != 0 {
		t.Errorf("answer = %+v", s.Media)
	}
}

func TestParseMetadata(t *testing.T) {
	md, err := ParseMetadata([]byte(sampleMetadata))
	if err != nil {
		t.Fatal(err)
	}
	if md.SessionID != "sess1" || md.SIPSessionID != "abc123;remote=def456" || len(md.Participants) != 2 || len(md.Streams) != 2 {
		t.Fatalf("md = %+v", md)
	}
	p, ok := md.ParticipantFor("2")
	if !ok || p.Name != "Bob" || p.AORs[0] != "tel:+1-415-555-0199" {
		t.Errorf("participant for label 2 = %+v %v", p, ok)
	}

	v, err := ParseMetadata([]byte(sampleMetadataVendor))
	if err != nil {
		t.Fatal(err)
	}
	if v.ExternalCallID != "graph-call-42" || v.Direction != "outbound" {
		t.Errorf("vendor extension: %+v", v)
	}
	a, ok := v.ParticipantFor("10")
	if !ok || a.Name != "Agent" || a.AORs[0] != "sip:2001@pbx.example" {
		t.Errorf("draft layout participant = %+v %v", a, ok)
	}
}

func TestParseMetadataRefuses(t *testing.T) {
	deep := "<recording>" + strings.Repeat("<x>", 20) + strings.Repeat("</x>", 20) + "</recording>"
	many := "<recording>" + strings.Repeat(`<participant participant_id="p"/>`, 1) + strings.Repeat(`<stream stream_id="s"/>`, 65) + "</recording>"
	tests := map[string]string{
		"entity":        `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><recording>&x;</recording>`,
		"unknown ent":   `<recording>&x;</recording>`,
		"deep":          deep,
		"many streams":  many,
		"wrong root":    `<html/>`,
		"unclosed":      `<recording><participant>`,
		"not xml":       `hello`,
		"empty":         ``,
		"mismatched":    `<recording></session>`,
		"two roots bad": `<recording/><recording>`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseMetadata([]byte(doc)); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// The Teams media edge's extension elements name the Graph call id and the
// bot's correlation token, whatever prefix the namespace gets.
func TestParseMetadataTeamsExtensions(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1" xmlns:t="urn:callrec:teams">
  <datamode>complete</datamode>
  <session session_id="s1"><t:graphCallId>491f0b00-1234</t:graphCallId><t:tenantId>tid-1</t:tenantId><t:correlation>tok-42</t:correlation></session>
  <participant participant_id="p1"><nameID aor="sip:aad-1@contoso.onmicrosoft.com"/></participant>
</recording>`
	md, err := ParseMetadata([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if md.ExternalCallID != "491f0b00-1234" || md.Correlation != "tok-42" {
		t.Fatalf("external call id %q, correlation %q", md.ExternalCallID, md.Correlation)
	}
}
