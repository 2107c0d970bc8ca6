package siprec

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

const maxMedia = 16

// Direction is an SDP media direction attribute.
type Direction string

// The SDP directions.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Format is one RTP payload type a media line offers.
type Format struct {
	PT        int
	Name      string // lower-case encoding name: pcmu, pcma, g722, l16, opus, telephone-event
	ClockRate int
	Channels  int
}

// Media is one m= line of an SDP.
type Media struct {
	Type      string // audio, video, …
	Port      int
	Proto     string
	Formats   []Format
	Direction Direction
	Label     string // a=label, which the metadata's streams refer to
	Addr      netip.Addr
	Crypto    []Crypto // a=crypto (SDES-SRTP), in the offer's order of preference
}

// SDP is a parsed session description.
type SDP struct {
	Origin  string
	Session string
	Addr    netip.Addr // session-level c= address
	Media   []Media
}

// staticFormats are the RTP/AVP payload types that need no rtpmap (RFC 3551).
var staticFormats = map[int]Format{
	0:  {PT: 0, Name: "pcmu", ClockRate: 8000, Channels: 1},
	8:  {PT: 8, Name: "pcma", ClockRate: 8000, Channels: 1},
	9:  {PT: 9, Name: "g722", ClockRate: 8000, Channels: 1},
	10: {PT: 10, Name: "l16", ClockRate: 44100, Channels: 2},
	11: {PT: 11, Name: "l16", ClockRate: 44100, Channels: 1},
}

// ParseSDP parses an SDP offer. It needs v=, o= and at least one m= line,
// every m= line with a port, a protocol and payload types.
func ParseSDP(b []byte) (SDP, error) {
	var s SDP
	if len(b) > MaxBodySize {
		return s, fmt.Errorf("%w: SDP too large", ErrMalformed)
	}
	seenV, seenO := false, false
	var cur *Media
	rtpmap := map[int]Format{}
	flush := func() {
		if cur != nil {
			resolveFormats(cur, rtpmap)
		}
		rtpmap = map[int]Format{}
	}
	for _, raw := range bytes.Split(b, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return s, fmt.Errorf("%w: SDP line %q", ErrMalformed, clip(line))
		}
		key, val := line[0], line[2:]
		switch key {
		case 'v':
			if val != "0" {
				return s, fmt.Errorf("%w: SDP version %q", ErrMalformed, clip(val))
			}
			seenV = true
		case 'o':
			seenO = true
			s.Origin = val
		case 's':
			s.Session = val
		case 'c':
			a, err := parseConn(val)
			if err != nil {
				return s, err
			}
			if cur == nil {
				s.Addr = a
			} else {
				cur.Addr = a
			}
		case 'm':
			flush()
			if len(s.Media) == maxMedia {
				return s, fmt.Errorf("%w: more than %d media lines", ErrMalformed, maxMedia)
			}
			m, err := parseMediaLine(val)
			if err != nil {
				return s, err
			}
			s.Media = append(s.Media, m)
			cur = &s.Media[len(s.Media)-1]
		case 'a':
			if cur == nil {
				continue
			}
			if err := parseAttr(cur, rtpmap, val); err != nil {
				return s, err
			}
		}
	}
	flush()
	if !seenV || !seenO || len(s.Media) == 0 {
		return s, fmt.Errorf("%w: SDP needs v=, o= and an m= line", ErrMalformed)
	}
	for i := range s.Media {
		if !s.Media[i].Addr.IsValid() {
			s.Media[i].Addr = s.Addr
		}
		if s.Media[i].Direction == "" {
			s.Media[i].Direction = SendRecv
		}
	}
	return s, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func parseConn(val string) (netip.Addr, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" {
		return netip.Addr{}, fmt.Errorf("%w: c=%q", ErrMalformed, clip(val))
	}
	host, _, _ := strings.Cut(f[2], "/")
	a, err := netip.ParseAddr(host)
	if err != nil {
		// A host name is legal but useless to a recorder; keep it unset.
		return netip.Addr{}, nil
	}
	return a, nil
}

func parseMediaLine(val string) (Media, error) {
	f := strings.Fields(val)
	if len(f) < 4 {
		return Media{}, fmt.Errorf("%w: m=%q", ErrMalformed, clip(val))
	}
	portStr, _, _ := strings.Cut(f[1], "/")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return Media{}, fmt.Errorf("%w: m= port %q", ErrMalformed, clip(f[1]))
	}
	m := Media{Type: strings.ToLower(f[0]), Port: port, Proto: f[2]}
	if len(f)-3 > 32 {
		return Media{}, fmt.Errorf("%w: too many payload types", ErrMalformed)
	}
	for _, ptStr := range f[3:] {
		pt, err := strconv.Atoi(ptStr)
		if err != nil || pt < 0 || pt > 127 {
			if strings.HasPrefix(m.Proto, "RTP/") {
				return Media{}, fmt.Errorf("%w: payload type %q", ErrMalformed, clip(ptStr))
			}
			continue
		}
		m.Formats = append(m.Formats, Format{PT: pt})
	}
	return m, nil
}

