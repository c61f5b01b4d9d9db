package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Contains(t, out, "publisher: subscriptions in for 10001 10003 10005, publishing\n")
	require.Contains(t, out, "subscriber: zip 10001: 90 readings, 10 glitches dropped, average")
	require.Contains(t, out, "subscriber: zip 10005: 90 readings, 10 glitches dropped, average")
	require.Contains(t, out, "subscriber: every average matches the publisher's data\n")
	require.Contains(t, out, "weather: ok\n")
}

func TestOtherZips(t *testing.T) {
	out := exampletest.Run(t, "-zips=10010", "-samples=25")
	require.Contains(t, out, "subscriber: zip 10010: 22 readings, 3 glitches dropped, average")
	require.Contains(t, out, "weather: ok\n")
}
