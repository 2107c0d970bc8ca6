// Command siprec benchmarks the SIPREC recorder on this machine: it runs the
// recorder in this process, drives it with `callrec siprec-load` as a child
// process over 127.0.0.1, and prints, per load step, the concurrent
// two-stream G.711 calls, packet loss, recorder CPU per call, bytes per
// recorded hour and BYE-to-playable latency. bench/siprec.sh runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/recorder"
	"callrec/internal/roles"
	"callrec/internal/siprecload"
	"callrec/internal/store"
)

func main() {
	bin := flag.String("bin", "", "callrec binary (runs siprec-load)")
	steps := flag.String("calls", "250,500,1000", "concurrent calls per step")
	hold := flag.Duration("duration", 30*time.Second, "length of each call")
	cps := flag.Float64("cps", 100, "call setup rate")
	probes := flag.Int("probes", 10, "calls per step whose BYE-to-playable latency is measured")
	cpuProfile := flag.String("cpuprofile", "", "write the recorder's CPU profile (all steps) to this file")
	sustain := flag.Duration("sustain", 0, "sustained mode: keep each step's calls up this long (e.g. 30m), each replaced as it ends")
	shortest := flag.Duration("min-duration", time.Minute, "sustained mode: the shortest call")
	longest := flag.Duration("max-duration", 5*time.Minute, "sustained mode: the longest call")
	sample := flag.Duration("sample", time.Minute, "sustained mode: how often the backlog is printed")
	within := flag.Duration("stored-within", 2*time.Minute, "sustained mode: the longest acceptable wait from BYE to stored")
	audio := flag.String("audio", "", "sustained mode: stereo 8 kHz WAV each call sends (one party a channel), e.g. the dialogue `go run ./bench/encoder -call-wav FILE` writes; default two continuous tones")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	sus := sustainedRun{hold: *sustain, shortest: *shortest, longest: *longest, sample: *sample, storedWithin: *within,
		waitForStoredAfter: 10 * time.Minute, cps: *cps, audio: *audio}
	if err := run(*bin, *steps, *hold, *cps, *probes, sus); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin, steps string, hold time.Duration, cps float64, probes int, sus sustainedRun) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "callrec-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, tenantID, err := seed(ctx, dir)
	if err != nil {
		return err
	}
	disk, err := blob.NewDisk(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	blobs := &storeClock{Store: disk, stored: map[string]time.Time{}}
	metrics := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec, err := recorder.New(recorder.Config{SIPAddr: "127.0.0.1:0", RTPPorts: "40000-49999", MediaIP: netip.MustParseAddr("127.0.0.1"),
		SpoolDir: filepath.Join(dir, "spool"), Node: "bench", MaxCalls: 5000, Metrics: metrics}, db, blobs, nil, log, nil)
	if err != nil {
		return err
	}
	ready := make(chan string, 1)
	go func() { _ = rec.Run(ctx, func(a string) { ready <- a }) }()
	sipAddr := <-ready
	lib := &recorder.Library{Spool: filepath.Join(dir, "spool"), Blobs: blobs}
	fmt.Printf("machine: %d vCPU (%s), Go %s\n", runtime.NumCPU(), cpuModel(), runtime.Version())
	if sus.hold > 0 {
		sus.bin, sus.sipAddr, sus.rec, sus.db, sus.tenantID, sus.blobs, sus.metrics = bin, sipAddr, rec, db, tenantID, blobs, metrics
		for _, f := range strings.Split(steps, ",") {
			if sus.n, err = strconv.Atoi(strings.TrimSpace(f)); err != nil {
				return err
			}
			if err := sus.run(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Printf("%8s %9s %9s %10s %12s %12s %14s %13s %13s\n", "calls", "loss", "late", "rec-cpu%", "cpu-ms/call-s", "gen-cpu%", "setup-p99-ms", "playable-p50", "playable-max")
	for _, f := range strings.Split(steps, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		if err := step(ctx, bin, sipAddr, rec, lib, db, tenantID, n, hold, cps, probes); err != nil {
			return err
		}
	}
	return storedSize(ctx, db, tenantID)
}

// step holds n concurrent calls for hold and reports.
func step(ctx context.Context, bin, sipAddr string, rec *recorder.Recorder, lib *recorder.Library, db *store.DB, tenantID string,
	n int, hold time.Duration, cps float64, probes int) error {
	before := rec.Totals()
	drops0 := udpRcvbufErrors()
	load0 := loadAvg()
	cpu0 := selfCPU()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "siprec-load", "--target", sipAddr, "--calls", strconv.Itoa(n), "--concurrency", strconv.Itoa(n),
		"--duration", hold.String(), "--cps", fmt.Sprint(cps))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Probe calls start once all n are up and end before them.
	ramp := time.Duration(float64(n)/cps*float64(time.Second)) + time.Second
	time.Sleep(ramp)
	lat := probe(ctx, sipAddr, rec, lib, db, tenantID, probes, hold-ramp-2*time.Second)
	var sum siprecload.Summary
	if err := json.NewDecoder(out).Decode(&sum); err != nil {
		return fmt.Errorf("siprec-load output: %w", err)
	}
	_ = cmd.Wait()
	elapsed := time.Since(start)
	cpu := selfCPU() - cpu0
	after := rec.Totals()
	received := after.Packets - before.Packets
	sent := sum.PacketsSent
	loss := 0.0
	if sent > 0 {
		loss = float64(max(sent-received, after.Lost-before.Lost)) / float64(sent) * 100
	}
	callSeconds := float64(n) * hold.Seconds()
	fmt.Printf("%8d %8.4f%% %9d %9.0f%% %13.2f %11.0f%% %14.1f %12.0fms %12.0fms\n", n, loss, after.Late-before.Late,
		cpu/elapsed.Seconds()*100, cpu*1000/callSeconds, sum.CPUSeconds/elapsed.Seconds()*100, sum.SetupMS.P99, pct(lat, 0.5), pct(lat, 1))
	fmt.Printf("         socket-buffer drops (whole machine): %d; load average %s at start, %s at end; RTP packets rejected: %d\n",
		udpRcvbufErrors()-drops0, load0, loadAvg(), after.Rejected-before.Rejected)
	if sum.Failed > 0 {
		fmt.Printf("         %d calls failed: %v\n", sum.Failed, sum.Failures)
	}
	return nil
}

// udpRcvbufErrors is the kernel's count of UDP datagrams dropped because a
// socket's receive buffer was full (/proc/net/snmp), machine-wide.
func udpRcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// loadAvg is the 1-minute load average, which says how busy the shared
// machine was.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// probe places calls beside the load and measures from BYE to the moment
// their audio can be opened for playback.
func probe(ctx context.Context, sipAddr string, rec *recorder.Recorder, lib *recorder.Library, db *store.DB, tenantID string, k int, length time.Duration) []float64 {
	client, err := siprecload.NewClient("127.0.0.1")
	if err != nil {
		return nil
	}
	defer client.Close()
	pacer, err := siprecload.NewPacer("127.0.0.1")
	if err != nil {
		return nil
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pacer.Run(pctx)
	var out []float64
	for i := 0; i < k; i++ {
		call, err := client.Dial(ctx, siprecload.Spec{Target: sipAddr, RTPFrom: pacer.Addr(), Streams: []siprecload.Stream{
			{Label: "1", AOR: "sip:+1555" + strconv.Itoa(i) + "@c", PT: 0}, {Label: "2", AOR: "sip:2001@pbx", PT: 0}}})
		if err != nil {
			continue
		}
		f := siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(440))
		pacer.Add(f)
		time.Sleep(max(length/time.Duration(k), 500*time.Millisecond))
		pacer.Remove(f)
		callID := call.CallID()
		bye := time.Now()
		if call.Bye(ctx) != nil {
			continue
		}
		for time.Since(bye) < 10*time.Second {
			c, err := findCall(ctx, db, tenantID, callID)
			if err == nil && c.State != store.CallActive {
				if a, err := lib.Open(ctx, c, false); err == nil {
					a.Close()
					out = append(out, float64(time.Since(bye).Microseconds())/1000)
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return out
}

func findCall(ctx context.Context, db *store.DB, tenantID, sipCallID string) (store.Call, error) {
	cs, _, err := db.Q().ListCalls(ctx, tenantID, store.CallFilter{Limit: 20})
	if err != nil {
		return store.Call{}, err
	}
	for _, c := range cs {
		if c.SIPCallID == sipCallID {
			return c, nil
		}
	}
	return store.Call{}, store.ErrNotFound
}

// storedSize waits for the compressed recordings and prints bytes per hour.
func storedSize(ctx context.Context, db *store.DB, tenantID string) error {
	deadline := time.Now().Add(2 * time.Minute)
	var size, ms, stored, total int64
	for {
		size, ms, stored, total = 0, 0, 0, 0
		var cursor string
		for {
			cs, next, err := db.Q().ListCalls(ctx, tenantID, store.CallFilter{Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if !c.Recorded {
					continue
				}
				total++
				if c.BlobKey != "" {
					stored++
					size += c.SizeBytes
					ms += c.DurationMS
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if stored == total || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if ms > 0 {
		fmt.Printf("archive: %d of %d recordings compressed and stored within 2 min of the last step; %.2f MB per recorded stereo hour (Ogg Opus, 2 x 8 kbit/s)\n",
			stored, total, float64(size)/(float64(ms)/3.6e6)/1e6)
	}
	return nil
}

func seed(ctx context.Context, dir string) (*store.DB, string, error) {
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "callrec.db"), nil)
	if err != nil {
		return nil, "", err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, "", err
	}
	accounts := account.New(db, nil)
	name := "Bench"
	t, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: map[string]int{"call_recording": 10}})
	if err != nil {
		return nil, "", err
	}
	login, role, pw, rec := "agent", roles.User, "Secret#2026", "always"
	exts, lic := []string{"2001"}, []string{"call_recording"}
	if _, err := accounts.CreateUser(ctx, account.System, t.ID, account.UserInput{Name: &login, Login: &login, Role: &role, Password: &pw,
		Extensions: &exts, Licenses: &lic, Record: &rec}); err != nil {
		return nil, "", err
	}
	now := time.Now()
	err = db.Q().InsertSIPSource(ctx, store.SIPSource{ID: account.NewID(), TenantID: t.ID, Name: "load", Address: "127.0.0.1", CreatedAt: now, UpdatedAt: now})
	return db, t.ID, err
}

func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func pct(v []float64, q float64) float64 {
	if len(v) == 0 {
		return -1
	}
	slices.Sort(v)
	return v[min(int(q*float64(len(v))), len(v)-1)]
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			_, v, _ := strings.Cut(l, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
