package zmqevented_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqevented"
)

func TestMain(m *testing.M) {
	// The reliability tests start this test binary again as a separate peer process.
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role, os.Args[len(os.Args)-1]))
	}
	goleak.VerifyTestMain(m, leakOptions...)
}

// leakOptions ignore one goroutine that is not ours: go-zeromq/zmq4 v0.17.0's PUB writer
// (pubMWriter.run) misses its Close signal when it is not waiting at that moment and
// then waits forever. TestInterop uses a go-zeromq PUB.
var leakOptions = []goleak.Option{goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run")}

// termTimeout bounds Context.Close in every test: libzmq threads are invisible to goleak,
// so a context that does not terminate is a leak of its own.
const termTimeout = 5 * time.Second

// newContext returns a Context whose Close must return within termTimeout at the end of
// the test.
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

// transports lists the endpoints to bind for each transport; tcp and inproc names are
// unique per test, ipc lives in the test's temp dir.
func transports(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{
		"inproc": "inproc://" + t.Name(),
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s"),
		"tcp":    "tcp://127.0.0.1:*",
	}
}

// forTransports runs f as a subtest per transport with the endpoint to bind.
func forTransports(t *testing.T, f func(t *testing.T, endpoint string)) {
	for _, name := range []string{"inproc", "ipc", "tcp"} {
		t.Run(name, func(t *testing.T) { f(t, transports(t)[name]) })
	}
}

// pair makes a bound socket of type bt and a socket of type ct connected to it.
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

// testCtx returns a context bounded by d, cancelled at the end of the test.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pyzmq returns a Python interpreter that can import zmq. A test that needs one fails
// (never skips) without it: `make deps` installs Debian's python3-zmq.
func pyzmq(t testing.TB) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import zmq").Run() == nil {
			return path
		}
	}
	t.Fatalf("no python3 that can import zmq (pyzmq); run `make deps` (Debian: apt-get install python3-zmq)")
	return ""
}

func seqFrame(i int) []byte { return []byte(fmt.Sprintf("%08d", i)) }
