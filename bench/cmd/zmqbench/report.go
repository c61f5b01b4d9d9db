package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table is one section of the report, rendered as text (stdout) or Markdown.
type table struct {
	Title  string
	Intro  string
	Header []string
	Rows   [][]string // a nil row separates groups
	Notes  []string
}

const baselineNote = "Ratios are to raw pebbe RecvBytes(0), one frame per call, the fastest raw loop, run right " +
	"before and after each row (B X1 B X2 … B) in every repetition; each ratio is the median over repetitions of " +
	"the paired ratios, with min–max. zmqevented's Recv returns whole multipart messages and so asks ZMQ_RCVMORE once per " +
	"message (one more cgo call than a bare RecvBytes loop): the raw pebbe RecvMessageBytes row does that same " +
	"work and shows what it costs."

// quickNote heads a quick run's tables and bars.
const quickNote = "indicative, quick run"

// tables builds the report's sections from res; a quick run's titles say its figures
// are indicative.
func tables(res *Results) []table {
	out := reportTables(res)
	if res.Quick {
		for i := range out {
			out[i].Title += " — " + quickNote
		}
	}
	return out
}

func reportTables(res *Results) []table {
	var out []table
	if t := throughputTable(res); len(t.Rows) > 0 {
		out = append(out, t)
	}
	if t := latencyTable(res); len(t.Rows) > 0 {
		out = append(out, t)
	}
	if t := simpleRateTable(res, KindRate); len(t.Rows) > 0 {
		out = append(out, t)
	}
	if t := simpleRateTable(res, KindPairs); len(t.Rows) > 0 {
		out = append(out, t)
	}
	if t := idleTable(res); len(t.Rows) > 0 {
		out = append(out, t)
	}
	return out
}

func throughputTable(res *Results) table {
	t := table{
		Title:  "Throughput, PUSH → PULL (one process per scenario)",
		Intro:  baselineNote,
		Header: []string{"scenario", "row", "msgs/s", "MB/s", "vs raw", "CPU µs/msg", "allocs/msg"},
	}
	for _, sr := range res.Scenarios {
		if sr.Kind != KindThroughput {
			continue
		}
		t.group(sr, func(rr *RowResult) []string {
			return []string{fmtRate(rr.PerSecond.Median), fmtMB(rr.PerSecond.Median * float64(sr.Size)),
				ratioCell(sr, rr), fmtMicros(rr.CPUPerOpNS), fmtAllocs(rr.AllocsPerOp)}
		})
	}
	if n := cNote(res); n != "" {
		t.Notes = append(t.Notes, n)
	}
	return t
}

// cNote says what the C row is, where it ran, and names the throughput scenarios in
// which a Go row's ratio to raw pebbe beat its own, with the fastest such row.
func cNote(res *Results) string {
	var ran bool
	var beaten []string
	for _, sr := range res.Scenarios {
		c := sr.Row(keyC)
		if sr.Kind != KindThroughput || c == nil || c.Status != statusOK || c.Ratio == nil {
			continue
		}
		ran = true
		best, bestName := c.Ratio.Median, ""
		for _, rr := range sr.Rows {
			r := 1.0 // the baseline
			switch {
			case rr.Key == keyC || rr.Key == keyCTwo || rr.Key == keyPyZMQ || rr.Status != statusOK:
				continue
			case rr.Key != sr.Baseline && rr.Ratio == nil:
				continue
			case rr.Key != sr.Baseline:
				r = rr.Ratio.Median
			}
			if r > best {
				best, bestName = r, rr.Name
			}
		}
		if bestName != "" {
			beaten = append(beaten, fmt.Sprintf("%s (%s %s×, C %s×)", sr.Title, bestName, fmtRatio(best), fmtRatio(c.Ratio.Median)))
		}
	}
	if !ran {
		return ""
	}
	n := rowName(keyC) + " (key \"c\", once labelled \"C libzmq (limit)\"): bench/clib's C program with both ends in " +
		"one process and one libzmq I/O thread, as the raw pebbe row has; it sends with zmq_send, copying as " +
		"pebbe's SendBytes does, and receives with zmq_msg_recv, one copy fewer than RecvBytes. It shows libzmq " +
		"with no Go on the path: a reference, not an upper bound. On a machine this small, how the sending, " +
		"receiving and I/O threads share the cores can outweigh the cost per message, and a Go row can beat it."
	if len(beaten) > 0 {
		n += " In this run a Go row beat it at " + strings.Join(beaten, "; ") + "."
	}
	return n
}

