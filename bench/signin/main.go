// Command signin loads callrec's sign-in with many concurrent attempts on
// 127.0.0.1 and reports the server's peak memory, the answers it gave and
// how /healthz answered meanwhile. bench/signin.sh runs it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("bin", "", "callrec binary")
	concurrency := flag.Int("concurrency", 300, "sign-in attempts in flight at once")
	duration := flag.Duration("duration", 30*time.Second, "how long to keep them in flight")
	limits := flag.Bool("limits", false, "keep the default per-client limits (all attempts come from 127.0.0.1); off, they are lifted to measure the hashing bound alone, as a botnet would")
	flag.Parse()
	if err := run(*bin, *concurrency, *duration, *limits); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, n int, d time.Duration, limits bool) error {
	dir, err := os.MkdirTemp("", "callrec-signin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "CALLREC_DATA_DIR="+dir, "CALLREC_LOG_LEVEL=error")
	if !limits {
		env = append(env, "CALLREC_SIGNIN_PER_IP=100000000", "CALLREC_SIGNIN_PER_LOGIN=100000000")
	}
	for _, args := range [][]string{
		{"admin", "create-tenant", "--name", "Bench"},
		{"admin", "create-user", "--tenant", "Bench", "--login", "agent@bench.example", "--name", "Agent", "--role", "user", "--password", "Bench#2026"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(bin, "serve", "--roles", "web", "--http-addr", addr)
	srv.Env, srv.Stderr = env, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return err
	}
	fmt.Printf("machine: %d vCPU, GOMAXPROCS %d, Go %s; %d attempts in flight for %v, per-client limits %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), n, d, map[bool]string{true: "on", false: "lifted"}[limits])
	rss0 := rssMB(srv.Process.Pid, "VmRSS")
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var peak float64
	var health []time.Duration
	healthFail := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				peak = max(peak, rssMB(srv.Process.Pid, "VmRSS"))
			}
		}
	})
	wg.Go(func() {
		c := &http.Client{Timeout: 2 * time.Second}
		for ctx.Err() == nil {
			start := time.Now()
			res, err := c.Get(base + "/healthz")
			if err != nil || res.StatusCode != 200 {
				healthFail++
			} else {
				res.Body.Close()
				health = append(health, time.Since(start))
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	var mu sync.Mutex
	statuses := map[int]int{}
	var lat []time.Duration
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for i := range n {
		wg.Go(func() {
			for k := 0; ctx.Err() == nil; k++ {
				login := "ghost" + strconv.Itoa(i*100000+k) + "@bench.example"
				if k%2 == 1 {
					login = "agent@bench.example"
				}
				body := `{"login":"` + login + `","password":"Wrong#Pass1"}`
				start := time.Now()
				res, err := client.Post(base+"/api/v1/session", "application/json", bytes.NewBufferString(body))
				code := 0
				if err == nil {
					code = res.StatusCode
					res.Body.Close()
				}
				mu.Lock()
				statuses[code]++
				lat = append(lat, time.Since(start))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	hwm := rssMB(srv.Process.Pid, "VmHWM")
	fmt.Printf("server memory: %.0f MB before, peak %.0f MB sampled, %.0f MB high-water mark\n", rss0, peak, hwm)
	fmt.Printf("answers: %s\n", summary(statuses))
	fmt.Printf("sign-in latency: p50 %v, p99 %v, max %v\n", pct(lat, 50), pct(lat, 99), pct(lat, 100))
	fmt.Printf("/healthz during the load: %d answered, %d failed; p50 %v, p99 %v, max %v\n", len(health), healthFail, pct(health, 50), pct(health, 99), pct(health, 100))
	return nil
}

func summary(m map[int]int) string {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", name, m[k]))
	}
	return strings.Join(parts, ", ")
}

func pct(v []time.Duration, p int) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Millisecond)
}

// rssMB reads a memory line (VmRSS, VmHWM) of a process, in MB.
func rssMB(pid int, field string) float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(base string) error {
	for range 300 {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server at %s did not become ready", base)
}
