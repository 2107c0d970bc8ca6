package recorder

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// onLowPriorityThread runs fn locked to an OS thread of its own whose nice
// value is nice: Linux applies nice per thread, so the kernel then runs
// the capture threads (nice 0) first and this one on whatever CPU they
// leave. The thread is never unlocked: an unprivileged process cannot
// lower the value again, and a goroutine that ends while locked takes its
// thread with it instead of handing a demoted thread back to the runtime.
// Threads the runtime starts later come from its template thread, not
// from a locked one, so they do not inherit the nice value. The process's
// main thread is never demoted (tools show its nice as the process's):
// landing on it, the goroutine holds it and runs fn on another thread.
func onLowPriorityThread(nice int, fn func(tid int, err error)) {
	runtime.LockOSThread()
	tid := unix.Gettid()
	if tid == unix.Getpid() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			onLowPriorityThread(nice, fn)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	fn(tid, unix.Setpriority(unix.PRIO_PROCESS, tid, nice))
}

// reserveProcs raises GOMAXPROCS by n encoder threads until the returned
// function. An encoding goroutine holds its runtime P while it works, so
// with only one P per CPU busy encoders would keep capture goroutines
// waiting for the Go scheduler, whatever the kernel's priorities; with a
// P each, the kernel sees capture threads and nice encoder threads side by
// side and runs capture first.
func reserveProcs(n int) func() {
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + n)
	return func() { runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0)-n, 1)) }
}

// threadCPU is the CPU time the calling thread used so far (user and
// system), for a goroutine locked to it.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
