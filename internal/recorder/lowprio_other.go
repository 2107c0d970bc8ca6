//go:build !linux

package recorder

import (
	"errors"
	"runtime"
	"time"
)

// onLowPriorityThread runs fn locked to its thread; nice per thread is
// Linux's, so elsewhere encoding runs at the process's priority.
func onLowPriorityThread(_ int, fn func(tid int, err error)) {
	runtime.LockOSThread()
	fn(0, errors.New("per-thread priority needs Linux"))
}

// reserveProcs leaves GOMAXPROCS alone: without per-thread priority the
// encoders share the CPUs with capture anyway.
func reserveProcs(int) func() { return func() {} }

// threadCPU is not measured outside Linux.
func threadCPU() time.Duration { return 0 }
