package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// cRow is bench/clib/zmqbench-c, a small C program against libzmq: libzmq with no Go
// on the path, set up as the raw pebbe row is (one process, one I/O thread). A
// reference, not a ceiling: its key is "c" (once labelled "the limit").
type cRow struct{}

func init() { register(cRow{}) }

func (cRow) Key() string  { return keyC }
func (cRow) Name() string { return "C libzmq, one process" }
func (cRow) About() string {
	return "bench/clib/zmqbench-c, a child process doing both ends of its own loop against libzmq (no Go on " +
		"the path), set up as the raw pebbe row is: one process, one libzmq context with one I/O thread, " +
		"linger 0. Throughput is a thread sending with zmq_send (which copies the buffer into a message, as " +
		"pebbe's SendBytes does) and the main thread receiving with zmq_msg_recv (which leaves the message in " +
		"libzmq: one copy fewer than pebbe's RecvBytes); REQ/REP is an echo thread (zmq_msg_recv, zmq_msg_send) " +
		"and the main thread's zmq_send + zmq_msg_recv per round trip. A reference, not an upper bound: a " +
		"Go row can beat it. Time and CPU (getrusage deltas) cover only the timed loop, as reported by the " +
		"child; the whole child's CPU is in latest.json."
}

var cBuild struct {
	once sync.Once
	path string
	err  error
}

// Available builds the program with `make -C bench/clib` when it is missing or older
// than its source.
func (cRow) Available(ctx context.Context) error {
	cBuild.once.Do(func() {
		dir := filepath.Join(repoRoot, "bench", "clib")
		bin := filepath.Join(dir, "zmqbench-c")
		src, serr := os.Stat(filepath.Join(dir, "zmqbench.c"))
		st, berr := os.Stat(bin)
		if berr == nil && (serr != nil || !st.ModTime().Before(src.ModTime())) {
			cBuild.path = bin
			return
		}
		if serr != nil {
			cBuild.err = fmt.Errorf("%w: %s not found and no source to build it from (run from the repository)", errMissing, bin)
			return
		}
		bctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := exec.CommandContext(bctx, "make", "-C", dir).CombinedOutput()
		if err != nil {
			cBuild.err = fmt.Errorf("%w: make -C %s failed (%w): %s", errMissing, dir, err, lastLine(string(out)))
			return
		}
		cBuild.path = bin
	})
	return cBuild.err
}

func (cRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return runPeer(ctx, []string{cBuild.path}, "thr", sp)
}

func (cRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return runPeer(ctx, []string{cBuild.path}, "lat", sp)
}
