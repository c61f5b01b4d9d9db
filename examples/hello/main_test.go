package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Contains(t, out, "client: Hello 10 → World 10\n")
	require.Contains(t, out, "client: 10 replies\n")
	require.Contains(t, out, "server: answered 10 requests\n")
	require.Contains(t, out, "hello: ok\n")
}

// The server and the client as two processes, the client connecting to the port the
// server printed.
func TestTwoProcesses(t *testing.T) {
	server := exampletest.Start(t, "-role=server", "-n=3")
	endpoint := strings.TrimPrefix(server.Line(t, "server: listening on "), "server: listening on ")
	out := exampletest.Run(t, "-role=client", "-n=3", "-endpoint="+endpoint)
	require.Contains(t, out, "client: 3 replies\n")
	require.Contains(t, server.Wait(t), "server: answered 3 requests\n")
}

func TestClientNeedsEndpoint(t *testing.T) {
	out := exampletest.RunFail(t, "-role=client")
	require.Contains(t, out, "hello: FAIL: -role=client needs the server's -endpoint\n")
}
