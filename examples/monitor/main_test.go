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
	require.Contains(t, out, "event: listening ")
	require.Equal(t, 3, strings.Count(out, "event: accepted "))
	require.Equal(t, 3, strings.Count(out, "event: disconnected "))
	require.Contains(t, out, "event: monitor-stopped")
	require.Contains(t, out, "monitor: 3 peers: 3 accepted, 3 disconnected\n")
	require.Contains(t, out, "monitor: ok\n")
}

func TestMorePeers(t *testing.T) {
	out := exampletest.Run(t, "-peers=8")
	require.Contains(t, out, "monitor: 8 peers: 8 accepted, 8 disconnected\n")
}
