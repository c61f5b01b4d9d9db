package zmqevented_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// pebbeOnlyEnv, set to anything, makes this test binary run on pebbe/zmq4's calls
// instead of the hot path (see TestMain).
const pebbeOnlyEnv = "ZMQEVENTED_TEST_PEBBE_ONLY"

// pebbeVersion is the pebbe/zmq4 whose private socket handle the hot path was checked
// against.
const pebbeVersion = "v1.4.0"

// TestHotPath: with the pinned pebbe/zmq4, every socket, made by a Context or wrapped,
// finds and verifies its libzmq handle and uses the hot path (and none does when the
// fallback is forced). A With function that closes the zmq4.Socket, which With
// forbids, turns the hot path off instead of leaving it a dangling handle.
func TestHotPath(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	var version string
	for line := range strings.Lines(string(gomod)) {
		f := strings.Fields(line)
		require.False(t, len(f) > 1 && f[0] == "replace" && f[1] == "github.com/pebbe/zmq4", "go.mod replaces pebbe/zmq4")
		if len(f) > 1 && f[0] == "github.com/pebbe/zmq4" {
			version = f[1]
		}
	}
	require.Equal(t, pebbeVersion, version,
		"go.mod pins another pebbe/zmq4: the hot path reads its private Socket.soc; check that field in the new version (zmqc.TestOpen), then update pebbeVersion")
	want := !zmqevented.PebbeOnly()

	c := zmqtest.NewContext(t)
	for _, typ := range []zmq4.Type{zmq4.PAIR, zmq4.PUB, zmq4.SUB, zmq4.REQ, zmq4.REP, zmq4.DEALER,
		zmq4.ROUTER, zmq4.PULL, zmq4.PUSH, zmq4.XPUB, zmq4.XSUB, zmq4.STREAM} {
		s, err := c.NewSocket(typ)
		require.NoError(t, err)
		require.Equal(t, want, zmqevented.HotPath(s), typ.String())
		require.NoError(t, s.Close())
	}

	zc, err := zmq4.NewContext()
	require.NoError(t, err)
	raw, err := zc.NewSocket(zmq4.PAIR)
	require.NoError(t, err)
	w, err := zmqevented.Wrap(raw, zmqevented.WithLinger(0))
	require.NoError(t, err)
	require.Equal(t, want, zmqevented.HotPath(w), "wrapped")
	require.NoError(t, w.With(func(raw *zmq4.Socket) error { return raw.Close() }))
	require.False(t, zmqevented.HotPath(w), "the hot path outlived its zmq4.Socket")
	_, err = w.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.ErrorIs(t, w.TrySend([]byte("x")), zmqevented.ErrClosed)
	_ = w.Close()
	require.NoError(t, zc.Term())
}

// TestPebbeFallback runs the package's tests again, in a child process, on pebbe/zmq4's
// calls (the path every socket takes when the hot path cannot verify its handle). It
// leaves out the long soaks and the tests that do not depend on the I/O path.
func TestPebbeFallback(t *testing.T) {
	if zmqevented.PebbeOnly() {
		t.Skip("already on pebbe/zmq4's calls") // the child itself, when run by hand
	}
	self, err := os.Executable()
	require.NoError(t, err)
	skip := []string{
		"TestPebbeFallback", "TestManySockets", "TestCancelledWaitsStayFlat", "TestPingPong",
		"TestPartition.*", "TestPeerRestartAcknowledged", "TestInterop", "Fuzz.*",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	args := []string{"-test.count=1", "-test.shuffle=on", "-test.timeout=5m",
		"-test.cpu=" + strconv.Itoa(runtime.GOMAXPROCS(0)), // as this run (make race: -cpu=1,4)
		"-test.skip=^(" + strings.Join(skip, "|") + ")$"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), pebbeOnlyEnv+"=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s", out)
	}
	require.NoError(t, err, "the suite fails on pebbe/zmq4's calls")
	t.Logf("suite on pebbe/zmq4's calls passed in %v", time.Since(start).Round(time.Millisecond))
}
