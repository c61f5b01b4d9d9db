package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Len(t, regexp.MustCompile(`(?m)^worker \d served [1-9]\d* requests$`).FindAllString(out, -1), 3)
	require.Contains(t, out, "proxy forwarded 250 requests and 250 replies\n")
	require.Contains(t, out, "5 clients got 250 replies, each checked\n")
	require.Contains(t, out, "broker: ok\n")
}

func TestOneWorker(t *testing.T) {
	out := exampletest.Run(t, "-workers=1", "-clients=2", "-requests=20")
	require.Contains(t, out, "worker 1 served 40 requests\n")
	require.Contains(t, out, "broker: ok\n")
}

// The broker between outside peers: a client in this process sends requests over TCP
// to the broker's workers, then steers the broker's proxy through its control socket
// (STATISTICS, then TERMINATE, which ends the program).
func TestOutsideClient(t *testing.T) {
	const n = 10
	broker := exampletest.Start(t, "-clients=0", "-workers=2", "-timeout=0",
		"-frontend=tcp://127.0.0.1:*", "-backend=tcp://127.0.0.1:*", "-control=tcp://127.0.0.1:*")
	addrs := strings.TrimPrefix(broker.Line(t, "broker: clients connect to "), "broker: clients connect to ")
	frontend, _, _ := strings.Cut(addrs, ",")
	control := strings.TrimPrefix(broker.Line(t, "broker: control at "), "broker: control at ")

	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	require.NoError(t, err)
	defer func() { require.NoError(t, zctx.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ask := func(endpoint string, request string) [][]byte {
		t.Helper()
		req, err := zctx.NewSocket(zmq4.REQ)
		require.NoError(t, err)
		defer func() { require.NoError(t, req.Close()) }()
		require.NoError(t, req.Connect(endpoint))
		require.NoError(t, req.Send(ctx, []byte(request)))
		reply, err := req.Recv(ctx)
		require.NoError(t, err)
		return reply
	}

	for i := range n {
		request := fmt.Sprintf("outside request %d", i)
		reply := ask(frontend, request)
		require.Equal(t, request, string(reply[0]))
	}
	stats := ask(control, "STATISTICS")
	require.Len(t, stats, 8)
	require.Equal(t, uint64(n), binary.NativeEndian.Uint64(stats[0]), "requests the proxy received")
	require.Equal(t, [][]byte{{}}, ask(control, "TERMINATE"))

	out := broker.Wait(t)
	require.Contains(t, out, fmt.Sprintf("proxy forwarded %d requests and %d replies\n", n, n))
	require.Contains(t, out, "broker: ok\n")
}
