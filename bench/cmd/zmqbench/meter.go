package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
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

// countLoop is the rigs.Looper of one repetition: it lets a loop run exactly count
// times and meters them, from its first call (after the warm-up) to the one that
// returns false; with each set it also times every iteration on its own, for the
// Sample's percentiles (latency). Its Sample is ready once Loop has returned false.
type countLoop struct {
	count, left int
	each        bool
	m           *meter
	last        time.Time
	lat         []time.Duration
	s           Sample
	done        bool
}

func newCountLoop(count int, each bool) *countLoop {
	return &countLoop{count: count, left: count, each: each}
}

// Loop reports whether to run one more iteration.
func (c *countLoop) Loop() bool {
	switch {
	case c.m == nil:
		if c.each {
			c.lat = make([]time.Duration, 0, c.count)
		}
		c.m = startMeter()
		c.last = c.m.start
	case c.each:
		now := time.Now()
		c.lat = append(c.lat, now.Sub(c.last))
		c.last = now
	}
	if c.left > 0 {
		c.left--
		return true
	}
	if !c.done {
		c.s = c.m.stop(c.count)
		c.s.P50, c.s.P99, c.s.P999 = percentiles(c.lat)
		c.done = true
	}
	return false
}

// sample is what the loop measured; it fails if the loop stopped before its count.
func (c *countLoop) sample() (Sample, error) {
	if !c.done {
		return Sample{}, fmt.Errorf("zmqbench: the loop stopped after %d of %d iterations", c.count-c.left, c.count)
	}
	return c.s, nil
}

// measure runs one repetition of loop, one of package rigs, for exactly sp.Count
// messages (or round trips), each timed on its own with each set, and returns what it
// measured.
func measure(ctx context.Context, sp Spec, each bool, loop rigs.Func) (Sample, error) {
	l := newCountLoop(sp.Count, each)
	if err := loop(ctx, l, sp.Spec); err != nil {
		return Sample{}, err
	}
	return l.sample()
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
