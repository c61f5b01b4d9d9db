package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// Kind is a kind of scenario.
type Kind string

// The scenario kinds.
const (
	KindThroughput Kind = "throughput" // PUSH → PULL, msgs/s
	KindLatency    Kind = "latency"    // REQ/REP round trips, p50/p99/p99.9
	KindRate       Kind = "rate"       // requests/s, sequential REQ/REP against pipelined
	KindPairs      Kind = "pairs"      // many PUSH/PULL pairs at once, aggregate msgs/s
	KindIdle       Kind = "idle"       // many idle sockets, cost per socket
)

// scenario is one comparison: every row that runs in it is measured side by side with
// the baseline, alternating, in the same run.
type scenario struct {
	Name      string // "throughput/tcp/16B": what -filter matches, with "/<row key>"
	Kind      Kind
	Transport string
	Size      int
	InFlight  int
	Pairs     int
	Sockets   int // idle
	Baseline  string
	note      string // shown with the scenario: why it runs smaller than asked, say
}

// Title is the scenario's label in tables: "tcp 16 B".
func (sc scenario) Title() string {
	switch sc.Kind {
	case KindRate:
		return fmt.Sprintf("%s %s (pipelined: %d in flight)", sc.Transport, sizeLabel(sc.Size), sc.InFlight)
	case KindPairs:
		return fmt.Sprintf("%d pairs, %s %s", sc.Pairs, sc.Transport, sizeLabel(sc.Size))
	case KindIdle:
		return fmt.Sprintf("%d sockets", sc.Sockets)
	}
	return sc.Transport + " " + sizeLabel(sc.Size)
}

// plan is what a run does.
type plan struct {
	Scenarios []scenario
	Reps      int
	Target    time.Duration // wall time one repetition aims for
	MinCal    time.Duration // a calibration run shorter than this is repeated with more messages
}

var (
	transports = []string{"inproc", "ipc", "tcp"}
	sizes      = []int{16, 256, 4 << 10, 64 << 10}
)

const (
	idleSockets  = 10000
	pairsCount   = 100
	inFlight     = 64
	latencyTrans = "tcp"
)

// fullPlan is every scenario of the suite.
func fullPlan(reps int) plan {
	var scs []scenario
	for _, t := range transports {
		for _, n := range sizes {
			scs = append(scs, throughputScenario(t, n))
		}
	}
	for _, n := range []int{16, 4 << 10} {
		scs = append(scs, latencyScenario(n))
	}
	scs = append(scs, rateScenario(), pairsScenario(), idleScenario(idleSockets))
	return plan{Scenarios: scs, Reps: reps, Target: 300 * time.Millisecond, MinCal: 80 * time.Millisecond}
}

// quickPlan is a subset touching every kind, transport and row, sized to finish well
// under a minute: a smoke test, not a measurement.
func quickPlan(reps int) plan {
	scs := []scenario{
		throughputScenario("tcp", 16),
		throughputScenario("ipc", 256),
		throughputScenario("inproc", 4<<10),
		latencyScenario(16),
		rateScenario(),
		pairsScenario(),
		idleScenario(2000),
	}
	return plan{Scenarios: scs, Reps: reps, Target: 60 * time.Millisecond, MinCal: 20 * time.Millisecond}
}

func throughputScenario(t string, n int) scenario {
	return scenario{Name: fmt.Sprintf("throughput/%s/%s", t, sizeKey(n)), Kind: KindThroughput, Transport: t, Size: n, Baseline: keyRaw}
}

func latencyScenario(n int) scenario {
	return scenario{Name: fmt.Sprintf("latency/%s/%s", latencyTrans, sizeKey(n)), Kind: KindLatency, Transport: latencyTrans, Size: n, Baseline: keyRaw}
}

func rateScenario() scenario {
	return scenario{Name: "rate/tcp/16B", Kind: KindRate, Transport: "tcp", Size: 16, InFlight: inFlight, Baseline: keyRaw}
}

func pairsScenario() scenario {
	return scenario{Name: fmt.Sprintf("pairs/%d/tcp/16B", pairsCount), Kind: KindPairs, Transport: "tcp", Size: 16, Pairs: pairsCount, Baseline: keyRaw}
}

func idleScenario(n int) scenario {
	return scenario{Name: fmt.Sprintf("idle/%d", n), Kind: KindIdle, Transport: "inproc", Sockets: n, Baseline: keyRaw}
}

// sizeLabel is a size for people: "16 B", "4 KiB".
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// sizeKey is a size for names: "16B", "4KiB".
func sizeKey(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// selected reports, for each scenario, the rows that run in it: those matching the
// filter plus the baseline (always, so that ratios exist).
func selected(sc scenario, rows []Row, filter *regexp.Regexp) []Row {
	var out []Row
	matched := false
	for _, r := range rows {
		if !runsIn(r, sc.Kind, specFor(sc, "")) {
			continue
		}
		match := filter == nil || filter.MatchString(sc.Name+"/"+r.Key())
		if match {
			matched = true
		}
		if match || r.Key() == sc.Baseline {
			out = append(out, r)
		}
	}
	if !matched {
		return nil
	}
	return out
}

// specFor is the Spec of one repetition of sc, with a fresh endpoint under dir.
func specFor(sc scenario, dir string) Spec {
	return Spec{
		Spec: rigs.Spec{
			Endpoint: rigs.Endpoint(sc.Transport, dir), Size: sc.Size, Count: sc.Sockets, InFlight: sc.InFlight,
		},
		Transport: sc.Transport, Pairs: sc.Pairs,
	}
}
