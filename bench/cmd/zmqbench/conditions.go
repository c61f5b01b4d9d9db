package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxSpread is the widest min–max range (max over min) a row's repetitions may show
// before the run warns that its figures are noisy.
const maxSpread = 2.0

// Conditions is how busy the machine was while the suite ran, and which rows varied
// too much between repetitions to be trusted; latest.json's "conditions".
type Conditions struct {
	Cores int `json:"cores"`
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute load averages
	// before the first scenario and after the last; absent where not readable.
	LoadStart []float64 `json:"loadavg_start,omitempty"`
	LoadEnd   []float64 `json:"loadavg_end,omitempty"`
	// LoadOthers is the highest 1-minute load average read before the run, at the
	// start of a scenario or at the end, less the suite's own share: its CPU use (its
	// process and child processes, in cores) averaged as the kernel averages the
	// 1-minute load. It estimates the load of other work.
	LoadOthers float64 `json:"loadavg_others_max,omitempty"`
	// OwnCPU is the suite's CPU time (its process and children) over its wall time, in cores.
	OwnCPU float64 `json:"own_cpu_cores,omitempty"`
	// WideSpread lists the rows whose repetitions spread wider than maxSpread.
	WideSpread []Spread `json:"wide_spread,omitempty"`
	// Warnings says in words what made the run's figures less trustworthy.
	Warnings []string `json:"warnings,omitempty"`
}

// Spread is a row whose repetitions varied more than maxSpread in one scenario.
type Spread struct {
	Scenario string  `json:"scenario"`
	Row      string  `json:"row"`    // the row's key
	Of       string  `json:"of"`     // "per_second", "p50" or "ratio"
	Spread   float64 `json:"spread"` // max over min
}

// loadSampler reads the load average during a run and subtracts the suite's own share.
type loadSampler struct {
	cond     *Conditions
	start    time.Time
	last     time.Time
	lastCPU  time.Duration
	firstCPU time.Duration
	own      float64 // the suite's CPU use in cores, exponentially averaged over a minute
}

// newLoadSampler reads the load average before the run.
func newLoadSampler(cores int) *loadSampler {
	now := time.Now()
	cpu := ownCPU()
	s := &loadSampler{cond: &Conditions{Cores: cores}, start: now, last: now, lastCPU: cpu, firstCPU: cpu}
	s.cond.LoadStart, _ = readLoadavg()
	if len(s.cond.LoadStart) > 0 {
		s.cond.LoadOthers = s.cond.LoadStart[0]
	}
	return s
}

// sample reads the load average now and nets out the suite's own share.
func (s *loadSampler) sample() []float64 {
	now, cpu := time.Now(), ownCPU()
	if dt := now.Sub(s.last).Seconds(); dt > 0 {
		s.own = ewmaMinute(s.own, (cpu-s.lastCPU).Seconds()/dt, dt)
	}
	s.last, s.lastCPU = now, cpu
	load, err := readLoadavg()
	if err != nil {
		return nil
	}
	s.cond.LoadOthers = math.Max(s.cond.LoadOthers, load[0]-s.own)
	return load
}

// ewmaMinute moves avg toward v, which held for the last dt seconds, as the
// kernel's 1-minute load average moves (an exponential decay over 60 s).
func ewmaMinute(avg, v, dt float64) float64 {
	decay := math.Exp(-dt / 60)
	return avg*decay + v*(1-decay)
}

// finish reads the load average after the run and returns the conditions.
func (s *loadSampler) finish() *Conditions {
	s.cond.LoadEnd = s.sample()
	if wall := s.last.Sub(s.start).Seconds(); wall > 0 {
		s.cond.OwnCPU = (s.lastCPU - s.firstCPU).Seconds() / wall
	}
	return s.cond
}

