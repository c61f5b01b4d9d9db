package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"time"
)

// Timeouts for one run of one row: past them the run is reported as stuck.
const (
	runTimeout  = time.Minute
	idleTimeout = 3 * time.Minute
	stopGrace   = 5 * time.Second // how long a cancelled in-process run may take to return
)

// runner runs a plan: for each scenario it calibrates every row, then runs the
// repetitions, all rows once per repetition, in alternating order.
type runner struct {
	plan   plan
	rows   []Row
	filter *regexp.Regexp
	dir    string // for ipc endpoints
	prog   *progress
	load   *loadSampler // nil: the load is not sampled
	res    *Results
}

// run runs every selected scenario; it stops early when ctx is done.
func (rn *runner) run(ctx context.Context) {
	for _, sc := range rn.plan.Scenarios {
		rows := selected(sc, rn.rows, rn.filter)
		if rows == nil {
			continue
		}
		if rn.load != nil {
			rn.load.sample()
		}
		sr := &ScenarioResult{
			Name: sc.Name, Kind: sc.Kind, Title: sc.Title(), Transport: sc.Transport, Size: sc.Size,
			InFlight: sc.InFlight, Pairs: sc.Pairs, Sockets: sc.Sockets, Baseline: sc.Baseline, Note: sc.note,
		}
		rn.res.Scenarios = append(rn.res.Scenarios, sr)
		if sc.Kind == KindIdle {
			rn.runIdle(ctx, sc, sr, rows)
		} else {
			rn.runCompare(ctx, sc, sr, rows)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

type activeRow struct {
	row   Row
	rr    *RowResult
	count int
}

func (rn *runner) runCompare(ctx context.Context, sc scenario, sr *ScenarioResult, rows []Row) {
	var act []*activeRow
	for _, r := range rows {
		rr := &RowResult{Key: r.Key(), Name: r.Name(), Status: statusOK}
		sr.Rows = append(sr.Rows, rr)
		if !rn.available(ctx, sc, r, rr) {
			continue
		}
		if sk, ok := r.(skipper); ok {
			if why := sk.Skip(sc.Kind, specFor(sc, "")); why != "" {
				rr.Status, rr.Reason = statusSkipped, why
				continue
			}
		}
		rn.prog.set(sc.Name, r.Key(), "calibrating")
		count, cal, err := rn.calibrate(ctx, sc, r)
		rr.Calibration = cal
		if err != nil {
			rn.fail(ctx, sc, rr, err)
			continue
		}
		rr.Count = count
		act = append(act, &activeRow{row: r, rr: rr, count: count})
	}
	// Each repetition brackets every row with a run of the baseline (B X1 B X2 … B),
	// rows in reverse order on odd repetitions, so that each ratio compares runs made
	// right next to each other.
	var base *activeRow
	var others []*activeRow
	for _, a := range act {
		if a.rr.Key == sc.Baseline {
			base = a
		} else {
			others = append(others, a)
		}
	}
	for rep := range rn.plan.Reps {
		order := slices.Clone(others)
		if rep%2 == 1 {
			slices.Reverse(order)
		}
		seq := 0
		runRow := func(a *activeRow) {
			seq++
			if a == nil || a.rr.Status != statusOK || ctx.Err() != nil {
				return
			}
			rn.prog.set(sc.Name, a.row.Key(), fmt.Sprintf("rep %d/%d", rep+1, rn.plan.Reps))
			sp := specFor(sc, rn.dir)
			sp.Count = a.count
			s, err := rn.once(ctx, a.row, sc.Kind, sp, runTimeout)
			rn.prog.done(1)
			if err != nil {
				a.rr.Reps = append(a.rr.Reps, RepRecord{Rep: rep, Seq: seq, Count: sp.Count, Error: err.Error()})
				rn.fail(ctx, sc, a.rr, err)
				return
			}
			rec := newRepRecord(rep, s)
			rec.Seq = seq
			a.rr.Reps = append(a.rr.Reps, rec)
			if len(s.Peer) > 0 {
				a.rr.Peer = s.Peer
			}
		}
		runRow(base)
		for _, a := range order {
			runRow(a)
			runRow(base)
		}
	}
	summarizeScenario(sr)
}

// available reports whether r can run here, marking rr missing if not.
func (rn *runner) available(ctx context.Context, sc scenario, r Row, rr *RowResult) bool {
	av, ok := r.(availability)
	if !ok {
		return true
	}
	rn.prog.set(sc.Name, r.Key(), "checking")
	if err := av.Available(ctx); err != nil {
		rr.Status, rr.Reason = statusMissing, err.Error()
		return false
	}
	return true
}

// calibrate runs r with growing counts until one run takes at least plan.MinCal, and
// returns the count that should take plan.Target. The runs double as warm-up.
func (rn *runner) calibrate(ctx context.Context, sc scenario, r Row) (int, []RepRecord, error) {
	count, limit := countRange(sc)
	var cal []RepRecord
	for i := -1; ; i-- {
		sp := specFor(sc, rn.dir)
		sp.Count = count
		s, err := rn.once(ctx, r, sc.Kind, sp, runTimeout)
		if err != nil {
			return 0, cal, err
		}
		cal = append(cal, newRepRecord(i, s))
		el := max(s.Elapsed, time.Microsecond)
		if el >= rn.plan.MinCal || count >= limit {
			n := int(float64(count) * float64(rn.plan.Target) / float64(el))
			return min(max(n, 50), limit), cal, nil
		}
		grow := 2 * float64(rn.plan.MinCal) / float64(el)
		count = min(int(float64(count)*min(max(grow, 2), 50)), limit)
	}
}

// countRange is the first calibration count and the most a repetition may use.
func countRange(sc scenario) (start, limit int) {
	switch sc.Kind {
	case KindThroughput:
		switch {
		case sc.Size >= 64<<10:
			return 200, 5_000_000
		case sc.Size >= 4<<10:
			return 1000, 20_000_000
		}
		return 2000, 50_000_000
	case KindPairs:
		return 100, 1_000_000
	}
	return 200, 2_000_000
}

// once runs one repetition in a goroutine it waits for: after a GC, with a watchdog.
// A run that outlives its timeout, or does not return within stopGrace of ctx being
// cancelled, is cancelled; if it still does not return (a raw blocking loop cannot
// be interrupted) the program reports it and exits.
func (rn *runner) once(ctx context.Context, r Row, k Kind, sp Spec, timeout time.Duration) (Sample, error) {
	runtime.GC()
	runCtx, cancel := context.WithCancelCause(ctx)
	type result struct {
		s   Sample
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := runOnce(runCtx, r, k, sp)
		done <- result{s, err}
	}()
	timer := time.NewTimer(timeout)
	var why error
	select {
	case res := <-done:
		timer.Stop()
		cancel(nil)
		return res.s, res.err
	case <-timer.C:
		why = fmt.Errorf("stuck: no result after %v", timeout)
	case <-ctx.Done():
		timer.Stop()
		why = context.Cause(ctx)
	}
	cancel(why)
	select {
	case res := <-done:
		if res.err == nil {
			res.err = why
		}
		return res.s, res.err
	case <-time.After(stopGrace):
	}
	rn.prog.clear()
	fmt.Fprintf(os.Stderr, "zmqbench: %s in %s did not return %v after being cancelled (%v); exiting\n",
		r.Key(), sp.Endpoint, stopGrace, why)
	os.Exit(exitCode(ctx))
	return Sample{}, why
}

// runIdle opens the sockets once per row (the figures are per socket, not a ratio),
// each row in a fresh child process (this program re-executed), so that one row's
// freed memory does not flatter the next one's resident-set delta.
func (rn *runner) runIdle(ctx context.Context, sc scenario, sr *ScenarioResult, rows []Row) {
	for _, r := range rows {
		rr := &RowResult{Key: r.Key(), Name: r.Name(), Status: statusOK}
		sr.Rows = append(sr.Rows, rr)
		if !rn.available(ctx, sc, r, rr) {
			continue
		}
		rn.prog.set(sc.Name, r.Key(), fmt.Sprintf("%d sockets", sc.Sockets))
		sp := specFor(sc, rn.dir)
		var is IdleSample
		_, err := rn.onceFunc(ctx, r, sp, idleTimeout, func(ctx context.Context) (err error) {
			is, err = idleInChild(ctx, r, sp)
			return err
		})
		if err != nil {
			rn.fail(ctx, sc, rr, err)
			continue
		}
		rr.Idle = newIdleRecord(is)
		rn.prog.done(1)
	}
}

// onceFunc is once for a function that is not a Sample-returning scenario method.
func (rn *runner) onceFunc(ctx context.Context, r Row, sp Spec, timeout time.Duration, fn func(context.Context) error) (Sample, error) {
	return rn.once(ctx, funcRow{Row: r, fn: fn}, kindFunc, sp, timeout)
}

// kindFunc and funcRow let once run an arbitrary function under its watchdog.
const kindFunc Kind = "func"

type funcRow struct {
	Row
	fn func(context.Context) error
}

func (rn *runner) fail(ctx context.Context, sc scenario, rr *RowResult, err error) {
	if ctx.Err() != nil && errors.Is(err, context.Cause(ctx)) {
		rr.Status, rr.Reason = statusInterrupted, ""
		return
	}
	rr.Status, rr.Reason = statusError, err.Error()
	rn.res.Errors = append(rn.res.Errors, fmt.Sprintf("%s/%s: %v", sc.Name, rr.Key, err))
	rn.prog.note(fmt.Sprintf("error: %s/%s: %v", sc.Name, rr.Key, err))
}

// summarizeScenario fills every row's summary from its repetitions.
func summarizeScenario(sr *ScenarioResult) {
	base := sr.Row(sr.Baseline)
	for _, rr := range sr.Rows {
		if len(rr.Reps) == 0 {
			continue
		}
		var rate, cpu, allocs, p50, p99, p999, child []float64
		for _, r := range rr.Reps {
			if r.Error != "" || r.Count == 0 {
				continue
			}
			n := float64(r.Count)
			rate = append(rate, r.PerSecond)
			cpu = append(cpu, float64(r.UserNS+r.SysNS)/n)
			if r.Allocs >= 0 {
				allocs = append(allocs, float64(r.Allocs)/n)
			}
			if r.P50NS > 0 {
				p50 = append(p50, float64(r.P50NS))
				p99 = append(p99, float64(r.P99NS))
				p999 = append(p999, float64(r.P999NS))
			}
			if r.ChildNS > 0 {
				child = append(child, float64(r.ChildNS)/n)
			}
		}
		rr.PerSecond, rr.CPUPerOpNS, rr.AllocsPerOp = summarize(rate), summarize(cpu), summarize(allocs)
		rr.P50NS, rr.P99NS, rr.P999NS, rr.ChildCPUNS = summarize(p50), summarize(p99), summarize(p999), summarize(child)
		if base != nil && rr != base {
			if st := pairedRatio(rr, base, metricFor(sr.Kind)); st.ok() {
				rr.Ratio = &st
			}
		}
	}
}

// metric is what a ratio compares.
type metric int

const (
	metricRate metric = iota // per second: higher is better
	metricP50                // median round trip: lower is better
	metricCPU                // CPU time (user + system) per message: lower is better
)

func metricFor(k Kind) metric {
	if k == KindLatency {
		return metricP50
	}
	return metricRate
}

func (m metric) of(r RepRecord) float64 {
	switch m {
	case metricP50:
		return float64(r.P50NS)
	case metricCPU:
		if r.Count <= 0 {
			return 0
		}
		return float64(r.UserNS+r.SysNS) / float64(r.Count)
	}
	return r.PerSecond
}

// pairedRatio is num's metric over den's, repetition by repetition, summarized. Within
// a repetition a run of num is compared with the runs of den right before and after it
// (their geometric mean) when there are such (the baseline brackets every row), else
// with every run of den in that repetition.
func pairedRatio(num, den *RowResult, m metric) stat {
	var vs []float64
	for _, r := range num.Reps {
		if r.Error != "" || m.of(r) <= 0 {
			continue
		}
		var near, all []float64
		for _, d := range den.Reps {
			if d.Rep != r.Rep || d.Error != "" || m.of(d) <= 0 {
				continue
			}
			all = append(all, m.of(d))
			if d.Seq == r.Seq-1 || d.Seq == r.Seq+1 {
				near = append(near, m.of(d))
			}
		}
		if len(near) == 0 {
			near = all
		}
		if len(near) > 0 {
			vs = append(vs, m.of(r)/geomean(near))
		}
	}
	return summarize(vs)
}

// ratioOfRatios compares two rows that are not the baseline through it: in each
// repetition, num's ratio to the baseline runs around it over den's, so that drift
// between the two rows' runs cancels. Summarized over repetitions.
func ratioOfRatios(num, den, base *RowResult, m metric) stat {
	perRep := func(r *RowResult) map[int]float64 {
		out := map[int]float64{}
		for _, rep := range r.Reps {
			one := &RowResult{Reps: []RepRecord{rep}}
			if st := pairedRatio(one, base, m); st.ok() {
				out[rep.Rep] = st.Median
			}
		}
		return out
	}
	dr := perRep(den)
	var vs []float64
	for rep, n := range perRep(num) {
		if d, ok := dr[rep]; ok && d > 0 {
			vs = append(vs, n/d)
		}
	}
	return summarize(vs)
}
