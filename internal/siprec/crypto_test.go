package siprec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
)

// key30 is a 30-byte master key and salt (AES_CM_128), 46 is AES-256's,
// 28 AEAD_AES_128_GCM's.
var (
	key30 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA5}, 30))
	key46 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5A}, 46))
	key28 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x3C}, 28))
)

func TestParseCrypto(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		dropped bool
		problem string // "" usable
		mki     []byte
	}{
		{"AES_CM_128_HMAC_SHA1_80", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30, false, "", nil},
		{"_32 with a lifetime", "2 AES_CM_128_HMAC_SHA1_32 inline:" + key30 + "|2^31", false, "", nil},
		{"decimal lifetime and MKI", "3 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1048576|7:2", false, "", []byte{0, 7}},
		{"MKI without lifetime", "3 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|258:2", false, "", []byte{1, 2}},
		{"AES-256", "4 AES_256_CM_HMAC_SHA1_80 inline:" + key46, false, "", nil},
		{"GCM", "5 AEAD_AES_128_GCM inline:" + key28, false, "", nil},
		{"unpadded base64", "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(key30, "="), false, "", nil},
		{"window size hint", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " WSH=64", false, "", nil},
		{"unknown suite", "1 F8_128_HMAC_SHA1_80 inline:" + key30, false, "unsupported crypto suite", nil},
		{"several keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4;inline:" + key30 + "|2^20|2:4", false, "several master keys", nil},
		{"key derivation rate", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=1", false, "unsupported session parameter KDR", nil},
		{"unencrypted SRTP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP", false, "unsupported session parameter UNENCRYPTED_SRTP", nil},
		{"a stray key as a parameter", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " inline:" + key30, false, "unsupported session parameter", nil},
		{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key28, false, "wrong key length for the suite", nil},
		{"not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", false, "malformed key", nil},
		{"other key method", "1 AES_CM_128_HMAC_SHA1_80 uri:http://x", false, "unsupported key method", nil},
		{"bad lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^x", false, "malformed key lifetime", nil},
		{"MKI too big for its length", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|256:1", false, "malformed MKI", nil},
		{"no key", "1 AES_CM_128_HMAC_SHA1_80", true, "", nil},
		{"bad tag", "x AES_CM_128_HMAC_SHA1_80 inline:" + key30, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := parseCrypto(tt.line)
			if ok == tt.dropped {
				t.Fatalf("kept = %v, want %v", ok, !tt.dropped)
			}
			if tt.dropped {
				return
			}
			if c.Problem != tt.problem {
				t.Errorf("problem = %q, want %q", c.Problem, tt.problem)
			}
			if tt.problem == "" {
				s, _ := SuiteNamed(c.Suite)
				if len(c.Key) != s.KeyLen+s.SaltLen {
					t.Errorf("key of %d bytes", len(c.Key))
				}
			} else if c.Key != nil {
				t.Error("an unusable line keeps its key")
			}
			if !bytes.Equal(c.MKI, tt.mki) {
				t.Errorf("MKI = %v, want %v", c.MKI, tt.mki)
			}
		})
	}
}

// TestCryptoKeysStayOutOfLogs prints, logs and marshals a parsed offer
// and checks that the key appears nowhere.
func TestCryptoKeysStayOutOfLogs(t *testing.T) {
	sdp := "v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/SAVP 0\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "\r\n"
	s, err := ParseSDP([]byte(sdp))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := s.Media[0].ChooseCrypto()
	if !ok {
		t.Fatal("no usable crypto")
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("offer", "sdp", s, "crypto", c, "key", c.Key)
	js, _ := json.Marshal(s)
	raw := string(bytes.Repeat([]byte{0xA5}, 30))
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v %#v %x %s", c, c, c.Key, c.Key), logged.String(), string(js)} {
		if strings.Contains(out, key30[:20]) || strings.Contains(out, "a5a5a5") || strings.Contains(out, "165 165") || strings.Contains(out, raw) {
			t.Errorf("key material in %q", out)
		}
	}
}

func TestProtectionAndAnswer(t *testing.T) {
	for proto, want := range map[string][2]bool{
		"RTP/AVP": {false, true}, "RTP/AVPF": {false, true}, "RTP/SAVP": {true, true}, "RTP/SAVPF": {true, true},
		"UDP/TLS/RTP/SAVP": {false, false}, "UDP/TLS/RTP/SAVPF": {false, false}, "TCP/RTP/AVP": {false, false},
	} {
		srtp, ok := Media{Proto: proto}.Protection()
		if srtp != want[0] || ok != want[1] {
			t.Errorf("%s: srtp %v ok %v, want %v", proto, srtp, ok, want)
		}
	}
	offer, _ := parseCrypto("7 AES_CM_128_HMAC_SHA1_32 inline:" + key30)
	ours, err := offer.Reply()
	if err != nil {
		t.Fatal(err)
	}
	if ours.Tag != 7 || ours.Suite != offer.Suite || len(ours.Key) != 30 || ours.Same(offer) {
		t.Errorf("reply = tag %d suite %s, %d-byte key, same key %v", ours.Tag, ours.Suite, len(ours.Key), ours.Same(offer))
	}
	ans := string(BuildAnswer(netip.MustParseAddr("127.0.0.1"), 1, 1, []AnswerMedia{{Type: "audio", Port: 4000, Proto: "RTP/SAVP",
		Codec: Format{PT: 0, Name: "pcmu", ClockRate: 8000}, Direction: RecvOnly, Crypto: &ours}}))
	parsed, err := ParseSDP([]byte(ans))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := parsed.Media[0].ChooseCrypto()
	if !ok || !got.Same(ours) || got.Tag != 7 || parsed.Media[0].Proto != "RTP/SAVP" {
		t.Errorf("answer %q", ans)
	}
}