// ownCPU is the user and system CPU time of this process and its finished children.
func ownCPU() time.Duration {
	var total time.Duration
	for _, who := range []int{unix.RUSAGE_SELF, unix.RUSAGE_CHILDREN} {
		var ru unix.Rusage
		if unix.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// readLoadavg reads the 1, 5 and 15 minute load averages.
func readLoadavg() ([]float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil, err
	}
	return parseLoadavg(string(b))
}

// parseLoadavg parses /proc/loadavg's first three fields.
func parseLoadavg(s string) ([]float64, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return nil, fmt.Errorf("loadavg: %q: want three fields", s)
	}
	out := make([]float64, 3)
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, fmt.Errorf("loadavg: %w", err)
		}
		out[i] = v
	}
	return out, nil
}

// judge fills c's spread rows and warnings from res's repetitions and the loads read.
func (c *Conditions) judge(res *Results) {
	c.WideSpread, c.Warnings = wideSpreads(res), nil
	cores := float64(c.Cores)
	if len(c.LoadStart) > 0 && c.LoadStart[0] > cores {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the machine was busy before the run: load average %.2f on %d cores", c.LoadStart[0], c.Cores))
	}
	if c.LoadOthers > cores && (len(c.LoadStart) == 0 || c.LoadOthers > c.LoadStart[0]) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the machine was busy during the run: load average up to %.2f on %d cores besides the suite's own threads", c.LoadOthers, c.Cores))
	}
	if n := len(c.WideSpread); n > 0 {
		var rows []string
		for _, s := range c.WideSpread {
			rows = append(rows, s.label(res))
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d %s varied more than %.0f× between repetitions: %s",
			n, plural(n, "row", "rows"), maxSpread, strings.Join(rows, "; ")))
	}
}

// busy reports whether the figures came from a machine doing other work.
func (c *Conditions) busy() bool { return len(c.Warnings) > 0 }

// summary is one line on the load: "2 cores; load average 0.41 at start, 2.63 at end".
func (c *Conditions) summary() string {
	s := fmt.Sprintf("%d cores; 1-minute load average ", c.Cores)
	switch {
	case len(c.LoadStart) == 0 && len(c.LoadEnd) == 0:
		return s + "not recorded"
	case len(c.LoadStart) > 0 && len(c.LoadEnd) > 0:
		s += fmt.Sprintf("%.2f at start, %.2f at end", c.LoadStart[0], c.LoadEnd[0])
	case len(c.LoadStart) > 0:
		s += fmt.Sprintf("%.2f at start", c.LoadStart[0])
	default:
		s += fmt.Sprintf("%.2f at end", c.LoadEnd[0])
	}
	if c.OwnCPU > 0 {
		s += fmt.Sprintf(" (the suite itself kept %.2f cores busy on average)", c.OwnCPU)
	}
	return s
}

func (s Spread) label(res *Results) string {
	title, name := s.Scenario, s.Row
	for _, sr := range res.Scenarios {
		if sr.Name == s.Scenario {
			title = string(sr.Kind) + " " + sr.Title
			if rr := sr.Row(s.Row); rr != nil {
				name = rr.Name
			}
		}
	}
	of := map[string]string{"per_second": "rate", "p50": "p50", "ratio": "ratio"}[s.Of]
	return fmt.Sprintf("%s: %s (%s %.2f×)", title, name, of, s.Spread)
}

// wideSpreads lists, scenario by scenario, the rows whose repetitions' rate (or p50)
// or ratio to the baseline spread wider than maxSpread; the wider of the two is given.
func wideSpreads(res *Results) []Spread {
	var out []Spread
	for _, sr := range res.Scenarios {
		m := metricFor(sr.Kind)
		of := "per_second"
		if m == metricP50 {
			of = "p50"
		}
		for _, rr := range sr.Rows {
			var vs []float64
			for _, r := range rr.Reps {
				if r.Error == "" && m.of(r) > 0 {
					vs = append(vs, m.of(r))
				}
			}
			best := Spread{Scenario: sr.Name, Row: rr.Key}
			if st := summarize(vs); st.N > 1 && st.Min > 0 {
				best.Of, best.Spread = of, st.Max/st.Min
			}
			if st := rr.Ratio; st != nil && st.N > 1 && st.Min > 0 && st.Max/st.Min > best.Spread {
				best.Of, best.Spread = "ratio", st.Max/st.Min
			}
			if best.Spread > maxSpread {
				out = append(out, best)
			}
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
