package api

import (
	"encoding/json"
	"time"

	"callrec/internal/recordings"
	"callrec/internal/store"
)

// The API's answers are types of its own, made from the store's rows by
// the functions below: the REST contract (api/openapi.yaml) changes only
// when these do, never because a column was added to a table.

// page is one page of a list.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// pageOf converts rows to a page, an empty list rather than null.
func pageOf[R, T any](rows []R, next string, conv func(R) T) page[T] {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		out = append(out, conv(r))
	}
	return page[T]{Items: out, NextCursor: next}
}

type userOut struct {
	ID                   string     `json:"id"`
	TenantID             string     `json:"tenant_id,omitempty"`
	Name                 string     `json:"name"`
	Active               bool       `json:"active"`
	Role                 string     `json:"role"`
	Email                string     `json:"email"`
	Timezone             string     `json:"timezone"`
	Language             string     `json:"language"`
	Record               string     `json:"record"`
	RecordInbound        bool       `json:"record_inbound"`
	RecordOutbound       bool       `json:"record_outbound"`
	Confidential         bool       `json:"confidential"`
	ScreenUsername       string     `json:"screen_recording_username"`
	Login                string     `json:"login"`
	PortalAccess         bool       `json:"web_portal_access"`
	AuthType             string     `json:"auth_type"`
	Require2FA           bool       `json:"two_factor_required"`
	ValidTill            *time.Time `json:"valid_till"`
	SpeechAnalyticsType  string     `json:"speech_analytics_type"`
	TOTPEnabled          bool       `json:"two_factor_enabled"`
	LockedUntil          *time.Time `json:"locked_until,omitempty"`
	TermsAcceptedVersion int        `json:"terms_accepted_version"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	Groups               []string   `json:"groups"`
	ManagedGroups        []string   `json:"managed_groups"`
	Extensions           []string   `json:"extensions"`
	Licenses             []string   `json:"licenses"`
}

func userJSON(u store.User) userOut {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return userOut{ID: u.ID, TenantID: u.TenantID, Name: u.Name, Active: u.Active, Role: u.Role, Email: u.Email,
		Timezone: u.Timezone, Language: u.Language, Record: u.Record, RecordInbound: u.RecordInbound,
		RecordOutbound: u.RecordOutbound, Confidential: u.Confidential, ScreenUsername: u.ScreenUsername, Login: u.Login,
		PortalAccess: u.PortalAccess, AuthType: u.AuthType, Require2FA: u.Require2FA, ValidTill: u.ValidTill,
		SpeechAnalyticsType: u.SpeechAnalyticsType, TOTPEnabled: u.TOTPEnabled, LockedUntil: u.LockedUntil,
		TermsAcceptedVersion: u.TermsAcceptedVersion, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		Groups: orEmpty(u.Groups), ManagedGroups: orEmpty(u.ManagedGroups), Extensions: orEmpty(u.Extensions), Licenses: orEmpty(u.Licenses)}
}

type groupOut struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	Name       string    `json:"name"`
	Timezone   string    `json:"timezone"`
	IsDefault  bool      `json:"is_default"`
	TotalUsers int       `json:"total_users"`
	CreatedAt  time.Time `json:"created_at"`
}

func groupJSON(g store.Group) groupOut {
	return groupOut{ID: g.ID, TenantID: g.TenantID, Name: g.Name, Timezone: g.Timezone, IsDefault: g.IsDefault,
		TotalUsers: g.TotalUsers, CreatedAt: g.CreatedAt}
}

type poolOut struct {
	Type  string `json:"type"`
	Total int    `json:"total"`
	Used  int    `json:"used"`
}

func poolJSON(p store.LicensePool) poolOut {
	return poolOut{Type: p.Type, Total: p.Total, Used: p.Used}
}

type tenantOut struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	AccountNumber string    `json:"account_number"`
	Timezone      string    `json:"timezone"`
	Language      string    `json:"language"`
	RetentionDays int       `json:"retention_days"`
	DefaultRecord string    `json:"default_record"`
	MaxCalls      int       `json:"max_calls"`
	Enforce2FA    bool      `json:"enforce_two_factor"`
	TermsVersion  int       `json:"terms_version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Licenses      []poolOut `json:"licenses"`
}

func tenantJSON(t store.Tenant, pools []store.LicensePool) tenantOut {
	return tenantOut{ID: t.ID, Name: t.Name, AccountNumber: t.AccountNumber, Timezone: t.Timezone, Language: t.Language,
		RetentionDays: t.RetentionDays, DefaultRecord: t.DefaultRecord, MaxCalls: t.MaxCalls, Enforce2FA: t.Enforce2FA,
		TermsVersion: t.TermsVersion, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Licenses: pageOf(pools, "", poolJSON).Items}
}

