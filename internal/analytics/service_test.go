package analytics_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/aiemu"
	"callrec/internal/analytics"
	"callrec/internal/blob"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/secretbox"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/validate"
)

func ptr[T any](v T) *T { return &v }

type world struct {
	clock  *clock.Fake
	db     *store.DB
	blobs  blob.Store
	svc    *analytics.Service
	admin  map[string]*caller.Caller
	agent  map[string]*caller.Caller
	callOf map[string]string // tenant name → a stored call of its agent
}

// tones is a 6 s stereo call: 300 Hz on the left (the agent), 500 Hz on
// the right (the other party), both all the way through.
func tones(t *testing.T) string {
	t.Helper()
	var pcm bytes.Buffer
	for i := 0; i < 8000*6; i++ {
		at := float64(i) / 8000
		_ = binary.Write(&pcm, binary.LittleEndian, [2]int16{int16(6000 * math.Sin(2*math.Pi*300*at)), int16(6000 * math.Sin(2*math.Pi*500*at))})
	}
	path := filepath.Join(t.TempDir(), "call.opus")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := recorder.EncodePCM(&pcm, f, recorder.DefaultEncode); err != nil {
		t.Fatal(err)
	}
	return path
}

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{clock: clock.NewFake(), admin: map[string]*caller.Caller{}, agent: map[string]*caller.Caller{}, callOf: map[string]string{}}
	w.db = storetest.Open(t, b, w.clock.Now)
	accounts := account.New(w.db, w.clock.Now)
	var err error
	if w.blobs, err = blob.NewDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordings.Service{DB: w.db, Accounts: accounts, Now: w.clock.Now}
	w.svc = &analytics.Service{DB: w.db, Accounts: accounts, Recordings: rec, Blobs: w.blobs, Box: box, Now: w.clock.Now}
	opus := tones(t)
	for _, name := range []string{"A", "B"} {
		tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: ptr("Tenant " + name),
			Licenses: map[string]int{"call_recording": 5, "speech_analytics": 5}})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: ptr("Admin " + name), Login: ptr("admin" + name),
			Role: ptr(roles.Admin), Password: ptr("Secret#2026")})
		if err != nil {
			t.Fatal(err)
		}
		agent, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: ptr("Agent " + name), Login: ptr("agent" + name),
			Role: ptr(roles.User), Password: ptr("Secret#2026"), Licenses: &[]string{"call_recording", "speech_analytics"}, SpeechAnalyticsType: ptr("advanced")})
		if err != nil {
			t.Fatal(err)
		}
		w.admin[name] = &caller.Caller{User: admin, TenantID: tn.ID}
		w.agent[name] = &caller.Caller{User: agent, TenantID: tn.ID}
		id, now := account.NewID(), w.clock.Now()
		if err := w.db.Q().InsertCall(ctx, store.Call{ID: id, TenantID: tn.ID, RecordedUserID: agent.ID, Recorded: true, State: store.CallCompleted,
			Direction: "inbound", StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		key := tn.ID + "/" + id + ".opus"
		if err := w.blobs.Put(ctx, key, opus); err != nil {
			t.Fatal(err)
		}
		if err := w.db.Q().SetCallAudio(ctx, tn.ID, id, key, "opus", "sum", 1); err != nil {
			t.Fatal(err)
		}
		w.callOf[name] = id
	}
	return w
}

