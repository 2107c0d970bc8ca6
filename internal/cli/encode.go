package cli

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"callrec/internal/blob"
	"callrec/internal/recorder"
	"callrec/internal/store"
)

// encoders is how many encoder threads each of the recorder and the
// worker runs.
func (a *app) encoders() int {
	if a.cfg.Encoders > 0 {
		return a.cfg.Encoders
	}
	return runtime.NumCPU()
}

// offload is when the recorder hands compression to worker nodes: only on
// PostgreSQL (SQLite is one node) and unless CALLREC_ENCODE_OFFLOAD=never.
func (a *app) offload() *recorder.Offload {
	if a.db.Dialect() != store.Postgres || a.cfg.OffloadNever || a.cfg.InternalURL == "" {
		return nil
	}
	return &recorder.Offload{Backlog: a.cfg.OffloadBacklog}
}

// startEncodeWorker runs the worker role's part in encoding: the calls
// recorder nodes offer in the encode queue (PostgreSQL only).
func (a *app) startEncodeWorker(ctx context.Context) {
	if a.db.Dialect() != store.Postgres {
		return
	}
	nodes := a.nodes()
	if nodes == nil {
		a.log.Error("encode worker disabled: no internal secret to fetch recorders' audio with")
		return
	}
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		a.log.Error("encode worker disabled: blob store unavailable", "err", err)
		return
	}
	// What a worker killed mid-job left here is of no use: its job is
	// claimed again and fetched anew.
	tmp := filepath.Join(a.cfg.DataDir, "encode-tmp")
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		a.log.Error("encode worker disabled", "err", err)
		return
	}
	w := &recorder.EncodeWorker{DB: a.db, Blobs: blobs, Bus: a.eventBus(), Nodes: nodes, Log: a.log, Encoders: a.encoders(),
		TempDir: tmp, Metrics: a.metrics, Guard: a.guard}
	go w.Run(ctx)
	a.log.Info("worker encoding calls offered by recorder nodes", "encoders", w.Encoders)
}
