package zmqstream_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// termTimeout bounds Context.Close in every test: libzmq threads are invisible to
// goleak, so a context that does not terminate is a leak of its own.
const termTimeout = 5 * time.Second

// newContext returns a Context whose Close must return within termTimeout at the end
// of the test.
func newContext(t testing.TB, opts ...zmqevented.Option) *zmqevented.Context {
	t.Helper()
	opts = append([]zmqevented.Option{zmqevented.WithLogger(zaptest.NewLogger(t)), zmqevented.WithLinger(0)}, opts...)
	c, err := zmqevented.NewContext(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, c) })
	return c
}

func closeWithin(t testing.TB, c *zmqevented.Context) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			require.ErrorIs(t, err, zmqevented.ErrClosed)
		}
	case <-time.After(termTimeout):
		t.Errorf("zmq context did not terminate within %v", termTimeout)
	}
}

// noLeaks fails the test if goroutines started during it are still running once its
// cleanups (the context's Close among them) have run. Call it first.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// pair makes a bound socket of type bt and a socket of type ct connected to it over
// endpoint ("inproc://…" names are made unique per test).
func pair(t testing.TB, c *zmqevented.Context, endpoint string, bt, ct zmq4.Type, bopts, copts []zmqevented.Option) (bound, connected *zmqevented.Socket) {
	t.Helper()
	bound, err := c.NewSocket(bt, bopts...)
	require.NoError(t, err)
	require.NoError(t, bound.Bind(endpoint))
	ep, err := bound.LastEndpoint()
	require.NoError(t, err)
	connected, err = c.NewSocket(ct, copts...)
	require.NoError(t, err)
	require.NoError(t, connected.Connect(ep))
	return bound, connected
}

func inproc(t testing.TB) string { return "inproc://" + t.Name() }

// testCtx returns a context bounded by d, cancelled at the end of the test.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// seq encodes i as an 8-byte frame; unseq decodes it.
func seq(i int) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(i))
	return b
}

func unseq(t testing.TB, msg [][]byte) int {
	t.Helper()
	require.Len(t, msg, 1)
	require.Len(t, msg[0], 8)
	return int(binary.BigEndian.Uint64(msg[0]))
}

// sendSeq sends messages from..to-1 on s.
func sendSeq(ctx context.Context, t testing.TB, s *zmqevented.Socket, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		require.NoError(t, s.Send(ctx, seq(i)))
	}
}

// newStream makes a Stream closed at the end of the test.
func newStream(t testing.TB, s *zmqevented.Socket, opts ...zmqstream.Option) *zmqstream.Stream {
	t.Helper()
	opts = append([]zmqstream.Option{zmqstream.WithLogger(zaptest.NewLogger(t))}, opts...)
	st, err := zmqstream.New(s, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// recvChan receives one message from ch within d.
func recvChan[T any](t testing.TB, ch <-chan T, d time.Duration) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(d):
		var zero T
		t.Fatalf("nothing received within %v", d)
		return zero, false
	}
}

// waitClosed fails unless ch is closed within d.
func waitClosed(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: not closed within %v", what, d)
	}
}
