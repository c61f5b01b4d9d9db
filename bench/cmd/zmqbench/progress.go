package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// progress shows what runs now on stderr: one line rewritten in place (\r) when
// stderr is a terminal, clipped to its width so that it never wraps (a wrapped line
// leaves its first part behind at every rewrite), and one plain line per step
// otherwise (CI logs). Only the runner's goroutine calls it.
type progress struct {
	w        io.Writer
	tty      bool
	width    func() int // the terminal's columns, asked at every line (it may be resized)
	start    time.Time
	total    int // repetitions planned
	finished int
}

func newProgress(f *os.File, total int) *progress {
	fd := int(f.Fd())
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return &progress{w: f, tty: err == nil, width: func() int { return termWidth(fd) }, start: time.Now(), total: max(total, 1)}
}

// termWidth is the width in columns of the terminal on fd (TIOCGWINSZ), else
// $COLUMNS, else 80.
func termWidth(fd int) int {
	if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return int(ws.Col)
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// clip shortens s to at most width runes (one column each in this program's lines),
// ending it with "…" when it cuts.
func clip(s string, width int) string {
	if width <= 0 {
		return ""
	}
	n := 0
	for i := range s {
		if n == width-1 {
			if rest := s[i:]; len([]rune(rest)) > 1 {
				return s[:i] + "…"
			}
			return s
		}
		n++
	}
	return s
}

// set shows the scenario, row and step that start now, with the elapsed time.
func (p *progress) set(scenario, row, step string) {
	line := fmt.Sprintf("zmqbench [%3d%%] %s · %s · %s · %s elapsed",
		min(100*p.finished/p.total, 99), scenario, row, step, time.Since(p.start).Round(time.Second))
	if p.tty {
		// One column short of the width: some terminals wrap as soon as the last
		// column is written.
		p.print("\r\033[K" + clip(line, p.width()-1))
		return
	}
	p.print(line + "\n")
}

// done counts n finished repetitions.
func (p *progress) done(n int) { p.finished += n }

// note prints a line that stays (an error, say).
func (p *progress) note(msg string) {
	p.clear()
	p.print("zmqbench: " + msg + "\n")
}

// clear removes the progress line, before the table is printed.
func (p *progress) clear() {
	if p.tty {
		p.print("\r\033[K")
	}
}

// print writes s; progress is best effort, so a failing stderr is ignored.
func (p *progress) print(s string) { _, _ = io.WriteString(p.w, s) }
