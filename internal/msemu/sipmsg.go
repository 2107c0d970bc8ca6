package msemu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// sipMsg is a parsed SIP request or response: just what the media edge's
// small user agent needs.
type sipMsg struct {
	Method  string // requests
	Status  int    // responses
	Headers []sipHeader
	Body    []byte
}

type sipHeader struct{ Name, Value string }

// compactNames expands RFC 3261's compact header forms.
var compactNames = map[string]string{"i": "call-id", "m": "contact", "f": "from", "t": "to", "v": "via",
	"l": "content-length", "c": "content-type", "k": "supported", "s": "subject"}

func (m *sipMsg) get(name string) string {
	for _, h := range m.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// cseqMethod is the method a response answers.
func (m *sipMsg) cseqMethod() string {
	f := strings.Fields(m.get("cseq"))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

const maxSIPMessage = 64 << 10

// readSIPStream reads one message from a stream transport (TCP), framed by
// Content-Length; CRLF keep-alives between messages are skipped.
func readSIPStream(br *bufio.Reader) (*sipMsg, error) {
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(lines) == 0 {
				continue
			}
			break
		}
		if lines = append(lines, line); len(lines) > 200 {
			return nil, errors.New("msemu: SIP message has too many header lines")
		}
	}
	m, err := parseSIPHead(lines)
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(m.get("content-length")))
	if n < 0 || n > maxSIPMessage {
		return nil, fmt.Errorf("msemu: SIP Content-Length %d out of range", n)
	}
	m.Body = make([]byte, n)
	if _, err := io.ReadFull(br, m.Body); err != nil {
		return nil, err
	}
	return m, nil
}

// parseSIPDatagram parses a message that arrived in one UDP datagram.
func parseSIPDatagram(b []byte) (*sipMsg, error) {
	head, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	m, err := parseSIPHead(strings.Split(string(head), "\r\n"))
	if err != nil {
		return nil, err
	}
	if n, err := strconv.Atoi(strings.TrimSpace(m.get("content-length"))); err == nil && n >= 0 && n < len(body) {
		body = body[:n]
	}
	m.Body = body
	return m, nil
}

func parseSIPHead(lines []string) (*sipMsg, error) {
	if len(lines) == 0 {
		return nil, errors.New("msemu: empty SIP message")
	}
	m := &sipMsg{}
	start := strings.Fields(lines[0])
	switch {
	case len(start) >= 2 && start[0] == "SIP/2.0":
		code, err := strconv.Atoi(start[1])
		if err != nil {
			return nil, fmt.Errorf("msemu: bad SIP status line %q", lines[0])
		}
		m.Status = code
	case len(start) == 3 && start[2] == "SIP/2.0":
		m.Method = start[0]
	default:
		return nil, fmt.Errorf("msemu: bad SIP start line %q", lines[0])
	}
	for _, line := range lines[1:] {
		if (line[0] == ' ' || line[0] == '\t') && len(m.Headers) > 0 {
			m.Headers[len(m.Headers)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("msemu: bad SIP header line %q", line)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if long, ok := compactNames[name]; ok {
			name = long
		}
		m.Headers = append(m.Headers, sipHeader{name, strings.TrimSpace(value)})
	}
	return m, nil
}

// contactURI is the URI of a Contact header value.
func contactURI(v string) string {
	if i := strings.Index(v, "<"); i >= 0 {
		if j := strings.Index(v[i:], ">"); j > 0 {
			return v[i+1 : i+j]
		}
	}
	uri, _, _ := strings.Cut(strings.TrimSpace(v), ";")
	return uri
}
