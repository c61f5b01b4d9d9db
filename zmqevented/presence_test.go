package zmqevented_test

import (
	"context"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// nextPeerEvent returns the next event on m within d, skipping none.
func nextPeerEvent(t *testing.T, m *zmqevented.Monitor, d time.Duration) zmqevented.MonitorEvent {
	t.Helper()
	select {
	case ev, ok := <-m.C():
		require.True(t, ok, "the subscription ended")
		return ev
	case <-time.After(d):
		t.Fatalf("no peer event within %v", d)
		return zmqevented.MonitorEvent{}
	}
}

// TestWaitConnected: WaitConnected waits while the socket has no connection, returns
// once one is up (at once if it is up already), honours its context, and returns
// ErrClosed on a closed socket. PeerEvents tells the same story with endpoints.
func TestWaitConnected(t *testing.T) {
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, 20*time.Second)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	events, err := dealer.Monitor(ctx, zmqevented.PeerEventMask, 16) // starts the monitor before Connect
	require.NoError(t, err)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, dealer.WaitConnected(short), context.DeadlineExceeded, "no peer yet")

	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "tcp://127.0.0.1:*")
	waited := make(chan error, 1)
	go func() { waited <- dealer.WaitConnected(ctx) }()
	time.Sleep(20 * time.Millisecond) // most likely waiting by now; either way it must return
	require.NoError(t, dealer.Connect(ep))
	select {
	case err := <-waited:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitConnected did not return after the connection came up")
	}
	require.NoError(t, dealer.WaitConnected(ctx), "already connected: at once")

	ev := nextPeerEvent(t, events, 5*time.Second)
	require.Equal(t, zmq4.EVENT_CONNECTED, ev.Event, "%v", ev)
	require.Equal(t, ep, ev.Endpoint)
	ev = nextPeerEvent(t, events, 5*time.Second)
	require.Equal(t, zmq4.EVENT_HANDSHAKE_SUCCEEDED, ev.Event, "%v", ev)

	require.NoError(t, router.Close())
	ev = nextPeerEvent(t, events, 5*time.Second)
	require.Equal(t, zmq4.EVENT_DISCONNECTED, ev.Event, "%v", ev)
	require.Equal(t, ep, ev.Endpoint)
	require.Equal(t, 0, events.Peers())

	go func() { waited <- dealer.WaitConnected(ctx) }()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, dealer.Close())
	select {
	case err := <-waited:
		require.ErrorIs(t, err, zmqevented.ErrClosed, "closed while waiting")
	case <-time.After(5 * time.Second):
		t.Fatal("WaitConnected did not return when the socket closed")
	}
	require.ErrorIs(t, dealer.WaitConnected(ctx), zmqevented.ErrClosed)
}

// TestPeerEventsHandshakeFailed: a peer that cannot complete the ZMTP handshake (a
// PLAIN client against a NULL server) shows as connected, handshake failed, and
// disconnected.
func TestPeerEventsHandshakeFailed(t *testing.T) {
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, 20*time.Second)
	_, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "tcp://127.0.0.1:*")
	dealer, err := c.NewSocket(zmq4.DEALER, zmqevented.WithSockopt("PLAIN_USERNAME", func(s *zmq4.Socket) error {
		return s.SetPlainUsername("user")
	}))
	require.NoError(t, err)
	events, err := dealer.Monitor(ctx, zmqevented.PeerEventMask, 16)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))

	seen := map[zmq4.Event]bool{}
	for !seen[zmq4.EVENT_DISCONNECTED] {
		ev := nextPeerEvent(t, events, 5*time.Second)
		require.Equal(t, ep, ev.Endpoint, "%v", ev)
		require.NotEqual(t, zmq4.EVENT_HANDSHAKE_SUCCEEDED, ev.Event, "%v", ev)
		seen[ev.Event] = true
	}
	require.True(t, seen[zmq4.EVENT_CONNECTED], "%v", seen)
	require.True(t, seen[zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL] || seen[zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL], "%v", seen)
}

// TestPeerEventsHeartbeat: two hosts, a DEALER on A connected to a ROUTER on B with
// heartbeats every 100 ms and a 300 ms timeout. When the link between them goes down,
// the DEALER's peer events report the disconnection within the heartbeat timeout
// (well under a second, where TCP alone would take minutes), and with a short connect
// timeout it is connected again soon after the link comes back.
func TestPeerEventsHeartbeat(t *testing.T) {
	h := zmqtest.NewHosts(t)
	ctx := zmqtest.Ctx(t, time.Minute)
	ep := "tcp://" + h.AddrB + ":5557"
	var dealer *zmqevented.Socket
	var events *zmqevented.Monitor
	var errs [3]error
	h.In(h.B, func() {
		router, err := zmqtest.NewContext(t).NewSocket(zmq4.ROUTER)
		if errs[0] = err; err == nil {
			errs[0] = router.Bind(ep)
		}
	})
	h.In(h.A, func() {
		dealer, errs[1] = zmqtest.NewContext(t).NewSocket(zmq4.DEALER,
			zmqevented.WithHeartbeatInterval(100*time.Millisecond),
			zmqevented.WithHeartbeatTimeout(300*time.Millisecond),
			zmqevented.WithReconnectInterval(100*time.Millisecond),
			zmqevented.WithConnectTimeout(200*time.Millisecond))
		if errs[1] != nil {
			return
		}
		events, errs[1] = dealer.Monitor(ctx, zmqevented.PeerEventMask, 64)
		if errs[1] == nil {
			errs[2] = dealer.Connect(ep)
		}
	})
	require.NoError(t, errs[0], "ROUTER on host B")
	require.NoError(t, errs[1], "DEALER on host A")
	require.NoError(t, errs[2], "Connect")
	require.NoError(t, dealer.WaitConnected(ctx))

	// waitFor returns once an event e comes, or fails after d.
	waitFor := func(e zmq4.Event, d time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		deadline := time.After(d)
		for {
			select {
			case ev := <-events.C():
				t.Logf("%v after %v", ev, time.Since(start).Round(time.Millisecond))
				if ev.Event == e {
					require.Equal(t, ep, ev.Endpoint)
					return time.Since(start)
				}
			case <-deadline:
				t.Fatalf("no %v event within %v", e, d)
			}
		}
	}
	time.Sleep(500 * time.Millisecond) // heartbeats flow while the link is up: no disconnection
	require.Equal(t, 1, events.Peers())

	h.Link(false)
	took := waitFor(zmq4.EVENT_DISCONNECTED, 3*time.Second)
	require.Equal(t, 0, events.Peers())
	t.Logf("disconnection seen %v after the link went down (heartbeat timeout 300 ms)", took.Round(time.Millisecond))

	h.Link(true)
	waitFor(zmq4.EVENT_CONNECTED, 10*time.Second)
	require.NoError(t, dealer.WaitConnected(ctx))
}
