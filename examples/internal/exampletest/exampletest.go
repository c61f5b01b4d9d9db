// Package exampletest runs the example programs from their tests. Each example's
// main_test.go hands its main function to Main from TestMain; a test then calls Run
// (or Start, for programs that must run side by side, or RunFail), which executes
// the test binary again as the example program with the given arguments, and
// asserts on the output it returns.
//
// In the child process Main runs the program's main and, once it returns, checks
// with goleak that the program left no goroutine running: an example that forgets
// to close something fails its test even when its output looks right.
package exampletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// childEnv marks the child process: when it is set, Main runs the program instead of
// the tests.
const childEnv = "ZMQASYNC_EXAMPLE_MAIN"

// leakStatus is the exit status of a child whose main returned with goroutines still
// running; the examples themselves exit with 1 on failure.
const leakStatus = 3

// Timeout bounds each child process: the examples finish in a few seconds. When it
// runs out the child gets an interrupt, which the examples handle by shutting down,
// and WaitDelay later it is killed.
const (
	Timeout   = 60 * time.Second
	WaitDelay = 5 * time.Second
)

// Main is the body of an example's TestMain. In a child started by Run, RunFail or
// Start it runs main and exits: with status 0, or leakStatus if goroutines are left
// running once main has returned (main itself exits with 1 on failure). Otherwise it
// runs the tests, checking the test process for leaked goroutines too.
func Main(m *testing.M, main func()) {
	if os.Getenv(childEnv) == "" {
		goleak.VerifyTestMain(m)
		return
	}
	main()
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "exampletest: goroutines left running after main returned:", err)
		os.Exit(leakStatus)
	}
	os.Exit(0)
}

// Run runs the example program with args, waits for it to exit and returns its
// output (stdout and stderr, interleaved as written). It fails the test, showing the
// output, unless the program exits with status 0 within Timeout.
func Run(t *testing.T, args ...string) string {
	t.Helper()
	return Start(t, args...).Wait(t)
}

// RunFail is Run for a program that must fail: it fails the test unless the program
// exits with status 1.
func RunFail(t *testing.T, args ...string) string {
	t.Helper()
	p := Start(t, args...)
	<-p.done
	if exit := (*exec.ExitError)(nil); !errors.As(p.err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s: %v, want exit status 1; output:\n%s", p.name, p.err, p.out)
	}
	t.Logf("%s failed as it should, in %v; output:\n%s", p.name, p.elapsed, p.out)
	return p.out.String()
}

// Process is an example program started by Start.
type Process struct {
	name string // the command line, for messages
	out  *output
	done chan struct{} // closed once the process has exited and the fields below are set
	err  error         // from exec.Cmd.Wait
	// elapsed is the time from the start to the exit.
	elapsed time.Duration
}

// Start starts the example program with args and returns at once. The test must
// call Wait; a process still running when the test ends is interrupted, then killed.
func Start(t *testing.T, args ...string) *Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// Under -race the child would sleep a second at exit (atexit_sleep_ms) for
	// nothing: its goroutines have ended by then.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE="+gorace)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = WaitDelay
	out := &output{changed: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	p := &Process{
		name: strings.Join(append([]string{strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")}, args...), " "),
		out:  out,
		done: make(chan struct{}),
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		defer close(p.done)
		defer cancel()
		p.err = cmd.Wait()
		p.elapsed = time.Since(start).Round(time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// Line waits until the program has written a line that starts with prefix and
// returns it, without the newline. It fails the test if the program exits, or
// Timeout passes, without writing one.
func (p *Process) Line(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(Timeout)
	for {
		if line, ok := p.out.line(prefix); ok {
			return line
		}
		select {
		case <-p.out.changed:
		case <-p.done:
			if line, ok := p.out.line(prefix); ok { // written just before the exit
				return line
			}
			t.Fatalf("%s exited (%v) without a line starting with %q; output:\n%s", p.name, p.err, prefix, p.out)
		case <-timeout:
			t.Fatalf("%s: no line starting with %q within %v; output:\n%s", p.name, prefix, Timeout, p.out)
		}
	}
}

// Wait waits for the program to exit and returns its output. It fails the test,
// showing the output, if the exit status is not 0.
func (p *Process) Wait(t *testing.T) string {
	t.Helper()
	<-p.done
	if p.err != nil {
		if exit := (*exec.ExitError)(nil); errors.As(p.err, &exit) && exit.ExitCode() == leakStatus {
			t.Errorf("%s leaked goroutines", p.name)
		}
		t.Fatalf("%s: %v after %v; output:\n%s", p.name, p.err, p.elapsed, p.out)
	}
	t.Logf("%s ran in %v; output:\n%s", p.name, p.elapsed, p.out)
	return p.out.String()
}

// output collects what the child writes and signals each write.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // holds one pending signal at most
}

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return o.buf.Write(b)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// line returns the first complete line that starts with prefix.
func (o *output) line(prefix string) (string, bool) {
	for line := range strings.Lines(o.String()) {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, "\n") {
			return strings.TrimSuffix(line, "\n"), true
		}
	}
	return "", false
}
