package siprec

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
)

// Secret is key material. It prints, logs and marshals as "[redacted]",
// so that an offer reaching a log line, an error or a JSON dump never
// carries its keys; code that needs the bytes converts it to []byte.
type Secret []byte

const redacted = "[redacted]"

// Format prints Secret as [redacted] whatever the verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue logs Secret as [redacted].
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes Secret as "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Suite is an SDES crypto suite the recorder can decrypt (RFC 4568,
// RFC 6188, RFC 7714) and the lengths of its master key and salt.
type Suite struct {
	Name            string
	KeyLen, SaltLen int
}

// suites are the crypto suites the recorder takes: those pion/srtp
// implements. F8 and the 192-bit suites it does not.
var suites = map[string]Suite{
	"AES_CM_128_HMAC_SHA1_80": {"AES_CM_128_HMAC_SHA1_80", 16, 14},
	"AES_CM_128_HMAC_SHA1_32": {"AES_CM_128_HMAC_SHA1_32", 16, 14},
	"AES_256_CM_HMAC_SHA1_80": {"AES_256_CM_HMAC_SHA1_80", 32, 14},
	"AES_256_CM_HMAC_SHA1_32": {"AES_256_CM_HMAC_SHA1_32", 32, 14},
	"AEAD_AES_128_GCM":        {"AEAD_AES_128_GCM", 16, 12},
	"AEAD_AES_256_GCM":        {"AEAD_AES_256_GCM", 32, 12},
}

// SuiteNamed returns a crypto suite the recorder takes.
func SuiteNamed(name string) (Suite, bool) {
	s, ok := suites[name]
	return s, ok
}

// Crypto is one a=crypto attribute of an m= line (RFC 4568): a suite and
// the master key (followed by the master salt) with which the attribute's
// sender encrypts what it sends.
type Crypto struct {
	Tag   int
	Suite string
	Key   Secret
	// MKI is the master key identifier every packet carries, nil for none.
	MKI []byte
	// Problem says why the recorder cannot use the attribute ("" when it
	// can): an unknown suite, several keys, a session parameter it does
	// not implement. It never holds key material.
	Problem string
}

const maxCrypto = 16

// parseCrypto reads "TAG SUITE inline:KEY[|LIFETIME][|MKI:LEN] [PARAMS]". A
// line it cannot read at all is dropped (ok false); one it reads but
// cannot use is kept with its Problem. Errors name no part of the key.
func parseCrypto(val string) (c Crypto, ok bool) {
	f := strings.Fields(val)
	if len(f) < 3 {
		return c, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return c, false
	}
	c.Tag, c.Suite = tag, f[1]
	suite, known := suites[c.Suite]
	keys := strings.Split(f[2], ";")
	switch {
	case !known:
		c.Problem = "unsupported crypto suite"
	case len(keys) > 1:
		c.Problem = "several master keys"
	default:
		c.Problem = c.readKey(keys[0], suite)
	}
	for _, p := range f[3:] {
		if c.Problem != "" {
			break
		}
		name, _, _ := strings.Cut(p, "=")
		switch name {
		case "WSH", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTCP":
			// A window size hint, and what applies to RTCP, which the
			// recorder does not take.
		default:
			c.Problem = "unsupported session parameter"
			if isParamName(name) {
				c.Problem += " " + name
			}
		}
	}
	if c.Problem != "" {
		c.Key, c.MKI = nil, nil
	}
	return c, true
}

// isParamName reports whether s looks like a session parameter's name
// (KDR, FEC_ORDER), safe to repeat in a log, unlike a stray key.
func isParamName(s string) bool {
	if s == "" || len(s) > 24 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' {
			return false
		}
	}
	return true
}

// readKey reads "inline:KEY[|LIFETIME][|MKI:LEN]" into c and returns a
// problem, or "".
func (c *Crypto) readKey(param string, suite Suite) string {
	method, info, ok := strings.Cut(param, ":")
	if !ok || method != "inline" {
		return "unsupported key method"
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return "malformed key parameter"
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(parts[0]); err != nil {
			return "malformed key"
		}
	}
	if len(key) != suite.KeyLen+suite.SaltLen {
		return "wrong key length for the suite"
	}
	for _, p := range parts[1:] {
		if v, n, isMKI := strings.Cut(p, ":"); isMKI {
			mki, ok := mkiBytes(v, n)
			if !ok || c.MKI != nil {
				return "malformed MKI"
			}
			c.MKI = mki
		} else if !validLifetime(p) {
			return "malformed key lifetime"
		}
	}
	c.Key = key
	return ""
}

// mkiBytes is the MKI value v as the big-endian field of n bytes (1-128)
// that each packet carries.
func mkiBytes(v, n string) ([]byte, bool) {
	size, err := strconv.Atoi(n)
	if err != nil || size < 1 || size > 128 {
		return nil, false
	}
	val, ok := new(big.Int).SetString(v, 10)
	if !ok || val.Sign() < 0 || val.BitLen() > 8*size {
		return nil, false
	}
	return val.FillBytes(make([]byte, size)), true
}

// validLifetime accepts "N" or "2^N". The lifetime bounds how long the
// sender uses the key; the recorder, which never sends, does not enforce it.
func validLifetime(s string) bool {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		n, err := strconv.Atoi(exp)
		return err == nil && n > 0 && n <= 64
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n > 0
}

// Reply is the recorder's own crypto attribute answering c: the same tag
// and suite with a fresh key (RFC 4568 6.1: each direction has its key;
// the recorder sends nothing, but the answer must name one).
func (c Crypto) Reply() (Crypto, error) {
	suite, ok := suites[c.Suite]
	if !ok {
		return Crypto{}, fmt.Errorf("siprec: crypto suite %q not supported", clip(c.Suite))
	}
	key := make([]byte, suite.KeyLen+suite.SaltLen)
	if _, err := rand.Read(key); err != nil {
		return Crypto{}, fmt.Errorf("siprec: crypto key: %w", err)
	}
	return Crypto{Tag: c.Tag, Suite: c.Suite, Key: key}, nil
}

// Same reports whether c and o key the same stream the same way.
func (c Crypto) Same(o Crypto) bool {
	return c.Suite == o.Suite && string(c.Key) == string(o.Key) && string(c.MKI) == string(o.MKI)
}

// Attribute is c as an SDP line, key included.
func (c Crypto) Attribute() string {
	return fmt.Sprintf("a=crypto:%d %s inline:%s\r\n", c.Tag, c.Suite, base64.StdEncoding.EncodeToString(c.Key))
}

// Protection says how an m= line's protocol carries RTP: srtp false for
// plain RTP (RTP/AVP, RTP/AVPF), true for SRTP keyed in the SDP
// (RTP/SAVP, RTP/SAVPF, RFC 4568), and ok false for what the recorder
// does not take (DTLS-SRTP's UDP/TLS/RTP/SAVP, RTP over TCP, …).
func (m Media) Protection() (srtp, ok bool) {
	switch strings.ToUpper(m.Proto) {
	case "RTP/AVP", "RTP/AVPF":
		return false, true
	case "RTP/SAVP", "RTP/SAVPF":
		return true, true
	}
	return false, false
}

// ChooseCrypto returns the first of the line's crypto attributes that the
// recorder can use, as RFC 4568 has the answerer pick.
func (m Media) ChooseCrypto() (Crypto, bool) {
	for _, c := range m.Crypto {
		if c.Problem == "" {
			return c, true
		}
	}
	return Crypto{}, false
}
