package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeScenario is a scenario whose rows ran with the given per-repetition rates (or
// p50s, for latency), the baseline bracketing every other row in each repetition:
// B X1 B X2 … B.
func fakeScenario(sc scenario, rows []string, values map[string][]float64) *ScenarioResult {
	sr := &ScenarioResult{Name: sc.Name, Kind: sc.Kind, Title: sc.Title(), Transport: sc.Transport, Size: sc.Size, Baseline: sc.Baseline}
	m := metricFor(sc.Kind)
	rec := func(rep, seq int, v float64) RepRecord {
		r := RepRecord{Rep: rep, Seq: seq, Count: 1000}
		if m == metricP50 {
			r.P50NS = int64(v)
		} else {
			r.PerSecond = v
		}
		return r
	}
	base := &RowResult{Key: sc.Baseline, Name: rowName(sc.Baseline), Status: statusOK}
	sr.Rows = append(sr.Rows, base)
	for rep, v := range values[sc.Baseline] {
		for i := 0; i <= len(rows); i++ {
			base.Reps = append(base.Reps, rec(rep, 2*i+1, v))
		}
	}
	for i, k := range rows {
		rr := &RowResult{Key: k, Name: rowName(k), Status: statusOK}
		for rep, v := range values[k] {
			rr.Reps = append(rr.Reps, rec(rep, 2*i+2, v))
		}
		sr.Rows = append(sr.Rows, rr)
	}
	summarizeScenario(sr)
	return sr
}

// fakeResults is a run where zmqevented is far below its bar over tcp at 16 B, and
// go-zeromq is far behind it.
func fakeResults(quick bool) *Results {
	res := &Results{Quick: quick, Reps: 2, Machine: Machine{Cores: 2}}
	res.Scenarios = append(res.Scenarios, fakeScenario(throughputScenario("tcp", 16), []string{keyEvented, keyGoZMQ},
		map[string][]float64{keyRaw: {1e6, 1e6}, keyEvented: {0.5e6, 0.6e6}, keyGoZMQ: {0.2e6, 0.22e6}}))
	res.Bars = evalBars(res, quick)
	res.Conditions = &Conditions{Cores: 2}
	res.Conditions.judge(res)
	return res
}

var verdictWord = regexp.MustCompile(`(?i)\bheld\b`)

// A quick run reports its figures as indicative and judges no bar, in the table, the
// Markdown and the JSON alike.
func TestQuickRunJudgesNoBar(t *testing.T) {
	res := fakeResults(true)
	for _, br := range res.Bars {
		require.Contains(t, []string{verdictIndicative, verdictNotMeasured}, br.Verdict, br.ID)
		for _, l := range br.Lines {
			require.Nil(t, l.Held, "%s %s", br.ID, l.Scenario)
		}
	}
	ev := barByID(t, res, "evented-throughput-16b")
	require.Equal(t, verdictIndicative, ev.Verdict)

	var text bytes.Buffer
	require.NoError(t, writeText(&text, res))
	dir := t.TempDir()
	require.NoError(t, writeMarkdown(filepath.Join(dir, "latest.md"), "", res))
	require.NoError(t, writeJSON(filepath.Join(dir, "latest.json"), res))
	md, err := os.ReadFile(filepath.Join(dir, "latest.md"))
	require.NoError(t, err)
	js, err := os.ReadFile(filepath.Join(dir, "latest.json"))
	require.NoError(t, err)
	for name, out := range map[string]string{"text": text.String(), "markdown": string(md)} {
		require.NotRegexp(t, verdictWord, out, name)
		require.Contains(t, out, "indicative, quick run", name)
	}
	var back Results
	require.NoError(t, json.Unmarshal(js, &back))
	require.True(t, back.Quick)
	require.Equal(t, verdictIndicative, back.Bars[0].Verdict)
	require.NotContains(t, string(js), `"held"`)
	require.NotContains(t, string(js), verdictNotHeld)
}

// A full run still judges its bars.
func TestFullRunJudgesBars(t *testing.T) {
	res := fakeResults(false)
	ev := barByID(t, res, "evented-throughput-16b")
	require.Equal(t, verdictNotHeld, ev.Verdict)
	vs := barByID(t, res, "evented-vs-gozmq")
	require.Equal(t, verdictNotHeld, vs.Verdict, "2.5× is below the 10× bar")

	var text bytes.Buffer
	require.NoError(t, writeText(&text, res))
	require.Contains(t, text.String(), verdictNotHeld)
	require.NotContains(t, text.String(), "indicative")
}

func barByID(t *testing.T, res *Results, id string) BarResult {
	t.Helper()
	for _, br := range res.Bars {
		if br.ID == id {
			return br
		}
	}
	t.Fatalf("no bar %q", id)
	return BarResult{}
}

// The CPU bar compares CPU time per message, lower being better.
func TestCPUBar(t *testing.T) {
	sc := throughputScenario("tcp", 16)
	sr := fakeScenario(sc, []string{keyEvented}, map[string][]float64{keyRaw: {1e6, 1e6}, keyEvented: {1e6, 1e6}})
	for _, rr := range sr.Rows {
		per := int64(2000) // ns of CPU per message
		if rr.Key == keyEvented {
			per = 1500
		}
		for i := range rr.Reps {
			rr.Reps[i].UserNS = per * int64(rr.Reps[i].Count)
		}
	}
	res := &Results{Reps: 2, Scenarios: []*ScenarioResult{sr}}
	res.Bars = evalBars(res, false)
	cpu := barByID(t, res, "evented-cpu")
	var line *BarLine
	for i, l := range cpu.Lines {
		if l.Scenario == sc.Name {
			line = &cpu.Lines[i]
		}
	}
	require.NotNil(t, line)
	require.True(t, line.Measured)
	require.InDelta(t, 0.75, line.Ratio.Median, 1e-9)
	require.True(t, *line.Held, "0.75× the baseline's CPU per message is within ≤ 1×")
	require.Len(t, cpu.Lines, len(transports), "16 B on every transport")
}