func latencyTable(res *Results) table {
	t := table{
		Title: "Round-trip latency, REQ/REP (sequential round trips, each timed)",
		Intro: "p50, p99 and p99.9 are medians over repetitions of each repetition's percentile; the ratio is " +
			"the p50 over raw pebbe's p50 in the runs right before and after (lower is better).",
		Header: []string{"scenario", "row", "p50", "p99", "p99.9", "p50 vs raw", "CPU µs/rt", "allocs/rt"},
	}
	for _, sr := range res.Scenarios {
		if sr.Kind != KindLatency {
			continue
		}
		t.group(sr, func(rr *RowResult) []string {
			return []string{fmtNanos(rr.P50NS.Median), fmtNanos(rr.P99NS.Median), fmtNanos(rr.P999NS.Median),
				ratioCell(sr, rr), fmtMicros(rr.CPUPerOpNS), fmtAllocs(rr.AllocsPerOp)}
		})
	}
	return t
}

func simpleRateTable(res *Results, k Kind) table {
	t := table{Header: []string{"scenario", "row", "per second", "vs raw", "CPU µs/op", "allocs/op"}}
	switch k {
	case KindRate:
		t.Title = "Request rate over tcp (requests/s)"
		t.Intro = "raw pebbe and zmqevented do sequential REQ/REP round trips; a pipelining row keeps the " +
			"given number of requests in flight. Ratio to raw pebbe REQ/REP run right before and after."
	case KindPairs:
		t.Title = "Many pairs at once (aggregate msgs/s)"
		t.Intro = "Each pair is a PUSH/PULL over tcp with its own sender and receiver goroutine; all start " +
			"together and the time runs until the last message of the last pair. Raw pebbe holds an OS thread " +
			"per blocked call; zmqevented parks goroutines in the netpoller."
	}
	for _, sr := range res.Scenarios {
		if sr.Kind != k {
			continue
		}
		t.group(sr, func(rr *RowResult) []string {
			return []string{fmtRate(rr.PerSecond.Median), ratioCell(sr, rr), fmtMicros(rr.CPUPerOpNS), fmtAllocs(rr.AllocsPerOp)}
		})
	}
	return t
}

func idleTable(res *Results) table {
	t := table{
		Title: "Idle sockets (cost per socket)",
		Intro: "Sockets in connected inproc PUSH/PULL pairs, nobody sending; deltas from before they were opened, " +
			"after a GC. RSS includes libzmq's own memory. The second line per row is the extra cost of one " +
			"goroutine parked in Recv on every PULL (raw pebbe would need a blocked OS thread for each).",
		Header: []string{"scenario", "row", "sockets", "goroutines/sock", "Go heap+stack B/sock", "RSS B/sock", "fds/sock", "open µs/sock"},
	}
	for _, sr := range res.Scenarios {
		if sr.Kind != KindIdle {
			continue
		}
		if sr.Note != "" {
			t.Notes = append(t.Notes, sr.Title+": "+sr.Note)
		}
		first := true
		for _, rr := range sr.Rows {
			title := ""
			if first {
				title, first = sr.Title, false
			}
			if rr.Idle == nil {
				t.Rows = append(t.Rows, append([]string{title, rr.Name}, statusCells(&t, sr, rr, 6)...))
				continue
			}
			i := rr.Idle
			t.Rows = append(t.Rows, []string{title, rr.Name, fmt.Sprint(i.Sockets), fmt.Sprintf("%.2f", i.GoroutinesPerSock),
				fmtBytes(i.HeapPerSock), fmtBytes(i.RSSPerSock), fmt.Sprintf("%.2f", i.FDsPerSock), fmt.Sprintf("%.1f", i.CreatePerSockNS/1e3)})
			if i.Waiters > 0 {
				t.Rows = append(t.Rows, []string{"", "  + Recv pending per PULL", fmt.Sprintf("%d waiting", i.Waiters),
					fmt.Sprintf("%.2f/waiter", i.GoroutinesPerWaitr), fmtBytes(i.HeapPerWaiter) + "/waiter",
					fmtBytes(i.RSSPerWaiter) + "/waiter", "", ""})
			}
		}
		t.Rows = append(t.Rows, nil)
	}
	return t
}

