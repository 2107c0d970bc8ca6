//go:build !pocketsphinx

package cli

import (
	"net/http/httptest"
	"testing"

	"callrec/internal/aiemu"
	"callrec/internal/store"
)

// speechCase, in the default build, transcribes with the OpenAI-compatible
// engine against aiemu, which cannot recognise speech: it answers each
// party's sentence by the pitch of the voice (espeak-ng -p 10 ≈ 75 Hz,
// -p 90 ≈ 155 Hz), which is enough to prove each channel's words land on
// the right party with their times.
func speechCase(t *testing.T) speechTest {
	const agent, caller = "your order will be delivered on friday afternoon", "good morning how can i help you today"
	srv := httptest.NewServer(aiemu.New(aiemu.Config{Transcriber: aiemu.ByPitch(110, agent, caller)}))
	t.Cleanup(srv.Close)
	return speechTest{settings: store.SpeechSettings{Engine: "openai", URL: srv.URL, Model: "whisper-1"},
		agentText: agent, agentPitch: "10", callerText: caller, callerPitch: "90", wantAgent: "friday afternoon", wantCaller: "help you", minRecall: 1}
}
