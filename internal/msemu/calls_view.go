package msemu

import "time"

// CallInfo is a call as /emu/calls shows it: its state, and per party the
// recorders invited and what the person saw and heard.
type CallInfo struct {
	ID              string      `json:"id"`
	State           string      `json:"state"`
	EndReason       string      `json:"end_reason,omitempty"`
	DurationSeconds float64     `json:"duration_seconds"`
	PlacedAt        time.Time   `json:"placed_at"`
	ConnectedAt     *time.Time  `json:"connected_at,omitempty"`
	EndedAt         *time.Time  `json:"ended_at,omitempty"`
	CallChainID     string      `json:"call_chain_id"`
	Parties         []PartyInfo `json:"parties"`
}

// PartyInfo is one end of a call.
type PartyInfo struct {
	Role              string         `json:"role"`
	Kind              string         `json:"kind"` // teams or pstn
	TenantID          string         `json:"tenant_id,omitempty"`
	UserID            string         `json:"user_id,omitempty"`
	UPN               string         `json:"upn,omitempty"`
	DisplayName       string         `json:"display_name"`
	Phone             string         `json:"phone,omitempty"`
	Policy            string         `json:"policy,omitempty"`
	Speech            string         `json:"speech"`
	BannerShown       bool           `json:"banner_shown"`
	AnnouncementHeard bool           `json:"announcement_heard"`
	Saw               []string       `json:"saw"`
	Heard             []string       `json:"heard"`
	Recorders         []RecorderInfo `json:"recorders"`
}

// RecorderInfo is one bot leg that recorded (or was to record) a party.
type RecorderInfo struct {
	Leg             string      `json:"leg"`
	InstanceID      string      `json:"instance_id"`
	AppID           string      `json:"app_id"`
	Status          string      `json:"status"`
	State           string      `json:"state"`
	RecordingStatus string      `json:"recording_status,omitempty"`
	ResultInfo      *resultInfo `json:"result_info,omitempty"`
	SIPREC          string      `json:"siprec,omitempty"`
	PacketsSent     [2]int      `json:"packets_sent"`
}

// CallView returns a call, or nil when the id is unknown.
func (e *Emulator) CallView(id string) *CallInfo {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	c := e.calls.calls[id]
	if c == nil {
		return nil
	}
	v := c.info()
	return &v
}

// CallViews lists the calls, newest first.
func (e *Emulator) CallViews() []CallInfo {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	out := []CallInfo{}
	for i := len(e.calls.order) - 1; i >= 0; i-- {
		out = append(out, e.calls.calls[e.calls.order[i]].info())
	}
	return out
}

func (c *emuCall) info() CallInfo {
	v := CallInfo{ID: c.ID, State: c.State, EndReason: c.EndReason, DurationSeconds: c.Duration.Seconds(),
		PlacedAt: c.Placed, CallChainID: c.ChainID}
	if !c.Connected.IsZero() {
		t := c.Connected
		v.ConnectedAt = &t
	}
	if !c.Ended.IsZero() {
		t := c.Ended
		v.EndedAt = &t
	}
	for i, pt := range append(c.Parties[:], c.Joined...) {
		if pt.Blocked {
			continue
		}
		p := PartyInfo{Role: pt.Role, Kind: "pstn", TenantID: pt.TenantID, UserID: pt.UserID, UPN: pt.UPN,
			DisplayName: pt.DisplayName, Phone: pt.Phone, Policy: pt.Policy, Speech: pt.Sample.Text,
			BannerShown: pt.Banner, AnnouncementHeard: pt.Announced,
			Saw: append([]string{}, pt.Saw...), Heard: append([]string{}, pt.Heard...), Recorders: []RecorderInfo{}}
		if pt.teams() {
			p.Kind = "teams"
		}
		for _, l := range c.legs {
			if l.group.party == i {
				p.Recorders = append(p.Recorders, RecorderInfo{Leg: l.ID, InstanceID: l.InstanceID, AppID: l.AppID,
					Status: l.Status, State: l.State, RecordingStatus: l.Recording, ResultInfo: l.Result,
					SIPREC: l.SIPREC, PacketsSent: l.Packets})
			}
		}
		v.Parties = append(v.Parties, p)
	}
	return v
}
