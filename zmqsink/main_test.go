package zmqsink_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newSink makes a sink on s with a test logger; the test's cleanup closes it (before
// the context, since cleanups run last-in first-out) if the test did not.
func newSink(t testing.TB, s *zmqevented.Socket, opts ...zmqsink.Option) *zmqsink.Sink {
	t.Helper()
	opts = append([]zmqsink.Option{zmqsink.WithLogger(zaptest.NewLogger(t))}, opts...)
	k, err := zmqsink.New(s, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), zmqtest.TermTimeout)
		defer cancel()
		if err := k.Shutdown(ctx); err != nil && !errors.Is(err, zmqsink.ErrClosed) {
			t.Errorf("closing the sink at cleanup: %v", err)
		}
	})
	return k
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
