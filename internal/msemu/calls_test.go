package msemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	adele = "AdeleV@" + ContosoDomain
	alex  = "AlexW@" + ContosoDomain
	phone = "+15551230000"
)

func TestBotOpenIDConfiguration(t *testing.T) {
	h := newHarness(t, 0)
	var cfg Config
	h.call("GET", "/emu/config", "", nil, &cfg)
	if cfg.BotOpenIDURL != h.srv.URL+"/botframework/v1/.well-known/OpenIdConfiguration" {
		t.Fatalf("BotOpenIDURL %q", cfg.BotOpenIDURL)
	}
	var oidc map[string]any
	h.call("GET", "/botframework/v1/.well-known/OpenIdConfiguration", "", nil, &oidc)
	if oidc["issuer"] != "https://api.botframework.com" || oidc["jwks_uri"] != h.srv.URL+"/botframework/v1/.well-known/keys" ||
		fmt.Sprint(oidc["id_token_signing_alg_values_supported"]) != "[RS256]" {
		t.Fatalf("%v", oidc)
	}
	keys := fetchBotKeys(t, h)
	if _, ok := keys[h.emu.kid]; ok || len(keys) != 1 {
		t.Fatalf("the bot key must be its own: %v (login kid %s)", keys, h.emu.kid)
	}
}

