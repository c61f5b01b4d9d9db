package zmqsink_test

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// termTimeout bounds Context.Close at the end of every test: libzmq's threads are
// invisible to goleak, so a context that does not terminate is a leak of its own.
const termTimeout = 5 * time.Second

// newContext returns a Context (linger 0) whose Close must return within termTimeout
// when the test ends.
func newContext(t testing.TB, opts ...zmqevented.Option) *zmqevented.Context {
	t.Helper()
	opts = append([]zmqevented.Option{zmqevented.WithLogger(zaptest.NewLogger(t)), zmqevented.WithLinger(0)}, opts...)
	c, err := zmqevented.NewContext(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, c) })
	return c
}

// closeWithin fails t if c.Close takes longer than termTimeout.
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

// newSink makes a sink on s with a test logger; the test's cleanup closes it (before
// the context, since cleanups run last-in first-out) if the test did not.
func newSink(t testing.TB, s *zmqevented.Socket, opts ...zmqsink.Option) *zmqsink.Sink {
	t.Helper()
	opts = append([]zmqsink.Option{zmqsink.WithLogger(zaptest.NewLogger(t))}, opts...)
	k, err := zmqsink.New(s, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), termTimeout)
		defer cancel()
		if err := k.Close(ctx); err != nil && !errors.Is(err, zmqsink.ErrClosed) {
			t.Errorf("closing the sink at cleanup: %v", err)
		}
	})
	return k
}

// endpoints lists an endpoint to bind per transport: a unique inproc name, an ipc
// socket in the test's temp dir, and an ephemeral tcp port.
func endpoints(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{
		"inproc": "inproc://" + t.Name(),
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s"),
		"tcp":    "tcp://127.0.0.1:*",
	}
}

// bind makes a socket of type typ bound to endpoint and returns it with the endpoint
// to connect to.
func bind(t testing.TB, c *zmqevented.Context, typ zmq4.Type, endpoint string, opts ...zmqevented.Option) (*zmqevented.Socket, string) {
	t.Helper()
	s, err := c.NewSocket(typ, opts...)
	require.NoError(t, err)
	require.NoError(t, s.Bind(endpoint))
	ep, err := s.LastEndpoint()
	require.NoError(t, err)
	return s, ep
}

// connect makes a socket of type typ connected to endpoint.
func connect(t testing.TB, c *zmqevented.Context, typ zmq4.Type, endpoint string, opts ...zmqevented.Option) *zmqevented.Socket {
	t.Helper()
	s, err := c.NewSocket(typ, opts...)
	require.NoError(t, err)
	require.NoError(t, s.Connect(endpoint))
	return s
}

// testCtx returns a context bounded by d, cancelled when the test ends.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// seq encodes i as an 8-byte frame; unseq decodes it.
func seq(i uint64) []byte { return binary.BigEndian.AppendUint64(nil, i) }

func unseq(t testing.TB, b []byte) uint64 {
	t.Helper()
	require.Len(t, b, 8)
	return binary.BigEndian.Uint64(b)
}

// eventually polls cond every millisecond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// requireInvariant checks that every accepted message is accounted for.
func requireInvariant(t testing.TB, st zmqsink.Stats) {
	t.Helper()
	require.Equal(t, st.Accepted, st.Sent+st.Dropped+st.Failed+uint64(st.Queued), "stats: %+v", st)
}
