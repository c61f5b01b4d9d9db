package zmqc

import (
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// termTimeout bounds each test's libzmq context termination (goleak cannot see
// libzmq's threads).
const termTimeout = 5 * time.Second

// newContext returns a libzmq context that must terminate within termTimeout once the
// test's sockets are closed (sockets made by newSocket are, first).
func newContext(t *testing.T) *zmq4.Context {
	t.Helper()
	zc, err := zmq4.NewContext()
	require.NoError(t, err)
	t.Cleanup(func() {
		done := make(chan error, 1)
		go func() { done <- zc.Term() }()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(termTimeout):
			t.Errorf("zmq context did not terminate within %v", termTimeout)
		}
	})
	return zc
}

// newSocket makes a socket with linger 0, closed when the test ends.
func newSocket(t *testing.T, zc *zmq4.Context, typ zmq4.Type) *zmq4.Socket {
	t.Helper()
	s, err := zc.NewSocket(typ)
	require.NoError(t, err)
	require.NoError(t, s.SetLinger(0))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// pair returns two connected PAIR sockets over inproc, each with its hot path.
func pair(t *testing.T) (a, b *zmq4.Socket, ha, hb *Socket) {
	t.Helper()
	zc := newContext(t)
	a = newSocket(t, zc, zmq4.PAIR)
	b = newSocket(t, zc, zmq4.PAIR)
	require.NoError(t, a.Bind("inproc://"+t.Name()))
	require.NoError(t, b.Connect("inproc://"+t.Name()))
	var err error
	ha, err = Open(a)
	require.NoError(t, err)
	hb, err = Open(b)
	require.NoError(t, err)
	return a, b, ha, hb
}