func TestIncomingCallNotification(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true})
	rec := newRecorderStub(t, "tcp")
	s.bot.onIncoming = func(n botNote) { s.bot.answer(s.graph, n.Leg, rec.uri) }
	id := s.place(t, adele, phone, 1)
	v := waitDone(t, s.h, id)
	notes := s.bot.waitNote(t, "deleted", "terminated")
	if len(notes) != 4 {
		t.Fatalf("want 4 notifications, got %+v", notes)
	}
	in := notes[0]
	d := in.Data
	botData := d["applicationMetadata"].(map[string]any)["botData"].(map[string]any)
	adeleID := v.Parties[0].UserID
	checks := []struct {
		name      string
		got, want any
	}{
		{"path", in.Path, "/webhook"},
		{"changeType", in.Change, "created"},
		{"@odata.type", d["@odata.type"], "#microsoft.graph.call"},
		{"state", d["state"], "incoming"},
		{"direction", d["direction"], "incoming"},
		{"source user", dig(d, "source", "identity", "user", "id"), adeleID},
		{"target", fmt.Sprint(d["targets"]), fmt.Sprintf("[map[@odata.type:#microsoft.graph.invitationParticipantInfo endpointType:default id:%s identity:map[@odata.type:#microsoft.graph.identitySet applicationInstance:map[@odata.type:#microsoft.graph.identity id:%s identityProvider:AAD]]]]", d["myParticipantId"], v.Parties[0].Recorders[0].InstanceID)},
		{"tenantId", d["tenantId"], ContosoTenantID},
		{"callChainId", d["callChainId"], v.CallChainID},
		{"myParticipantId", d["myParticipantId"] != "", true},
		{"observedParticipantId", dig(d, "incomingContext", "observedParticipantId"), dig(d, "source", "id")},
		{"sourceParticipantId", dig(d, "incomingContext", "sourceParticipantId"), dig(d, "source", "id")},
		{"botData user (no id: Microsoft sends none)", fmt.Sprint(botData["user"]), "map[participationMethod:caller]"},
		{"botData other side (a phone: no id)", fmt.Sprint(dig(botData, "otherSideUser", "participationMethod"), " ", dig(botData, "otherSideUser", "id")), "callee <nil>"},
		{"inviteReasons", fmt.Sprint(botData["inviteReasons"]), "[PolicyBasedRecording]"},
		{"policyIdentifier", botData["policyIdentifier"], "Tag:Rec"},
		{"pairedRecorders", fmt.Sprint(botData["pairedRecorders"], botData["otherRecorders"]), "[] []"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// Only the fields of the documented example (call-answer.md, Example 3).
	documented := map[string][]string{
		"": {"@odata.type", "state", "direction", "source", "targets", "meetingInfo", "tenantId", "myParticipantId", "callChainId",
			"incomingContext", "id", "applicationMetadata"},
		"applicationMetadata.botData":               {"mediaHostedRegion", "user", "otherSideUser", "inviteReasons", "policyIdentifier", "pairedRecorders", "otherRecorders"},
		"applicationMetadata.botData.user":          {"participationMethod", "clientLocation"},
		"applicationMetadata.botData.otherSideUser": {"id", "participantId", "tenantId", "onBehalfOf", "participationMethod", "clientLocation"},
		"incomingContext":                           {"@odata.type", "sourceParticipantId", "observedParticipantId", "onBehalfOf", "transferor"},
		"source":                                    {"@odata.type", "id", "identity", "endpointType", "region"},
		"source.identity.user":                      {"@odata.type", "id", "identityProvider"},
	}
	for path, keys := range documented {
		m := d
		if path != "" {
			m, _ = dig(d, strings.Split(path, ".")...).(map[string]any)
		}
		for k := range m {
			if !slices.Contains(keys, k) {
				t.Errorf("resourceData.%s has %q, which Microsoft's example does not", path, k)
			}
		}
	}
	leg := in.Leg
	var order []string
	for _, n := range notes {
		order = append(order, n.Change+":"+n.State)
		if n.Leg != leg {
			t.Errorf("notification for another leg: %+v", n)
		}
	}
	if want := "created:incoming updated:establishing updated:established deleted:terminated"; strings.Join(order, " ") != want {
		t.Errorf("order %v, want %s", order, want)
	}
	if notes[1].Path != "/callback/"+leg || fmt.Sprint(notes[3].Result["code"], "/", notes[3].Result["subcode"]) != "200/5001" {
		t.Errorf("terminated: %+v", notes[3])
	}
	want := []string{"notified", "answered", "establishing", "established", "siprec_invite", "siprec_answered", "media_sent", "siprec_bye"}
	// The media edge sends its BYE a moment after the call ends (the last
	// packets go first), so wait for it, boundedly.
	got := eventNames(s.h, id, leg)
	for deadline := time.Now().Add(2 * time.Second); !slices.Contains(got, "siprec_bye") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		got = eventNames(s.h, id, leg)
	}
	if !isSubsequence(want, got) || !slices.Contains(got, "terminated") {
		t.Errorf("leg events %v, want in order %v", got, want)
	}
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	return v
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestAnswerDeadlineAndRequiredBefore(t *testing.T) {
	tests := []struct {
		name           string
		requiredBefore bool
		action         string // answer, late, reject, none (bot down)
		wantCall       string
		wantLeg        string
		wantResult     string
	}{
		{"answer in time", true, "answer", callEnded, legEnded, "200/5001"},
		{"answer too late blocks", true, "late", callBlocked, legMissed, "408/1106"},
		{"reject blocks", true, "reject", callBlocked, legRejected, ""},
		{"reject unrequired proceeds", false, "reject", callEnded, legRejected, ""},
		{"no bot blocks", true, "none", callBlocked, legMissed, "408/1106"},
		{"no bot unrequired proceeds", false, "none", callEnded, legMissed, "408/1106"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRecordingSetup(t, policyFlags{requiredBefore: tc.requiredBefore, requiredDuring: true})
			rec := newRecorderStub(t, "tcp")
			late := make(chan int, 1)
			s.bot.onIncoming = func(n botNote) {
				switch tc.action {
				case "answer":
					s.bot.answer(s.graph, n.Leg, rec.uri)
				case "late":
					time.Sleep(s.h.emu.answerDeadline() + 100*time.Millisecond)
					late <- s.bot.answer(s.graph, n.Leg, rec.uri)
				case "reject":
					if res := s.h.call("POST", "/v1.0/communications/calls/"+n.Leg+"/reject", s.graph, map[string]string{"reason": "forbidden"}, nil); res.StatusCode != 202 {
						t.Errorf("reject: %d", res.StatusCode)
					}
				}
			}
			if tc.action == "none" {
				s.bot.srv.Close()
			}
			id := s.place(t, adele, alex, 0.5)
			v := waitDone(t, s.h, id)
			r := v.Parties[0].Recorders[0]
			if v.State != tc.wantCall || r.Status != tc.wantLeg {
				t.Fatalf("call %s leg %s, want %s %s", v.State, r.Status, tc.wantCall, tc.wantLeg)
			}
			if got := resultString(r.ResultInfo); got != tc.wantResult {
				t.Errorf("result %q, want %q", got, tc.wantResult)
			}
			if tc.action == "late" {
				if status := <-late; status != http.StatusNotFound {
					t.Errorf("late answer: %d, want 404", status)
				}
				notes := s.bot.waitNote(t, "deleted", "terminated")
				if last := notes[len(notes)-1]; last.Path != "/webhook" || last.Change != "deleted" || fmt.Sprint(last.Result["subcode"]) != "1106" {
					t.Errorf("terminated notification %+v", last)
				}
			}
			blocked := slices.Contains(eventNames(s.h, id, ""), "blocked")
			if blocked != (tc.wantCall == callBlocked) || (blocked && v.ConnectedAt != nil) {
				t.Errorf("blocked event %v, connected %v", blocked, v.ConnectedAt)
			}
		})
	}
}

