package siprec

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds on a metadata document. A conference bridge names hundreds of
// participants; each costs a few hundred bytes here (BenchmarkParseMetadata
// measures a 1,000-participant document).
const (
	maxMetadataDepth = 16
	maxParticipants  = 1000
	maxStreams       = 64
	maxTextLen       = 1024
)

// Participant is a party of the recorded call.
type Participant struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	AORs []string `json:"aors,omitempty"`
	Send []string `json:"send,omitempty"` // stream ids the participant sends
	Recv []string `json:"recv,omitempty"`
}

// DataModePartial is the RFC 7865 data mode of a document that states only
// what changed: participants it does not name are still on the call.
const DataModePartial = "partial"

// Stream is a media stream of the recording session; Label ties it to an
// SDP m= line's a=label.
type Stream struct {
	ID        string `json:"id"`
	SessionID string `json:"session_id,omitempty"`
	Label     string `json:"label"`
}

// Metadata is what the recording metadata (RFC 7865) tells about a call.
type Metadata struct {
	SessionID    string        `json:"session_id,omitempty"`
	SIPSessionID string        `json:"sip_session_id,omitempty"`
	Participants []Participant `json:"participants"`
	Streams      []Stream      `json:"streams"`
	// DataMode is "partial" when the document updates an earlier one
	// (RFC 7865 6.1.1), "" for a complete document.
	DataMode string `json:"data_mode,omitempty"`
	// Departed are the participants whose association with the session
	// ended (a participantsessassoc with a disassociate-time).
	Departed []string `json:"departed,omitempty"`
	// Direction is set when a vendor extension states it: inbound or outbound.
	Direction string `json:"direction,omitempty"`
	// ExternalCallID is a vendor call id, when the document carries one:
	// an element named ucid (Oracle/Acme extension data), AvayaUCID or
	// GenesysUUID (AudioCodes), guid, or one whose name holds "callid"
	// (the Teams media edge sends the Graph call id so).
	ExternalCallID string `json:"external_call_id,omitempty"`
	// Correlation is the token a Teams media edge carries from the bot's
	// answer (urn:callrec:teams correlation), when present.
	Correlation string `json:"correlation,omitempty"`
}

// ParticipantFor returns the participant that sends the stream with the
// given SDP label, if the metadata says.
func (m Metadata) ParticipantFor(label string) (Participant, bool) {
	for _, s := range m.Streams {
		if s.Label != label {
			continue
		}
		for _, p := range m.Participants {
			for _, id := range p.Send {
				if id == s.ID {
					return p, true
				}
			}
		}
	}
	return Participant{}, false
}

// ParseMetadata parses recording metadata. It matches elements by local name
// so that any namespace prefix works, accepts both the RFC's
// participantstreamassoc and the older in-participant send/recv, ignores
// unknown (vendor) elements, and refuses DTDs and entities, documents deeper
// than 16 levels, and more than 64 participants or streams.
func ParseMetadata(b []byte) (Metadata, error) {
	var md Metadata
	if len(b) > MaxBodySize {
		return md, fmt.Errorf("%w: metadata too large", ErrMalformed)
	}
	p := &mdParser{dec: xml.NewDecoder(bytes.NewReader(b)), byID: map[string]int{}}
	p.dec.Strict = true
	p.dec.Entity = nil
	if err := p.run(&md); err != nil {
		return Metadata{}, err
	}
	if !p.sawRoot {
		return Metadata{}, fmt.Errorf("%w: no <recording> element", ErrMalformed)
	}
	for id, ps := range p.pending {
		// An association naming no declared participant (often a stream
		// id where a participant id belongs) makes no one up.
		i, ok := p.byID[id]
		if !ok {
			continue
		}
		md.Participants[i].Send = append(md.Participants[i].Send, ps.send...)
		md.Participants[i].Recv = append(md.Participants[i].Recv, ps.recv...)
	}
	if len(md.Participants) > maxParticipants {
		return Metadata{}, fmt.Errorf("%w: more than %d participants", ErrMalformed, maxParticipants)
	}
	return md, nil
}

