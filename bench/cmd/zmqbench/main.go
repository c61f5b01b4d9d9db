// Command zmqbench is zmqasync's benchmark suite (`make bench`): it measures every
// implementation row (raw pebbe/zmq4, zmqevented, the layers above it, the pure-Go
// go-zeromq/zmq4, pyzmq asyncio and a C program against libzmq) side by side in one
// run, prints a table on stdout and, with -out, writes latest.json, latest.md and an
// SVG chart.
//
// Usage, from bench/ (the suite is a module of its own, so that its dependencies,
// go-zeromq and gonum/plot among them, never reach the library's users):
//
//	go run ./cmd/zmqbench [-quick] [-filter REGEXP] [-reps N] [-target D] [-out DIR] [-png FILE] [-list]
//	go run ./cmd/zmqbench -replot DIR/latest.json [-out DIR] [-png FILE]
//
// Every scenario runs in this process; rows that need another process (the C program,
// the pyzmq peer) are child processes it starts and kills on error or Ctrl-C. The
// in-process rows run the loops of package rigs (bench/internal/rigs), the same the go
// test microbenchmarks run. Rows are calibrated (one or more warm-up runs size the
// message count so a repetition takes about -target), then each repetition runs every
// row once, in alternating order, and ratios are taken repetition by repetition
// against the baseline: the quoted figure is the median, with min–max. Exit status: 0,
// 1 if any row failed, 2 for bad flags, 130 when interrupted. The program never fails
// because of speed. -replot measures nothing: it reports an earlier run's latest.json
// again (`make bench-chart`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.uber.org/goleak"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		quick  = flag.Bool("quick", false, "run a small subset with short repetitions (under a minute): a smoke test whose figures are indicative only; bars are not judged")
		filter = flag.String("filter", "", "run only scenario/row names matching this regexp, e.g. 'throughput/tcp' or '/zmqevented$' (the baseline row always runs beside a selected row)")
		reps   = flag.Int("reps", 0, "repetitions per row (default 5; 2 with -quick)")
		target = flag.Duration("target", 0, "wall time one repetition aims for (default 300ms; 60ms with -quick)")
		out    = flag.String("out", "", "write latest.json, latest.md and "+chartFile+" to this directory")
		list   = flag.Bool("list", false, "list the scenarios and rows that would run, then exit")
		replot = flag.String("replot", "", "measure nothing: read this latest.json and write the table, latest.md, latest.json and the chart again\n(to -out, by default the file's directory), as this program reports them")
		png    = flag.String("png", "", "also draw the chart as a PNG to this path (a preview; latest.md links the SVG)")

		childIdle    = flag.String(childIdleFlag, "", "internal: measure this row's idle sockets and print JSON (the idle scenario runs each row so)")
		childSockets = flag.Int(childSocketsFlag, 0, "internal: the number of sockets for -"+childIdleFlag)
	)
	flag.Usage = func() {
		_, _ = fmt.Fprintf(flag.CommandLine.Output(), "usage: zmqbench [flags]\n\nzmqasync's benchmark suite. Flags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *reps < 0 || *target < 0 {
		flag.Usage()
		return 2
	}
	var re *regexp.Regexp
	if *filter != "" {
		var err error
		if re, err = regexp.Compile(*filter); err != nil {
			fmt.Fprintf(os.Stderr, "zmqbench: -filter: %v\n", err)
			return 2
		}
	}
	pl := fullPlan(5)
	if *quick {
		pl = quickPlan(2)
	}
	if *reps > 0 {
		pl.Reps = *reps
	}
	if *target > 0 {
		pl.Target, pl.MinCal = *target, *target/4
	}
	if *childIdle != "" {
		return runIdleChild(context.Background(), *childIdle, *childSockets)
	}
	if *replot != "" {
		return replotResults(*replot, *out, *png)
	}
	repoRoot = findRepoRoot()
	rows := sortedRows()
	if *list {
		listPlan(pl, rows, re)
		return 0
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once

	fitIdle(&pl)
	dir, err := os.MkdirTemp("", "zmqbench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }() // only ipc socket files

	before := goleak.IgnoreCurrent()
	res := &Results{
		Schema: 1, Started: time.Now(), Command: append([]string{"zmqbench"}, os.Args[1:]...), Quick: *quick, Reps: pl.Reps,
		TargetMS: float64(pl.Target) / float64(time.Millisecond), Filter: *filter, Method: method(pl),
		Machine: machineInfo(ctx),
	}
	prog := newProgress(os.Stderr, plannedReps(pl, rows, re))
	load := newLoadSampler(res.Machine.Cores)
	if l := load.cond.LoadStart; len(l) > 0 && l[0] > float64(res.Machine.Cores) {
		prog.note(fmt.Sprintf("warning: load average %.2f on %d cores before the run: the figures will be noisy", l[0], res.Machine.Cores))
	}
	rn := &runner{plan: pl, rows: rows, filter: re, dir: dir, prog: prog, load: load, res: res}
	rn.run(ctx)
	prog.clear()
	res.Conditions = load.finish()

	res.Finished = time.Now()
	res.WallSecond = res.Finished.Sub(res.Started).Seconds()
	res.Bars = evalBars(res, *quick)
	res.Conditions.judge(res)
	res.Leaks = leakCheck(before, leakWait)
	res.Machine.Python = pythonInfo(res)
	if err := writeText(os.Stdout, res); err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: writing the table: %v\n", err)
		return 1
	}
	if code := writeFiles(*out, *png, res); code != 0 {
		return code
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "zmqbench: interrupted")
		return 130
	case len(res.Errors) > 0:
		return 1
	}
	return 0
}

