package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report is what one fault did to the calls.
type report struct {
	fault    string
	victim   string
	tl       timeline
	calls    []placed
	rows     map[string]row
	inFlight []placed // answered before the fault, still running at it
	affected int      // in-flight calls not completed normally, plus failed new calls
	lost     []string // answered calls without a stored recording
	probes, probesFailed,
	probesLate int // new calls failed after fault + ping interval + 1 s, before the node was back
	onVictim    int           // new calls the victim took while it was down
	lostAudio   []float64     // seconds, per affected in-flight call: expected − recorded
	shortfall   time.Duration // worst (fault − answer) − recorded, of calls on a killed recorder
	cleanLoss   time.Duration // worst expected − recorded among calls completed normally
	recovery    time.Duration // fault until new calls succeeded again
	storedAfter time.Duration // last call's end until every recording was stored
	sinceEnd    time.Duration // the fault's end until every recording was stored
	listed      map[string]int
	held        []string          // calls whose encode job the killed worker was running
	heldBy      map[string]string // call → its job's last lease holder and state
	failed      map[string]int    // setup failures by answer
}

func analyse(o options, tl timeline, calls []placed, rows map[string]row) *report {
	r := &report{fault: o.fault, victim: o.victim, tl: tl, calls: calls, rows: rows, failed: map[string]int{}}
	if r.fault == "recorder" {
		r.victim = or(r.victim, "rec1")
	}
	var lastFail time.Time
	for _, c := range calls {
		if c.answered.IsZero() {
			r.failed[c.setupErr]++
		}
		if c.probe {
			r.probes++
			if c.answered.IsZero() {
				r.probesFailed++
				r.affected++
				lastFail = c.start
				if c.start.After(tl.fault.Add(tl.ping+time.Second)) && (tl.recovered.IsZero() || c.start.Before(tl.recovered)) {
					r.probesLate++
				}
			} else if row, ok := rows[c.callID]; ok && r.victim != "" && row.node == r.victim && c.start.Before(tl.recovered) {
				r.onVictim++
			}
		}
		if c.answered.IsZero() {
			continue
		}
		row, ok := rows[c.callID]
		if !ok || !row.stored {
			r.lost = append(r.lost, c.callID)
		}
		expected := c.ended.Sub(c.answered)
		if !c.probe && c.answered.Before(tl.fault) && c.ended.After(tl.fault) {
			r.inFlight = append(r.inFlight, c)
			if !ok || row.state != "completed" || c.byeErr != nil {
				r.affected++
				r.lostAudio = append(r.lostAudio, max(0, (expected-row.duration).Seconds()))
				if ok && row.node == r.victim {
					r.shortfall = max(r.shortfall, tl.fault.Sub(c.answered)-row.duration)
				}
				continue
			}
		}
		if ok && row.state == "completed" {
			r.cleanLoss = max(r.cleanLoss, expected-row.duration)
		}
	}
	if !lastFail.IsZero() {
		r.recovery = lastFail.Add(o.probeEvery).Sub(tl.fault)
	}
	var lastEnd time.Time
	for _, c := range calls {
		if c.ended.After(lastEnd) {
			lastEnd = c.ended
		}
	}
	r.storedAfter, r.sinceEnd = time.Since(lastEnd), time.Since(tl.recovered)
	slices.Sort(r.lostAudio)
	return r
}

func (r *report) print(w io.Writer) {
	answered := 0
	for _, c := range r.calls {
		if !c.answered.IsZero() {
			answered++
		}
	}
	lostMax, lostP50 := 0.0, 0.0
	if n := len(r.lostAudio); n > 0 {
		lostMax, lostP50 = r.lostAudio[n-1], r.lostAudio[n/2]
	}
	fmt.Fprintf(w, "fault %-8s calls %d answered %d (setup failures %v) | in flight %d, affected %d | audio lost per affected call p50 %.1f s max %.1f s, before the fault ≤ %.2f s | unaffected calls lost ≤ %.2f s | recordings lost %d | new calls %d, failed %d (%d after the probe interval), on the dead node %d | recovery %.1f s | all stored %.0f s after the last call, %.0f s after the fault ended\n",
		r.fault, len(r.calls), answered, r.failed, len(r.inFlight), r.affected, lostP50, lostMax, r.shortfall.Seconds(), r.cleanLoss.Seconds(),
		len(r.lost), r.probes, r.probesFailed, r.probesLate, r.onVictim, r.recovery.Seconds(), r.storedAfter.Seconds(), r.sinceEnd.Seconds())
	if r.fault == "worker" {
		by := map[string]int{}
		for _, id := range r.held {
			by[or(r.heldBy[id], "no job row")]++
		}
		fmt.Fprintf(w, "  the killed worker was encoding %d calls; all of them stored: %v; their jobs at the end: %v\n", len(r.held), r.heldStored(), by)
	}
	var nodes []string
	for n, k := range r.listed {
		nodes = append(nodes, fmt.Sprintf("%s:%d", n, k))
	}
	slices.Sort(nodes)
	fmt.Fprintf(w, "  a web node lists calls by recorder: %s\n", strings.Join(nodes, " "))
}

// failures prints each failed assertion and counts them.
func (r *report) failures(o options, st map[string]string) int {
	n := 0
	fail := func(format string, a ...any) {
		n++
		fmt.Printf("FAIL "+format+"\n", a...)
	}
	if len(r.lost) > 0 {
		fail("%d recordings lost: %v", len(r.lost), r.lost[:min(5, len(r.lost))])
	}
	if len(r.inFlight) == 0 && r.fault != "worker" {
		fail("no call was in flight when the fault hit")
	}
	if r.fault == "worker" && !r.heldStored() {
		fail("a call the killed worker was encoding is not stored")
	}
	for _, c := range r.inFlight {
		row, ok := r.rows[c.callID]
		switch {
		case !ok:
		case r.fault == "recorder" && row.node == r.victim:
			if row.state != "interrupted" {
				fail("call %s on the killed %s is %s, want interrupted", c.callID, r.victim, row.state)
			} else if short := r.tl.fault.Sub(c.answered) - row.duration; short > time.Second {
				fail("call %s on the killed %s holds %v of audio, %v short of the kill", c.callID, r.victim, row.duration, short)
			}
		case r.fault == "worker":
		default:
			if row.state != "completed" || c.byeErr != nil {
				fail("call %s on %s: %s, BYE %v; want completed", c.callID, row.node, row.state, c.byeErr)
			}
		}
	}
	if r.fault == "recorder" {
		if r.probesLate > 0 {
			fail("%d new calls failed later than the probe interval (%v) + 1 s after the kill", r.probesLate, r.tl.ping)
		}
		if r.onVictim > 0 {
			fail("%d new calls landed on %s while it was down", r.onVictim, r.victim)
		}
	}
	for _, node := range strings.Split(st["CLUSTER_RECORDERS"], ",") {
		took := false
		for _, row := range r.rows {
			took = took || row.node == node
		}
		if took && r.listed[node] == 0 {
			fail("the web node lists no call that %s took", node)
		}
	}
	return n
}

// heldStored tells whether every call the killed worker held is stored.
func (r *report) heldStored() bool {
	for _, id := range r.held {
		if row, ok := r.rows[id]; !ok || !row.stored {
			return false
		}
	}
	return true
}