type assoc struct{ send, recv []string }

type mdParser struct {
	dec     *xml.Decoder
	stack   []string
	attrs   []map[string]string
	text    strings.Builder
	byID    map[string]int
	pending map[string]*assoc
	sawRoot bool
}

func (p *mdParser) run(md *Metadata) error {
	for {
		tok, err := p.dec.Token()
		if errors.Is(err, io.EOF) {
			if len(p.stack) != 0 {
				return fmt.Errorf("%w: metadata ends inside <%s>", ErrMalformed, p.stack[len(p.stack)-1])
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: metadata XML: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return fmt.Errorf("%w: metadata must not carry a DTD or entity declarations", ErrMalformed)
		case xml.StartElement:
			if len(p.stack) == maxMetadataDepth {
				return fmt.Errorf("%w: metadata nested deeper than %d", ErrMalformed, maxMetadataDepth)
			}
			name := strings.ToLower(t.Name.Local)
			if len(p.stack) == 0 {
				// The pre-RFC schema (urn:ietf:params:xml:ns:siprec), still
				// sent by a large installed base, names its root
				// recording_metadata; its content maps onto the RFC's.
				if name != "recording" && name != "recording_metadata" {
					return fmt.Errorf("%w: root element <%s>, want <recording>", ErrMalformed, t.Name.Local)
				}
				name = "recording"
				p.sawRoot = true
			}
			attrs := map[string]string{}
			for _, a := range t.Attr {
				attrs[strings.ToLower(a.Name.Local)] = clipText(a.Value)
			}
			p.stack = append(p.stack, name)
			p.attrs = append(p.attrs, attrs)
			p.text.Reset()
			if err := p.start(md, name, attrs); err != nil {
				return err
			}
		case xml.CharData:
			if p.text.Len() < maxTextLen {
				p.text.Write(t)
			}
		case xml.EndElement:
			p.end(md, clipText(strings.TrimSpace(p.text.String())))
			p.stack = p.stack[:len(p.stack)-1]
			p.attrs = p.attrs[:len(p.attrs)-1]
			p.text.Reset()
		}
	}
}

func clipText(s string) string {
	if len(s) > maxTextLen {
		return s[:maxTextLen]
	}
	return s
}

// idAttr reads an element's id in either spelling (RFC: participant_id, drafts: id).
func idAttr(attrs map[string]string, kind string) string {
	if v := attrs[kind+"_id"]; v != "" {
		return v
	}
	return attrs["id"]
}

func (p *mdParser) start(md *Metadata, name string, attrs map[string]string) error {
	switch {
	case name == "participant" && p.parent() == "recording":
		if len(md.Participants) == maxParticipants {
			return fmt.Errorf("%w: more than %d participants", ErrMalformed, maxParticipants)
		}
		id := idAttr(attrs, "participant")
		if _, dup := p.byID[id]; !dup {
			md.Participants = append(md.Participants, Participant{ID: id})
			p.byID[id] = len(md.Participants) - 1
		}
	case name == "stream" && p.parent() == "recording":
		if len(md.Streams) == maxStreams {
			return fmt.Errorf("%w: more than %d streams", ErrMalformed, maxStreams)
		}
		md.Streams = append(md.Streams, Stream{ID: idAttr(attrs, "stream"), SessionID: attrs["session_id"]})
	case name == "session" && p.parent() == "recording" && md.SessionID == "":
		md.SessionID = idAttr(attrs, "session")
	case name == "nameid" && p.parent() == "participant":
		if pt := p.participant(md); pt != nil && attrs["aor"] != "" {
			pt.AORs = append(pt.AORs, attrs["aor"])
		}
	}
	return nil
}

func (p *mdParser) end(md *Metadata, text string) {
	name, parent := p.stack[len(p.stack)-1], p.parent()
	switch {
	case name == "name" && (parent == "nameid" || parent == "participant"):
		if pt := p.participant(md); pt != nil && pt.Name == "" {
			pt.Name = text
		}
	case name == "aor" && (parent == "nameid" || parent == "participant"):
		if pt := p.participant(md); pt != nil && text != "" {
			pt.AORs = append(pt.AORs, text)
		}
	case name == "label" && parent == "stream" && len(md.Streams) > 0:
		md.Streams[len(md.Streams)-1].Label = text
	case name == "sipsessionid" && parent == "session" && md.SIPSessionID == "":
		md.SIPSessionID = text
	case (name == "send" || name == "recv") && (parent == "participantstreamassoc" || parent == "participant"):
		p.addAssoc(md, name, text)
	case name == "direction" && md.Direction == "":
		md.Direction = normDirection(text)
	case name == "datamode" && parent == "recording":
		if strings.EqualFold(text, DataModePartial) {
			md.DataMode = DataModePartial
		}
	case name == "disassociate-time" && parent == "participantsessassoc":
		if id := idAttr(p.attrs[len(p.attrs)-2], "participant"); id != "" && len(md.Departed) < maxParticipants {
			md.Departed = append(md.Departed, id)
		}
	case vendorCallID(name) && md.ExternalCallID == "" && text != "":
		md.ExternalCallID = text
		if ucid := avayaUCID(text); ucid != "" {
			md.ExternalCallID = ucid
		}
	case name == "correlation" && md.Correlation == "" && text != "":
		md.Correlation = text
	}
}

// vendorCallID tells whether an element (lower-case local name) carries a
// vendor's call identifier: Oracle/Acme's extension data names it ucid,
// AudioCodes forwards Avaya's and Genesys's as AvayaUCID and GenesysUUID,
// and Cisco's and others' carry a guid or a callid. sipSessionID, the SIP
// Session-ID (RFC 7989), is the session id, not a vendor call id.
func vendorCallID(name string) bool {
	switch name {
	case "ucid", "avayaucid", "genesysuuid", "guid", "gcid":
		return true
	case "sipsessionid":
		return false
	}
	return strings.Contains(name, "callid")
}

func normDirection(s string) string {
	switch strings.ToLower(s) {
	case "inbound", "incoming", "in":
		return "inbound"
	case "outbound", "outgoing", "out":
		return "outbound"
	}
	return ""
}

func (p *mdParser) parent() string {
	if len(p.stack) < 2 {
		return ""
	}
	return p.stack[len(p.stack)-2]
}

// participant is the participant element being read, if any.
func (p *mdParser) participant(md *Metadata) *Participant {
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i] == "participant" {
			if j, ok := p.byID[idAttr(p.attrs[i], "participant")]; ok {
				return &md.Participants[j]
			}
			return nil
		}
	}
	return nil
}

func (p *mdParser) addAssoc(md *Metadata, kind, streamID string) {
	if streamID == "" {
		return
	}
	owner := idAttr(p.attrs[len(p.attrs)-2], "participant")
	if p.pending == nil {
		p.pending = map[string]*assoc{}
	}
	a := p.pending[owner]
	if a == nil {
		if len(p.pending) >= maxParticipants {
			return
		}
		a = &assoc{}
		p.pending[owner] = a
	}
	if len(a.send)+len(a.recv) >= maxStreams {
		return
	}
	if kind == "send" {
		a.send = append(a.send, streamID)
	} else {
		a.recv = append(a.recv, streamID)
	}
}

// avayaUCID reads the UCID from a User-to-User header as Avaya sends it:
// hex-encoded UUI whose first byte, 00, is the protocol discriminator
// (so 00FA08001900… carries FA08001900…). Anything else is not a UCID.
func avayaUCID(v string) string {
	data, params, _ := strings.Cut(v, ";")
	if !strings.Contains(strings.ToLower(params), "encoding=hex") || len(data) < 4 || !strings.HasPrefix(data, "00") {
		return ""
	}
	for _, r := range data {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return ""
		}
	}
	return strings.ToUpper(data[2:])
}
