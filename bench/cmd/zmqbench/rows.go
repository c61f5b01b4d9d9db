package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// How to add a row
//
// A row is one implementation in the table. Each lives in one small file,
// row_<name>.go, that registers itself from init:
//
//	func init() { register(myRow{}) }
//
// A row is a type with a Key (short, stable, used by -filter, the JSON and the bars),
// a Name (the table label) and About (one or two sentences saying exactly what is
// timed: which API on which end, what the other end is). It then implements one or
// more of the scenario interfaces below; the harness runs a row in every scenario whose
// interface it implements and, if it has a Supports method, that it supports. Optional
// methods: Skip (list the row as skipped there, with a reason the table shows) and
// Available (a missing dependency: the row is listed as missing, with the reason).
//
// The harness calibrates the row (warm-up runs that size spec.Count so one run takes
// about -target), then calls its method once per repetition with a fresh Spec, after a
// runtime.GC, between two runs of the baseline. The method sets everything up (its
// own context, sockets bound to spec.Endpoint), sends one untimed warm-up message (or
// round trip) so the connection is up, then times exactly spec.Count messages, and
// tears everything down (every context terminated, every goroutine it started ended,
// linger 0) before returning. The loops of the in-process rows live in package rigs,
// which the go test microbenchmarks run too: such a row is one call,
//
//	return measure(ctx, sp, false, rigs.EventedThroughput)
//
// which drives the loop with a countLoop (meter.go) of spec.Count iterations. A row
// with its own loop times it with a meter or a countLoop itself:
//
//	m := startMeter()
//	for range spec.Count { … }
//	s := m.stop(spec.Count)
//
// It must return promptly when ctx is cancelled where the API it measures allows that.
// An error is reported in the table and makes the run exit non-zero; a row must never
// pretend to measure: a row whose layer does not exist yet is simply not registered,
// and the bars that need it print "not measured (row missing)".
//
// A row of one layer changes one end of the raw baseline's loop and keeps the other
// (see package rigs), so that its ratio to raw is the cost of that layer alone; the
// pipeline row (keyPipeline) layers both.

// Row keys. The bars (bars.go) refer to rows by these keys.
const (
	keyRaw        = "raw"                 // raw pebbe/zmq4, RecvBytes: the baseline
	keyRawMessage = "raw-msg"             // raw pebbe/zmq4, RecvMessageBytes
	keyEvented    = "zmqevented"          // zmqevented Send/Recv
	keyGoZMQ      = "gozmq"               // github.com/go-zeromq/zmq4, pure Go
	keyPyZMQ      = "pyzmq"               // pyzmq zmq.asyncio, child process
	keyC          = "c"                   // C against libzmq, child process
	keyCTwo       = "c-2proc"             // C against libzmq, sender and receiver child processes (row_clib_two.go)
	keyRecvMany   = "zmqevented-recvmany" // zmqevented RecvMany, batches of 64 (row_recvmany.go)

	keyFutureRecv       = "zmqfuture-recv"       // reqrep.Recv futures (row_zmqfuture.go)
	keyRequester        = "zmqfuture-requester"  // reqrep.Requester, 64 in flight (row_zmqfuture.go)
	keyStreamC          = "zmqstream-c"          // zmqstream Stream.C() (row_zmqstream.go)
	keyStreamObservable = "zmqstream-observable" // zmqstream Stream.Observable() (row_zmqstream.go)
	keyStreamAll        = "zmqstream-all"        // zmqstream Stream.All(ctx) (row_zmqstream.go)
	keyServer           = "zmqfuture-server"     // reqrep.Server against a Requester, 64 in flight (row_zmqfuture.go)
	keySinkSend         = "zmqsink-send"         // zmqsink Sink.Send (row_zmqsink.go)
	keySinkForward      = "zmqsink-forward"      // zmqsink Forward from an Observable (row_zmqsink.go)
	keyPipeline         = "zmqsink-pipeline"     // Observable → Sink → PUSH/PULL → Stream → Observable (row_zmqsink.go)
)

