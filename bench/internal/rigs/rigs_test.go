package rigs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zmqasync/zmqasync/zmqstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counter is a Looper that runs n times and counts its calls.
type counter struct{ left, calls int }

func (c *counter) Loop() bool {
	c.calls++
	if c.left == 0 {
		return false
	}
	c.left--
	return true
}

// loops is every loop of the package, by name.
var loops = map[string]Func{
	"RawThroughput":        RawThroughput,
	"RawMessageThroughput": RawMessageThroughput,
	"RawReqRep":            RawReqRep,
	"RawMessageReqRep":     RawMessageReqRep,
	"EventedThroughput":    EventedThroughput,
	"EventedRecv":          EventedRecv,
	"EventedRecvMany":      EventedRecvMany,
	"EventedReqRep":        EventedReqRep,
	"FutureRecv":           FutureRecv,
	"Requester":            Requester,
	"ServerRequests":       ServerRequests,
	"StreamC":              func(ctx context.Context, l Looper, sp Spec) error { return StreamC(ctx, l, sp) },
	"StreamC-buffer0": func(ctx context.Context, l Looper, sp Spec) error {
		return StreamC(ctx, l, sp, zmqstream.WithBuffer(0))
	},
	"StreamObservable": func(ctx context.Context, l Looper, sp Spec) error { return StreamObservable(ctx, l, sp) },
	"StreamAll":        func(ctx context.Context, l Looper, sp Spec) error { return StreamAll(ctx, l, sp) },
	"SinkSend":         SinkSend,
	"SinkForward":      SinkForward,
	"Pipeline":         Pipeline,
}

// Every loop runs to its end over every transport, both with a count known in
// advance (the far end serves exactly that many) and open-ended (the timed end stops
// the far end), and leaves no goroutine and no unterminated context behind.
func TestLoops(t *testing.T) {
	const n = 300
	for name, loop := range loops {
		for _, tr := range []string{"inproc", "ipc", "tcp"} {
			for _, count := range []int{n, 0} {
				t.Run(fmt.Sprintf("%s/%s/count=%d", name, tr, count), func(t *testing.T) {
					sp := Spec{Endpoint: Endpoint(tr, t.TempDir()), Size: 64, Count: count, InFlight: 8}
					l := &counter{left: n}
					done := make(chan error, 1)
					go func() { done <- loop(t.Context(), l, sp) }()
					select {
					case err := <-done:
						require.NoError(t, err)
					case <-time.After(time.Minute):
						t.Fatal("the loop did not return within a minute")
					}
					require.Equal(t, n+1, l.calls, "the loop stops when l says so")
				})
			}
		}
	}
}

// A loop that cannot set up returns the failure and leaves nothing behind.
func TestLoopSetUpFailure(t *testing.T) {
	for name, loop := range loops {
		t.Run(name, func(t *testing.T) {
			err := loop(t.Context(), &counter{left: 1}, Spec{Endpoint: "tcp://256.0.0.1:*", Size: 16, Count: 1})
			require.Error(t, err)
		})
	}
}

// A cancelled ctx stops a loop whose timed end waits in a call that takes it.
func TestLoopCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := EventedThroughput(ctx, &counter{left: 1}, Spec{Endpoint: Endpoint("inproc", ""), Size: 16, Count: 1})
	require.ErrorIs(t, err, context.Canceled)
}
