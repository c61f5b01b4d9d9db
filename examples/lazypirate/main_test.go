package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Contains(t, out, "retrying on a fresh socket\n")
	require.Regexp(t, `client: 10 replies, [1-9]\d* retries\n`, out)
	require.Contains(t, out, "lazypirate: ok\n")
}

// A server that drops everything: the client gives up after -retries attempts.
func TestGivesUp(t *testing.T) {
	out := exampletest.RunFail(t, "-drop=1", "-retries=2", "-timeout=50ms")
	require.Contains(t, out, "lazypirate: FAIL: request 1: no reply after 2 attempts: server seems to be offline, abandoning\n")
	require.Contains(t, out, "server: dropped 2 of 2 requests\n")
}

// The server binds the -endpoint given, here over ipc.
func TestEndpoint(t *testing.T) {
	out := exampletest.Run(t, "-endpoint=ipc://"+filepath.Join(t.TempDir(), "lazypirate"))
	require.Regexp(t, `client: 10 replies, [1-9]\d* retries\n`, out)
	require.Contains(t, out, "lazypirate: ok\n")
}

// The client alone, against an outside server: a REP socket in this process that
// echoes every request and drops none.
func TestOutsideServer(t *testing.T) {
	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	require.NoError(t, err)
	defer func() { require.NoError(t, zctx.Close()) }()
	rep, err := zctx.NewSocket(zmq4.REP)
	require.NoError(t, err)
	require.NoError(t, rep.Bind("tcp://127.0.0.1:*"))
	endpoint, err := rep.LastEndpoint()
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		for {
			req, err := rep.Recv(ctx)
			if err == nil {
				err = rep.Send(ctx, req...)
			}
			if err != nil {
				served <- err
				return
			}
		}
	}()
	out := exampletest.Run(t, "-server=false", "-endpoint="+endpoint)
	cancel()
	require.ErrorIs(t, <-served, context.Canceled)
	require.Contains(t, out, "client: 10 replies, 0 retries\n")
	require.NotContains(t, out, "server:")
	require.Contains(t, out, "lazypirate: ok\n")
}

func TestOutsideServerNeedsEndpoint(t *testing.T) {
	out := exampletest.RunFail(t, "-server=false")
	require.Contains(t, out, "lazypirate: FAIL: -server=false needs the server's -endpoint\n")
}
