package msemu

import (
	"context"
	"time"
)

// runCall drives a call from the invitations to its end: it waits for the
// bots (up to the answer deadline), blocks the call or connects it, then
// waits for a hang-up, the call's length or a required recorder leaving.
func (e *Emulator) runCall(c *emuCall) {
	defer close(c.done)
	for _, l := range c.legs {
		go e.deliver(l)
		e.notifyIncoming(l)
	}
	if by, hungUp := e.awaitBots(c); hungUp {
		e.finish(c, by)
		return
	}
	if !e.connect(c) {
		return
	}
	e.talk(c)
}

func (e *Emulator) answerDeadline() time.Duration {
	if e.opts.AnswerDeadline > 0 {
		return e.opts.AnswerDeadline
	}
	return 5 * time.Second
}

// awaitBots waits until every bot leg answered or rejected, or the deadline
// passed (legs still incoming then end 408/1106); it reports a hang-up
// during setup.
func (e *Emulator) awaitBots(c *emuCall) (by string, hungUp bool) {
	deadline := time.NewTimer(e.answerDeadline())
	defer deadline.Stop()
	for !e.allAnswered(c) {
		select {
		case <-c.wake:
		case by := <-c.hangup:
			return by, true
		case <-deadline.C:
			e.calls.mu.Lock()
			for _, l := range c.legs {
				if l.Status == legNotified {
					e.endLeg(l, legMissed, resultAnswerLate)
				}
			}
			e.calls.mu.Unlock()
		}
	}
	return "", false
}

func (e *Emulator) allAnswered(c *emuCall) bool {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	for _, l := range c.legs {
		if l.Status == legNotified {
			return false
		}
	}
	return true
}

// connect applies RequiredBeforeCallEstablishment: a group of which no bot
// answered blocks the call; otherwise the call connects, answered legs are
// established and their media sessions start.
func (e *Emulator) connect(c *emuCall) bool {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	for _, g := range c.groups {
		if g.requiredBefore && !g.anyLeg(legAnswered) {
			c.State, c.EndReason, c.Ended = callBlocked, "a required recorder did not join", e.clock.Now()
			e.callEvent(c, nil, "blocked", map[string]any{"party": c.party(g.party).Role, "policy": c.party(g.party).Policy})
			e.endAll(c, resultEnded)
			return false
		}
	}
	c.State, c.Connected = callConnected, e.clock.Now()
	e.callEvent(c, nil, "connected", nil)
	for i, pt := range c.Parties {
		pt.Heard = append(pt.Heard, "speech: "+c.Parties[1-i].Sample.Text)
	}
	for _, l := range c.legs {
		if l.Status == legAnswered {
			e.establish(l)
		}
	}
	e.queueRoster(c)
	return true
}

// establish connects an answered leg to the call's media. Callers hold
// e.calls.mu.
func (e *Emulator) establish(l *botLeg) {
	l.Status, l.State, l.lastKeepAlive = legEstablished, "established", e.clock.Now()
	l.group.joined = true
	e.queue(l, "updated", nil)
	e.callEvent(l.call, l, "established", nil)
	ctx, cancel := context.WithCancel(context.Background())
	l.stopMedia = cancel
	go e.mediaEdge(ctx, l, e.mediaSpec(l))
}

func (g *recorderGroup) anyLeg(status string) bool {
	for _, l := range g.legs {
		if l.Status == status {
			return true
		}
	}
	return false
}

// talk waits for the end of a connected call; RequiredDuringCall cuts it
// when every bot of a group that joined has gone.
func (e *Emulator) talk(c *emuCall) {
	end := time.NewTimer(c.Duration)
	defer end.Stop()
	tick := e.opts.KeepAliveCheck
	if tick <= 0 {
		tick = time.Second
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-end.C:
			e.finish(c, "caller")
			return
		case by := <-c.hangup:
			e.finish(c, by)
			return
		case <-ticker.C:
			e.expireKeepAlives(c)
		case <-c.wake:
		}
		if e.cutIfRequired(c) {
			return
		}
	}
}

func (e *Emulator) expireKeepAlives(c *emuCall) {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	now := e.clock.Now()
	for _, l := range c.legs {
		if l.Status == legEstablished && now.Sub(l.lastKeepAlive) >= keepAliveExpiry {
			e.endLeg(l, legFailed, resultKeepAlive)
		}
	}
}

func (e *Emulator) cutIfRequired(c *emuCall) bool {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	for _, g := range c.groups {
		if g.joined && g.requiredDuring && !g.anyLeg(legEstablished) {
			c.State, c.EndReason, c.Ended = callCut, "a required recorder left the call", e.clock.Now()
			e.callEvent(c, nil, "cut", map[string]any{"party": c.party(g.party).Role, "policy": c.party(g.party).Policy})
			e.endAll(c, resultEnded)
			return true
		}
	}
	return false
}

// finish ends a call because party by hung up: each bot leg learns that
// its own user ended the call (5001) or the other side did (4097).
func (e *Emulator) finish(c *emuCall, by string) {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	c.State, c.EndReason, c.Ended = callEnded, by+" hung up", e.clock.Now()
	e.callEvent(c, nil, "ended", map[string]any{"by": by})
	for _, l := range c.legs {
		if !l.active() {
			continue
		}
		res := resultEnded
		if c.party(l.group.party).Role != by {
			res = resultOtherHungUp
		}
		e.endLeg(l, legEnded, res)
	}
}

// endAll ends every live leg of a call. Callers hold e.calls.mu.
func (e *Emulator) endAll(c *emuCall, res resultInfo) {
	for _, l := range c.legs {
		if l.active() {
			e.endLeg(l, legEnded, res)
		}
	}
}

// endLeg terminates a bot leg: its media session stops and the bot gets
// the terminated notification. Callers hold e.calls.mu.
func (e *Emulator) endLeg(l *botLeg, status string, res resultInfo) {
	if !l.active() {
		return
	}
	wasIncoming := l.Status == legNotified
	l.Status, l.State, l.Result = status, "terminated", &res
	if l.stopMedia != nil {
		l.stopMedia()
	}
	e.callEvent(l.call, l, "terminated", map[string]any{"status": status, "code": res.Code, "subcode": res.Subcode, "message": res.Message})
	if l.call.State == callConnected && l.Recording == "recording" {
		e.applyNotice(l)
	}
	if !wasIncoming || status == legMissed {
		e.queue(l, "deleted", &res)
	}
	l.seal()
}

func (l *botLeg) seal() {
	if !l.sealed {
		l.sealed = true
		close(l.outbox)
	}
}
