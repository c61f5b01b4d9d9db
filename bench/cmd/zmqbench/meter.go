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

// timeLoop calls step once untimed (the warm-up: the connection is up), then count
// times under a meter. It stops at the first failure and returns it with an empty
// Sample. Rows whose step is a closure use it; a loop of direct calls (the raw
// baseline's receiver) stays inline, so that it pays for no indirect call.
func timeLoop(count int, step func() error) (Sample, error) {
	if err := step(); err != nil {
		return Sample{}, err
	}
	m := startMeter()
	for range count {
		if err := step(); err != nil {
			return Sample{}, err
		}
	}
	return m.stop(count), nil
}

// timeRoundTrips is timeLoop for the REQ/REP loops: one untimed round trip, then count
// under a meter; with each set every round trip is also timed on its own, for the
// Sample's percentiles (latency), else not (rate).
func timeRoundTrips(count int, each bool, roundTrip func() error) (Sample, error) {
	if err := roundTrip(); err != nil { // warm-up
		return Sample{}, err
	}
	var lat []time.Duration
	if each {
		lat = make([]time.Duration, count)
	}
	m := startMeter()
	for i := range count {
		if each {
			t0 := time.Now()
			if err := roundTrip(); err != nil {
				return Sample{}, err
			}
			lat[i] = time.Since(t0)
		} else if err := roundTrip(); err != nil {
			return Sample{}, err
		}
	}
	s := m.stop(count)
	s.P50, s.P99, s.P999 = percentiles(lat)
	return s, nil
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

// idleSample is what the sockets opened between snapshots before and after cost: their
// number and the time it took to open them, and the deltas of what the process holds.
func idleSample(sockets int, create time.Duration, before, after procSnapshot) IdleSample {
	return IdleSample{
		Sockets:    sockets,
		Create:     create,
		Goroutines: after.Goroutines - before.Goroutines,
		HeapBytes:  after.HeapBytes - before.HeapBytes,
		RSSBytes:   after.RSSBytes - before.RSSBytes,
		FDs:        after.FDs - before.FDs,
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
