// Package siprec speaks the recording server's side of SIPREC (RFC 7866):
// it splits an INVITE's multipart body, parses the SDP offer and the
// recording metadata (RFC 7865), builds the SDP answer, and runs the SIP
// server that hands each recording session to a Handler.
package siprec

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// Limits that bound what a peer can make the parser do.
const (
	MaxBodySize = 512 << 10 // whole SIP body: metadata of a large conference
	maxParts    = 8
)

// Errors the body and document parsers return; the SIP server maps them to
// 400 (malformed) and 415 (unsupported).
var (
	ErrMalformed   = errors.New("siprec: malformed body")
	ErrUnsupported = errors.New("siprec: unsupported content type")
)

// Part is one body part with its own headers.
type Part struct {
	ContentType string // media type, lower-case, without parameters
	Disposition string // disposition type, lower-case ("session", "recording-session", …)
	Body        []byte
}

// Body is what an INVITE carries for SIPREC: the SDP and, when present, the
// recording metadata.
type Body struct {
	SDP      []byte
	Metadata []byte
}

// SplitBody extracts the SDP and metadata parts from a SIP body whose
// Content-Type is contentType. A bare application/sdp body is accepted (a
// re-INVITE may carry no metadata), and so is bare metadata (an UPDATE
// that changes only the metadata, RFC 7866 9.2); a multipart body must
// hold one of the two. Whether a request may lack SDP is the caller's call.
func SplitBody(contentType string, body []byte) (Body, error) {
	if len(body) > MaxBodySize {
		return Body{}, fmt.Errorf("%w: body larger than %d bytes", ErrMalformed, MaxBodySize)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Body{}, fmt.Errorf("%w: content type %q", ErrMalformed, contentType)
	}
	switch mt {
	case "application/sdp":
		return Body{SDP: body}, nil
	case "application/rs-metadata+xml", "application/rs-metadata":
		return Body{Metadata: body}, nil
	case "multipart/mixed", "multipart/related", "multipart/alternative":
	default:
		return Body{}, fmt.Errorf("%w: %s", ErrUnsupported, mt)
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > 70 {
		return Body{}, fmt.Errorf("%w: multipart without a valid boundary", ErrMalformed)
	}
	parts, err := splitParts(body, boundary)
	if err != nil {
		return Body{}, err
	}
	var out Body
	for _, p := range parts {
		switch p.ContentType {
		case "application/sdp":
			if out.SDP == nil {
				out.SDP = p.Body
			}
		case "application/rs-metadata+xml", "application/rs-metadata":
			if out.Metadata == nil {
				out.Metadata = p.Body
			}
		}
	}
	if out.SDP == nil && out.Metadata == nil {
		return Body{}, fmt.Errorf("%w: no application/sdp or application/rs-metadata+xml part", ErrUnsupported)
	}
	return out, nil
}

// splitParts cuts a multipart body at its delimiter lines. It is lenient
// where SBCs differ — line endings (CRLF or LF), and a closing delimiter
// that is missing (the last part then runs to the end of the body, as
// several SBCs send it) — and strict about the rest: each part must have a
// header block.
func splitParts(body []byte, boundary string) ([]Part, error) {
	delim := []byte("--" + boundary)
	var parts []Part
	rest := body
	i := bytes.Index(rest, delim)
	if i < 0 {
		return nil, fmt.Errorf("%w: boundary not found", ErrMalformed)
	}
	rest = rest[i+len(delim):]
	for {
		if bytes.HasPrefix(rest, []byte("--")) {
			return parts, nil
		}
		rest = trimLineEnd(rest)
		if rest == nil {
			return nil, fmt.Errorf("%w: delimiter not followed by a line end", ErrMalformed)
		}
		j := bytes.Index(rest, delim)
		last := j < 0
		if last {
			j = len(rest)
		}
		raw := trimTrailingNewline(rest[:j])
		p, err := parsePart(raw)
		if err != nil {
			return nil, err
		}
		if len(parts) == maxParts {
			return nil, fmt.Errorf("%w: more than %d parts", ErrMalformed, maxParts)
		}
		parts = append(parts, p)
		if last {
			return parts, nil
		}
		rest = rest[j+len(delim):]
	}
}

func trimLineEnd(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t")
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")):
		return b[2:]
	case bytes.HasPrefix(b, []byte("\n")):
		return b[1:]
	}
	return nil
}

func trimTrailingNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// parsePart splits headers from the body at the first empty line.
func parsePart(raw []byte) (Part, error) {
	var p Part
	for len(raw) > 0 {
		var line []byte
		k := bytes.IndexByte(raw, '\n')
		if k < 0 {
			return p, fmt.Errorf("%w: part headers without a blank line", ErrMalformed)
		}
		line, raw = bytes.TrimRight(raw[:k], "\r"), raw[k+1:]
		if len(line) == 0 {
			p.Body = raw
			if p.ContentType == "" {
				p.ContentType = "text/plain"
			}
			return p, nil
		}
		name, value, ok := strings.Cut(string(line), ":")
		if !ok {
			return p, fmt.Errorf("%w: part header line without a colon", ErrMalformed)
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-type", "c":
			mt, _, err := mime.ParseMediaType(value)
			if err != nil {
				return p, fmt.Errorf("%w: part content type %q", ErrMalformed, value)
			}
			p.ContentType = mt
		case "content-disposition":
			d, _, _ := strings.Cut(value, ";")
			p.Disposition = strings.ToLower(strings.TrimSpace(d))
		}
	}
	return p, fmt.Errorf("%w: empty part", ErrMalformed)
}