const barsIntro = "A bar is held in a scenario when the median of its paired ratios meets it; min–max beside it. " +
	"Bars whose rows or scenarios did not run are listed as not measured, never left out."

const barsIntroQuick = "Indicative, quick run: the ratios below come from a few short repetitions, too noisy to " +
	"hold a bar to, so no bar is judged here; `make bench` (a full run) judges them. Bars whose rows or scenarios " +
	"did not run are listed as not measured."

// barsTitle and barsText head the bars section.
func barsTitle(res *Results) string {
	if res.Quick {
		return "Bars (" + quickNote + ": not judged)"
	}
	return "Bars"
}

func barsText(res *Results) string {
	if res.Quick {
		return barsIntroQuick
	}
	return barsIntro
}

// barLines renders one bar's scenarios: the measured ones one per line, the others
// grouped by reason.
func barLines(b BarResult) []string {
	var out []string
	var order []string
	unmeasured := map[string][]string{}
	for _, l := range b.Lines {
		if !l.Measured {
			if _, ok := unmeasured[l.Reason]; !ok {
				order = append(order, l.Reason)
			}
			unmeasured[l.Reason] = append(unmeasured[l.Reason], l.Title)
			continue
		}
		mark := ""
		switch {
		case l.Held == nil:
		case *l.Held:
			mark = verdictHeld
		default:
			mark = verdictNotHeld
		}
		out = append(out, strings.TrimRight(fmt.Sprintf("%-14s %-22s %s", l.Title, ratioLabel(l.Ratio), mark), " "))
	}
	for _, r := range order {
		if len(out) == 0 && len(order) == 1 {
			out = append(out, r)
			break
		}
		out = append(out, fmt.Sprintf("not measured (%s): %s", r, strings.Join(unmeasured[r], ", ")))
	}
	return out
}

func writeBarsText(b *strings.Builder, res *Results) {
	fmt.Fprintf(b, "\n== %s\n%s\n", barsTitle(res), wrap(barsText(res), 100, ""))
	w := 0 // the verdict column
	for _, br := range res.Bars {
		w = max(w, len([]rune(br.Verdict)))
	}
	pad := strings.Repeat(" ", w)
	for _, br := range res.Bars {
		fmt.Fprintf(b, "\n  %s%s %s\n", br.Verdict, strings.Repeat(" ", w-len([]rune(br.Verdict))), br.Text)
		if br.Detail != "" && br.Verdict != verdictNotMeasured {
			fmt.Fprintf(b, "  %s %s\n", pad, br.Detail)
		}
		for _, l := range barLines(br) {
			fmt.Fprintf(b, "  %s   %s\n", pad, l)
		}
		if len(br.Reference) > 0 {
			fmt.Fprintf(b, "  %s %s:\n", pad, br.RefText)
			for _, l := range br.Reference {
				fmt.Fprintf(b, "  %s   %-14s %s\n", pad, l.Title, ratioLabel(l.Ratio))
			}
		}
	}
}

