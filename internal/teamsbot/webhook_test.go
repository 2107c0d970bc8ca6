package teamsbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestRecordedUserIsTheObservedParticipant drives the webhook with
// invitations shaped as Microsoft documents them (no botData.user.id): the
// recorded user is incomingContext's observed participant whoever called,
// a PSTN number or a hidden caller included.
func TestRecordedUserIsTheObservedParticipant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newBotHarness(t, b)
		alice := func(pid string) []map[string]any { return []map[string]any{party(pid, userIdentity(aadAlice))} }
		cases := []struct {
			name      string
			call      map[string]any
			wantUser  string // AAD id, "" for none
			direction string
			decision  string
		}{
			{"documented example: the observed user is the source that triggered the invitation, ids as in the example",
				incomingCall("c-doc", "chain-doc", party("90fad2ce-0000-41a1-8a66-f6636e629a2a", userIdentity(aadAlice)), nil,
					"30fad2ce-0000-41a1-8a66-f6636e629a2a", "30fad2ce-0000-41a1-8a66-f6636e629a2a", "callee"),
				aadAlice, "inbound", decisionRecord},
			{"outbound: the observed user placed the call",
				incomingCall("c-out", "chain-out", party("p-alice", userIdentity(aadAlice)), []map[string]any{party("p-bob", userIdentity(aadBob))},
					"p-alice", "p-alice", "caller"),
				aadAlice, "outbound", decisionRecord},
			{"inbound from another Teams user: the caller is not the recorded user",
				incomingCall("c-in", "chain-in", party("p-bob", userIdentity(aadBob)), alice("p-alice"), "p-bob", "p-alice", "callee"),
				aadAlice, "inbound", decisionRecord},
			{"inbound from a PSTN caller",
				incomingCall("c-pstn", "chain-pstn", party("p-pstn", phoneIdentity("+4930901820")), alice("p-alice"), "p-pstn", "p-alice", "callee"),
				aadAlice, "inbound", decisionRecord},
			{"inbound from a hidden (encrypted) caller",
				incomingCall("c-hidden", "chain-hidden", party("p-enc", encryptedIdentity()), alice("p-alice"), "p-enc", "p-alice", "callee"),
				aadAlice, "inbound", decisionRecord},
			{"inbound from a caller without identity",
				incomingCall("c-anon", "chain-anon", party("p-anon", nil), alice("p-alice"), "p-anon", "p-alice", "callee"),
				aadAlice, "inbound", decisionRecord},
			{"a delegate observed on behalf of a user",
				func() map[string]any {
					c := incomingCall("c-deleg", "chain-deleg", party("p-pstn2", phoneIdentity("+4930901821")), []map[string]any{party("p-del", encryptedIdentity())},
						"p-pstn2", "p-del", "callee")
					c["incomingContext"].(map[string]any)["onBehalfOf"] = userIdentity(aadBob)
					return c
				}(),
				aadBob, "inbound", decisionRecord},
			{"the observed participant is a phone number: no one to attribute, rejected",
				incomingCall("c-phone", "chain-phone", party("p-pstn3", phoneIdentity("+4930901822")), nil, "p-pstn3", "p-pstn3", "caller"),
				"", "outbound", decisionReject},
		}
		for _, c := range cases {
			st, _ := h.postJSON(batch(item("created", "/communications/calls/"+c.call["id"].(string), c.call)))
			if st != 202 {
				t.Fatalf("%s: %d", c.name, st)
			}
			leg := h.leg(c.call["id"].(string))
			wantUser := ""
			if c.wantUser != "" {
				wantUser = h.users[c.wantUser]
			}
			if leg.UserID != wantUser || leg.ObservedAADID != c.wantUser || leg.Direction != c.direction || leg.Decision != c.decision {
				t.Errorf("%s: user %q (aad %q) %s %s (%s), want user %q (aad %q) %s %s", c.name, leg.UserID, leg.ObservedAADID, leg.Direction,
					leg.Decision, leg.Reason, wantUser, c.wantUser, c.direction, c.decision)
			}
			op := "answer "
			if c.decision == decisionReject {
				op = "reject "
			}
			if !h.graph.has(op + leg.GraphCallID) {
				t.Errorf("%s: no %s", c.name, op)
			}
		}
	})
}

