package zmqstream_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// noLeaks fails the test if goroutines started during it are still running once its
// cleanups (the context's Close among them) have run. Call it first.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func inproc(t testing.TB) string { return "inproc://" + t.Name() }

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
