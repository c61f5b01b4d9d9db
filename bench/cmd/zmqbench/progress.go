package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// progress shows what runs now on stderr: one line rewritten in place (\r) when
// stderr is a terminal, one plain line per step otherwise (CI logs). Only the runner's
// goroutine calls it.
type progress struct {
	w        io.Writer
	tty      bool
	start    time.Time
	total    int // repetitions planned
	finished int
}

func newProgress(f *os.File, total int) *progress {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return &progress{w: f, tty: err == nil, start: time.Now(), total: max(total, 1)}
}

// set shows the scenario, row and step that start now, with the elapsed time.
func (p *progress) set(scenario, row, step string) {
	line := fmt.Sprintf("zmqbench [%3d%%] %s · %s · %s · %s elapsed",
		min(100*p.finished/p.total, 99), scenario, row, step, time.Since(p.start).Round(time.Second))
	if p.tty {
		p.print("\r\033[K" + line)
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
