package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestCallPageTranscript: the call page shows a licensed user's transcript
// as a dialogue whose lines seek the player, says why there is none for an
// unlicensed user or while no engine is configured, and offers the re-run
// only when it can work.
func TestCallPageTranscript(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		q := e.db.Q()
		if _, err := e.accounts.UpdateTenant(ctx, account.System, e.tenant.ID, account.TenantInput{
			Licenses: map[string]int{"call_recording": 10, "live_monitoring": 4, "speech_analytics": 2}}, true); err != nil {
			t.Fatal(err)
		}
		agent := e.createUser(e.tenant.ID, "agent@contoso.example", "Alex Agent", "user", adminPassword)
		basic := "basic"
		if _, err := e.accounts.UpdateUser(ctx, account.System, e.tenant.ID, agent.ID, account.UserInput{
			Licenses: &[]string{"call_recording", "speech_analytics"}, SpeechAnalyticsType: &basic}); err != nil {
			t.Fatal(err)
		}
		bare := e.createUser(e.tenant.ID, "bare@contoso.example", "Bea Bare", "user", adminPassword)
		call := func(userID string) string {
			now := e.clock.Now()
			c := store.Call{ID: account.NewID(), TenantID: e.tenant.ID, State: store.CallCompleted, Direction: "inbound", StartedAt: now.Add(-time.Minute),
				Recorded: true, RecordedUserID: userID, Caller: "+4930555000", Callee: "2003", BlobKey: "calls/x.opus", AudioFormat: "opus",
				DurationMS: 60_000, CreatedAt: now, UpdatedAt: now}
			if err := q.InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := q.QueueTranscriptIfLicensed(ctx, e.tenant.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		licensed, unlicensed := call(agent.ID), call(bare.ID)
		br := e.signedInAdmin()

		mustContain(t, br.get("/recordings/"+unlicensed), "No speech analytics license for this user")
		p := br.get("/recordings/" + licensed)
		mustContain(t, p, "Engine not configured")
		if strings.Contains(p.body, "Transcribe again") {
			t.Error("re-run offered with no engine")
		}
		if p := br.post("/recordings/"+unlicensed, "/recordings/"+unlicensed+"/transcript", url.Values{}); p.status != http.StatusConflict ||
			!strings.Contains(p.body, "no speech analytics license") {
			t.Errorf("re-run of an unlicensed user's call: %d", p.status)
		}

		// The worker's result, as it stores it.
		now := e.clock.Now()
		job, ok, err := q.ClaimTranscriptJob(ctx, "n1", now, now.Add(time.Minute))
		if err != nil || !ok || job.CallID != licensed {
			t.Fatalf("claim %+v %v %v", job, ok, err)
		}
		if err := q.SaveTranscript(ctx, "n1", store.Transcript{CallID: licensed, TenantID: e.tenant.ID, Engine: "pocketsphinx", LicenseType: "basic",
			Body: "hello\nmy invoice is wrong", Keywords: "invoice,wrong", CreatedAt: now}, []store.TranscriptLine{
			{Channel: "agent", StartMS: 1200, EndMS: 2000, Text: "hello", Words: `[{"text":"hello","start_ms":1200,"end_ms":2000,"confidence":0.9}]`},
			{Channel: "other", StartMS: 62500, EndMS: 64000, Text: "my <b>invoice</b> is wrong", Words: `[]`}}); err != nil {
			t.Fatal(err)
		}
		p = br.get("/recordings/" + licensed)
		mustContain(t, p, `class="tline ch-agent" data-start="1200" data-end="2000"`, `data-ms="1200"`, ">0:01</button>", "Alex Agent",
			`class="tline ch-other" data-start="62500"`, ">1:02</button>", "Other party", "my &lt;b&gt;invoice&lt;/b&gt; is wrong",
			`<span class="kw">invoice</span>`, "/static/transcript.js", "Transcribed by pocketsphinx")
		if !strings.Contains(p.body, "Transcribe again") {
			t.Error("no re-run offered to an admin")
		}
	})
}

// TestSpeechSettingsPage: the provider chooses the engine; the key is
// stored sealed and never shown back; a tenant admin cannot open the page.
func TestSpeechSettingsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		if p := e.signedInAdmin().get("/admin/provider/speech"); p.status != http.StatusForbidden {
			t.Errorf("tenant admin opens the speech settings: %d", p.status)
		}
		pb := e.signedInProvider()
		mustContain(t, pb.get("/admin/provider/speech"), "Engine not configured")
		bad := pb.post("/admin/provider/speech", "/admin/provider/speech", url.Values{"engine": {"openai"}, "url": {"ftp://x"}, "model": {""}, "key": {"sk-page-secret"}})
		if bad.status != http.StatusBadRequest || strings.Contains(bad.body, "sk-page-secret") {
			t.Errorf("bad settings: %d, key echoed %v", bad.status, strings.Contains(bad.body, "sk-page-secret"))
		}
		ok := pb.post("/admin/provider/speech", "/admin/provider/speech", url.Values{"engine": {"openai"}, "url": {"http://127.0.0.1:9"}, "model": {"whisper-1"}, "key": {"sk-page-secret"}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", ok.status, ok.body)
		}
		p := pb.get("/admin/provider/speech")
		mustContain(t, p, "Transcribing with openai", "A key is stored")
		if strings.Contains(p.body, "sk-page-secret") {
			t.Error("the page shows the key")
		}
	})
}
