package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The C row is labelled for what it is; its key stays "c" so runs stay comparable.
func TestCRowLabel(t *testing.T) {
	r, ok := registry["c"]
	require.True(t, ok)
	require.Equal(t, keyC, r.Key())
	require.Equal(t, "C libzmq, one process", r.Name())
	require.NotContains(t, strings.ToLower(r.Name()+r.About()), "limit")
	require.Contains(t, r.About(), "one I/O thread")
}

// The throughput notes explain the C row and name the scenarios where a Go row beat it.
func TestCNote(t *testing.T) {
	res := &Results{Reps: 2, Machine: Machine{Cores: 2}}
	res.Scenarios = append(res.Scenarios,
		fakeScenario(throughputScenario("tcp", 4<<10), []string{keyEvented, keyPyZMQ, keyC},
			map[string][]float64{keyRaw: {1e5, 1e5}, keyEvented: {1.25e5, 1.25e5}, keyPyZMQ: {3e5, 3e5}, keyC: {0.9e5, 0.92e5}}),
		fakeScenario(throughputScenario("tcp", 16), []string{keyEvented, keyC},
			map[string][]float64{keyRaw: {1e6, 1e6}, keyEvented: {0.8e6, 0.8e6}, keyC: {2.6e6, 2.6e6}}))
	n := cNote(res)
	require.Contains(t, n, "C libzmq, one process")
	require.Contains(t, n, "one libzmq I/O thread")
	require.Contains(t, n, "not an upper bound")
	require.Contains(t, n, "at tcp 4 KiB (zmqevented Send/Recv 1.25×, C 0.91×).")
	require.NotContains(t, n, "tcp 16 B", "C is ahead there")
	require.NotContains(t, n, "pyzmq", "a Python row is not a Go row")

	var text bytes.Buffer
	require.NoError(t, writeText(&text, res))
	require.Contains(t, text.String(), "C libzmq, one process")

	require.Empty(t, cNote(&Results{}), "no C row, no note")
}

// The two-process C row is marked n/a over inproc and ipc and runs both processes over
// tcp, reporting the receiver's timed loop and both processes' CPU.
func TestCTwoProcesses(t *testing.T) {
	r := cTwoRow{}
	require.Equal(t, "c-2proc", r.Key())
	require.Contains(t, r.Name(), "two processes")
	require.NotEmpty(t, r.Skip(KindThroughput, Spec{Transport: "inproc"}))
	require.NotEmpty(t, r.Skip(KindThroughput, Spec{Transport: "ipc"}))
	require.Empty(t, r.Skip(KindThroughput, Spec{Transport: "tcp"}))
	if err := r.Available(t.Context()); err != nil {
		t.Skipf("the C program cannot be built here: %v", err)
	}
	sp := Spec{Transport: "tcp"}
	sp.Endpoint, sp.Size, sp.Count = "tcp://127.0.0.1:*", 16, 2000
	s, err := r.Throughput(t.Context(), sp)
	require.NoError(t, err)
	require.Equal(t, 2000, s.Count)
	require.Positive(t, s.Elapsed)
	require.GreaterOrEqual(t, s.ChildCPU, s.UserCPU+s.SysCPU)
	require.NotEmpty(t, s.Peer["libzmq"])
}
