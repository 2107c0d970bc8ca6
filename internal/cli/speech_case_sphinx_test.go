//go:build pocketsphinx

package cli

import (
	"testing"

	"callrec/internal/store"
)

// speechCase, with -tags pocketsphinx, transcribes with pocketsphinx. Its
// answer moves with a 10 ms shift of where a voiced segment starts (the
// RTP clock against the mix's grid differs from run to run): it has heard
// "friday" as "right that to" and "good morning" as "look marty". The
// phrases asserted are ones it heard in every run, and at least half of
// each sentence's words must come through.
func speechCase(t *testing.T) speechTest {
	return speechTest{settings: store.SpeechSettings{Engine: "pocketsphinx"},
		agentText: "your order will be delivered on friday afternoon", agentPitch: "40",
		callerText: "good morning how can i help you today", callerPitch: "60", wantAgent: "will be delivered", wantCaller: "help you", minRecall: 0.5}
}
