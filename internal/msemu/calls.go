package msemu

import (
	"context"
	"sync"
	"time"
)

// EventKindCall marks an event of the calling emulator: a step of a call, a
// bot leg or its media session. Data carries call_id, leg (the Graph call
// id of a bot leg, empty for call-wide steps) and event (placed, notified,
// answered, …).
const EventKindCall = "call"

// Call states as /emu/calls reports them.
const (
	callSetup     = "setup"     // recorders are being invited
	callConnected = "connected" // the parties talk
	callEnded     = "ended"     // a party hung up
	callBlocked   = "blocked"   // a required recorder did not join: never connected
	callCut       = "cut"       // a required recorder left: cut mid-call
)

// Bot leg statuses: what became of one invitation of a recording bot.
const (
	legNotified    = "notified"
	legAnswered    = "answered"
	legEstablished = "established"
	legRejected    = "rejected"
	legMissed      = "missed" // not answered within the deadline
	legLeft        = "left"   // the bot hung up (DELETE)
	legFailed      = "failed" // media error or keepAlive expiry
	legEnded       = "ended"  // ended with the call
)

// Microsoft's resultInfo codes of a terminated bot leg.
var (
	resultEnded        = resultInfo{200, 5001, "Call ended."}
	resultOtherHungUp  = resultInfo{200, 4097, "The other side hung up."}
	resultBotLeft      = resultInfo{200, 7000, "Call ended by the application."}
	resultAnswerLate   = resultInfo{408, 1106, "The application did not answer the call in time."}
	resultKeepAlive    = resultInfo{408, 8537, "The call was ended because no keepAlive was received."}
	resultMediaFailure = resultInfo{500, 1005, "Media error: the recording session failed."}
)

// keepAliveExpiry ends a bot leg that sent no keepAlive for this long.
const keepAliveExpiry = 45 * time.Minute

type resultInfo struct {
	Code    int    `json:"code"`
	Subcode int    `json:"subcode"`
	Message string `json:"message"`
}

// callParty is one end of a call: a Teams user or a PSTN number.
type callParty struct {
	Role          string // caller or callee
	TenantID      string
	Domain        string
	UserID        string // empty for PSTN
	UPN           string
	DisplayName   string
	Phone         string
	ParticipantID string
	Policy        string // the effective recording policy, "" when none records
	Sample        speechSample
	Hidden        bool // a caller who withholds their identity: encrypted in the roster
	Left          bool // a meeting participant who has left
	Blocked       bool // a meeting participant a required recorder kept out
	Banner        bool
	Announced     bool
	Saw, Heard    []string
}

func (p *callParty) teams() bool { return p.UserID != "" }

// recorderGroup is one recording application of a party's policy with its
// paired or concurrent invitations: one acceptance satisfies it.
type recorderGroup struct {
	party               int
	requiredBefore      bool
	requiredDuring      bool
	disableAnnouncement bool
	joined              bool
	legs                []*botLeg
}

// botLeg is one invitation of a recording bot: a Graph call of its own.
type botLeg struct {
	ID            string
	call          *emuCall
	group         *recorderGroup
	TenantID      string
	AppID         string
	InstanceID    string
	Webhook       string
	CallbackURI   string
	MyParticipant string
	Status        string
	State         string // Graph call state
	Recording     string // last updateRecordingStatus
	Capacity      int    // the answer's participantCapacity
	Accepted      int    // participants it accepted through participantJoiningNotification
	Result        *resultInfo
	Blob          string
	SIPREC        string // media session state
	Packets       [2]int
	notifiedAt    time.Time // real time: the answer deadline is real time
	lastKeepAlive time.Time // emulator clock
	outbox        chan notification
	sealed        bool // outbox closed: the bot hears nothing more
	stopMedia     context.CancelFunc
}

func (l *botLeg) active() bool {
	return l.Status == legNotified || l.Status == legAnswered || l.Status == legEstablished
}

// emuCall is a call placed through /emu/calls.
type emuCall struct {
	ID        string
	ChainID   string
	Parties   [2]*callParty
	Joined    []*callParty // meeting participants who joined after it connected
	Duration  time.Duration
	State     string
	EndReason string
	Placed    time.Time
	Connected time.Time
	Ended     time.Time
	groups    []*recorderGroup
	legs      []*botLeg
	wake      chan struct{}
	hangup    chan string
	done      chan struct{}
}

// party is a party by index: the two who placed the call, then those who
// joined; other is whom a party's recording hears on its other channel.
func (c *emuCall) party(i int) *callParty {
	if i < 2 {
		return c.Parties[i]
	}
	return c.Joined[i-2]
}

func (c *emuCall) other(i int) *callParty {
	if i < 2 {
		return c.Parties[1-i]
	}
	return c.Parties[0]
}

// present lists the parties in the call now.
func (c *emuCall) present() []*callParty {
	out := []*callParty{c.Parties[0], c.Parties[1]}
	for _, p := range c.Joined {
		if !p.Left {
			out = append(out, p)
		}
	}
	return out
}

func (c *emuCall) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// callBook holds the calls; its lock never is held while taking e.mu.
type callBook struct {
	mu    sync.Mutex
	calls map[string]*emuCall
	legs  map[string]*botLeg
	order []string
}

func newCallBook() *callBook {
	return &callBook{calls: map[string]*emuCall{}, legs: map[string]*botLeg{}}
}

// maxCalls bounds how many finished calls the emulator remembers.
const maxCalls = 500

func (b *callBook) add(c *emuCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[c.ID] = c
	b.order = append(b.order, c.ID)
	for _, l := range c.legs {
		b.legs[l.ID] = l
	}
	for len(b.order) > maxCalls {
		old := b.calls[b.order[0]]
		if old.State == callSetup || old.State == callConnected {
			break
		}
		for _, l := range old.legs {
			delete(b.legs, l.ID)
		}
		delete(b.calls, old.ID)
		b.order = b.order[1:]
	}
}

// callEvent logs a step of a call (leg nil) or of one bot leg.
func (e *Emulator) callEvent(c *emuCall, l *botLeg, name string, data map[string]any) {
	d := map[string]any{"call_id": c.ID, "leg": "", "event": name}
	if l != nil {
		d["leg"] = l.ID
		d["party"] = c.party(l.group.party).Role
	}
	for k, v := range data {
		d[k] = v
	}
	e.Record(Event{Kind: EventKindCall, Data: d})
}
