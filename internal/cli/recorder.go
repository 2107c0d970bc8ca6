package cli

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"

	"callrec/internal/blob"
	"callrec/internal/events"
	"callrec/internal/recorder"
)

// eventBus is the process's live-update bus, shared by the recorder and
// the web role when both run here.
func (a *app) eventBus() events.Bus {
	if a.bus == nil {
		a.bus = events.NewLocal()
	}
	return a.bus
}

func (a *app) spoolDir() string { return filepath.Join(a.cfg.DataDir, "spool") }

// recordings is what the web role plays calls from; nil if the blob store
// URL is unusable (logged), so the rest of the portal still works.
func (a *app) recordings() *recorder.Library {
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		a.log.Error("blob store unavailable; call audio cannot be played", "err", err)
		return nil
	}
	return &recorder.Library{Spool: a.spoolDir(), Blobs: blobs}
}

// startRecorder runs the SIPREC recorder until ctx ends; the returned
// function waits for it to stop.
func (a *app) startRecorder(ctx context.Context) (func() error, error) {
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		return nil, err
	}
	mediaIP := netip.MustParseAddr("127.0.0.1")
	if host, _, err := net.SplitHostPort(a.cfg.SIPAddr); err == nil && host != "" {
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			mediaIP = ip
		}
	}
	if a.cfg.MediaIP != "" {
		// Config.Finish has validated it.
		mediaIP = netip.MustParseAddr(a.cfg.MediaIP)
	}
	rec, err := recorder.New(recorder.Config{SIPAddr: a.cfg.SIPAddr, RTPPorts: a.cfg.RTPPorts, MediaIP: mediaIP,
		SpoolDir: a.spoolDir(), Node: a.cfg.Node}, a.db, blobs, a.eventBus(), a.log, nil)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx, nil) }()
	return func() error { return <-done }, nil
}