// replotResults reports the run in the JSON file at path again, measuring nothing.
func replotResults(path, out, png string) int {
	res, err := readResults(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: -replot: %v\n", err)
		return 1
	}
	refresh(res)
	if err := writeText(os.Stdout, res); err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: writing the table: %v\n", err)
		return 1
	}
	if out == "" {
		out = filepath.Dir(path)
	}
	return writeFiles(out, png, res)
}

// writeFiles writes the -out directory's files (when out is set) and the -png preview
// (when png is set), and returns the exit status.
func writeFiles(out, png string, res *Results) int {
	if out != "" {
		if err := writeOutputs(out, res); err != nil {
			fmt.Fprintf(os.Stderr, "zmqbench: writing %s: %v\n", out, err)
			return 1
		}
	}
	if png != "" {
		if _, err := writeChart(png, res); err != nil {
			fmt.Fprintf(os.Stderr, "zmqbench: writing %s: %v\n", png, err)
			return 1
		}
	}
	return 0
}

// exitCode is the status for leaving early: 130 after Ctrl-C, else 1.
func exitCode(ctx context.Context) int {
	if ctx.Err() != nil {
		return 130
	}
	return 1
}

func writeOutputs(dir string, res *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	chart := chartFile
	drawn, err := writeChart(filepath.Join(dir, chartFile), res)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if !drawn {
		chart = ""
		_ = os.Remove(filepath.Join(dir, chartFile)) // a stale chart from an earlier run
	}
	if err := writeMarkdown(filepath.Join(dir, "latest.md"), chart, res); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "latest.json"), res); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "zmqbench: wrote %s\n", strings.Join([]string{
		filepath.Join(dir, "latest.json"), filepath.Join(dir, "latest.md"), map[bool]string{true: filepath.Join(dir, chart)}[chart != ""],
	}, " "))
	return nil
}

