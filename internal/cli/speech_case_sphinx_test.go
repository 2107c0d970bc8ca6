//go:build pocketsphinx

package cli

import (
	"testing"

	"callrec/internal/store"
)

// speechCase, with -tags pocketsphinx, transcribes with pocketsphinx: the
// phrases asserted are ones it hears through G.711 and the 8 kbit/s Opus
// archive.
func speechCase(t *testing.T) speechTest {
	return speechTest{settings: store.SpeechSettings{Engine: "pocketsphinx"},
		agentText: "your order will be delivered on friday afternoon", agentPitch: "40",
		callerText: "good morning how can i help you today", callerPitch: "60", wantAgent: "friday", wantCaller: "help you"}
}