// energy is the mean square of one channel over [fromMS, toMS).
func (w *world) energy(t *testing.T, key string, ch int, fromMS, toMS int) float64 {
	t.Helper()
	obj, err := w.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	tmp, err := os.CreateTemp(t.TempDir(), "*.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	n, err := recorder.DecodeToWAV(obj, tmp)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	from, to := fromMS*8, min(toMS*8, int(n))
	for i := from; i < to; i++ {
		v := float64(int16(binary.LittleEndian.Uint16(raw[44+4*i+2*ch:])))
		sum += v * v
	}
	return sum / float64(max(to-from, 1))
}

// words spreads text over [startMS, endMS) a word at a time.
func words(ch, text string, startMS, endMS int64) analytics.Utterance {
	fs := strings.Fields(text)
	u := analytics.Utterance{Channel: ch, StartMS: startMS, EndMS: endMS, Text: text}
	step := (endMS - startMS) / int64(len(fs))
	for i, f := range fs {
		u.Words = append(u.Words, analytics.Word{Text: f, StartMS: startMS + int64(i)*step, EndMS: startMS + int64(i+1)*step})
	}
	return u
}

func TestRedactSilencesTheSpokenCardNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		callID := w.callOf["A"]
		before, err := w.db.Q().GetCall(ctx, w.admin["A"].TenantID, callID)
		if err != nil {
			t.Fatal(err)
		}
		us := []analytics.Utterance{
			words(analytics.ChannelAgent, "can I have the card number please", 0, 1500),
			// 16 digits over 2.0–4.0 s, then "thanks" to 4.5 s.
			words(analytics.ChannelOther, "four one one one one one one one one one one one one one one one thanks", 2000, 4125),
		}
		// Off by default: nothing changes.
		if got, n, err := w.svc.Redact(ctx, w.admin["A"].TenantID, callID, us); err != nil || n != 0 || got[1].Text != us[1].Text {
			t.Fatalf("redaction off: %d spans, %v", n, err)
		}
		if err := w.svc.SaveRedaction(ctx, w.admin["A"], analytics.RedactionRule{Enabled: true, Patterns: analytics.DefaultPatterns}); err != nil {
			t.Fatal(err)
		}
		got, n, err := w.svc.Redact(ctx, w.admin["A"].TenantID, callID, us)
		if err != nil || n != 1 {
			t.Fatalf("Redact: %d spans, %v", n, err)
		}
		if got[1].Text != analytics.Mask+" thanks" || got[0].Text != us[0].Text {
			t.Errorf("masked text: %q / %q", got[0].Text, got[1].Text)
		}
		after, err := w.db.Q().GetCall(ctx, w.admin["A"].TenantID, callID)
		if err != nil {
			t.Fatal(err)
		}
		if after.BlobKey == before.BlobKey || after.SHA256 == before.SHA256 {
			t.Fatalf("the call still points at its original audio %q", after.BlobKey)
		}
		if _, err := w.blobs.Open(ctx, before.BlobKey); err == nil {
			t.Error("the unredacted original is still in the blob store")
		}
		// The other party's channel is silent where the digits were said
		// (well inside the span, away from codec ramps), and speaks
		// elsewhere; the agent's channel is untouched.
		loud := w.energy(t, after.BlobKey, 1, 500, 1500)
		if quiet := w.energy(t, after.BlobKey, 1, 2300, 3700); quiet > loud/1000 {
			t.Errorf("energy in the card number span %.0f, outside %.0f: not silenced", quiet, loud)
		}
		if agent := w.energy(t, after.BlobKey, 0, 2300, 3700); agent < loud/4 {
			t.Errorf("the agent's channel lost its audio in the span: %.0f vs %.0f", agent, loud)
		}
		log, _, err := w.db.Q().ListAudit(ctx, w.admin["A"].TenantID, store.AuditFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range log {
			found = found || (e.Action == "recording.redact" && e.ObjectID == callID)
		}
		if !found {
			t.Error("no recording.redact entry in the audit log")
		}
	})
}

