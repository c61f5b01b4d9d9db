package main

import (
	"fmt"
	"strings"
)

// bar is one performance bar the project holds itself to: the ratio of row Num to row Den in the
// scenarios Match selects must be ≥ (AtLeast) or ≤ Threshold. A bar is held in a
// scenario when the median of its paired ratios (repetition by repetition) meets the
// threshold; min and max are printed beside it. When Den is not the scenario's
// baseline, both rows are first taken relative to the baseline runs around them.
type bar struct {
	ID        string
	Text      string
	Kind      Kind
	Match     func(scenario) bool // nil: every scenario of Kind
	Num, Den  string
	Metric    metric
	AtLeast   bool
	Threshold float64
	RefDen    string // also print Num over this row, for reference (not judged)
}

func sizeIn(ns ...int) func(scenario) bool {
	return func(sc scenario) bool {
		for _, n := range ns {
			if sc.Size == n {
				return true
			}
		}
		return false
	}
}

func notSize(n int) func(scenario) bool {
	return func(sc scenario) bool { return sc.Size != n }
}

func tcpSize(n int) func(scenario) bool {
	return func(sc scenario) bool { return sc.Transport == "tcp" && sc.Size == n }
}

// bars are the project's performance bars, in the order the summary prints them.
var bars = []bar{
	{ID: "evented-throughput-16b", Text: "zmqevented Send/Recv ≥ 1.2× raw pebbe throughput at 16 B (inproc, ipc, tcp)",
		Kind: KindThroughput, Match: sizeIn(16), Num: keyEvented, Den: keyRaw, AtLeast: true, Threshold: 1.2, RefDen: keyRawMessage},
	{ID: "evented-throughput", Text: "zmqevented Send/Recv ≥ 0.95× raw pebbe throughput at every other size and transport",
		Kind: KindThroughput, Match: notSize(16), Num: keyEvented, Den: keyRaw, AtLeast: true, Threshold: 0.95, RefDen: keyRawMessage},
	{ID: "evented-cpu", Text: "zmqevented Send/Recv CPU µs/msg ≤ raw pebbe's at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keyEvented, Den: keyRaw, Metric: metricCPU, Threshold: 1},
	{ID: "evented-reqrep-p50", Text: "zmqevented REQ/REP p50 ≤ 1.2× raw pebbe (tcp 16 B)",
		Kind: KindLatency, Match: tcpSize(16), Num: keyEvented, Den: keyRaw, Metric: metricP50, Threshold: 1.2},
	{ID: "requester-rate", Text: "zmqfuture Requester with 64 in flight ≥ 3× the raw REQ/REP rate",
		Kind: KindRate, Num: keyRequester, Den: keyRaw, AtLeast: true, Threshold: 3},
	{ID: "server-rate", Text: "reqrep.Server + Requester, 64 in flight ≥ 10× raw REQ/REP (tcp 16 B)",
		Kind: KindRate, Match: tcpSize(16), Num: keyServer, Den: keyRaw, AtLeast: true, Threshold: 10},
	{ID: "stream-c", Text: "zmqstream C() ≥ 0.9× raw throughput at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keyStreamC, Den: keyRaw, AtLeast: true, Threshold: 0.9},
	{ID: "stream-observable", Text: "zmqstream Observable() ≥ 0.7× raw throughput at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keyStreamObservable, Den: keyRaw, AtLeast: true, Threshold: 0.7},
	{ID: "stream-all", Text: "zmqstream All(ctx) ≥ 1.2× raw throughput at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keyStreamAll, Den: keyRaw, AtLeast: true, Threshold: 1.2},
	{ID: "sink-send", Text: "zmqsink Sink.Send ≥ 1.0× raw throughput at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keySinkSend, Den: keyRaw, AtLeast: true, Threshold: 1},
	{ID: "sink-forward", Text: "zmqsink Forward ≥ 0.6× raw throughput at 16 B",
		Kind: KindThroughput, Match: sizeIn(16), Num: keySinkForward, Den: keyRaw, AtLeast: true, Threshold: 0.6},
	{ID: "evented-vs-gozmq", Text: "zmqevented ≥ 10× go-zeromq/zmq4 throughput at 16 B over tcp",
		Kind: KindThroughput, Match: tcpSize(16), Num: keyEvented, Den: keyGoZMQ, AtLeast: true, Threshold: 10},
	{ID: "evented-vs-pyzmq", Text: "zmqevented ≥ 10× pyzmq asyncio throughput at 16 B over tcp",
		Kind: KindThroughput, Match: tcpSize(16), Num: keyEvented, Den: keyPyZMQ, AtLeast: true, Threshold: 10},
}

// Verdicts. A quick run's few short repetitions are too noisy to hold a bar to, so
// its measured bars are "indicative" and nothing is judged.
const (
	verdictHeld        = "held"
	verdictNotHeld     = "NOT HELD"
	verdictNotMeasured = "not measured"
	verdictIndicative  = "indicative, quick run"
)

// BarResult is a bar's verdict and its measured ratio in each scenario.
type BarResult struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"`
	Verdict string    `json:"verdict"`
	Detail  string    `json:"detail,omitempty"`
	Lines   []BarLine `json:"lines"`

	// Reference is Num over RefDen where both ran: context for the reader, not judged.
	RefText   string    `json:"reference_text,omitempty"`
	Reference []BarLine `json:"reference,omitempty"`
}

// BarLine is a bar in one scenario. Held is set only where the bar was judged: a
// measured line of a full run.
type BarLine struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Measured bool   `json:"measured"`
	Held     *bool  `json:"held,omitempty"`
	Ratio    *stat  `json:"ratio,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// evalBars judges every bar on res. The scenarios a bar covers come from the full
// plan, so a bar whose scenarios did not run (-quick, -filter) says so. In a quick run
// the ratios are reported but no bar is judged.
func evalBars(res *Results, quick bool) []BarResult {
	ran := map[string]*ScenarioResult{}
	for _, sr := range res.Scenarios {
		ran[sr.Name] = sr
	}
	var out []BarResult
	for _, b := range bars {
		br := BarResult{ID: b.ID, Text: b.Text}
		for _, sc := range fullPlan(1).Scenarios {
			if sc.Kind != b.Kind || (b.Match != nil && !b.Match(sc)) {
				continue
			}
			br.Lines = append(br.Lines, b.judge(sc, ran[sc.Name], quick))
			if b.RefDen == "" {
				continue
			}
			ref := b
			ref.Den = b.RefDen
			if l := ref.judge(sc, ran[sc.Name], quick); l.Measured {
				l.Held = nil
				br.Reference = append(br.Reference, l)
			}
		}
		if len(br.Reference) > 0 {
			br.RefText = fmt.Sprintf("for reference, %s over %s (not judged)", registry[b.Num].Name(), registry[b.RefDen].Name())
		}
		br.Verdict, br.Detail = verdict(br.Lines)
		if quick && br.Verdict != verdictNotMeasured {
			br.Verdict, br.Detail = verdictIndicative, ""
		}
		out = append(out, br)
	}
	return out
}

func (b bar) judge(sc scenario, sr *ScenarioResult, quick bool) BarLine {
	l := BarLine{Scenario: sc.Name, Title: sc.Title()}
	num, den, reason := b.rows(sc, sr, quick)
	if reason != "" {
		l.Reason = reason
		return l
	}
	var st stat
	if base := sr.Row(sr.Baseline); base != nil && base != den && base.Status == statusOK {
		st = ratioOfRatios(num, den, base, b.Metric)
	} else {
		st = pairedRatio(num, den, b.Metric)
	}
	if !st.ok() {
		l.Reason = "no repetition where both rows succeeded"
		return l
	}
	l.Measured, l.Ratio = true, &st
	if quick {
		return l
	}
	held := st.Median <= b.Threshold
	if b.AtLeast {
		held = st.Median >= b.Threshold
	}
	l.Held = &held
	return l
}

// rows finds the bar's two rows in sr, or says why the bar is not measured there.
func (b bar) rows(sc scenario, sr *ScenarioResult, quick bool) (num, den *RowResult, reason string) {
	for _, k := range []string{b.Num, b.Den} {
		r, ok := registry[k]
		switch {
		case !ok:
			return nil, nil, "row missing: " + k + " is not registered yet"
		case !runsIn(r, sc.Kind, specFor(sc, "")):
			return nil, nil, "row " + k + " does not run in this scenario"
		}
	}
	if sr == nil {
		if quick {
			return nil, nil, "scenario not in -quick"
		}
		return nil, nil, "scenario not run (-filter or interrupted)"
	}
	for i, k := range []string{b.Num, b.Den} {
		r := sr.Row(k)
		switch {
		case r == nil:
			return nil, nil, "row " + k + " filtered out"
		case r.Status != statusOK && r.Reason == "":
			return nil, nil, k + " " + r.Status
		case r.Status != statusOK:
			return nil, nil, k + " " + r.Status + ": " + r.Reason
		}
		if i == 0 {
			num = r
		} else {
			den = r
		}
	}
	return num, den, ""
}

// verdict sums a bar's lines up.
func verdict(lines []BarLine) (string, string) {
	var measured, held int
	reasons := map[string]bool{}
	var firstReason string
	for _, l := range lines {
		if !l.Measured {
			if !reasons[l.Reason] {
				reasons[l.Reason] = true
				if firstReason == "" {
					firstReason = l.Reason
				}
			}
			continue
		}
		measured++
		if l.Held != nil && *l.Held {
			held++
		}
	}
	missing := len(lines) - measured
	switch {
	case measured == 0:
		if len(reasons) > 1 {
			return verdictNotMeasured, firstReason + "; …"
		}
		return verdictNotMeasured, firstReason
	case held < measured && missing == 0:
		return verdictNotHeld, fmt.Sprintf("%d of %d scenarios below the bar", measured-held, measured)
	case held < measured:
		return verdictNotHeld, fmt.Sprintf("%d of %d measured scenarios below the bar; %d not measured", measured-held, measured, missing)
	case missing > 0:
		return verdictHeld, fmt.Sprintf("where measured; %d of %d scenarios not measured", missing, len(lines))
	}
	return verdictHeld, ""
}

// ratioLabel prints a ratio stat: "0.95× (0.91–0.99)".
func ratioLabel(st *stat) string {
	if st == nil || !st.ok() {
		return "–"
	}
	if st.N == 1 {
		return fmt.Sprintf("%s×", fmtRatio(st.Median))
	}
	return fmt.Sprintf("%s× (%s–%s)", fmtRatio(st.Median), fmtRatio(st.Min), fmtRatio(st.Max))
}

func fmtRatio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v < 0.1:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// barsHeld counts held and not-held bars, for the closing line; a quick run's are
// not judged.
func barsHeld(brs []BarResult, quick bool) string {
	var h, n, i, m int
	for _, b := range brs {
		switch b.Verdict {
		case verdictHeld:
			h++
		case verdictNotHeld:
			n++
		case verdictIndicative:
			i++
		default:
			m++
		}
	}
	if quick {
		return fmt.Sprintf("not judged (indicative, quick run: run `make bench` for verdicts); %d measured, %d not measured", i, m)
	}
	parts := []string{fmt.Sprintf("%d held", h), fmt.Sprintf("%d not held", n), fmt.Sprintf("%d not measured", m)}
	return strings.Join(parts, ", ")
}