// Row is one implementation in the table.
type Row interface {
	Key() string   // short stable identifier: "zmqevented"
	Name() string  // table label: "zmqevented Send/Recv"
	About() string // exactly what the row times
}

// ThroughputRow measures PUSH → PULL throughput: spec.Count messages of spec.Size bytes
// over spec.Transport, timed at the receiver after one warm-up message.
type ThroughputRow interface {
	Row
	Throughput(ctx context.Context, spec Spec) (Sample, error)
}

// LatencyRow measures REQ/REP round trips: spec.Count sequential round trips of
// spec.Size bytes, each timed; the Sample carries p50, p99 and p99.9.
type LatencyRow interface {
	Row
	Latency(ctx context.Context, spec Spec) (Sample, error)
}

// RateRow measures the request rate: spec.Count requests of spec.Size bytes answered
// by an echo server; a pipelining row keeps spec.InFlight requests outstanding, a
// REQ/REP row does them one after another.
type RateRow interface {
	Row
	Rate(ctx context.Context, spec Spec) (Sample, error)
}

// PairsRow measures spec.Pairs PUSH/PULL pairs moving spec.Count messages each at
// once; the Sample's Count is the total and Elapsed runs from the common start to the
// last receiver's last message.
type PairsRow interface {
	Row
	Pairs(ctx context.Context, spec Spec) (Sample, error)
}

// IdleRow opens spec.Count idle sockets and reports what they cost.
type IdleRow interface {
	Row
	Idle(ctx context.Context, spec Spec) (IdleSample, error)
}

// supporter is implemented by rows that run in only some scenarios of a kind (a
// layer benchmarked at 16 B and 4 KiB only, say). Without it a row runs everywhere.
type supporter interface {
	Supports(kind Kind, spec Spec) bool
}

// streamLayerSupports is the Supports of the zmqsink and zmqstream rows and of the
// pipeline of both: throughput at the sizes their bars name, 16 B and 4 KiB, on
// every transport.
func streamLayerSupports(k Kind, sp Spec) bool {
	return k == KindThroughput && (sp.Size == 16 || sp.Size == 4<<10)
}

// skipper is implemented by rows that could run in a scenario but must not, for a
// reason the table should show (a known bug of the implementation, say). Skip returns
// that reason, or "" to run.
type skipper interface {
	Skip(kind Kind, spec Spec) string
}

// availability is implemented by rows that need something outside the Go program (an
// interpreter, a compiled C program). A non-nil error says why the row is missing.
type availability interface {
	Available(ctx context.Context) error
}

// Spec is what one repetition of one row runs: the rigs.Spec of its loop (Endpoint, a
// fresh endpoint to bind such as "tcp://127.0.0.1:*", "ipc:///tmp/…/7.ipc" or
// "inproc://zmqbench-7"; Size in bytes; Count, the timed messages (per pair for pairs),
// round trips (latency, rate) or sockets (idle); InFlight, the requests a pipelining
// row keeps outstanding) and what the scenario adds.
type Spec struct {
	rigs.Spec
	Transport string // "inproc", "ipc" or "tcp"
	Pairs     int    // pairs: concurrent PUSH/PULL pairs
}

// EndpointN returns the i-th distinct endpoint derived from Endpoint, for rows that
// bind several sockets (tcp's wildcard port is already distinct per bind).
func (s Spec) EndpointN(i int) string {
	if s.Transport == "tcp" {
		return s.Endpoint
	}
	return fmt.Sprintf("%s-%d", s.Endpoint, i)
}