func TestAnalyzeTopicsSentimentInsights(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		a, tenantA := w.admin["A"], w.admin["A"].TenantID
		topic, err := w.svc.SaveTopic(ctx, a, "", analytics.TopicView{Name: "Cancellation", Phrases: []string{"cancel my account", "close NEAR/3 account"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveTopic(ctx, a, "", analytics.TopicView{Name: "cancellation", Phrases: []string{"x"}}); !hasField(err, "name") {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := w.svc.SaveTopic(ctx, a, "", analytics.TopicView{Name: "Bad", Phrases: []string{"a NEAR/99 b"}}); !hasField(err, "phrases") {
			t.Errorf("bad phrase: %v", err)
		}
		if _, err := w.svc.SaveTopic(ctx, w.agent["A"], "", analytics.TopicView{Name: "Mine", Phrases: []string{"x"}}); !errors.Is(err, analytics.ErrForbidden) {
			t.Errorf("an agent saved a topic: %v", err)
		}
		us := []analytics.Utterance{
			words(analytics.ChannelAgent, "thank you for calling how can I help", 0, 2000),
			words(analytics.ChannelOther, "this is terrible I want to cancel my account the service is awful", 2000, 6000),
		}
		if err := w.svc.Analyze(ctx, tenantA, w.callOf["A"], analytics.Advanced, 0, us); err != nil {
			t.Fatal(err)
		}
		v, err := w.svc.Call(ctx, a, w.callOf["A"])
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Topics) != 1 || v.Topics[0].TopicID != topic.ID || v.Topics[0].FirstMS != 2000+6*(4000/13) {
			t.Errorf("topics = %+v", v.Topics)
		}
		if v.OtherSentiment.Label != analytics.Negative || len(v.Utterances) != 2 || v.Summary != "" {
			t.Errorf("sentiment = %+v", v)
		}
		// Another tenant's admin sees neither the call's analysis nor the figures.
		if _, err := w.svc.Call(ctx, w.admin["B"], w.callOf["A"]); !errors.Is(err, analytics.ErrNotFound) {
			t.Errorf("tenant B read A's analysis: %v", err)
		}
		day := func(c *caller.Caller) analytics.Insights {
			in, err := w.svc.Insights(ctx, c, analytics.InsightsQuery{From: w.clock.Now().Add(-time.Hour), To: w.clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		in := day(a)
		now := w.clock.Now().UTC()
		if in.Analysed != 1 || in.Negative != 1 || len(in.Topics) != 1 || in.Topics[0].Calls != 1 || in.Heatmap[now.Weekday()][now.Hour()].Calls != 1 {
			t.Errorf("insights = %+v", in)
		}
		if other := day(w.admin["B"]); other.Analysed != 0 || len(other.Topics) != 0 {
			t.Errorf("tenant B's insights include A's call: %+v", other)
		}
		// Basic licenses get no analysis.
		if err := w.svc.Analyze(ctx, w.admin["B"].TenantID, w.callOf["B"], analytics.Basic, 0, us); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Call(ctx, w.admin["B"], w.callOf["B"]); !errors.Is(err, analytics.ErrNotFound) {
			t.Errorf("a basic license was analysed: %v", err)
		}
		if err := w.svc.DeleteTopic(ctx, w.admin["B"], topic.ID); !errors.Is(err, analytics.ErrNotFound) {
			t.Errorf("tenant B deleted A's topic: %v", err)
		}
	})
}

func TestRedactionRuleChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		ctx := context.Background()
		for _, r := range []analytics.RedactionRule{
			{Enabled: true},
			{Enabled: true, Patterns: []analytics.Pattern{{Name: "x", MinDigits: 1, MaxDigits: 2}}},
		} {
			if err := w.svc.SaveRedaction(ctx, w.admin["A"], r); !hasField(err, "patterns") {
				t.Errorf("SaveRedaction(%+v) = %v", r, err)
			}
		}
		if err := w.svc.SaveRedaction(ctx, w.agent["A"], analytics.RedactionRule{}); !errors.Is(err, analytics.ErrForbidden) {
			t.Errorf("an agent changed redaction: %v", err)
		}
		if r, err := w.svc.GetRedaction(ctx, w.admin["A"]); err != nil || r.Enabled || len(r.Patterns) != len(analytics.DefaultPatterns) {
			t.Errorf("default rule = %+v, %v", r, err)
		}
	})
}

func hasField(err error, field string) bool {
	var errs validate.Errors
	return errors.As(err, &errs) && errs[field] != ""
}

func TestSummaryThroughAnOpenAICompatibleServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b)
		emu := httptest.NewServer(aiemu.New(aiemu.Config{Key: "sk-chat-secret"}))
		defer emu.Close()
		prov := &caller.Caller{User: store.User{ID: "prov", Login: "provider", Role: roles.ProviderAdmin}}
		us := []analytics.Utterance{words(analytics.ChannelAgent, "thank you for calling", 0, 1000), words(analytics.ChannelOther, "my invoice is wrong", 1000, 2000)}
		// Off: no summary, and the portal hides the feature.
		if w.svc.SummariesOn(ctx) {
			t.Fatal("summaries on before any endpoint was set")
		}
		if err := w.svc.SaveSummaryConfig(ctx, w.admin["A"], analytics.SummaryInput{URL: emu.URL, Model: "summary-emu"}); !errors.Is(err, analytics.ErrForbidden) {
			t.Errorf("a tenant admin set the provider's endpoint: %v", err)
		}
		if err := w.svc.SaveSummaryConfig(ctx, prov, analytics.SummaryInput{URL: "ftp://x", Model: ""}); !hasField(err, "url") || !hasField(err, "model") {
			t.Errorf("bad endpoint accepted: %v", err)
		}
		if err := w.svc.SaveSummaryConfig(ctx, prov, analytics.SummaryInput{URL: emu.URL, Model: "summary-emu", Key: "sk-chat-secret"}); err != nil {
			t.Fatal(err)
		}
		if c, err := w.svc.GetSummaryConfig(ctx, prov); err != nil || !c.KeySet || c.URL != emu.URL {
			t.Errorf("config = %+v, %v", c, err)
		}
		if err := w.svc.Analyze(ctx, w.admin["A"].TenantID, w.callOf["A"], analytics.Advanced, 0, us); err != nil {
			t.Fatal(err)
		}
		v, err := w.svc.Call(ctx, w.admin["A"], w.callOf["A"])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v.Summary, "[emulated summary]") || !strings.Contains(v.Summary, `Customer opened with "my invoice is wrong"`) {
			t.Errorf("summary = %q", v.Summary)
		}
		// A wrong key: the call keeps its analysis without a summary.
		if err := w.svc.SaveSummaryConfig(ctx, prov, analytics.SummaryInput{URL: emu.URL, Model: "summary-emu", Key: "sk-wrong"}); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Analyze(ctx, w.admin["A"].TenantID, w.callOf["A"], analytics.Advanced, 0, us); err != nil {
			t.Fatal(err)
		}
		if v, err := w.svc.Call(ctx, w.admin["A"], w.callOf["A"]); err != nil || v.Summary != "" || v.Sentiment.Label == "" {
			t.Errorf("after a refused key: %+v, %v", v, err)
		}
	})
}