type sipSourceOut struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	Domain    string    `json:"domain"`
	Unmatched string    `json:"unmatched"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func sipSourceJSON(s store.SIPSource) sipSourceOut {
	return sipSourceOut{ID: s.ID, TenantID: s.TenantID, Name: s.Name, Address: s.Address, Domain: s.Domain, Unmatched: s.Unmatched,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

type tokenOut struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id,omitempty"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenJSON(t store.APIToken) tokenOut {
	return tokenOut{ID: t.ID, TenantID: t.TenantID, UserID: t.UserID, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

type auditOut struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id,omitempty"`
	ActorID    string    `json:"actor_id"`
	ActorLogin string    `json:"actor_login"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Detail     string    `json:"detail"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
}

func auditJSON(e store.AuditEntry) auditOut {
	return auditOut{ID: e.ID, TenantID: e.TenantID, ActorID: e.ActorID, ActorLogin: e.ActorLogin, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail, IP: e.IP, CreatedAt: e.CreatedAt}
}

type alertOut struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Kind       string     `json:"kind"`
	Message    string     `json:"message"`
	ResolvedAt *time.Time `json:"resolved_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func alertJSON(a store.Alert) alertOut {
	return alertOut{ID: a.ID, TenantID: a.TenantID, Kind: a.Kind, Message: a.Message, ResolvedAt: a.ResolvedAt, CreatedAt: a.CreatedAt}
}

type providerAlertOut struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Message    string          `json:"message"`
	Detail     json.RawMessage `json:"detail"`
	ResolvedAt *time.Time      `json:"resolved_at"`
	CreatedAt  time.Time       `json:"created_at"`
}

func providerAlertJSON(a store.ProviderAlert) providerAlertOut {
	return providerAlertOut{ID: a.ID, Kind: a.Kind, Message: a.Message, Detail: a.Detail, ResolvedAt: a.ResolvedAt, CreatedAt: a.CreatedAt}
}

type participantOut struct {
	ParticipantID string   `json:"participant_id"`
	Name          string   `json:"name"`
	AOR           string   `json:"aor"`
	AORs          []string `json:"aors"`
	UserID        string   `json:"user_id"`
	Recorded      bool     `json:"recorded"`
	JoinedMS      int64    `json:"joined_ms"`
	LeftMS        *int64   `json:"left_ms"`
}

func participantJSON(p store.CallParticipant) participantOut {
	aors := p.AORs
	if len(aors) == 0 && p.AOR != "" {
		aors = []string{p.AOR}
	}
	if aors == nil {
		aors = []string{}
	}
	return participantOut{ParticipantID: p.ParticipantID, Name: p.Name, AOR: p.AOR, AORs: aors, UserID: p.UserID, Recorded: p.Recorded,
		JoinedMS: p.JoinedMS, LeftMS: p.LeftMS}
}

type streamStateOut struct {
	AtMS  int64  `json:"at_ms"`
	State string `json:"state"`
}

type streamOut struct {
	StreamID      string           `json:"stream_id"`
	Label         string           `json:"label"`
	Codec         string           `json:"codec"`
	Accepted      bool             `json:"accepted"`
	ParticipantID string           `json:"participant_id"`
	States        []streamStateOut `json:"states"`
}

type changeOut struct {
	AtMS          int64  `json:"at_ms"`
	Kind          string `json:"kind"`
	ParticipantID string `json:"participant_id"`
	Detail        string `json:"detail"`
}

type siprecOut struct {
	Streams []streamOut `json:"streams"`
	Changes []changeOut `json:"changes"`
}

func siprecJSON(d *store.CallSIPREC) *siprecOut {
	if d == nil {
		return nil
	}
	out := &siprecOut{Streams: []streamOut{}, Changes: []changeOut{}}
	for _, s := range d.Streams {
		so := streamOut{StreamID: s.StreamID, Label: s.Label, Codec: s.Codec, Accepted: s.Accepted, ParticipantID: s.ParticipantID, States: []streamStateOut{}}
		for _, st := range s.States {
			so.States = append(so.States, streamStateOut{AtMS: st.AtMS, State: st.State})
		}
		out.Streams = append(out.Streams, so)
	}
	for _, c := range d.Changes {
		out.Changes = append(out.Changes, changeOut{AtMS: c.AtMS, Kind: c.Kind, ParticipantID: c.ParticipantID, Detail: c.Detail})
	}
	return out
}

type mediaOut struct {
	Packets         int64 `json:"packets"`
	Lost            int64 `json:"lost"`
	RejectedPackets int64 `json:"rejected_packets"`
	SRTP            bool  `json:"srtp"`
}

type callOut struct {
	ID             string           `json:"id"`
	TenantID       string           `json:"tenant_id"`
	SIPSourceID    string           `json:"sip_source_id"`
	State          string           `json:"state"`
	Direction      string           `json:"direction"`
	StartedAt      time.Time        `json:"started_at"`
	EndedAt        *time.Time       `json:"ended_at"`
	DurationMS     int64            `json:"duration_ms"`
	SizeBytes      int64            `json:"size_bytes"`
	SHA256         string           `json:"sha256"`
	AudioFormat    string           `json:"audio_format"`
	RecorderNode   string           `json:"recorder_node"`
	Recorded       bool             `json:"recorded"`
	DecisionReason string           `json:"decision_reason"`
	Confidential   bool             `json:"confidential"`
	ExpiresAt      *time.Time       `json:"expires_at"`
	RecordedUserID string           `json:"recorded_user_id"`
	SIPCallID      string           `json:"sip_call_id"`
	SessionID      string           `json:"session_id"`
	ExternalCallID string           `json:"external_call_id"`
	Caller         string           `json:"caller"`
	Callee         string           `json:"callee"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	Participants   []participantOut `json:"participants,omitempty"`
	Media          *mediaOut        `json:"media"`
}

