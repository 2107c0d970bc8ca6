package recorder_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/media"
	"callrec/internal/recorder"
	"callrec/internal/roles"
	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestSIGKILLMidCall kills a recorder process (the real binary, serve
// --roles recorder) in the middle of a call, restarts it, and expects an
// interrupted recording holding the audio up to at most a second before
// the kill.
func TestSIGKILLMidCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the callrec binary")
	}
	bin := filepath.Join(t.TempDir(), "callrec")
	build := exec.Command("go", "build", "-o", bin, "callrec/cmd/callrec")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		dataDir := t.TempDir()
		dbURL := b.URL(t)
		if b.Name == "sqlite" {
			dbURL = "sqlite://" + filepath.Join(dataDir, "callrec.db")
		}
		db, err := store.Open(ctx, dbURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		accounts := account.New(db, nil)
		name := "Fabrikam"
		tenant, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: map[string]int{"call_recording": 5}})
		if err != nil {
			t.Fatal(err)
		}
		login, role, pw, rec := "agent", roles.User, "Secret#2026", "always"
		exts, lic := []string{"2001"}, []string{"call_recording"}
		if _, err := accounts.CreateUser(ctx, account.System, tenant.ID, account.UserInput{Name: &login, Login: &login, Role: &role,
			Password: &pw, Extensions: &exts, Licenses: &lic, Record: &rec}); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().InsertSIPSource(ctx, store.SIPSource{ID: account.NewID(), TenantID: tenant.ID, Name: "SBC", Address: "127.0.0.1",
			CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}

		sipAddr := freeAddr(t)
		lo := map[string]int{"sqlite": 35000, "postgres": 36000}[b.Name]
		envv := append(os.Environ(), "CALLREC_DATA_DIR="+dataDir, "CALLREC_DATABASE_URL="+dbURL, "CALLREC_SIP_ADDR="+sipAddr,
			"CALLREC_RTP_PORTS="+strconv.Itoa(lo)+"-"+strconv.Itoa(lo+999), "CALLREC_NODE=crash-test", "CALLREC_LOG_LEVEL=info",
			"CALLREC_HTTP_ADDR=127.0.0.1:0") // its internal endpoint must not need :8080
		child := startRecorder(t, bin, envv)

		client, err := siprecload.NewClient("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		pacer, err := siprecload.NewPacer("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		pctx, stopPacer := context.WithCancel(ctx)
		defer stopPacer()
		go pacer.Run(pctx)
		spec := siprecload.Spec{Target: sipAddr, RTPFrom: pacer.Addr(), Streams: []siprecload.Stream{
			{Label: "1", AOR: "sip:+15550100@carrier", PT: 0}, {Label: "2", AOR: "sip:2001@pbx", PT: 0}}}
		began := time.Now()
		call, err := client.Dial(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		pacer.Add(siprecload.NewFlow(call.Targets[0], siprecload.ToneSource(callerTone)))
		pacer.Add(siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(agentTone)))
		time.Sleep(2500 * time.Millisecond) // real time: audio must flow before the kill
		killedAfter := time.Since(began)
		if err := child.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		stopPacer()

		child = startRecorder(t, bin, envv)
		defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
		var c store.Call
		deadline := time.Now().Add(30 * time.Second)
		for {
			cs, _, err := db.Q().ListCalls(ctx, tenant.ID, store.CallFilter{})
			if err == nil && len(cs) == 1 && cs[0].BlobKey != "" {
				c = cs[0]
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no stored recording after restart: %+v %v", cs, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if c.State != store.CallInterrupted {
			t.Errorf("state %s, want interrupted", c.State)
		}
		held := time.Duration(c.DurationMS) * time.Millisecond
		if held < killedAfter-time.Second || held > killedAfter {
			t.Errorf("recording holds %v; killed %v after INVITE", held, killedAfter)
		}
		blobs, _ := blob.NewDisk(filepath.Join(dataDir, "blobs"))
		lib := &recorder.Library{Blobs: blobs}
		a, err := lib.Open(ctx, c, true)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		wav, err := io.ReadAll(a)
		if err != nil {
			t.Fatal(err)
		}
		l, r := channels(wav)
		last := len(l) - media.Rate/2
		if p := media.Power(l[last-media.Rate/2:last], agentTone, media.Rate); p < 1e6 {
			t.Errorf("left channel lacks the agent's tone just before the end: %.0f", p)
		}
		if p := media.Power(r[last-media.Rate/2:last], callerTone, media.Rate); p < 1e6 {
			t.Errorf("right channel lacks the caller's tone just before the end: %.0f", p)
		}
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// startRecorder runs `callrec serve --roles recorder` and waits for its
// "listening" log line.
func startRecorder(t *testing.T, bin string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--roles", "recorder")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "SIPREC recorder listening") {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second): // generous: CI shares two cores with the other packages' tests
		_ = cmd.Process.Kill()
		t.Fatal("recorder process did not start")
	}
	return cmd
}
