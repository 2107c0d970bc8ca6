package config

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEncodeSettings: encoders and the offload threshold from the
// environment, overridden by flags, with their defaults.
func TestEncodeSettings(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		encoders int
		never    bool
		backlog  time.Duration
	}{
		{name: "defaults", backlog: 2 * time.Minute},
		{name: "environment", env: map[string]string{"CALLREC_ENCODERS": "6", "CALLREC_ENCODE_OFFLOAD": "30s"}, encoders: 6, backlog: 30 * time.Second},
		{name: "always", env: map[string]string{"CALLREC_ENCODE_OFFLOAD": "always"}, backlog: 0},
		{name: "never", env: map[string]string{"CALLREC_ENCODE_OFFLOAD": "never"}, never: true},
		{name: "flags override", env: map[string]string{"CALLREC_ENCODERS": "6"}, args: []string{"--encoders", "2", "--encode-offload", "10m"},
			encoders: 2, backlog: 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Load(func(k string) string { return tt.env[k] })
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			c.RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := c.Finish(); err != nil {
				t.Fatal(err)
			}
			if c.Encoders != tt.encoders || c.OffloadNever != tt.never || c.OffloadBacklog != tt.backlog {
				t.Errorf("encoders %d, never %v, backlog %v; want %d %v %v", c.Encoders, c.OffloadNever, c.OffloadBacklog, tt.encoders, tt.never, tt.backlog)
			}
		})
	}
}

func TestRecorderSettings(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name                    string
		env                     map[string]string
		args                    []string
		node, mediaIP, internal string
		maxCalls                int
		rtpTimeout              time.Duration
		proxies                 string
		wantErr                 bool
	}{
		{name: "defaults", node: host, maxCalls: 1000, rtpTimeout: time.Minute},
		{name: "capacity and RTP timeout", env: map[string]string{"CALLREC_MAX_CALLS": "500", "CALLREC_RTP_TIMEOUT": "15s"},
			node: host, maxCalls: 500, rtpTimeout: 15 * time.Second},
		{name: "flags override capacity", env: map[string]string{"CALLREC_MAX_CALLS": "500"}, args: []string{"--max-calls", "2000", "--rtp-timeout", "2m"},
			node: host, maxCalls: 2000, rtpTimeout: 2 * time.Minute},
		{name: "bad capacity", env: map[string]string{"CALLREC_MAX_CALLS": "lots"}, wantErr: true},
		{name: "bad sign-in limit", env: map[string]string{"CALLREC_SIGNIN_PER_IP": "many"}, wantErr: true},
		{name: "sign-in limit below 1", env: map[string]string{"CALLREC_SIGNIN_PER_LOGIN": "0"}, wantErr: true},
		{name: "zero capacity", env: map[string]string{"CALLREC_MAX_CALLS": "0"}, wantErr: true},
		{name: "bad RTP timeout", env: map[string]string{"CALLREC_RTP_TIMEOUT": "60"}, wantErr: true},
		{name: "RTP timeout too short", args: []string{"--rtp-timeout", "10ms"}, wantErr: true},
		{name: "environment", env: map[string]string{"CALLREC_NODE": "rec-1", "CALLREC_MEDIA_IP": "10.0.0.5"},
			node: "rec-1", mediaIP: "10.0.0.5", maxCalls: 1000, rtpTimeout: time.Minute},
		{name: "flags override", env: map[string]string{"CALLREC_NODE": "rec-1"}, args: []string{"--node", "rec-2", "--media-ip", "::1"},
			node: "rec-2", mediaIP: "::1", maxCalls: 1000, rtpTimeout: time.Minute},
		{name: "bad media IP", env: map[string]string{"CALLREC_MEDIA_IP": "not-an-ip"}, wantErr: true},
		{name: "bad encoders", env: map[string]string{"CALLREC_ENCODERS": "-1"}, wantErr: true},
		{name: "bad encode offload", env: map[string]string{"CALLREC_ENCODE_OFFLOAD": "sometimes"}, wantErr: true},
		{name: "negative encode offload", args: []string{"--encode-offload", "-5s"}, wantErr: true},
		{name: "trusted SIP proxies", env: map[string]string{"CALLREC_SIP_TRUSTED_PROXIES": "10.0.0.9, 192.0.2.0/28"},
			node: host, maxCalls: 1000, rtpTimeout: time.Minute, proxies: "10.0.0.9/32 192.0.2.0/28"},
		{name: "bad trusted SIP proxy", env: map[string]string{"CALLREC_SIP_TRUSTED_PROXIES": "10.0.0.9,kamailio"}, wantErr: true},
		{name: "trusted proxy flag", args: []string{"--sip-trusted-proxies", "::1"},
			node: host, maxCalls: 1000, rtpTimeout: time.Minute, proxies: "::1/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Load(func(k string) string { return tt.env[k] })
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			c.RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := c.Finish()
			if tt.wantErr {
				if err == nil {
					t.Fatal("Finish accepted a bad setting")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Node != tt.node || c.MediaIP != tt.mediaIP {
				t.Errorf("node %q media %q, want %q %q", c.Node, c.MediaIP, tt.node, tt.mediaIP)
			}
			var proxies []string
			for _, p := range c.SIPTrustedProxies {
				proxies = append(proxies, p.String())
			}
			if got := strings.Join(proxies, " "); got != tt.proxies {
				t.Errorf("trusted SIP proxies %q, want %q", got, tt.proxies)
			}
			if c.MaxCalls != tt.maxCalls || c.RTPTimeout != tt.rtpTimeout {
				t.Errorf("max calls %d, RTP timeout %v, want %d %v", c.MaxCalls, c.RTPTimeout, tt.maxCalls, tt.rtpTimeout)
			}
		})
	}
}