// TestWebhookTakesWhatMicrosoftSends: roster arrays, string result codes,
// mixed batches, empty and large bodies are accepted; what is not JSON or
// too large is refused with 415 or 413.
func TestWebhookTakesWhatMicrosoftSends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newBotHarness(t, b)
		call := incomingCall("c-1", "chain-1", party("p-alice", userIdentity(aadAlice)), nil, "p-alice", "p-alice", "caller")
		if st, _ := h.postJSON(batch(item("created", "/communications/calls/c-1", call))); st != 202 {
			t.Fatalf("incoming: %d", st)
		}
		roster := func(n int) map[string]any {
			ps := make([]map[string]any, n)
			for i := range ps {
				id := userIdentity(fmt.Sprintf("7d3e%04d-85a6-4bdd-abe3-d11c5d420efe", i))
				id["user"].(map[string]any)["displayName"] = fmt.Sprintf("Participant Number %04d of the Town Hall", i)
				id["user"].(map[string]any)["tenantId"] = "932899f8-0000-4604-8413-27bd2892079f"
				stream := func(kind, dir string, n int) map[string]any {
					return map[string]any{"@odata.type": "#microsoft.graph.mediaStream", "mediaType": kind, "label": "main-" + kind,
						"sourceId": fmt.Sprint(n), "direction": dir, "serverMuted": false}
				}
				ps[i] = map[string]any{"@odata.type": "#microsoft.graph.participant", "id": fmt.Sprintf("9a0c%04d-1b2c-4d5e-8f90-a1b2c3d4e5f6", i),
					"info": map[string]any{"@odata.type": "#microsoft.graph.participantInfo", "identity": id, "endpointType": "default",
						"region": "emea", "languageId": "de-DE", "countryCode": "DE"},
					"mediaStreams": []map[string]any{stream("audio", "sendReceive", 3*i+1), stream("video", "receiveOnly", 3*i+2),
						stream("videoBasedScreenSharing", "receiveOnly", 3*i+3)},
					"metadata": strings.Repeat("QUJD", 60),
					"isMuted":  i%2 == 0, "isInLobby": false, "rosterSequenceNumber": i}
			}
			return batch(item("updated", "/communications/calls/c-1/participants", ps))
		}
		large, _ := json.Marshal(roster(1500))
		if len(large) < 1_500_000 || len(large) > 8<<20 {
			t.Fatalf("a 1,500-participant roster is %d bytes", len(large))
		}
		huge := append([]byte(`{"value":[],"pad":"`), append([]byte(strings.Repeat("x", 8<<20)), '"', '}')...)
		cases := []struct {
			name, contentType string
			body              []byte
			want              int
		}{
			{"roster update (resourceData is an array)", "application/json", mustJSON(t, roster(3)), 202},
			{"roster of 1,500 participants", "application/json", large, 202},
			{"empty value", "application/json", []byte(`{"@odata.type":"#microsoft.graph.commsNotifications","value":[]}`), 202},
			{"one unreadable item among good ones", "application/json", mustJSON(t, batch(
				map[string]any{"changeType": 7, "resourceUrl": "/communications/calls/c-1"},
				stateUpdate("c-1", "established"))), 202},
			{"content sharing (no resourceData)", "application/json", []byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/c-1/contentsharingsessions/s1"}]}`), 202},
			{"charset parameter", "application/json; charset=utf-8", mustJSON(t, batch(stateUpdate("c-1", "establishing"))), 202},
			{"larger than 8 MiB", "application/json", huge, 413},
			{"not JSON", "text/plain", []byte(`{"value":[]}`), 415},
			{"no content type", "", []byte(`{"value":[]}`), 415},
			{"form", "application/x-www-form-urlencoded", []byte(`value=1`), 415},
		}
		for _, c := range cases {
			if st, body := h.post(c.contentType, c.body); st != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, st, body, c.want)
			}
		}
		// The good item of the mixed batch was applied: the leg reported recording.
		if leg := h.leg("c-1"); leg.Status != "recording" || !h.graph.has("updateRecordingStatus c-1 recording") {
			t.Fatalf("after the mixed batch: %s", leg.Status)
		}
		// A terminated call whose resultInfo code is a string.
		end := item("deleted", "/communications/calls/c-1", map[string]any{"@odata.type": "#microsoft.graph.call", "id": "c-1", "state": "terminated",
			"resultInfo": map[string]any{"@odata.type": "#microsoft.graph.resultInfo", "code": "200", "subcode": "5001", "message": "Call ended."}})
		if st, _ := h.postJSON(batch(end)); st != 202 {
			t.Fatalf("terminated with a string code: %d", st)
		}
		if leg := h.leg("c-1"); leg.Status != "terminated" {
			t.Fatalf("after terminated: %s", leg.Status)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMeetingWithTwoRecordedUsersIsOneRecording: Alice's leg records a
// meeting; Bob joins it (participantJoiningNotification, accepted as
// documented) and a call of Carol's policy in the same chain gets its own
// leg. The chain keeps one recording — only the first leg's audio is
// admitted — listed under all three.
func TestMeetingWithTwoRecordedUsersIsOneRecording(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newBotHarness(t, b)
		ctx := context.Background()
		meeting := incomingCall("m-1", "chain-m", party("p-alice", userIdentity(aadAlice)), nil, "p-alice", "p-alice", "callee")
		meeting["meetingInfo"] = map[string]any{"@odata.type": "#microsoft.graph.tokenMeetingInfo", "token": "join-token-authored"}
		if st, _ := h.postJSON(batch(item("created", "/communications/calls/m-1", meeting))); st != 202 {
			t.Fatalf("incoming: %d", st)
		}
		if st, _ := h.postJSON(batch(stateUpdate("m-1", "established"))); st != 202 {
			t.Fatalf("established: %d", st)
		}
		joiningCall := incomingCall("m-1", "chain-m", party("p-bob", userIdentity(aadBob)), nil, "p-bob", "p-bob", "callee")
		joining := item("created", "/communications/calls/m-1", map[string]any{"@odata.type": "#microsoft.graph.participantJoiningNotification", "call": joiningCall})
		st, body := h.postJSON(batch(joining))
		var answer map[string]any
		if st != 200 || json.Unmarshal([]byte(body), &answer) != nil || answer["@odata.type"] != "#microsoft.graph.acceptJoinResponse" {
			t.Fatalf("participantJoiningNotification: %d %s, want 200 acceptJoinResponse", st, body)
		}
		// A second leg of the chain (Carol's policy invited the bot anew).
		carol := incomingCall("m-2", "chain-m", party("p-carol", userIdentity(aadCarol)), nil, "p-carol", "p-carol", "callee")
		if st, _ := h.postJSON(batch(item("created", "/communications/calls/m-2", carol), stateUpdate("m-2", "established"))); st != 202 {
			t.Fatalf("second leg: %d", st)
		}
		gate := &Gate{DB: h.db}
		first, err := gate.Admit(ctx, h.leg("m-1").Correlation)
		if err != nil || !first.Record || first.UserID != h.users[aadAlice] {
			t.Fatalf("first leg: %+v %v", first, err)
		}
		second, err := gate.Admit(ctx, h.leg("m-2").Correlation)
		if err != nil || second.Record {
			t.Fatalf("second leg of the chain keeps audio: %+v %v", second, err)
		}
		// The recorder writes one call for the admitted leg.
		if err := h.db.Q().InsertCall(ctx, store.Call{ID: "rec-1", TenantID: h.tenant, State: store.CallCompleted, Direction: "inbound",
			ExternalCallID: "m-1", RecordedUserID: first.UserID, Recorded: true, StartedAt: h.now, CreatedAt: h.now, UpdatedAt: h.now}); err != nil {
			t.Fatal(err)
		}
		for _, aad := range []string{aadAlice, aadBob, aadCarol} {
			recs, _, err := h.db.Q().SearchRecordings(ctx, h.tenant, store.RecordingFilter{UserIDs: []string{h.users[aad]}})
			if err != nil || len(recs) != 1 || recs[0].ID != "rec-1" {
				t.Errorf("user %s sees %d recordings (%v), want the meeting's one", aad, len(recs), err)
			}
		}
		users, err := h.db.Q().TeamsCallUsers(ctx, h.tenant, "chain-m")
		if err != nil || len(users) != 3 {
			t.Fatalf("chain users: %v %v", users, err)
		}
	})
}

