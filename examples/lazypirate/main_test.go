package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Contains(t, out, "retrying on a fresh socket\n")
	require.Regexp(t, `client: 10 replies, [1-9]\d* retries\n`, out)
	require.Contains(t, out, "lazypirate: ok\n")
}

// A server that drops everything: the client gives up after -retries attempts.
func TestGivesUp(t *testing.T) {
	out := exampletest.RunFail(t, "-drop=1", "-retries=2", "-timeout=50ms")
	require.Contains(t, out, "lazypirate: FAIL: request 1: no reply after 2 attempts: server seems to be offline, abandoning\n")
	require.Contains(t, out, "server: dropped 2 of 2 requests\n")
}