func resultString(r *resultInfo) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", r.Code, r.Subcode)
}

// answerAndWait answers every incoming leg and waits until the call is
// connected and its first leg established.
func answerAndWait(t *testing.T, s *recordingSetup, from, to string, seconds float64) (callID, leg string) {
	t.Helper()
	rec := newRecorderStub(t, "tcp")
	s.bot.onIncoming = func(n botNote) { s.bot.answer(s.graph, n.Leg, rec.uri) }
	id := s.place(t, from, to, seconds)
	ev := waitFor(t, s.h, "established", callEventNamed(id, "established"))
	s.bot.waitNote(t, "updated", "established")
	s.bot.waitRoster(t, 1) // delivered before the test moves the clock
	return id, ev.Data["leg"].(string)
}

func TestUpdateRecordingStatus(t *testing.T) {
	tests := []struct {
		name             string
		to               string
		disable          bool
		wantBanners      int
		wantAnnouncement bool
	}{
		{"pstn hears announcement", phone, false, 1, true},
		{"announcement disabled", phone, true, 1, false},
		{"teams to teams", alex, false, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true, disableAnnouncement: tc.disable})
			id, leg := answerAndWait(t, s, adele, tc.to, 1.5)
			var op map[string]any
			res := s.h.call("POST", "/v1.0/communications/calls/"+leg+"/updateRecordingStatus", s.graph,
				map[string]string{"clientContext": "ctx-1", "status": "recording"}, &op)
			if res.StatusCode != 200 || op["@odata.type"] != "#microsoft.graph.updateRecordingStatusOperation" ||
				op["status"] != "completed" || op["clientContext"] != "ctx-1" || op["id"] == "" {
				t.Fatalf("%d %v", res.StatusCode, op)
			}
			if res := s.h.call("POST", "/v1.0/communications/calls/"+leg+"/updateRecordingStatus", s.graph,
				map[string]string{"status": "paused"}, nil); res.StatusCode != 400 {
				t.Errorf("bad status: %d", res.StatusCode)
			}
			s.h.call("POST", "/v1.0/communications/calls/"+leg+"/updateRecordingStatus", s.graph, map[string]string{"status": "notRecording"}, nil)
			v := waitDone(t, s.h, id)
			var shown, removed, announced int
			for _, ev := range s.h.emu.Events(0, EventKindCall) {
				switch {
				case ev.Data["call_id"] != id:
				case ev.Data["event"] == "banner" && ev.Data["shown"] == true:
					shown++
				case ev.Data["event"] == "banner":
					removed++
				case ev.Data["event"] == "announcement":
					announced++
					if ev.Data["text"] != "This call is being recorded" || ev.Data["party"] != "callee" {
						t.Errorf("announcement %v", ev.Data)
					}
				}
			}
			if shown != tc.wantBanners || removed != tc.wantBanners || (announced == 1) != tc.wantAnnouncement {
				t.Errorf("banners shown %d removed %d, announcements %d", shown, removed, announced)
			}
			if v.Parties[1].AnnouncementHeard != tc.wantAnnouncement || !slices.Contains(v.Parties[0].Saw, "recording banner shown") {
				t.Errorf("parties %+v", v.Parties)
			}
		})
	}
}

func TestRequiredDuringCallBotLeaves(t *testing.T) {
	for _, required := range []bool{true, false} {
		t.Run(fmt.Sprint("required ", required), func(t *testing.T) {
			t.Parallel()
			s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: required})
			id, leg := answerAndWait(t, s, adele, phone, 1)
			if res := s.h.call("DELETE", "/v1.0/communications/calls/"+leg, s.graph, nil, nil); res.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %d", res.StatusCode)
			}
			if res := s.h.call("POST", "/v1.0/communications/calls/"+leg+"/keepAlive", s.graph, nil, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("keepAlive after leaving: %d", res.StatusCode)
			}
			v := waitDone(t, s.h, id)
			want := callEnded
			if required {
				want = callCut
			}
			r := v.Parties[0].Recorders[0]
			if v.State != want || r.Status != legLeft || resultString(r.ResultInfo) != "200/7000" {
				t.Fatalf("call %s, leg %+v", v.State, r)
			}
			notes := s.bot.waitNote(t, "deleted", "terminated")
			if last := notes[len(notes)-1]; last.Change != "deleted" || fmt.Sprint(last.Result["subcode"]) != "7000" {
				t.Errorf("last notification %+v", last)
			}
		})
	}
}