// TestTransferredCallKeepsItsChain: a transfer reaches the bot as a new
// invitation with the call's callChainId (incomingContext.transferor names
// who transferred). Once the first leg ended, the new leg records its part
// of the conversation, and both users are listed under the chain.
func TestTransferredCallKeepsItsChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newBotHarness(t, b)
		ctx := context.Background()
		first := incomingCall("t-1", "chain-t", party("p-pstn", phoneIdentity("+4930901823")), []map[string]any{party("p-alice", userIdentity(aadAlice))},
			"p-pstn", "p-alice", "callee")
		if st, _ := h.postJSON(batch(item("created", "/communications/calls/t-1", first), stateUpdate("t-1", "established"))); st != 202 {
			t.Fatalf("first leg: %d", st)
		}
		end := item("deleted", "/communications/calls/t-1", map[string]any{"@odata.type": "#microsoft.graph.call", "id": "t-1", "state": "terminated",
			"resultInfo": map[string]any{"code": 200, "subcode": 4097, "message": "Transferred."}})
		second := incomingCall("t-2", "chain-t", party("p-pstn", phoneIdentity("+4930901823")), []map[string]any{party("p-bob", userIdentity(aadBob))},
			"p-pstn", "p-bob", "callee")
		second["incomingContext"].(map[string]any)["transferor"] = userIdentity(aadAlice)
		if st, _ := h.postJSON(batch(end, item("created", "/communications/calls/t-2", second), stateUpdate("t-2", "established"))); st != 202 {
			t.Fatalf("transfer: %d", st)
		}
		if leg := h.leg("t-2"); leg.UserID != h.users[aadBob] || leg.ChainID != "chain-t" || leg.Direction != "inbound" {
			t.Fatalf("transferred leg: %+v", leg)
		}
		a, err := (&Gate{DB: h.db}).Admit(ctx, h.leg("t-2").Correlation)
		if err != nil || !a.Record || a.UserID != h.users[aadBob] {
			t.Fatalf("the transferred leg records its part: %+v %v", a, err)
		}
		users, err := h.db.Q().TeamsCallUsers(ctx, h.tenant, "chain-t")
		listed := map[string]bool{}
		for _, u := range users {
			listed[u.UserID] = true
		}
		if err != nil || len(users) != 2 || !listed[h.users[aadAlice]] || !listed[h.users[aadBob]] {
			t.Fatalf("chain users: %+v %v", users, err)
		}
	})
}
