package main

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"callrec/internal/siprecload"
)

// placed is one call the driver placed through the proxy, as the SRC saw it.
type placed struct {
	n        int
	probe    bool // placed during or after the fault, to see where new calls go
	start    time.Time
	answered time.Time // zero when the INVITE failed
	ended    time.Time // when its RTP stopped (BYE, or the SRC gave up on the node)
	setupErr string    // the INVITE's failure ("503", "timeout", …)
	byeErr   error
	callID   string
	targets  []netip.AddrPort

	flows []*siprecload.Flow
	pacer *siprecload.Pacer
}

// driver places calls the way an SBC would, one SIP client and two RTP
// pacers for all of them.
type driver struct {
	target string
	client *siprecload.Client
	pacers []*siprecload.Pacer

	mu    sync.Mutex
	calls []*placed
	wg    sync.WaitGroup
}

func newDriver(ctx context.Context, target, ip string) (*driver, error) {
	c, err := siprecload.NewClient(ip)
	if err != nil {
		return nil, err
	}
	d := &driver{target: target, client: c}
	for range 2 {
		p, err := siprecload.NewPacer(ip)
		if err != nil {
			return nil, err
		}
		go p.Run(ctx)
		d.pacers = append(d.pacers, p)
	}
	return d, nil
}

// place starts one call of length hold in the background.
func (d *driver) place(ctx context.Context, hold time.Duration, probe bool) {
	d.mu.Lock()
	c := &placed{n: len(d.calls), probe: probe, start: time.Now()}
	c.pacer = d.pacers[c.n%len(d.pacers)]
	d.calls = append(d.calls, c)
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(ctx, c, hold)
	}()
}

func (d *driver) run(ctx context.Context, c *placed, hold time.Duration) {
	spec := siprecload.Spec{Target: d.target, RTPFrom: c.pacer.Addr(), Streams: []siprecload.Stream{
		{Label: "1", AOR: "sip:+15550" + strconv.Itoa(100000+c.n) + "@carrier.example", Name: "Caller", PT: 0},
		{Label: "2", AOR: "sip:2001@pbx.example", Name: "Agent", PT: 0}}}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	call, err := d.client.Dial(sctx, spec)
	cancel()
	if err != nil {
		d.mu.Lock()
		c.setupErr = failure(err)
		d.mu.Unlock()
		return
	}
	flows := []*siprecload.Flow{siprecload.NewFlow(call.Targets[0], siprecload.ToneSource(1000)),
		siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(440))}
	d.mu.Lock()
	c.answered, c.callID, c.targets, c.flows = time.Now(), call.CallID(), call.Targets, flows
	for _, f := range flows {
		c.pacer.Add(f)
	}
	d.mu.Unlock()
	select {
	case <-time.After(hold):
	case <-ctx.Done():
	}
	d.stopFlows(c)
	bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = call.Bye(bctx)
	d.mu.Lock()
	c.byeErr = err
	d.mu.Unlock()
}

// stopFlows ends a call's RTP once; the first time counts as its end.
func (d *driver) stopFlows(c *placed) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.flows == nil {
		return
	}
	for _, f := range c.flows {
		c.pacer.Remove(f)
	}
	c.flows, c.ended = nil, time.Now()
}

// abandon stops the RTP of every call whose media goes to ports in
// [lo, hi]: the node that took them is gone. The pacers send every call
// from one socket, so RTP left flowing would reach whatever call the
// restarted node later opens on the same port from the same address, which
// no real SBC (one port pair per call) does.
func (d *driver) abandon(lo, hi int) []*placed {
	d.mu.Lock()
	var hit []*placed
	for _, c := range d.calls {
		if c.flows != nil && len(c.targets) > 0 && int(c.targets[0].Port()) >= lo && int(c.targets[0].Port()) <= hi {
			hit = append(hit, c)
		}
	}
	d.mu.Unlock()
	for _, c := range hit {
		d.stopFlows(c)
	}
	return hit
}

// snapshot copies the calls placed so far, for reporting.
func (d *driver) snapshot() []placed {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]placed, len(d.calls))
	for i, c := range d.calls {
		out[i] = *c
	}
	return out
}

func failure(err error) string {
	var se *siprecload.StatusError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}
