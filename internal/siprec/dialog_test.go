package siprec

import (
	"os"
	"slices"
	"testing"
)

func dialogDoc(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/dialog/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMidCallDocuments: the updates an SBC sends during a call parse to
// what the recorder merges — a complete document restating everyone, a
// partial one naming only who left.
func TestMidCallDocuments(t *testing.T) {
	md, err := ParseMetadata(dialogDoc(t, "cisco-callerid-update.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if md.DataMode != "" || md.Participants[0].Name != "Jane Roe" ||
		!slices.Equal(md.Participants[0].AORs, []string{"sip:+4930555000@carrier.example", "tel:+4930555000"}) {
		t.Errorf("caller-ID update: %+v", md)
	}
	md, err = ParseMetadata(dialogDoc(t, "cisco-transfer.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := md.ParticipantFor("1"); !ok || p.ID != "p2" {
		t.Errorf("after the transfer stream 1 is sent by %+v %v, want p2", p, ok)
	}
	md, err = ParseMetadata(dialogDoc(t, "rfc7865-partial-leave.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if md.DataMode != DataModePartial || !slices.Equal(md.Departed, []string{"p2"}) || len(md.Participants) != 0 {
		t.Errorf("partial leave: %+v", md)
	}
}

// TestVendorCallIDs: the vendor call id is read from each vendor's
// extension, a hex UUI losing its protocol discriminator as AudioCodes
// shows it; the SIP Session-ID is not mistaken for one.
func TestVendorCallIDs(t *testing.T) {
	for file, want := range map[string]string{
		"audiocodes-avaya-ucid.xml": "FA080019001038F725B3",
		"oracle-apkt-ucid.xml":      "FA080018803B69810C39",
	} {
		md, err := ParseMetadata(dialogDoc(t, file))
		if err != nil {
			t.Fatal(err)
		}
		if md.ExternalCallID != want {
			t.Errorf("%s: vendor call id %q, want %q", file, md.ExternalCallID, want)
		}
	}
	md, err := ParseMetadata(vendor(t, "legacy-siprec-namespace.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if md.ExternalCallID != "" {
		t.Errorf("sipSessionID taken as a vendor call id: %q", md.ExternalCallID)
	}
	for in, want := range map[string]string{
		"00FA080019001038F725B3;encoding=hex": "FA080019001038F725B3",
		"00fa08;encoding=hex":                 "FA08",
		"04FA080019001038F725B3;encoding=hex": "", // another protocol discriminator
		"00FA08":                              "", // no encoding stated
		"00ZZ08;encoding=hex":                 "",
	} {
		if got := avayaUCID(in); got != want {
			t.Errorf("avayaUCID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMetadataOnlyBody: an UPDATE may carry metadata alone, bare or as
// the only part of a multipart body; a body with neither is refused.
func TestMetadataOnlyBody(t *testing.T) {
	doc := dialogDoc(t, "rfc7865-partial-leave.xml")
	b, err := SplitBody("application/rs-metadata+xml", doc)
	if err != nil || b.SDP != nil || len(b.Metadata) != len(doc) {
		t.Fatalf("bare metadata: %v %+v", err, b)
	}
	mp := "--xx\r\nContent-Type: application/rs-metadata+xml\r\n\r\n" + string(doc) + "\r\n--xx--\r\n"
	if b, err = SplitBody("multipart/mixed;boundary=xx", []byte(mp)); err != nil || b.SDP != nil || b.Metadata == nil {
		t.Fatalf("multipart with metadata only: %v %+v", err, b)
	}
	if _, err = SplitBody("multipart/mixed;boundary=xx", []byte("--xx\r\nContent-Type: text/plain\r\n\r\nhi\r\n--xx--\r\n")); err == nil {
		t.Fatal("a multipart body with neither SDP nor metadata was taken")
	}
}
