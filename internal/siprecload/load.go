package siprecload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Config is one load run.
type Config struct {
	Target      string        // recorder SIP host:port
	Calls       int           // calls to place
	Concurrency int           // at most this many at once
	Duration    time.Duration // each call's length (with MaxDuration: the shortest)
	// MaxDuration, when above Duration, makes each call's length uniform
	// in [Duration, MaxDuration].
	MaxDuration time.Duration
	// For, when set, is a sustained run: Concurrency calls are kept up for
	// this long, each replaced as it ends, and Calls is ignored. Calls
	// placed before it runs out last their full length.
	For      time.Duration
	CPS      float64 // new calls per second
	Audio    string  // WAV file (8 kHz 16-bit, mono or stereo); empty: two tones
	User     string  // request-URI user (a source's domain), default "srs"
	AgentAOR string  // the recorded party's address, default sip:2001@pbx.example
	IP       string  // local address, default 127.0.0.1
}

// Summary is what siprec-load prints.
type Summary struct {
	Calls       int            `json:"calls"`
	Completed   int            `json:"completed"`
	Failed      int            `json:"failed"`
	Failures    map[string]int `json:"failures"`
	SetupMS     Percentiles    `json:"setup_ms"`
	PacketsSent int64          `json:"packets_sent"`
	ElapsedS    float64        `json:"elapsed_s"`
	// CPUSeconds is this load generator's own CPU (user+system), since it
	// shares the machine with the recorder.
	CPUSeconds float64 `json:"cpu_seconds"`
}

// Percentiles of a latency distribution.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Run places the calls and returns the summary.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if (cfg.Calls <= 0 && cfg.For <= 0) || cfg.Concurrency <= 0 || cfg.CPS <= 0 || cfg.Duration <= 0 {
		return Summary{}, errors.New("siprecload: calls (or a sustained time), concurrency, cps and duration must be positive")
	}
	if cfg.MaxDuration != 0 && cfg.MaxDuration < cfg.Duration {
		return Summary{}, errors.New("siprecload: the longest call is shorter than the shortest")
	}
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if cfg.AgentAOR == "" {
		cfg.AgentAOR = "sip:2001@pbx.example"
	}
	srcA, srcB := ToneSource(1000), ToneSource(440)
	if cfg.Audio != "" {
		a, b, err := readWAV(cfg.Audio)
		if err != nil {
			return Summary{}, err
		}
		srcA, srcB = PCMSource(a), PCMSource(b)
	}
	client, err := NewClient(cfg.IP)
	if err != nil {
		return Summary{}, err
	}
	defer client.Close()
	pacers := make([]*Pacer, 2)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	for i := range pacers {
		if pacers[i], err = NewPacer(cfg.IP); err != nil {
			return Summary{}, err
		}
		go pacers[i].Run(pctx)
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	var (
		mu       sync.Mutex
		setups   []float64
		failures = map[string]int{}
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, cfg.Concurrency)
	interval := time.Duration(float64(time.Second) / cfg.CPS)
	next := time.Now()
	deadline := start.Add(cfg.For)
	placed := 0
	for i := 0; ctx.Err() == nil; i++ {
		if cfg.For == 0 && i >= cfg.Calls {
			break
		}
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		sem <- struct{}{}
		if cfg.For > 0 && time.Now().After(deadline) {
			<-sem
			break
		}
		// Replacements that waited for a free slot don't burst to catch up.
		if now := time.Now(); next.Before(now) {
			next = now
		}
		placed++
		length := cfg.Duration
		if cfg.MaxDuration > cfg.Duration {
			length += rand.N(cfg.MaxDuration - cfg.Duration)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			p := pacers[i%len(pacers)]
			spec := Spec{Target: cfg.Target, User: cfg.User, RTPFrom: p.Addr(), Streams: []Stream{
				{Label: "1", AOR: "sip:+15550" + strconv.Itoa(100000+i) + "@carrier.example", Name: "Caller", PT: 0},
				{Label: "2", AOR: cfg.AgentAOR, Name: "Agent", PT: 0}}}
			t0 := time.Now()
			call, err := client.Dial(ctx, spec)
			setup := time.Since(t0)
			if err != nil {
				mu.Lock()
				failures[failureKey(err)]++
				mu.Unlock()
				return
			}
			mu.Lock()
			setups = append(setups, float64(setup.Microseconds())/1000)
			mu.Unlock()
			flows := []*Flow{NewFlow(call.Targets[0], srcA), NewFlow(call.Targets[1], srcB)}
			for _, f := range flows {
				p.Add(f)
			}
			select {
			case <-time.After(length):
			case <-ctx.Done():
			}
			for _, f := range flows {
				p.Remove(f)
			}
			bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := call.Bye(bctx); err != nil {
				mu.Lock()
				failures["bye"]++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	s := Summary{Calls: placed, Completed: len(setups), Failures: failures, SetupMS: percentiles(setups),
		ElapsedS: time.Since(start).Seconds(), CPUSeconds: cpuSeconds() - cpu0}
	for _, n := range failures {
		s.Failed += n
	}
	for _, p := range pacers {
		s.PacketsSent += p.Sent()
	}
	return s, nil
}

func failureKey(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

func percentiles(v []float64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	slices.Sort(v)
	at := func(q float64) float64 { return v[min(int(q*float64(len(v))), len(v)-1)] }
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: v[len(v)-1]}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// readWAV reads an 8 kHz 16-bit PCM WAV; a mono file feeds both streams.
func readWAV(path string) (a, b []int16, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("siprecload: audio: %w", err)
	}
	if len(raw) < 44 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
		return nil, nil, fmt.Errorf("siprecload: %s is not a WAV file", path)
	}
	var channels, bits int
	var rate uint32
	for off := 12; off+8 <= len(raw); {
		id, size := string(raw[off:off+4]), int(binary.LittleEndian.Uint32(raw[off+4:]))
		body := raw[off+8 : min(off+8+size, len(raw))]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, nil, fmt.Errorf("siprecload: %s: short fmt chunk", path)
			}
			channels, rate, bits = int(binary.LittleEndian.Uint16(body[2:])), binary.LittleEndian.Uint32(body[4:]), int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if rate != 8000 || bits != 16 || channels < 1 || channels > 2 {
				return nil, nil, fmt.Errorf("siprecload: %s: want 8 kHz 16-bit mono or stereo, got %d Hz %d-bit %d channels", path, rate, bits, channels)
			}
			for i := 0; i+2*channels <= len(body); i += 2 * channels {
				a = append(a, int16(binary.LittleEndian.Uint16(body[i:])))
				b = append(b, int16(binary.LittleEndian.Uint16(body[i+2*(channels-1):])))
			}
			if len(a) == 0 {
				return nil, nil, fmt.Errorf("siprecload: %s has no samples", path)
			}
			return a, b, nil
		}
		off += 8 + size + size%2
	}
	return nil, nil, fmt.Errorf("siprecload: %s has no data chunk", path)
}
