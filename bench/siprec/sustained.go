package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/blob"
	"callrec/internal/recorder"
	"callrec/internal/siprecload"
	"callrec/internal/store"
)

// storeClock wraps the blob store and notes when each call's archive
// finished uploading, so the bench can tell BYE-to-stored per call.
type storeClock struct {
	blob.Store
	mu     sync.Mutex
	stored map[string]time.Time // call id → upload done
}

func (s *storeClock) Put(ctx context.Context, key, file string) error {
	err := s.Store.Put(ctx, key, file)
	if err == nil {
		s.mu.Lock()
		s.stored[strings.TrimSuffix(path.Base(key), ".opus")] = time.Now()
		s.mu.Unlock()
	}
	return err
}

func (s *storeClock) at(callID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.stored[callID]
	return t, ok
}

// sustainedRun is one business-hour run: n calls kept up for hold, each
// replaced as it ends, calls lasting shortest..longest.
type sustainedRun struct {
	bin, sipAddr       string
	rec                *recorder.Recorder
	db                 *store.DB
	tenantID           string
	blobs              *storeClock
	metrics            *prometheus.Registry
	n                  int
	hold               time.Duration
	shortest, longest  time.Duration
	cps                float64
	sample             time.Duration
	storedWithin       time.Duration
	waitForStoredAfter time.Duration
	// audio is the WAV the calls send; empty: siprec-load's tones.
	audio string
}

// backlog counts the ended recorded calls whose archive is not stored yet.
type backlog struct {
	calls         int
	audio, oldest time.Duration
	ended, stored int
}

func (s *sustainedRun) backlog(ctx context.Context) (backlog, error) {
	var b backlog
	now := time.Now()
	err := s.eachCall(ctx, func(c store.Call) {
		if !c.Recorded || c.State == store.CallActive || c.EndedAt == nil {
			return
		}
		b.ended++
		if c.BlobKey != "" {
			b.stored++
			return
		}
		b.calls++
		b.audio += time.Duration(c.DurationMS) * time.Millisecond
		b.oldest = max(b.oldest, now.Sub(*c.EndedAt))
	})
	return b, err
}

