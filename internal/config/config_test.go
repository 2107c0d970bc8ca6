package config

import (
	"flag"
	"os"
	"testing"
)

func TestRecorderSettings(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name                    string
		env                     map[string]string
		args                    []string
		node, mediaIP, internal string
		wantErr                 bool
	}{
		{name: "defaults", node: host},
		{name: "environment", env: map[string]string{"CALLREC_NODE": "rec-1", "CALLREC_MEDIA_IP": "10.0.0.5"},
			node: "rec-1", mediaIP: "10.0.0.5"},
		{name: "flags override", env: map[string]string{"CALLREC_NODE": "rec-1"}, args: []string{"--node", "rec-2", "--media-ip", "::1"},
			node: "rec-2", mediaIP: "::1"},
		{name: "bad media IP", env: map[string]string{"CALLREC_MEDIA_IP": "not-an-ip"}, wantErr: true},
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
					t.Fatal("Finish accepted a bad media IP")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Node != tt.node || c.MediaIP != tt.mediaIP {
				t.Errorf("node %q media %q, want %q %q", c.Node, c.MediaIP, tt.node, tt.mediaIP)
			}
		})
	}
}
