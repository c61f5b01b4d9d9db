package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// pyZMQRow is bench/pyzmq_peer.py: pyzmq's zmq.asyncio sockets in one asyncio loop.
type pyZMQRow struct{}

func init() { register(pyZMQRow{}) }

func (pyZMQRow) Key() string  { return keyPyZMQ }
func (pyZMQRow) Name() string { return "pyzmq asyncio" }
func (pyZMQRow) About() string {
	return "bench/pyzmq_peer.py, a child Python process doing both ends of its own loop with pyzmq's " +
		"zmq.asyncio sockets in one asyncio event loop (pyzmq over the same libzmq; no Go on the path): " +
		"throughput is a sender task awaiting push.send(b) and the timed loop awaiting pull.recv() (bytes, a " +
		"copy); REQ/REP is an echo task and the timed loop's await send + await recv per round trip. Time and " +
		"CPU (getrusage deltas) cover only the timed loop, interpreter start-up excluded; the whole child's " +
		"CPU is in latest.json. Runs only when some python3 can import zmq."
}

var pyFind struct {
	once   sync.Once
	python string
	script string
	err    error
}

// pythonCandidates lists the interpreters to try: $ZMQBENCH_PYTHON, every python3 on
// PATH (the first one may be a version manager's shim without zmq), /usr/bin/python3.
func pythonCandidates() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	add(os.Getenv("ZMQBENCH_PYTHON"))
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, "python3")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			add(p)
		}
	}
	add("/usr/bin/python3")
	return out
}

// Available finds an interpreter that can import zmq and zmq.asyncio.
func (pyZMQRow) Available(ctx context.Context) error {
	pyFind.once.Do(func() {
		pyFind.script = filepath.Join(repoRoot, "bench", "pyzmq_peer.py")
		if _, err := os.Stat(pyFind.script); err != nil {
			pyFind.err = fmt.Errorf("%w: %s not found (run from the repository)", errMissing, pyFind.script)
			return
		}
		tried := pythonCandidates()
		for _, p := range tried {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := exec.CommandContext(cctx, p, "-c", "import zmq, zmq.asyncio").Run()
			cancel()
			if err == nil {
				pyFind.python = p
				return
			}
		}
		pyFind.err = fmt.Errorf("%w: no python3 can import zmq (tried %s); install python3-zmq (make deps) "+
			"or point ZMQBENCH_PYTHON at an interpreter that has pyzmq", errMissing, strings.Join(tried, ", "))
	})
	return pyFind.err
}

func (pyZMQRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return runPeer(ctx, []string{pyFind.python, pyFind.script}, "thr", sp)
}

func (pyZMQRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return runPeer(ctx, []string{pyFind.python, pyFind.script}, "lat", sp)
}
