package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// writeMarkdown writes latest.md: machine, method, every table, the chart, and what
// each row measures.
func writeMarkdown(path, chart string, res *Results) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "# zmqasync benchmark results\n\n")
	if res.Quick {
		b.WriteString("> **-quick run, figures indicative only**: a smoke test with a few short repetitions; bars are not judged.\n\n")
	}
	fmt.Fprintf(&b, "Run %s, %s wall time, `%s`.\n\n", res.Started.UTC().Format(time.RFC3339),
		time.Duration(res.WallSecond*float64(time.Second)).Round(time.Second), strings.Join(res.Command, " "))
	b.WriteString("| machine | |\n|---|---|\n")
	rows := [][2]string{
		{"CPU", fmt.Sprintf("%s, %d cores (GOMAXPROCS %d)", m.CPU, m.Cores, m.GOMAXPROCS)},
		{"kernel", m.Kernel + " " + m.OSArch},
		{"Go", m.Go},
		{"libzmq", m.Libzmq},
	}
	for _, k := range slices.Sorted(maps.Keys(m.Modules)) {
		rows = append(rows, [2]string{k, m.Modules[k]})
	}
	if m.Python != "" {
		rows = append(rows, [2]string{"pyzmq", m.Python})
	}
	if m.CC != "" {
		rows = append(rows, [2]string{"cc", m.CC})
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], mdEscape(r[1]))
	}
	writeConditionsMD(&b, res)
	b.WriteString("\n## Method\n\n")
	for _, l := range res.Method {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![Throughput ratio to raw pebbe by message size](%s)\n", chart)
	}
	for _, t := range tables(res) {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Title)
		if t.Intro != "" {
			b.WriteString(t.Intro + "\n\n")
		}
		writeMDTable(&b, t)
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "\n- %s", mdEscape(n))
		}
		if len(t.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| verdict | bar | measured |\n|---|---|---|\n", barsTitle(res), barsText(res))
	for _, br := range res.Bars {
		v := br.Verdict
		if br.Verdict == verdictNotHeld {
			v = "**" + v + "**"
		}
		if br.Detail != "" && br.Verdict != verdictNotMeasured {
			v += " (" + br.Detail + ")"
		}
		lines := barLinesMD(br)
		if len(br.Reference) > 0 {
			lines = append(lines, "*"+br.RefText+":*")
			for _, l := range br.Reference {
				lines = append(lines, l.Title+" "+ratioLabel(l.Ratio))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", v, mdEscape(br.Text), mdEscape(strings.Join(lines, "<br>")))
	}
	fmt.Fprintf(&b, "\nBars: %s.\n", barsHeld(res.Bars, res.Quick))
	b.WriteString("\n## What each row measures\n\n")
	for _, r := range sortedRows() {
		fmt.Fprintf(&b, "- **%s** (`%s`): %s\n", r.Name(), r.Key(), r.About())
	}
	if missing := missingRows(); len(missing) > 0 {
		fmt.Fprintf(&b, "\nNot registered yet (their bars print \"not measured (row missing)\"): %s.\n",
			"`"+strings.Join(missing, "`, `")+"`")
	}
	if res.Leaks != "" {
		fmt.Fprintf(&b, "\nLeak check: %s\n", res.Leaks)
	}
	if len(res.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range res.Errors {
			fmt.Fprintf(&b, "- %s\n", mdEscape(e))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeConditionsMD writes the run conditions: the load, and what made the figures noisy.
func writeConditionsMD(b *strings.Builder, res *Results) {
	c := res.Conditions
	if c == nil {
		return
	}
	b.WriteString("\n## Run conditions\n\n")
	fmt.Fprintf(b, "| load | |\n|---|---|\n| cores | %d |\n", c.Cores)
	for _, l := range []struct {
		name string
		v    []float64
	}{{"load average at start (1, 5, 15 min)", c.LoadStart}, {"load average at end (1, 5, 15 min)", c.LoadEnd}} {
		cell := "not recorded"
		if len(l.v) == 3 {
			cell = fmt.Sprintf("%.2f, %.2f, %.2f", l.v[0], l.v[1], l.v[2])
		}
		fmt.Fprintf(b, "| %s | %s |\n", l.name, cell)
	}
	if len(c.LoadStart) > 0 || len(c.LoadEnd) > 0 {
		fmt.Fprintf(b, "| highest load of other work (1 min, the suite's own share taken out) | %.2f |\n", c.LoadOthers)
	}
	if c.OwnCPU > 0 {
		fmt.Fprintf(b, "| the suite's own CPU use (cores, on average) | %.2f |\n", c.OwnCPU)
	}
	fmt.Fprintf(b, "| rows whose repetitions spread wider than %.0f× | %d |\n", maxSpread, len(c.WideSpread))
	if len(c.Warnings) == 0 {
		if len(c.LoadStart) > 0 || len(c.LoadEnd) > 0 {
			b.WriteString("\nThe machine was not busy with other work, and no row spread wider than 2×.\n")
		} else {
			b.WriteString("\nNo row spread wider than 2×; the load was not recorded for this run.\n")
		}
		return
	}
	b.WriteString("\n**Warning: the figures may be noisy.**\n\n")
	for _, w := range c.Warnings {
		fmt.Fprintf(b, "- %s.\n", mdEscape(w))
	}
}

func writeMDTable(b *strings.Builder, t table) {
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		if r == nil {
			continue
		}
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdEscape(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// missingRows lists the row keys the bars expect that nobody registered.
func missingRows() []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range bars {
		for _, k := range []string{b.Num, b.Den} {
			if _, ok := registry[k]; !ok && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	if _, ok := registry[keyFutureRecv]; !ok {
		out = append(out, keyFutureRecv)
	}
	return out
}

// barLinesMD is barLines without the column padding.
func barLinesMD(b BarResult) []string {
	lines := barLines(b)
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return lines
}