// method says how the numbers were taken; it heads latest.md and is in latest.json.
func method(pl plan) []string {
	return []string{
		"One Go process drives each scenario; the C and pyzmq rows are child processes doing both ends of their own loop, except the two-process C row (a receiving and a sending child process, as libzmq's local_thr and remote_thr; tcp and ipc only).",
		fmt.Sprintf("Each row is calibrated first (discarded warm-up runs sizing the message count so a run takes about %v), then %d repetitions run every row once, alternating with the baseline: B X1 B X2 … B, the rows in reverse order every other repetition.", pl.Target, pl.Reps),
		"Each repetition sets up fresh sockets, sends one untimed warm-up message (or round trip), then times the rest at the receiver (or the REQ side).",
		"Ratios are paired: a row's run over the geometric mean of the baseline runs right before and after it. The figure quoted is the median of those ratios over the repetitions, with min–max; ratios between two non-baseline rows pair their runs of the same repetition.",
		"The baseline is raw pebbe/zmq4 with RecvBytes(0), one frame per call, the fastest raw loop; raw pebbe RecvMessageBytes, which also asks ZMQ_RCVMORE per message as zmqevented must, is shown beside it.",
		"CPU per message is user+system time from getrusage(RUSAGE_SELF) around the timed loop (the whole process: both ends, libzmq's I/O thread, the GC); child rows report the same from inside the child, and the whole child's CPU (ProcessState.SysUsage) is in latest.json.",
		"Allocations per message are Go heap allocations (runtime.MemStats.Mallocs) during the timed loop, both ends; the go test microbenchmarks (`make bench-micro`) run the same loops and report the same per layer.",
		"Latency percentiles are nearest-rank over every round trip of a repetition; the table shows the median over repetitions.",
		"Every libzmq socket has linger 0; every context is terminated after each repetition.",
	}
}

// plannedReps is the number of repetitions the plan will run, for the progress line.
func plannedReps(pl plan, rows []Row, re *regexp.Regexp) int {
	n := 0
	for _, sc := range pl.Scenarios {
		k := len(selected(sc, rows, re))
		switch {
		case sc.Kind == KindIdle:
			n += k
		case k > 0:
			n += (2*k - 1) * pl.Reps // the baseline runs before and after every row
		}
	}
	return n
}

func listPlan(pl plan, rows []Row, re *regexp.Regexp) {
	for _, sc := range pl.Scenarios {
		sel := selected(sc, rows, re)
		if sel == nil {
			continue
		}
		keys := make([]string, len(sel))
		for i, r := range sel {
			keys[i] = r.Key()
		}
		fmt.Printf("%-26s %s\n", sc.Name, strings.Join(keys, " "))
	}
	if m := missingRows(); len(m) > 0 {
		fmt.Printf("rows not registered yet: %s\n", strings.Join(m, " "))
	}
}

// leakWait is how long a run gives the goroutines it started to end.
const leakWait = 3 * time.Second

// leakTop finds the top function of each goroutine in goleak's report.
var leakTop = regexp.MustCompile(`with (\S+) on top of the stack`)

// leakCheck waits up to wait for the goroutines started since before (which ignores
// those that existed then) to end, and describes any that did not by their top
// function.
func leakCheck(before goleak.Option, wait time.Duration) string {
	var err error
	for deadline := time.Now().Add(wait); ; {
		if err = goleak.Find(before); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err == nil {
		return ""
	}
	counts := map[string]int{}
	n := 0
	for _, m := range leakTop.FindAllStringSubmatch(err.Error(), -1) {
		counts[m[1]]++
		n++
	}
	if n == 0 {
		return err.Error()
	}
	parts := make([]string, 0, len(counts))
	for f, c := range counts {
		parts = append(parts, fmt.Sprintf("%d× %s", c, f))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d goroutines started by the run are still running: %s", n, strings.Join(parts, "; "))
}

// pythonInfo describes the pyzmq peer from what it reported.
func pythonInfo(res *Results) string {
	for _, sr := range res.Scenarios {
		if rr := sr.Row(keyPyZMQ); rr != nil && rr.Peer != nil {
			return fmt.Sprintf("pyzmq %s (libzmq %s), Python %s, %s", rr.Peer["pyzmq"], rr.Peer["libzmq"], rr.Peer["python"], pyFind.python)
		}
	}
	return ""
}
