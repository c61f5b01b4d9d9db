// Package zmqtest holds the test helpers every package of the module shares: a
// zmqevented.Context that must terminate when the test ends, socket pairs, endpoints
// per transport, a pyzmq interpreter, and child test processes.
package zmqtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// TermTimeout bounds Context.Close at the end of every test: libzmq's threads are
// invisible to goleak, so a context that does not terminate is a leak of its own.
const TermTimeout = 5 * time.Second

// NewContext returns a Context (test logger, linger 0, then opts) whose Close must
// return within TermTimeout when the test ends.
func NewContext(t testing.TB, opts ...zmqevented.Option) *zmqevented.Context {
	t.Helper()
	opts = append([]zmqevented.Option{zmqevented.WithLogger(zaptest.NewLogger(t)), zmqevented.WithLinger(0)}, opts...)
	c, err := zmqevented.NewContext(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { CloseWithin(t, c) })
	return c
}

// CloseWithin closes c and fails t unless Close returns within TermTimeout (a second
// Close, returning ErrClosed, is fine).
func CloseWithin(t testing.TB, c *zmqevented.Context) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			require.ErrorIs(t, err, zmqevented.ErrClosed)
		}
	case <-time.After(TermTimeout):
		t.Errorf("zmq context did not terminate within %v", TermTimeout)
	}
}

// Ctx returns a context bounded by d, cancelled when the test ends.
func Ctx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Endpoints returns an endpoint to bind per transport: a unique inproc name, an ipc
// socket in the test's temp dir and an ephemeral tcp port.
func Endpoints(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{
		"inproc": "inproc://" + t.Name(),
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s"),
		"tcp":    "tcp://127.0.0.1:*",
	}
}

// Bind makes a socket of type typ bound to endpoint and returns it with the endpoint
// to connect to (LastEndpoint: the port chosen for "tcp://127.0.0.1:*").
func Bind(t testing.TB, c *zmqevented.Context, typ zmq4.Type, endpoint string, opts ...zmqevented.Option) (*zmqevented.Socket, string) {
	t.Helper()
	s, err := c.NewSocket(typ, opts...)
	require.NoError(t, err)
	require.NoError(t, s.Bind(endpoint))
	ep, err := s.LastEndpoint()
	require.NoError(t, err)
	return s, ep
}

// Connect makes a socket of type typ connected to endpoint.
func Connect(t testing.TB, c *zmqevented.Context, typ zmq4.Type, endpoint string, opts ...zmqevented.Option) *zmqevented.Socket {
	t.Helper()
	s, err := c.NewSocket(typ, opts...)
	require.NoError(t, err)
	require.NoError(t, s.Connect(endpoint))
	return s
}

// Pair makes a socket of type bt bound to endpoint and a socket of type ct connected to
// it, with their options.
func Pair(t testing.TB, c *zmqevented.Context, endpoint string, bt, ct zmq4.Type, bopts, copts []zmqevented.Option) (bound, connected *zmqevented.Socket) {
	t.Helper()
	bound, ep := Bind(t, c, bt, endpoint, bopts...)
	return bound, Connect(t, c, ct, ep, copts...)
}

// Python returns a Python interpreter that can import zmq. A test that needs one fails,
// never skips, without it: `make deps` installs Debian's python3-zmq (importable only
// from Debian's own /usr/bin/python3, which may not be the python3 first on PATH).
func Python(t testing.TB) string {
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
	t.Fatalf("no python3 that can import zmq (pyzmq) among python3 and /usr/bin/python3; run `make deps` (Debian: apt-get install python3-zmq)")
	return ""
}

// ChildCommand returns a command that runs this test binary again as a peer process:
// the environment variable env is set to role, and config ("key=value,key=value") is
// its last argument (ChildConfig reads it back). The command starts with prefix when
// given (e.g. "ip", "netns", "exec", name). The package's TestMain dispatches on env.
func ChildCommand(ctx context.Context, t testing.TB, env, role, config string, prefix ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	args := append(append([]string{}, prefix...), self, "-test.run=^$", config)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env+"="+role)
	cmd.Stderr = os.Stderr
	return cmd
}

// ChildConfig parses the configuration a child process gets from ChildCommand.
func ChildConfig(config string) map[string]string {
	cfg := map[string]string{}
	for kv := range strings.SplitSeq(config, ",") {
		k, v, _ := strings.Cut(kv, "=")
		cfg[k] = v
	}
	return cfg
}