func callJSON(c store.Call) callOut {
	out := callOut{ID: c.ID, TenantID: c.TenantID, SIPSourceID: c.SIPSourceID, State: c.State, Direction: c.Direction,
		StartedAt: c.StartedAt, EndedAt: c.EndedAt, DurationMS: c.DurationMS, SizeBytes: c.SizeBytes, SHA256: c.SHA256,
		AudioFormat: c.AudioFormat, RecorderNode: c.RecorderNode, Recorded: c.Recorded, DecisionReason: c.DecisionReason,
		Confidential: c.Confidential, ExpiresAt: c.ExpiresAt, RecordedUserID: c.RecordedUserID, SIPCallID: c.SIPCallID,
		SessionID: c.SessionID, ExternalCallID: c.ExternalCallID, Caller: c.Caller, Callee: c.Callee,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	for _, p := range c.Participants {
		out.Participants = append(out.Participants, participantJSON(p))
	}
	if m := c.Media; m != nil {
		out.Media = &mediaOut{Packets: m.Packets, Lost: m.Lost, RejectedPackets: m.RejectedPackets, SRTP: m.SRTP}
	}
	return out
}

type recordingOut struct {
	callOut
	UserName   string `json:"user_name"`
	GroupName  string `json:"group_name"`
	PartyAName string `json:"party_a_name"`
	PartyA     string `json:"party_a"`
	PartyBName string `json:"party_b_name"`
	PartyB     string `json:"party_b"`
}

func recordingJSON(r store.Recording) recordingOut {
	return recordingOut{callOut: callJSON(r.Call), UserName: r.UserName, GroupName: r.GroupName,
		PartyAName: r.PartyAName, PartyA: r.PartyA, PartyBName: r.PartyBName, PartyB: r.PartyB}
}

type noteOut struct {
	ID         string    `json:"id"`
	CallID     string    `json:"call_id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	OffsetMS   int64     `json:"offset_ms"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

func noteJSON(n store.CallNote) noteOut {
	return noteOut{ID: n.ID, CallID: n.CallID, AuthorID: n.AuthorID, AuthorName: n.AuthorName, OffsetMS: n.OffsetMS, Body: n.Body, CreatedAt: n.CreatedAt}
}

type pauseOut struct {
	ID        string `json:"id"`
	StartMS   int64  `json:"start_ms"`
	EndMS     *int64 `json:"end_ms"`
	PausedBy  string `json:"paused_by"`
	ResumedBy string `json:"resumed_by"`
}

func pauseJSON(p store.CallPause) pauseOut {
	return pauseOut{ID: p.ID, StartMS: p.StartMS, EndMS: p.EndMS, PausedBy: p.PausedBy, ResumedBy: p.ResumedBy}
}

type detailOut struct {
	recordingOut
	Participants []participantOut `json:"participants"`
	Notes        []noteOut        `json:"notes"`
	Pauses       []pauseOut       `json:"pauses"`
	SIPREC       *siprecOut       `json:"siprec"`
	LinkedCallID string           `json:"linked_call_id"`
	Duplicates   []string         `json:"duplicates"`
}

func detailJSON(d recordings.Detail) detailOut {
	return detailOut{recordingOut: recordingJSON(d.Recording),
		Participants: pageOf(d.Participants, "", participantJSON).Items,
		Notes:        pageOf(d.Notes, "", noteJSON).Items,
		Pauses:       pageOf(d.Pauses, "", pauseJSON).Items,
		SIPREC:       siprecJSON(d.SIPREC),
		LinkedCallID: d.LinkedCallID,
		Duplicates:   pageOf(d.Duplicates, "", func(id string) string { return id }).Items}
}
