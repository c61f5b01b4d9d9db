package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Regexp(t, `Requester on a DEALER, +256 in flight: +\S+ +\d+ requests/s\n`, out)
	require.Regexp(t, `REQ socket, +1 in flight: +\S+ +\d+ requests/s\n`, out)
	require.Contains(t, out, "rpc: ok\n")
}

// With one request in flight the Requester works like REQ, one round trip at a time.
func TestOneInFlight(t *testing.T) {
	out := exampletest.Run(t, "-n=200", "-inflight=1", "-handlers=1")
	require.Regexp(t, `Requester on a DEALER, +1 in flight: `, out)
	require.Contains(t, out, "rpc: ok\n")
}
