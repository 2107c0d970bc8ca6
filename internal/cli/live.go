package cli

import "callrec/internal/recorder"

// live is how this node's listeners reach live calls: this process's
// recorder directly, and other recorder nodes through the node registry
// and the internal key that cross-node playback uses.
func (a *app) live() *recorder.Live {
	return &recorder.Live{Rec: a.rec, Nodes: a.nodes()}
}
