package zmqevented_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestErrorHints: the usual mistakes get an explanation beside libzmq's bare errno
// text, and errors.Is still sees the errno.
func TestErrorHints(t *testing.T) {
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, 5*time.Second)
	newSock := func(typ zmq4.Type, opts ...zmqevented.Option) (*zmqevented.Socket, error) {
		s, err := c.NewSocket(typ, opts...)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, err
	}

	t.Run("send on SUB", func(t *testing.T) {
		sub, err := newSock(zmq4.SUB)
		require.NoError(t, err)
		err = sub.Send(ctx, []byte("x"))
		require.ErrorIs(t, err, syscall.ENOTSUP)
		require.ErrorContains(t, err, "a SUB socket cannot send")
	})
	t.Run("recv on PUB", func(t *testing.T) {
		pub, err := newSock(zmq4.PUB)
		require.NoError(t, err)
		_, err = pub.TryRecv()
		require.ErrorIs(t, err, syscall.ENOTSUP)
		require.ErrorContains(t, err, "a PUB socket cannot receive")
	})
	t.Run("REQ out of turn", func(t *testing.T) {
		rep, ep := zmqtest.Bind(t, c, zmq4.REP, "inproc://"+t.Name())
		req := zmqtest.Connect(t, c, zmq4.REQ, ep)
		require.NoError(t, req.Send(ctx, []byte("1")))
		err := req.Send(ctx, []byte("2"))
		require.ErrorIs(t, err, zmq4.EFSM)
		require.ErrorContains(t, err, "a REQ socket alternates")
		err = rep.Send(ctx, []byte("reply before request"))
		require.ErrorIs(t, err, zmq4.EFSM)
		require.ErrorContains(t, err, "a REP socket alternates")
	})
	t.Run("SUBSCRIBE on PULL", func(t *testing.T) {
		_, err := newSock(zmq4.PULL, zmqevented.WithSubscribe("a"))
		require.ErrorIs(t, err, syscall.EINVAL)
		require.ErrorContains(t, err, "SUBSCRIBE applies to SUB and XSUB sockets only, not PULL")
	})
	t.Run("bind to a port that is not a number", func(t *testing.T) {
		s, err := newSock(zmq4.PULL)
		require.NoError(t, err)
		err = s.Bind("tcp://localhost:5555x")
		require.ErrorIs(t, err, syscall.ENODEV)
		require.ErrorContains(t, err, "the port is not a number")
	})
	t.Run("endpoint without transport", func(t *testing.T) {
		s, err := newSock(zmq4.PULL)
		require.NoError(t, err)
		for _, op := range []func(string) error{s.Bind, s.Connect} {
			err = op("127.0.0.1:5555")
			require.ErrorIs(t, err, syscall.EINVAL)
			require.ErrorContains(t, err, "an endpoint is transport://address")
		}
	})
	t.Run("connect to a port that is not a number", func(t *testing.T) {
		s, err := newSock(zmq4.PUSH)
		require.NoError(t, err)
		for _, ep := range []string{"tcp://127.0.0.1:55x5", "tcp://127.0.0.1:", "tcp://localhost", "tcp://127.0.0.1:0;127.0.0.1:http"} {
			err = s.Connect(ep)
			require.ErrorIs(t, err, syscall.EINVAL, ep)
			require.ErrorContains(t, err, "must be a number", ep)
			require.ErrorContains(t, err, ep)
		}
		for _, ep := range []string{"tcp://127.0.0.1:5555", "tcp://[::1]:5555", "tcp://127.0.0.1:0;127.0.0.1:5555"} {
			require.NoError(t, s.Connect(ep), ep)
		}
	})
}

// TestNilContextPanics: a nil context is a programming error, reported by a panic
// that names the call, not a nil dereference deep inside.
func TestNilContextPanics(t *testing.T) {
	c := zmqtest.NewContext(t)
	s, _ := zmqtest.Bind(t, c, zmq4.PAIR, "inproc://"+t.Name())
	var nilCtx context.Context
	for name, call := range map[string]func(){
		"Send":         func() { _ = s.Send(nilCtx, []byte("x")) },
		"Recv":         func() { _, _ = s.Recv(nilCtx) },
		"SendMany":     func() { _, _ = s.SendMany(nilCtx, [][][]byte{{[]byte("x")}}) },
		"RecvMany":     func() { _, _ = s.RecvMany(nilCtx, nil, 1) },
		"WaitReadable": func() { _ = s.WaitReadable(nilCtx) },
		"WaitWritable": func() { _ = s.WaitWritable(nilCtx) },
	} {
		require.PanicsWithValue(t, "zmqevented: "+name+" with a nil context.Context", call, name)
	}
}
