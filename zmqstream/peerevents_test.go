package zmqstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// TestPeersObservable: the peer events of a DEALER as an rxgo Observable: connected
// and handshake succeeded for a ROUTER, then disconnected when it goes away, each with
// its endpoint; the other monitor events (connect-delayed, closed, …) are not in it.
func TestPeersObservable(t *testing.T) {
	noLeaks(t)
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, time.Minute)
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "tcp://127.0.0.1:*")
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	peers, err := zmqstream.Monitor(pctx, dealer, zmqevented.PeerEventMask)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))

	var kinds []zmq4.Event
	for ev, err := range zmqstream.Values[zmqevented.MonitorEvent](ctx, peers.Observable()) {
		require.NoError(t, err)
		t.Log(ev)
		require.Equal(t, ep, ev.Endpoint)
		kinds = append(kinds, ev.Event)
		switch ev.Event {
		case zmq4.EVENT_HANDSHAKE_SUCCEEDED:
			require.NoError(t, router.Close()) // the peer goes away
		case zmq4.EVENT_DISCONNECTED:
			cancel() // ends the stream: the observation completes
		}
	}
	require.Equal(t, []zmq4.Event{zmq4.EVENT_CONNECTED, zmq4.EVENT_HANDSHAKE_SUCCEEDED, zmq4.EVENT_DISCONNECTED}, kinds)
	waitClosed(t, peers.Done(), 5*time.Second, "Done")
	require.Zero(t, peers.Dropped())
}