// Sample is one timed loop.
type Sample struct {
	Count   int           // messages or round trips timed
	Elapsed time.Duration // wall time of the timed loop
	UserCPU time.Duration // user CPU of the process (or child) during the loop
	SysCPU  time.Duration // system CPU of the process (or child) during the loop
	Allocs  int64         // Go heap allocations during the loop; -1 when not measurable (child rows)

	// Latency rows: round-trip percentiles (nearest rank).
	P50, P99, P999 time.Duration

	// Child rows: the whole child process's CPU (ProcessState.SysUsage), start-up
	// included, and what the child reported about itself.
	ChildCPU time.Duration
	Peer     map[string]string
}

// IdleSample is what spec.Count idle sockets cost, as deltas from before they were
// opened (after a GC), and, for rows that can wait without an OS thread, what one
// pending Recv per receiving socket costs on top.
type IdleSample struct {
	Sockets    int
	Create     time.Duration // opening, binding and connecting all of them
	Goroutines int
	HeapBytes  int64 // runtime.MemStats.HeapAlloc + StackInuse after a GC
	RSSBytes   int64 // resident set size from /proc/self/statm (includes libzmq's C memory)
	FDs        int   // open file descriptors

	Waiters        int // receiving sockets with one goroutine parked in Recv; 0 if not measured
	WaitGoroutines int
	WaitHeapBytes  int64
	WaitRSSBytes   int64
}

var registry = map[string]Row{}

// register adds a row; init functions call it. A duplicate key is a programming error.
func register(r Row) {
	if _, dup := registry[r.Key()]; dup {
		panic("zmqbench: duplicate row key " + r.Key())
	}
	registry[r.Key()] = r
}

// rowOrder is the order rows appear in tables; rows not listed come after, by key.
var rowOrder = []string{
	keyRaw, keyRawMessage, keyEvented, keyRecvMany,
	keyFutureRecv, keyRequester, keyServer, keyStreamC, keyStreamObservable, keyStreamAll,
	keySinkSend, keySinkForward, keyPipeline,
	keyGoZMQ, keyPyZMQ, keyC, keyCTwo,
}

// sortedRows returns the registered rows in table order.
func sortedRows() []Row {
	pos := map[string]int{}
	for i, k := range rowOrder {
		pos[k] = i
	}
	rows := make([]Row, 0, len(registry))
	for _, r := range registry {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		pi, iok := pos[rows[i].Key()]
		pj, jok := pos[rows[j].Key()]
		switch {
		case iok && jok:
			return pi < pj
		case iok != jok:
			return iok
		}
		return rows[i].Key() < rows[j].Key()
	})
	return rows
}

// scenarioMethod returns r's method for scenarios of kind k, or nil if r does not
// implement that kind's interface. Idle scenarios are not among them: IdleRow's method
// returns an IdleSample.
func scenarioMethod(r Row, k Kind) func(context.Context, Spec) (Sample, error) {
	switch k {
	case KindThroughput:
		if t, ok := r.(ThroughputRow); ok {
			return t.Throughput
		}
	case KindLatency:
		if t, ok := r.(LatencyRow); ok {
			return t.Latency
		}
	case KindRate:
		if t, ok := r.(RateRow); ok {
			return t.Rate
		}
	case KindPairs:
		if t, ok := r.(PairsRow); ok {
			return t.Pairs
		}
	}
	return nil
}

// runsIn reports whether row r takes part in scenarios of kind k with spec s.
func runsIn(r Row, k Kind, s Spec) bool {
	ok := scenarioMethod(r, k) != nil
	if k == KindIdle {
		_, ok = r.(IdleRow)
	}
	if !ok {
		return false
	}
	if sp, has := r.(supporter); has {
		return sp.Supports(k, s)
	}
	return true
}

// runOnce runs one repetition of a non-idle row.
func runOnce(ctx context.Context, r Row, k Kind, s Spec) (Sample, error) {
	if run := scenarioMethod(r, k); run != nil {
		return run(ctx, s)
	}
	if f, ok := r.(funcRow); ok && k == kindFunc {
		return Sample{}, f.fn(ctx)
	}
	return Sample{}, fmt.Errorf("zmqbench: %s does not run %s scenarios", r.Key(), k)
}
