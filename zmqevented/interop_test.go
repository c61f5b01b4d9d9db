package zmqevented_test

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestInteropPyzmqREQ (test 11): a pyzmq REQ client against a zmqevented REP over tcp.
func TestInteropPyzmqREQ(t *testing.T) {
	py := pyzmq(t)
	const n = 500
	c := newContext(t)
	rep, err := c.NewSocket(zmq4.REP)
	require.NoError(t, err)
	require.NoError(t, rep.Bind("tcp://127.0.0.1:*"))
	ep, err := rep.LastEndpoint()
	require.NoError(t, err)

	ctx := testCtx(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, py, "testdata/pyzmq_req.py", ep, strconv.Itoa(n))
	out := make(chan string, 1)
	go func() {
		b, err := cmd.CombinedOutput()
		out <- fmt.Sprintf("%s%v", b, err)
	}()
	for i := range n {
		m, err := rep.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"hello", strconv.Itoa(i)}, toStrings(m))
		require.NoError(t, rep.SendMessage(ctx, "world", strconv.Itoa(i)))
	}
	require.Equal(t, fmt.Sprintf("ok %d\n<nil>", n), <-out)
}

// TestInteropPyzmqPUB (test 11): a pyzmq PUB against a zmqevented SUB over tcp: only the
// subscribed topic arrives, in order, with no gaps once the subscription is live.
func TestInteropPyzmqPUB(t *testing.T) {
	py := pyzmq(t)
	ctx := testCtx(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, py, "testdata/pyzmq_pub.py")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	ep, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	ep = strings.TrimSpace(ep)
	require.True(t, strings.HasPrefix(ep, "tcp://127.0.0.1:"), ep)

	c := newContext(t)
	sub, err := c.NewSocket(zmq4.SUB, zmqevented.WithSubscribe("weather"))
	require.NoError(t, err)
	require.NoError(t, sub.Connect(ep))
	first := -1
	for i := range 200 {
		m, err := sub.Recv(ctx)
		require.NoError(t, err)
		require.Len(t, m, 2)
		require.Equal(t, "weather", string(m[0]))
		seq, err := strconv.Atoi(string(m[1]))
		require.NoError(t, err)
		if first < 0 {
			first = seq
		}
		require.Equal(t, first+i, seq, "gap or reorder in the weather stream")
	}
	require.NoError(t, stdin.Close())
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-waitCtx.Done():
		t.Fatal("pyzmq publisher did not exit after stdin closed")
	}
}
