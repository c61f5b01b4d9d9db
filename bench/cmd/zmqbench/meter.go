package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// meter measures one timed loop of an in-process row: wall time, the user and system
// CPU time of the whole process (getrusage RUSAGE_SELF: both ends of the loop, libzmq's
// I/O thread and the garbage collector) and the number of Go heap allocations.
type meter struct {
	start   time.Time
	ru      unix.Rusage
	mallocs uint64
}

// startMeter starts measuring; call it right before the timed loop.
func startMeter() *meter {
	m := &meter{}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mallocs = ms.Mallocs
	_ = unix.Getrusage(unix.RUSAGE_SELF, &m.ru) // cannot fail for RUSAGE_SELF
	m.start = time.Now()
	return m
}

// stop ends the measurement of a loop that moved count messages or round trips.
func (m *meter) stop(count int) Sample {
	elapsed := time.Since(m.start)
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Sample{
		Count:   count,
		Elapsed: elapsed,
		UserCPU: time.Duration(ru.Utime.Nano() - m.ru.Utime.Nano()),
		SysCPU:  time.Duration(ru.Stime.Nano() - m.ru.Stime.Nano()),
		Allocs:  int64(ms.Mallocs - m.mallocs),
	}
}

// procSnapshot is what the process holds at one moment, for the idle-socket scenario.
type procSnapshot struct {
	Goroutines int
	HeapBytes  int64 // live heap plus goroutine stacks
	RSSBytes   int64
	FDs        int
}

// snapshot collects garbage and then reads the process's goroutines, live heap and
// goroutine stacks, resident set and open file descriptors.
func snapshot() procSnapshot {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return procSnapshot{
		Goroutines: runtime.NumGoroutine(),
		HeapBytes:  int64(ms.HeapAlloc + ms.StackInuse),
		RSSBytes:   rss(),
		FDs:        openFDs(),
	}
}

// rss is the resident set size from /proc/self/statm, or -1.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// openFDs counts the entries of /proc/self/fd, or -1.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // the directory's own descriptor
}
