package msemu

import "fmt"

// RedeliverIncoming sends a bot leg's incoming-call notification once more,
// as Microsoft's at-least-once delivery may: a bot must see it as the
// duplicate it is. It waits for the bot's answer to the notification.
func (e *Emulator) RedeliverIncoming(legID string) error {
	e.calls.mu.Lock()
	l := e.calls.legs[legID]
	if l == nil {
		e.calls.mu.Unlock()
		return fmt.Errorf("%w: leg %s", errNoCall, legID)
	}
	c := l.call
	n := notification{url: l.Webhook, appID: l.AppID, tid: l.TenantID, body: commsNotifications("created", "/communications/calls/"+l.ID, incomingCall(c, l))}
	e.callEvent(c, l, "redelivered", map[string]any{"webhook": l.Webhook})
	e.calls.mu.Unlock()
	_, err := e.post(n)
	return err
}

// SetCallingWebhook moves the calling webhook of callrec's app registration
// (new calls only), e.g. to an address where no bot listens.
func (e *Emulator) SetCallingWebhook(url string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if app := e.w.Apps[CallrecClientID]; app != nil {
		app.CallingWebhook = url
	}
}
