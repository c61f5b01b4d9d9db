package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Contains(t, out, "publisher: handshake-succeeded ")
	require.Contains(t, out, "publisher: handshake-failed-auth ")
	require.Contains(t, out, "subscriber: received 10 messages\n")
	require.Contains(t, out, "intruder: received nothing in 200ms\n")
	require.Contains(t, out, "curve: ok\n")
}
