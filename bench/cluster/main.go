// Command cluster drives SIPREC calls through the Kamailio of a cluster
// that deploy/cluster.sh brought up, injects one fault mid-call and checks
// what became of every call: where new calls went, what each recording
// holds, and that none was lost. It prints one report line per fault and
// exits 1 when an assertion fails.
//
//	deploy/cluster.sh up >/dev/null
//	go run ./bench/cluster -state /tmp/callrec-cluster/cluster.env -fault recorder -short
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"callrec/internal/blob"
)

// options are the run's flags.
type options struct {
	state, script      string
	fault              string
	calls              int
	cps                float64
	hold, faultAt      time.Duration
	downFor            time.Duration
	probeEvery         time.Duration
	storeTimeout       time.Duration
	faultCmd, recovCmd string
	victim             string
}

func main() {
	var o options
	short := flag.Bool("short", false, "CI size: 50 calls of 20 s, a recorder killed after 8 s and back 4 s later")
	flag.StringVar(&o.state, "state", "/tmp/callrec-cluster/cluster.env", "the state file deploy/cluster.sh up printed")
	flag.StringVar(&o.script, "script", "deploy/cluster.sh", "the cluster script (kill, stop, start NODE)")
	flag.StringVar(&o.fault, "fault", "recorder", "recorder (SIGKILL one, restart it), postgres, s3, worker, or none")
	flag.StringVar(&o.victim, "victim", "", "the node to fault (default rec1 for recorder, s3 for s3, worker1 for worker)")
	flag.IntVar(&o.calls, "calls", 300, "calls in flight when the fault hits")
	flag.Float64Var(&o.cps, "cps", 30, "call setup rate")
	flag.DurationVar(&o.hold, "duration", 60*time.Second, "length of each call")
	flag.DurationVar(&o.faultAt, "fault-at", 20*time.Second, "when the fault hits, after the first call")
	flag.DurationVar(&o.downFor, "down-for", 10*time.Second, "how long the faulty part stays down")
	flag.DurationVar(&o.probeEvery, "probe-every", 250*time.Millisecond, "a new short call this often from the fault until the recovery is seen")
	flag.DurationVar(&o.storeTimeout, "store-timeout", 3*time.Minute, "how long after the last call every recording may take to be stored")
	flag.StringVar(&o.faultCmd, "fault-cmd", "", "shell command that injects the fault (default: the cluster script, per -fault)")
	flag.StringVar(&o.recovCmd, "recover-cmd", "", "shell command that ends it (default: the cluster script, per -fault)")
	flag.Parse()
	if *short {
		o.calls, o.cps, o.hold, o.faultAt, o.downFor, o.storeTimeout = 50, 25, 20*time.Second, 8*time.Second, 4*time.Second, 90*time.Second
	}
	ok, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// readState reads the KEY='VALUE' lines cluster.sh writes (shell-quoted,
// so that the file can be sourced too).
func readState(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, `'`)
			}
			out[k] = v
		}
	}
	return out, nil
}

