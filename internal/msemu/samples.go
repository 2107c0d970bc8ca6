package msemu

import _ "embed"

// speechSample is what one side of an emulated call says, over and over.
type speechSample struct {
	Text string
	ULaw []byte // G.711 µ-law, 8 kHz mono
}

var (
	//go:embed samples/caller.ulaw
	callerULaw []byte
	//go:embed samples/callee.ulaw
	calleeULaw []byte
)

// samples are the caller's and the callee's speech (samples/README.md).
var samples = [2]speechSample{
	{Text: "Hello, this is Adele from Contoso. I am calling about the order we placed last week.", ULaw: callerULaw},
	{Text: "Thanks for calling. Your order shipped this morning and should arrive on Friday.", ULaw: calleeULaw},
}
