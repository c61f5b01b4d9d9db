package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseLoadavg(t *testing.T) {
	got, err := parseLoadavg("2.61 1.85 0.97 3/412 12345\n")
	require.NoError(t, err)
	require.Equal(t, []float64{2.61, 1.85, 0.97}, got)

	_, err = parseLoadavg("2.61 1.85")
	require.Error(t, err)
	_, err = parseLoadavg("x 1 2 3/4 5")
	require.Error(t, err)
}

func TestEWMAMinute(t *testing.T) {
	require.InDelta(t, 0, ewmaMinute(0, 0, 30), 1e-12)
	require.InDelta(t, 2*(1-0.36787944), ewmaMinute(0, 2, 60), 1e-6, "one time constant")
	require.InDelta(t, 1.5, ewmaMinute(1.5, 1.5, 10), 1e-12)
	require.InDelta(t, 2, ewmaMinute(0, 2, 3600), 1e-9)
}

func TestConditionsJudge(t *testing.T) {
	quiet := map[string][]float64{keyRaw: {1e6, 1.1e6, 1.05e6}, keyEvented: {0.8e6, 0.9e6, 0.85e6}}
	noisy := map[string][]float64{keyRaw: {1e6, 1e6, 1e6}, keyEvented: {0.3e6, 0.9e6, 0.8e6}}
	for _, tc := range []struct {
		name       string
		cond       Conditions
		values     map[string][]float64
		warnings   int
		wideSpread []string
	}{
		{"idle", Conditions{Cores: 2, LoadStart: []float64{0.4, 0.3, 0.2}, LoadEnd: []float64{2.9, 1.2, 0.6}, LoadOthers: 0.7}, quiet, 0, nil},
		{"busy before", Conditions{Cores: 2, LoadStart: []float64{3.2, 2, 1}, LoadEnd: []float64{3, 2, 1}, LoadOthers: 3.2}, quiet, 1, nil},
		{"busy during", Conditions{Cores: 2, LoadStart: []float64{0.5, 0.5, 0.5}, LoadEnd: []float64{4, 2, 1}, LoadOthers: 2.4}, quiet, 1, nil},
		{"noisy row", Conditions{Cores: 2}, noisy, 1, []string{keyEvented}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &Results{Machine: Machine{Cores: 2}}
			res.Scenarios = append(res.Scenarios, fakeScenario(throughputScenario("ipc", 16), []string{keyEvented}, tc.values))
			c := tc.cond
			c.judge(res)
			require.Len(t, c.Warnings, tc.warnings, "%q", c.Warnings)
			var keys []string
			for _, s := range c.WideSpread {
				keys = append(keys, s.Row)
				require.Greater(t, s.Spread, maxSpread)
			}
			require.Equal(t, tc.wideSpread, keys)
			require.Equal(t, tc.warnings > 0, c.busy())
		})
	}
}

// A busy run says so in the table, latest.md and latest.json.
func TestBusyRunIsReported(t *testing.T) {
	res := &Results{Reps: 3, Machine: Machine{Cores: 2}}
	res.Scenarios = append(res.Scenarios, fakeScenario(throughputScenario("tcp", 16), []string{keyEvented},
		map[string][]float64{keyRaw: {1e6, 1e6, 1e6}, keyEvented: {0.3e6, 0.9e6, 0.8e6}}))
	res.Bars = evalBars(res, false)
	res.Conditions = &Conditions{Cores: 2, LoadStart: []float64{3.5, 3, 2}, LoadEnd: []float64{4, 3, 2}, LoadOthers: 3.5}
	res.Conditions.judge(res)

	var text bytes.Buffer
	require.NoError(t, writeText(&text, res))
	require.Contains(t, text.String(), "WARNING: the machine was busy before the run: load average 3.50 on 2 cores")
	require.Contains(t, text.String(), "WARNING: 1 row varied more than 2× between repetitions")

	dir := t.TempDir()
	require.NoError(t, writeMarkdown(filepath.Join(dir, "latest.md"), "", res))
	require.NoError(t, writeJSON(filepath.Join(dir, "latest.json"), res))
	md, err := os.ReadFile(filepath.Join(dir, "latest.md"))
	require.NoError(t, err)
	require.Contains(t, string(md), "## Run conditions")
	require.Contains(t, string(md), "| load average at start (1, 5, 15 min) | 3.50, 3.00, 2.00 |")
	require.Contains(t, string(md), "**Warning: the figures may be noisy.**")
	require.Contains(t, string(md), "throughput tcp 16 B: zmqevented Send/Recv (rate 3.00×)")

	back, err := readResults(filepath.Join(dir, "latest.json"))
	require.NoError(t, err)
	require.NotNil(t, back.Conditions)
	require.Equal(t, 2, back.Conditions.Cores)
	require.Equal(t, []float64{3.5, 3, 2}, back.Conditions.LoadStart)
	require.Equal(t, []float64{4, 3, 2}, back.Conditions.LoadEnd)
	require.Len(t, back.Conditions.WideSpread, 1)
	require.Equal(t, "throughput/tcp/16B", back.Conditions.WideSpread[0].Scenario)
	require.Len(t, back.Conditions.Warnings, 2)
}

// The sampler reads this machine's load before and after, and nets its own use out.
func TestLoadSampler(t *testing.T) {
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		t.Skip("no /proc/loadavg on this system")
	}
	s := newLoadSampler(2)
	require.Len(t, s.cond.LoadStart, 3)
	c := s.finish()
	require.Len(t, c.LoadEnd, 3)
	require.Equal(t, 2, c.Cores)
}
