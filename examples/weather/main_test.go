package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
	"github.com/zmqasync/zmqasync/internal/zmqtest"
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

// A multicast endpoint needs two processes.
func TestMulticastNeedsRoles(t *testing.T) {
	out := exampletest.RunFail(t, "-endpoint=epgm://10.0.0.1;239.192.1.1:5555")
	require.Contains(t, out, "weather: FAIL: a multicast -endpoint needs -role=pub and -role=sub in two processes\n")
}

// Over epgm and norm, the subscriber on one host and the publisher on another (two
// network namespaces joined by a veth pair).
func TestMulticastTwoHosts(t *testing.T) {
	for _, transport := range []string{"epgm", "norm"} {
		t.Run(transport, func(t *testing.T) {
			h := zmqtest.NewHosts(t)
			pubEP, subEP := h.Multicast(transport, "239.192.1.1", 5555)
			var sub, pub *exampletest.Process
			h.In(h.B, func() { sub = exampletest.Start(t, "-role=sub", "-endpoint="+subEP) })
			sub.Line(t, "subscriber: connected to "+subEP)
			h.In(h.A, func() { pub = exampletest.Start(t, "-role=pub", "-endpoint="+pubEP, "-warmup=200ms", "-timeout=5s") })
			out := sub.Wait(t)
			require.Contains(t, out, "subscriber: zip 10001: 90 readings, 10 glitches dropped, average")
			require.Contains(t, out, "subscriber: every average matches the publisher's data\n")
			require.Contains(t, out, "weather: ok\n")
			out = pub.Wait(t)
			require.Contains(t, out, "publisher: multicast, no subscriptions come back; publishing\n")
			require.Contains(t, out, "weather: ok\n")
		})
	}
}