func (s *sustainedRun) eachCall(ctx context.Context, f func(store.Call)) error {
	var cursor string
	for {
		cs, next, err := s.db.Q().ListCalls(ctx, s.tenantID, store.CallFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, c := range cs {
			f(c)
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// encodeCPU is the encoder's CPU so far, if this build reports it.
func (s *sustainedRun) encodeCPU() (float64, bool) {
	mfs, err := s.metrics.Gather()
	if err != nil {
		return 0, false
	}
	for _, mf := range mfs {
		if mf.GetName() != "callrec_encode_cpu_seconds_total" {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
		return sum, true
	}
	return 0, false
}

func (s *sustainedRun) run(ctx context.Context) error {
	before := s.rec.Totals()
	drops0 := udpRcvbufErrors()
	cpu0 := selfCPU()
	enc0, encOK := s.encodeCPU()
	start := time.Now()
	args := []string{"siprec-load", "--target", s.sipAddr, "--concurrency", strconv.Itoa(s.n),
		"--for", s.hold.String(), "--duration", s.shortest.String(), "--max-duration", s.longest.String(), "--cps", fmt.Sprint(s.cps)}
	if s.audio != "" {
		args = append(args, "--audio", s.audio)
	}
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sends := "two continuous tones"
	if s.audio != "" {
		sends = filepath.Base(s.audio)
	}
	fmt.Printf("sustained: %d concurrent calls for %v, each %v–%v, replaced as it ends, sending %s\n", s.n, s.hold, s.shortest, s.longest, sends)
	fmt.Printf("%7s %7s %9s %9s %11s %13s %12s %8s\n", "t", "live", "rec-cpu%", "enc-cpu%", "backlog", "backlog-audio", "oldest-wait", "stored")
	loadDone := make(chan error, 1)
	var sum siprecload.Summary
	go func() {
		err := json.NewDecoder(out).Decode(&sum)
		_ = cmd.Wait()
		loadDone <- err
	}()
	tick := time.NewTicker(s.sample)
	defer tick.Stop()
	lastCPU, lastEnc, last := cpu0, enc0, start
	var worstBacklog backlog
	var loadErr error
	for running := true; running; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case loadErr = <-loadDone:
			running = false
		case now := <-tick.C:
			b, err := s.backlog(ctx)
			if err != nil {
				return err
			}
			if b.oldest > worstBacklog.oldest {
				worstBacklog = b
			}
			cpu, enc, _ := selfCPU(), 0.0, false
			enc, _ = s.encodeCPU()
			span := now.Sub(last).Seconds()
			encPct := "n/a"
			if encOK {
				encPct = fmt.Sprintf("%.0f%%", (enc-lastEnc)/span*100)
			}
			fmt.Printf("%6.1fm %7d %8.0f%% %9s %11d %12.0fs %11.0fs %8d\n", now.Sub(start).Minutes(), s.rec.ActiveCalls(),
				(cpu-lastCPU)/span*100, encPct, b.calls, b.audio.Seconds(), b.oldest.Seconds(), b.stored)
			lastCPU, lastEnc, last = cpu, enc, now
		}
	}
	if loadErr != nil {
		return fmt.Errorf("siprec-load output: %w", loadErr)
	}
	loadEnd := time.Now()
	// Every recording must reach the blob store; wait for the tail.
	var b backlog
	for deadline := time.Now().Add(s.waitForStoredAfter); ; {
		if b, err = s.backlog(ctx); err != nil {
			return err
		}
		if b.calls == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	drained := time.Since(loadEnd)
	cpu := selfCPU() - cpu0
	enc, _ := s.encodeCPU()
	enc -= enc0
	after := s.rec.Totals()
	received, sent := after.Packets-before.Packets, sum.PacketsSent
	loss := 0.0
	if sent > 0 {
		loss = float64(max(sent-received, after.Lost-before.Lost)) / float64(sent) * 100
	}
	var waits []float64
	var bytes, audioMS int64
	late, unstored := 0, 0
	err = s.eachCall(ctx, func(c store.Call) {
		if !c.Recorded || c.EndedAt == nil || c.StartedAt.Before(start) {
			return
		}
		at, ok := s.blobs.at(c.ID)
		if !ok || c.BlobKey == "" {
			unstored++
			fmt.Printf("not matched to an upload: call %s state %s ended %v key %q\n", c.ID, c.State, c.EndedAt, c.BlobKey)
			return
		}
		w := at.Sub(*c.EndedAt)
		waits = append(waits, w.Seconds())
		if w > s.storedWithin {
			late++
		}
		bytes += c.SizeBytes
		audioMS += c.DurationMS
	})
	if err != nil {
		return err
	}
	callHours := float64(audioMS) / 3.6e6
	fmt.Printf("calls placed %d, completed %d, failed %d %v; setup p99 %.0f ms\n", sum.Calls, sum.Completed, sum.Failed, sum.Failures, sum.SetupMS.P99)
	fmt.Printf("packet loss %.4f%% (sent %d, received %d, sequence gaps %d), late %d, socket-buffer drops (whole machine) %d\n",
		loss, sent, received, after.Lost-before.Lost, after.Late-before.Late, udpRcvbufErrors()-drops0)
	fmt.Printf("recordings stored %d, not stored %d (waited %v after the last call)\n", len(waits), unstored, drained.Round(time.Second))
	fmt.Printf("BYE to stored: p50 %.1f s, p99 %.1f s, max %.1f s; %d stored later than %v\n", pct(waits, 0.5), pct(waits, 0.99), pct(waits, 1), late, s.storedWithin)
	fmt.Printf("worst backlog: %d calls, %.0f s of audio, oldest waiting %.0f s\n", worstBacklog.calls, worstBacklog.audio.Seconds(), worstBacklog.oldest.Seconds())
	if callHours > 0 {
		fmt.Printf("archive: %.2f MB per recorded stereo hour over %.1f call-hours\n", float64(bytes)/callHours/1e6, callHours)
		if encOK {
			fmt.Printf("CPU: recorder process %.0f s = capture and the rest %.2f CPU-s per call-hour + encoding %.2f CPU-s per channel-hour\n",
				cpu, (cpu-enc)/callHours, enc/callHours/2)
		} else {
			fmt.Printf("CPU: recorder process %.0f s = %.2f CPU-s per call-hour (this build does not report the encoder's share)\n", cpu, cpu/callHours)
		}
		fmt.Printf("load generator: %.0f CPU-s (same machine)\n", sum.CPUSeconds)
	}
	holds := sum.Failed == 0 && loss == 0 && unstored == 0 && late == 0
	fmt.Printf("verdict: %d concurrent calls sustained for %v: %s\n", s.n, s.hold, map[bool]string{true: "HOLDS", false: "does not hold"}[holds])
	return nil
}