func parseAttr(m *Media, rtpmap map[int]Format, val string) error {
	name, rest, _ := strings.Cut(val, ":")
	switch name {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		m.Direction = Direction(name)
	case "label":
		m.Label = strings.TrimSpace(rest)
	case "crypto":
		// A line the recorder cannot read is left out rather than an
		// error: the stream is then refused (488) if no other line fits,
		// and no error carries a part of a key.
		if c, ok := parseCrypto(rest); ok && len(m.Crypto) < maxCrypto {
			m.Crypto = append(m.Crypto, c)
		}
	case "rtpmap":
		ptStr, enc, ok := strings.Cut(rest, " ")
		pt, err := strconv.Atoi(ptStr)
		if !ok || err != nil || pt < 0 || pt > 127 {
			return fmt.Errorf("%w: a=rtpmap:%q", ErrMalformed, clip(rest))
		}
		parts := strings.Split(strings.TrimSpace(enc), "/")
		if len(parts) < 2 {
			return fmt.Errorf("%w: a=rtpmap:%q", ErrMalformed, clip(rest))
		}
		rate, err := strconv.Atoi(parts[1])
		if err != nil || rate <= 0 || rate > 192000 {
			return fmt.Errorf("%w: a=rtpmap clock rate %q", ErrMalformed, clip(parts[1]))
		}
		ch := 1
		if len(parts) > 2 {
			if ch, err = strconv.Atoi(parts[2]); err != nil || ch < 1 || ch > 8 {
				return fmt.Errorf("%w: a=rtpmap channels %q", ErrMalformed, clip(parts[2]))
			}
		}
		rtpmap[pt] = Format{PT: pt, Name: strings.ToLower(parts[0]), ClockRate: rate, Channels: ch}
	}
	return nil
}

func resolveFormats(m *Media, rtpmap map[int]Format) {
	for i, f := range m.Formats {
		if mapped, ok := rtpmap[f.PT]; ok {
			m.Formats[i] = mapped
		} else if st, ok := staticFormats[f.PT]; ok {
			m.Formats[i] = st
		}
	}
}

// Supported reports whether the recorder decodes this format.
func (f Format) Supported() bool {
	switch f.Name {
	case "pcmu", "pcma":
		return f.ClockRate == 8000
	case "g722":
		return f.ClockRate == 8000 || f.ClockRate == 16000
	case "l16":
		return f.Channels == 1 && (f.ClockRate == 8000 || f.ClockRate == 16000 || f.ClockRate == 48000)
	case "opus":
		return f.ClockRate == 48000
	}
	return false
}

// Choose returns the first format of the offer the recorder decodes and,
// when offered, telephone-event (accepted so that DTMF packets are not an
// error, then ignored).
func (m Media) Choose() (codec Format, dtmf *Format, ok bool) {
	for _, f := range m.Formats {
		if !ok && f.Supported() {
			codec, ok = f, true
		}
		if f.Name == "telephone-event" && dtmf == nil {
			d := f
			dtmf = &d
		}
	}
	return codec, dtmf, ok
}

// AnswerMedia is what the recorder answers for one offered m= line.
type AnswerMedia struct {
	Port      int // 0 rejects the stream
	Codec     Format
	DTMF      *Format
	Direction Direction
	Label     string
	Type      string
	Proto     string
	Crypto    *Crypto // the recorder's own key for an SRTP stream
}

// BuildAnswer writes the SDP answer: one m= line per offered line, in order.
func BuildAnswer(ip netip.Addr, sessID, version uint64, media []AnswerMedia) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=callrec %d %d IN %s %s\r\ns=callrec\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessID, version, ipFamily(ip), ip, ipFamily(ip), ip)
	for _, m := range media {
		proto := m.Proto
		if proto == "" {
			proto = "RTP/AVP"
		}
		if m.Port == 0 {
			fmt.Fprintf(&b, "m=%s 0 %s %d\r\n", m.Type, proto, m.Codec.PT)
			continue
		}
		fmt.Fprintf(&b, "m=%s %d %s %d", m.Type, m.Port, proto, m.Codec.PT)
		if m.DTMF != nil {
			fmt.Fprintf(&b, " %d", m.DTMF.PT)
		}
		b.WriteString("\r\n")
		writeRtpmap(&b, m.Codec)
		if m.DTMF != nil {
			writeRtpmap(&b, *m.DTMF)
		}
		if m.Crypto != nil {
			b.WriteString(m.Crypto.Attribute())
		}
		if m.Label != "" {
			fmt.Fprintf(&b, "a=label:%s\r\n", m.Label)
		}
		fmt.Fprintf(&b, "a=%s\r\n", m.Direction)
	}
	return []byte(b.String())
}

func writeRtpmap(b *strings.Builder, f Format) {
	name := strings.ToUpper(f.Name)
	switch f.Name {
	case "opus", "telephone-event":
		name = f.Name
	}
	if f.Channels > 1 {
		fmt.Fprintf(b, "a=rtpmap:%d %s/%d/%d\r\n", f.PT, name, f.ClockRate, f.Channels)
		return
	}
	fmt.Fprintf(b, "a=rtpmap:%d %s/%d\r\n", f.PT, name, f.ClockRate)
}

func ipFamily(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		return "IP6"
	}
	return "IP4"
}