// commands returns the shell commands of a fault and its end.
func (o *options) commands(st map[string]string) (string, string, error) {
	sh := "CLUSTER_DIR='" + st["CLUSTER_DIR"] + "' " + o.script
	victim := o.victim
	switch o.fault {
	case "recorder":
		victim = or(victim, "rec1")
		return or(o.faultCmd, sh+" kill "+victim), or(o.recovCmd, sh+" start "+victim), nil
	case "s3":
		victim = or(victim, "s3")
		return or(o.faultCmd, sh+" stop "+victim), or(o.recovCmd, sh+" start "+victim), nil
	case "worker":
		victim = or(victim, "worker1")
		return or(o.faultCmd, sh+" kill "+victim), or(o.recovCmd, sh+" start "+victim), nil
	case "postgres":
		if o.faultCmd == "" || o.recovCmd == "" {
			return "", "", fmt.Errorf("-fault postgres needs -fault-cmd and -recover-cmd (the server is not the cluster's)")
		}
		return o.faultCmd, o.recovCmd, nil
	case "none":
		return "true", "true", nil
	}
	return "", "", fmt.Errorf("unknown fault %q", o.fault)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func shell(cmd string) error {
	c := exec.Command("bash", "-c", cmd)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	return c.Run()
}

// timeline is when the fault hit and ended.
type timeline struct {
	first, fault, recovered time.Time
	ping                    time.Duration
}

func run(o options) (bool, error) {
	st, err := readState(o.state)
	if err != nil {
		return false, err
	}
	faultCmd, recovCmd, err := o.commands(st)
	if err != nil {
		return false, err
	}
	// The blob store's keys are the cluster's (its own S3 server's, maybe).
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if v := st[k]; v != "" {
			os.Setenv(k, v)
		}
	}
	store, err := blob.Open(st["CLUSTER_BLOB_URL"])
	if err != nil {
		return false, err
	}
	ctx := context.Background()
	d, err := newDriver(ctx, st["CLUSTER_SIP"], st["CLUSTER_SBC_IP"])
	if err != nil {
		return false, err
	}
	tl := timeline{first: time.Now()}
	tl.ping, _ = time.ParseDuration(st["CLUSTER_PING_INTERVAL"] + "s")
	interval := time.Duration(float64(time.Second) / o.cps)
	faultAt := tl.first.Add(o.faultAt)
	for i := 0; i < o.calls && time.Now().Before(faultAt); i++ {
		d.place(ctx, o.hold, false)
		time.Sleep(time.Until(tl.first.Add(time.Duration(i+1) * interval)))
	}
	time.Sleep(time.Until(faultAt))
	var held []string
	if o.fault == "worker" {
		// Mid-encode: once the worker runs a job of the ended calls.
		if held, err = waitJobs(ctx, st["CLUSTER_DATABASE_URL"], or(o.victim, "worker1"), o.hold+2*time.Minute); err != nil {
			return false, err
		}
	}
	fmt.Fprintf(os.Stderr, "cluster: %d calls placed; fault %s: %s\n", len(d.snapshot()), o.fault, faultCmd)
	tl.fault = time.Now()
	if err := shell(faultCmd); err != nil {
		return false, fmt.Errorf("fault: %w", err)
	}
	var abandoned []*placed
	if o.fault == "recorder" {
		abandoned = d.abandon(victimRTP(st, or(o.victim, "rec1")))
	}
	// New calls from the fault until the end of the recovery's probing.
	probeUntil := tl.fault.Add(o.downFor + 2*tl.ping + 3*time.Second)
	recoverAt := tl.fault.Add(o.downFor)
	for now := time.Now(); now.Before(probeUntil); now = time.Now() {
		if tl.recovered.IsZero() && !now.Before(recoverAt) {
			fmt.Fprintf(os.Stderr, "cluster: recover: %s\n", recovCmd)
			if err := shell(recovCmd); err != nil {
				return false, fmt.Errorf("recover: %w", err)
			}
			tl.recovered = time.Now()
		}
		d.place(ctx, 3*time.Second, true)
		time.Sleep(o.probeEvery)
	}
	d.wg.Wait()
	calls := d.snapshot()
	fmt.Fprintf(os.Stderr, "cluster: all %d calls ended (%d abandoned with the node); waiting for every recording\n", len(calls), len(abandoned))
	rows, err := settle(ctx, st["CLUSTER_DATABASE_URL"], st["CLUSTER_TENANT"], store, calls, time.Now().Add(o.storeTimeout))
	if err != nil {
		return false, err
	}
	web := strings.Split(st["CLUSTER_WEB_URLS"], ",")
	listed, err := webNodes(ctx, web[len(web)-1], st["CLUSTER_TOKEN"], st["CLUSTER_TENANT"])
	if err != nil {
		return false, err
	}
	r := analyse(o, tl, calls, rows)
	r.held, r.affected = held, r.affected+len(held)
	if len(held) > 0 {
		if r.heldBy, err = finishedBy(ctx, st["CLUSTER_DATABASE_URL"], held); err != nil {
			return false, err
		}
	}
	r.listed = listed
	r.print(os.Stdout)
	return r.failures(o, st) == 0, nil
}

// victimRTP is the RTP port range cluster.sh gave a recorder (recN:
// base+N×1000 …+999).
func victimRTP(st map[string]string, victim string) (int, int) {
	var base, n int
	fmt.Sscan(st["CLUSTER_RTP_BASE"], &base)
	fmt.Sscanf(victim, "rec%d", &n)
	lo := base + n*1000
	return lo, lo + 999
}