func TestKeepAliveExpiry(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true})
	id, leg := answerAndWait(t, s, adele, phone, 2)
	s.h.clock.Advance(30 * time.Minute)
	if res := s.h.call("POST", "/v1.0/communications/calls/"+leg+"/keepAlive", s.graph, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("keepAlive: %d", res.StatusCode)
	}
	s.h.clock.Advance(44 * time.Minute)
	time.Sleep(100 * time.Millisecond) // several expiry checks pass: 44 minutes after a keepAlive is fine
	if v := s.h.emu.CallView(id); v.State != callConnected {
		t.Fatalf("cut too early: %+v", v)
	}
	s.h.clock.Advance(2 * time.Minute)
	ev := waitFor(t, s.h, "terminated", callEventNamed(id, "terminated"))
	if ev.Data["code"] != 408 || ev.Data["subcode"] != 8537 {
		t.Fatalf("%v", ev.Data)
	}
	if v := waitDone(t, s.h, id); v.State != callCut {
		t.Fatalf("call %s, want cut", v.State)
	}
	if !slices.Contains(eventNames(s.h, id, leg), "keepalive") {
		t.Error("no keepalive event")
	}
}

func TestCallingAuthorization(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{requiredBefore: false, requiredDuring: false})
	_, leg := answerAndWait(t, s, adele, phone, 0.5)
	delegated := s.h.delegated(adele, "https://graph.microsoft.com/.default")
	fabrikam := s.h.appOnly(FabrikamTenantID, "https://graph.microsoft.com/.default")
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no token", "", leg, 401, "InvalidAuthenticationToken"},
		{"delegated token", delegated, leg, 403, "Authorization_RequestDenied"},
		{"other tenant", fabrikam, leg, 404, "itemNotFound"},
		{"unknown call", s.graph, "00000000-0000-0000-0000-000000000000", 404, "itemNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			res := s.h.call("POST", "/v1.0/communications/calls/"+tc.path+"/keepAlive", tc.token, nil, &e)
			if res.StatusCode != tc.status || e.Error.Code != tc.code {
				t.Fatalf("%d %+v", res.StatusCode, e)
			}
		})
	}
}

func TestEmuCallsValidation(t *testing.T) {
	h := newHarness(t, 0)
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"unknown user", PlaceCall{From: "nobody@" + ContosoDomain, To: phone, DurationSeconds: 1}, 400},
		{"no teams party", PlaceCall{From: phone, To: "+15551239999", DurationSeconds: 1}, 400},
		{"zero duration", PlaceCall{From: adele, To: phone}, 400},
		{"negative duration", PlaceCall{From: adele, To: phone, DurationSeconds: -3}, 400},
		{"too long", PlaceCall{From: adele, To: phone, DurationSeconds: 1e6}, 400},
		{"bad number", PlaceCall{From: adele, To: "+12", DurationSeconds: 1}, 400},
		{"calls itself", PlaceCall{From: adele, To: adele, DurationSeconds: 1}, 400},
		{"malformed", "{", 400},
		{"pstn to teams", PlaceCall{From: phone, To: alex, DurationSeconds: 30}, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			if res := h.call("POST", "/emu/calls", "", tc.body, &e); res.StatusCode != tc.status || (tc.status == 400 && e.Error.Message == "") {
				t.Fatalf("%d %+v", res.StatusCode, e)
			}
		})
	}
	var list struct{ Calls []CallInfo }
	h.call("GET", "/emu/calls", "", nil, &list)
	if len(list.Calls) != 1 || list.Calls[0].Parties[0].Kind != "pstn" || list.Calls[0].Parties[1].UPN != alex {
		t.Fatalf("%+v", list)
	}
	id := list.Calls[0].ID
	waitFor(t, h, "connected", callEventNamed(id, "connected"))
	var c CallInfo
	if res := h.call("POST", "/emu/calls/"+id+"/hangup", "", map[string]string{"by": "callee"}, &c); res.StatusCode != 200 || c.State != callEnded || c.EndReason != "callee hung up" {
		t.Fatalf("hangup: %d %+v", res.StatusCode, c)
	}
	if res := h.call("POST", "/emu/calls/"+id+"/hangup", "", nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("second hangup: %d", res.StatusCode)
	}
	if res := h.call("GET", "/emu/calls/nope", "", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown call: %d", res.StatusCode)
	}
}