// group appends one scenario's rows; cells fills the measured columns of an ok row.
func (t *table) group(sr *ScenarioResult, cells func(*RowResult) []string) {
	for i, rr := range sr.Rows {
		title := ""
		if i == 0 {
			title = sr.Title
		}
		row := []string{title, rr.Name}
		if rr.Status == statusOK && rr.PerSecond.ok() {
			row = append(row, cells(rr)...)
		} else {
			row = append(row, statusCells(t, sr, rr, len(t.Header)-2)...)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Rows = append(t.Rows, nil)
}

// statusCells fills n cells for a row that did not measure, and notes why once.
func statusCells(t *table, sr *ScenarioResult, rr *RowResult, n int) []string {
	cells := make([]string, n)
	label := rr.Status
	if rr.Status == statusOK {
		label = "no result"
	}
	cells[0] = label
	note := rr.Name + ": " + label
	if rr.Reason != "" {
		note += ": " + rr.Reason
	}
	if rr.Status == statusError {
		note = sr.Title + ", " + note
	}
	for _, n := range t.Notes {
		if n == note {
			return cells
		}
	}
	t.Notes = append(t.Notes, note)
	return cells
}

func ratioCell(sr *ScenarioResult, rr *RowResult) string {
	if rr.Key == sr.Baseline {
		return "1.00 (baseline)"
	}
	return ratioLabel(rr.Ratio)
}

// writeText prints the report for a terminal.
func writeText(w io.Writer, res *Results) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "zmqbench: %s · %d cores (GOMAXPROCS %d) · %s · %s · libzmq %s\n",
		m.CPU, m.Cores, m.GOMAXPROCS, m.Kernel, m.Go, m.Libzmq)
	quick := ""
	if res.Quick {
		quick = " (-quick: a smoke test; figures indicative only, bars not judged)"
	}
	fmt.Fprintf(&b, "%d repetitions of ~%v per row, the baseline between every two rows; wall time %s%s\n", res.Reps,
		time.Duration(res.TargetMS*float64(time.Millisecond)), time.Duration(res.WallSecond*float64(time.Second)).Round(time.Second), quick)
	for _, t := range tables(res) {
		fmt.Fprintf(&b, "\n== %s\n", t.Title)
		if t.Intro != "" {
			b.WriteString(wrap(t.Intro, 100, "") + "\n")
		}
		b.WriteString("\n")
		b.WriteString(tabulate(t))
		for _, n := range t.Notes {
			b.WriteString(wrap("  * "+n, 100, "    ") + "\n")
		}
	}
	writeBarsText(&b, res)
	fmt.Fprintf(&b, "\nBars: %s.\n", barsHeld(res.Bars, res.Quick))
	if c := res.Conditions; c != nil {
		fmt.Fprintf(&b, "Run conditions: %s.\n", c.summary())
		for _, w := range c.Warnings {
			b.WriteString(wrap("WARNING: "+w+".", 100, "  ") + "\n")
		}
		if c.busy() {
			b.WriteString(wrap("The figures above may be noisy; rerun on an idle machine before quoting them.", 100, "") + "\n")
		}
	}
	if res.Leaks != "" {
		b.WriteString("Leak check: " + res.Leaks + "\n")
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(&b, "%d errors:\n", len(res.Errors))
		for _, e := range res.Errors {
			b.WriteString("  " + e + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tabulate aligns a table's columns; a nil row is an empty line between groups.
func tabulate(t table) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	lines := []string{strings.Join(t.Header, "\t")}
	for i, r := range t.Rows {
		switch {
		case r != nil:
			lines = append(lines, strings.Join(r, "\t"))
		case i != len(t.Rows)-1:
			lines = append(lines, "")
		}
	}
	// A tabwriter over a strings.Builder cannot fail.
	_, _ = io.WriteString(tw, strings.Join(lines, "\n")+"\n")
	_ = tw.Flush()
	return b.String()
}

// wrap folds s at width on spaces, indenting continuation lines.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if line+1+len([]rune(word)) > width {
				b.WriteString("\n" + indent)
				line = len(indent)
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += len([]rune(word))
	}
	return b.String()
}

func fmtRate(v float64) string {
	switch {
	case v <= 0:
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtMB(bytesPerSec float64) string {
	switch {
	case bytesPerSec <= 0:
		return "–"
	case bytesPerSec >= 100e6:
		return fmt.Sprintf("%.0f", bytesPerSec/1e6)
	}
	return fmt.Sprintf("%.1f", bytesPerSec/1e6)
}

func fmtNanos(ns float64) string {
	switch {
	case ns <= 0:
		return "–"
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtMicros(st stat) string {
	if !st.ok() {
		return "–"
	}
	return fmt.Sprintf("%.2f", st.Median/1e3)
}

func fmtAllocs(st stat) string {
	if !st.ok() {
		return "–"
	}
	return fmt.Sprintf("%.1f", st.Median)
}

func fmtBytes(v float64) string {
	if v >= 10*1024 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f", v)
}
