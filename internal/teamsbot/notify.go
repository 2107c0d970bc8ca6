package teamsbot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The commsNotification shapes callrec reads, from
// docs/microsoft-contract.md; the emulator has its own copy of
// these, so a misreading cannot hide.

// notificationBatch is a commsNotifications body. Its items stay raw so
// that one callrec cannot read does not sink the others.
type notificationBatch struct {
	Value []json.RawMessage `json:"value"`
}

// notification is one commsNotification, its resourceData decoded by kind.
type notification struct {
	ODataType    string          `json:"@odata.type"`
	ChangeType   string          `json:"changeType"`
	ResourceURL  string          `json:"resourceUrl"`
	ResourceData json.RawMessage `json:"resourceData"`

	kind   string        // kindCall, kindRoster, kindJoining or kindOther
	call   callData      // kindCall, and the joining call of kindJoining
	roster []participant // kindRoster
}

// Kinds of notification by their resourceData.
const (
	kindCall    = "call"
	kindRoster  = "roster"  // /participants: an array of participant
	kindJoining = "joining" // participantJoiningNotification: answered in the response
	kindOther   = "other"   // operations, content sharing…: nothing to do
)

const joiningType = "#microsoft.graph.participantJoiningNotification"

// decodeNotification reads one item of a batch.
func decodeNotification(raw json.RawMessage) (notification, error) {
	var n notification
	if err := json.Unmarshal(raw, &n); err != nil {
		return n, fmt.Errorf("teamsbot: notification: %w", err)
	}
	data := bytes.TrimSpace(n.ResourceData)
	switch {
	case len(data) > 0 && data[0] == '[':
		n.kind = kindRoster
		if err := json.Unmarshal(data, &n.roster); err != nil {
			return n, fmt.Errorf("teamsbot: roster notification: %w", err)
		}
	case len(data) > 0 && data[0] == '{':
		var head struct {
			ODataType string `json:"@odata.type"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return n, fmt.Errorf("teamsbot: notification data: %w", err)
		}
		switch {
		case strings.EqualFold(head.ODataType, joiningType):
			var j struct {
				Call callData `json:"call"`
			}
			if err := json.Unmarshal(data, &j); err != nil {
				return n, fmt.Errorf("teamsbot: participantJoiningNotification: %w", err)
			}
			n.kind, n.call = kindJoining, j.Call
		case head.ODataType == "" || strings.EqualFold(head.ODataType, "#microsoft.graph.call"):
			n.kind = kindCall
			if err := json.Unmarshal(data, &n.call); err != nil {
				return n, fmt.Errorf("teamsbot: call notification: %w", err)
			}
		default:
			n.kind = kindOther
		}
	default:
		n.kind = kindOther
	}
	if n.kind != kindOther && n.callID() == "" {
		return n, errors.New("teamsbot: notification names no call")
	}
	return n, nil
}

type identity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	TenantID    string `json:"tenantId"`
}

// identitySet is a communicationsIdentitySet: a participant is a directory
// user, a phone number (PSTN), a guest, an application instance, or an
// identity Teams keeps encrypted (hidden caller id, or missing permissions).
type identitySet struct {
	User                *identity `json:"user"`
	Phone               *identity `json:"phone"`
	Guest               *identity `json:"guest"`
	Encrypted           *identity `json:"encrypted"`
	ApplicationInstance *identity `json:"applicationInstance"`
}

// kind names what the identity is, for logs and reasons.
func (s *identitySet) kind() string {
	switch {
	case s == nil:
		return "no identity"
	case s.User != nil && s.User.ID != "":
		return "user"
	case s.Phone != nil:
		return "phone"
	case s.Encrypted != nil:
		return "encrypted"
	case s.Guest != nil:
		return "guest"
	case s.ApplicationInstance != nil:
		return "application instance"
	}
	return "no identity"
}

type participantInfo struct {
	Identity *identitySet `json:"identity"`
	ID       string       `json:"id"`
}

// participant is an item of a roster notification.
type participant struct {
	ID   *string          `json:"id"`
	Info *participantInfo `json:"info"`
}

// flexInt is a resultInfo code: Int32 in the docs, but a numeric string
// has been seen; anything else reads as 0 rather than refusing the call's
// end.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			*f = 0
			return nil
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		*f = 0
		return nil
	}
	*f = flexInt(i)
	return nil
}

type resultInfo struct {
	Code    flexInt `json:"code"`
	Subcode flexInt `json:"subcode"`
	Message string  `json:"message"`
}

type incomingContext struct {
	SourceParticipantID   string       `json:"sourceParticipantId"`
	ObservedParticipantID string       `json:"observedParticipantId"`
	OnBehalfOf            *identitySet `json:"onBehalfOf"`
	Transferor            *identitySet `json:"transferor"`
}

type botSide struct {
	ParticipationMethod string `json:"participationMethod"`
}

type callData struct {
	ODataType           string            `json:"@odata.type"`
	ID                  string            `json:"id"`
	State               string            `json:"state"`
	Direction           string            `json:"direction"`
	Source              *participantInfo  `json:"source"`
	Targets             []participantInfo `json:"targets"`
	TenantID            string            `json:"tenantId"`
	CallChainID         string            `json:"callChainId"`
	ResultInfo          *resultInfo       `json:"resultInfo"`
	IncomingContext     *incomingContext  `json:"incomingContext"`
	MeetingInfo         json.RawMessage   `json:"meetingInfo"`
	ApplicationMetadata *struct {
		BotData *struct {
			User          botSide `json:"user"`
			OtherSideUser botSide `json:"otherSideUser"`
		} `json:"botData"`
	} `json:"applicationMetadata"`
}

// callID is the call segment of "/communications/calls/{id}[/…]", else the
// resource's own id.
func (n notification) callID() string {
	if rest, ok := strings.CutPrefix(n.ResourceURL, "/communications/calls/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		if id != "" {
			return id
		}
	}
	if rest, ok := strings.CutPrefix(n.ResourceURL, "/app/calls/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		if id != "" {
			return id
		}
	}
	return n.call.ID
}

// observation is who a compliance invitation records.
type observation struct {
	AADID     string // empty when the observed party is not a directory user
	Kind      string // identity kind of the observed participant
	Direction string // inbound or outbound, for the observed user
}

// observed finds the recorded party from incomingContext: the participant
// (source or a target) whose id is observedParticipantId; when none carries
// it, the source if it triggered the invitation (sourceParticipantId equals
// the observed id, Microsoft's example of a compliance call); onBehalfOf
// when the observed participant is a delegate without a user identity.
// botData.user is read for participationMethod only: Microsoft sends no id
// there.
func (d callData) observed() observation {
	var who *identitySet
	ic := d.IncomingContext
	if ic != nil && ic.ObservedParticipantID != "" {
		for _, p := range append([]*participantInfo{d.Source}, ptrs(d.Targets)...) {
			if p != nil && p.ID == ic.ObservedParticipantID {
				who = p.Identity
				break
			}
		}
		if who == nil && d.Source != nil && (ic.SourceParticipantID == "" || ic.SourceParticipantID == ic.ObservedParticipantID) {
			who = d.Source.Identity
		}
	} else if d.Source != nil {
		who = d.Source.Identity // no incomingContext: the invitation's source is the one observed
	}
	o := observation{Kind: who.kind(), Direction: d.direction()}
	if o.Kind == "user" {
		o.AADID = who.User.ID
	} else if ic != nil && ic.OnBehalfOf.kind() == "user" {
		o.AADID, o.Kind = ic.OnBehalfOf.User.ID, "user on behalf of "+o.Kind
	}
	return o
}

// direction is the observed user's side of the call from botData (caller:
// outbound, callee: inbound); inbound when Teams does not say.
func (d callData) direction() string {
	if d.ApplicationMetadata != nil && d.ApplicationMetadata.BotData != nil {
		bd := d.ApplicationMetadata.BotData
		switch {
		case strings.EqualFold(bd.User.ParticipationMethod, "caller"):
			return "outbound"
		case strings.EqualFold(bd.User.ParticipationMethod, "callee"):
			return "inbound"
		case strings.EqualFold(bd.OtherSideUser.ParticipationMethod, "callee"):
			return "outbound"
		}
	}
	return "inbound"
}

// chainID names the conversation: callChainId, or the leg itself.
func (d callData) chainID(callID string) string {
	if d.CallChainID != "" {
		return d.CallChainID
	}
	return callID
}

func ptrs(ps []participantInfo) []*participantInfo {
	out := make([]*participantInfo, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}
