package zmqevented_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestSocketTypes moves a message each way (where the pattern allows) for every socket
// type that has a ZMQ_FD, over every transport.
func TestSocketTypes(t *testing.T) {
	type step struct {
		from, to int // 0: bound, 1: connected
		frames   []string
		want     []string // nil: same as frames
	}
	cases := []struct {
		name   string
		bt, ct zmq4.Type
		copts  []zmqevented.Option
		steps  []step
	}{
		{"PAIR", zmq4.PAIR, zmq4.PAIR, nil, []step{{1, 0, []string{"ping"}, nil}, {0, 1, []string{"pong"}, nil}}},
		{"REQ-REP", zmq4.REP, zmq4.REQ, nil, []step{{1, 0, []string{"req"}, nil}, {0, 1, []string{"rep"}, nil}}},
		{"PUSH-PULL", zmq4.PULL, zmq4.PUSH, nil, []step{{1, 0, []string{"a", "b", "c"}, nil}}},
		{"DEALER-DEALER", zmq4.DEALER, zmq4.DEALER, nil, []step{{1, 0, []string{"x"}, nil}, {0, 1, []string{"y", "z"}, nil}}},
		{"ROUTER-DEALER", zmq4.ROUTER, zmq4.DEALER, []zmqevented.Option{zmqevented.WithRoutingID("peer-1")},
			[]step{{1, 0, []string{"hi"}, []string{"peer-1", "hi"}}, {0, 1, []string{"peer-1", "back"}, []string{"back"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forTransports(t, func(t *testing.T, endpoint string) {
				c := zmqtest.NewContext(t)
				b, cn := zmqtest.Pair(t, c, endpoint, tc.bt, tc.ct, nil, tc.copts)
				socks := []*zmqevented.Socket{b, cn}
				ctx := zmqtest.Ctx(t, 10*time.Second)
				for _, st := range tc.steps {
					require.NoError(t, socks[st.from].SendMessage(ctx, st.frames))
					got, err := socks[st.to].Recv(ctx)
					require.NoError(t, err)
					want := st.want
					if want == nil {
						want = st.frames
					}
					require.Equal(t, want, toStrings(got))
				}
			})
		})
	}
}

func TestPubSub(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		pub, sub := zmqtest.Pair(t, c, endpoint, zmq4.PUB, zmq4.SUB, nil, []zmqevented.Option{zmqevented.WithSubscribe("weather")})
		ctx := zmqtest.Ctx(t, 10*time.Second)
		// PUB drops until the subscription has arrived: publish until the first one lands.
		got := make(chan [][]byte, 1)
		go func() {
			m, err := sub.Recv(ctx)
			if err == nil {
				got <- m
			}
			close(got)
		}()
		var first [][]byte
	publish:
		for {
			require.NoError(t, pub.SendMessage(ctx, "sports", "ignored"))
			require.NoError(t, pub.SendMessage(ctx, "weather", "sunny"))
			select {
			case first = <-got:
				break publish
			case <-time.After(5 * time.Millisecond):
			}
		}
		require.Equal(t, []string{"weather", "sunny"}, toStrings(first))
		// Nothing but weather ever arrives.
		require.NoError(t, pub.SendMessage(ctx, "sports", "ignored"))
		require.NoError(t, pub.SendMessage(ctx, "weather", "rain"))
		for {
			m, err := sub.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, "weather", string(m[0]))
			if string(m[1]) == "rain" {
				break
			}
		}
	})
}

// TestXPubXSub: the subscription travels up from XSUB to XPUB as a message, data comes
// back down. XSUB drops what it sends before a peer is connected, so it subscribes again
// until the XPUB has seen it.
func TestXPubXSub(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		xpub, xsub := zmqtest.Pair(t, c, endpoint, zmq4.XPUB, zmq4.XSUB, nil, nil)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		for {
			require.NoError(t, xsub.Send(ctx, []byte("\x01topic")))
			wait, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
			m, err := xpub.Recv(wait)
			cancel()
			if err == nil {
				require.Equal(t, []string{"\x01topic"}, toStrings(m))
				break
			}
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		require.NoError(t, xpub.SendMessage(ctx, "other", "dropped"))
		require.NoError(t, xpub.SendMessage(ctx, "topic", "kept"))
		m, err := xsub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"topic", "kept"}, toStrings(m))
	})
}

// TestStream talks to a STREAM socket from a plain TCP client.
func TestStream(t *testing.T) {
	c := zmqtest.NewContext(t)
	s, ep := zmqtest.Bind(t, c, zmq4.STREAM, "tcp://127.0.0.1:*")
	conn, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	require.NoError(t, err)
	defer conn.Close()
	ctx := zmqtest.Ctx(t, 10*time.Second)

	hello, err := s.Recv(ctx) // connect notification: [id, ""]
	require.NoError(t, err)
	require.Len(t, hello, 2)
	require.Empty(t, hello[1])
	id := hello[0]

	_, err = conn.Write([]byte("raw bytes"))
	require.NoError(t, err)
	var got []byte
	for len(got) < len("raw bytes") {
		m, err := s.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, id, m[0])
		got = append(got, m[1]...)
	}
	require.Equal(t, "raw bytes", string(got))

	require.NoError(t, s.Send(ctx, id, []byte("reply")))
	buf := make([]byte, 5)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "reply", string(buf))
}

func TestTryAndWait(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "inproc://try", zmq4.PULL, zmq4.PUSH, nil, nil)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	_, err := pull.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock)
	require.ErrorIs(t, err, syscall.EAGAIN)

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, pull.WaitReadable(short), context.DeadlineExceeded)

	require.NoError(t, push.WaitWritable(ctx))
	require.NoError(t, push.TrySend([]byte("one"), []byte("two")))
	require.NoError(t, pull.WaitReadable(ctx))
	m, err := pull.TryRecv()
	require.NoError(t, err)
	require.Equal(t, []string{"one", "two"}, toStrings(m))

	require.ErrorIs(t, push.Send(ctx), zmqevented.ErrNoFrames)
	require.ErrorIs(t, push.TrySend(), zmqevented.ErrNoFrames)
}

func TestSendMessageParts(t *testing.T) {
	got := zmqevented.Frames("a", []byte("b"), []string{"c", "d"}, [][]byte{[]byte("e")}, 42, []string{})
	require.Equal(t, []string{"a", "b", "c", "d", "e", "42"}, toStrings(got))
}

func TestErrors(t *testing.T) {
	c := zmqtest.NewContext(t)
	s, err := c.NewSocket(zmq4.PULL)
	require.NoError(t, err)

	t.Run("unknown scheme", func(t *testing.T) {
		err := s.Bind("carrier-pigeon://nest")
		require.ErrorIs(t, err, syscall.EPROTONOSUPPORT)
		var op *zmqevented.OpError
		require.ErrorAs(t, err, &op)
		require.Equal(t, "bind", op.Op)
		require.Contains(t, err.Error(), "carrier-pigeon://nest")
	})
	t.Run("address in use", func(t *testing.T) {
		require.NoError(t, s.Bind("tcp://127.0.0.1:*"))
		ep, err := s.LastEndpoint()
		require.NoError(t, err)
		other, err := c.NewSocket(zmq4.PULL)
		require.NoError(t, err)
		err = other.Bind(ep)
		require.ErrorIs(t, err, syscall.EADDRINUSE)
		require.Contains(t, err.Error(), ep)
	})
	t.Run("bad connect endpoint", func(t *testing.T) {
		err := s.Connect("tcp://no-port-here")
		require.Error(t, err)
		require.Contains(t, err.Error(), "connect tcp://no-port-here")
	})
	t.Run("invalid option value", func(t *testing.T) {
		_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithSendHWM(-5))
		require.ErrorIs(t, err, syscall.EINVAL)
		require.Contains(t, err.Error(), "SNDHWM")
	})
	t.Run("option for another type", func(t *testing.T) {
		_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithSubscribe("x"))
		require.ErrorIs(t, err, syscall.EINVAL)
		require.Contains(t, err.Error(), "SUBSCRIBE")
	})
	t.Run("negative linger", func(t *testing.T) {
		_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithLinger(-time.Second))
		require.ErrorContains(t, err, "WithLinger")
		_, err = zmqevented.NewContext(zmqevented.WithLinger(-1))
		require.ErrorContains(t, err, "WithLinger")
	})
	t.Run("context option on a socket", func(t *testing.T) {
		_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithIOThreads(2))
		require.ErrorContains(t, err, "Context option")
		_, err = zmqevented.NewContext(zmqevented.WithIOThreads(0))
		require.ErrorContains(t, err, "WithIOThreads(0)")
	})
	t.Run("nil setter", func(t *testing.T) {
		_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithSockopt("X", nil))
		require.ErrorContains(t, err, `WithSockopt("X")`)
	})
	t.Run("state machine", func(t *testing.T) {
		req, err := c.NewSocket(zmq4.REQ)
		require.NoError(t, err)
		_, err = req.Recv(zmqtest.Ctx(t, time.Second))
		require.ErrorIs(t, err, zmq4.EFSM)
	})
	t.Run("closed socket", func(t *testing.T) {
		x, err := c.NewSocket(zmq4.DEALER)
		require.NoError(t, err)
		require.NoError(t, x.Close())
		require.ErrorIs(t, x.Close(), zmqevented.ErrClosed)
		ctx := zmqtest.Ctx(t, time.Second)
		require.ErrorIs(t, x.Send(ctx, []byte("x")), zmqevented.ErrClosed)
		_, err = x.Recv(ctx)
		require.ErrorIs(t, err, zmqevented.ErrClosed)
		require.ErrorIs(t, x.TrySend([]byte("x")), zmqevented.ErrClosed)
		_, err = x.TryRecv()
		require.ErrorIs(t, err, zmqevented.ErrClosed)
		require.ErrorIs(t, x.Bind("inproc://closed"), zmqevented.ErrClosed)
		require.ErrorIs(t, x.WaitReadable(ctx), zmqevented.ErrClosed)
		require.ErrorIs(t, x.With(func(*zmq4.Socket) error { return nil }), zmqevented.ErrClosed)
		_, err = x.LastEndpoint()
		require.ErrorIs(t, err, zmqevented.ErrClosed)
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := errors.New("caller gave up")
		cancel(cause)
		_, err := s.Recv(ctx)
		require.ErrorIs(t, err, cause)
		require.ErrorIs(t, s.WaitReadable(ctx), cause)
	})
}

// TestMaxMsgSize: a tcp peer sending more than MAXMSGSIZE is disconnected; the receiver
// gets nothing of it and keeps serving other peers.
func TestMaxMsgSize(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, []zmqevented.Option{zmqevented.WithMaxMsgSize(1000)}, nil)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, push.Send(ctx, make([]byte, 5000)))
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := pull.Recv(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	ep, err := pull.LastEndpoint()
	require.NoError(t, err)
	good, err := c.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	require.NoError(t, good.Connect(ep))
	require.NoError(t, good.Send(ctx, []byte("small")))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"small"}, toStrings(m))
}

func TestContextLifecycle(t *testing.T) {
	c, err := zmqevented.NewContext(zmqevented.WithLinger(0), zmqevented.WithIOThreads(2), zmqevented.WithMaxSockets(64))
	require.NoError(t, err)
	s, err := c.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Close(), zmqevented.ErrClosed)
	_, err = c.NewSocket(zmq4.PUSH)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.ErrorIs(t, s.TrySend([]byte("x")), zmqevented.ErrClosed)
	require.Equal(t, zmq4.PUSH, s.Type())
}

// TestContextCloseWithQueuedMessages: unsent messages bound for a peer that never
// answers do not make Context.Close hang; it returns within the linger.
func TestContextCloseWithQueuedMessages(t *testing.T) {
	c, err := zmqevented.NewContext(zmqevented.WithLinger(200 * time.Millisecond))
	require.NoError(t, err)
	push, err := c.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	// A listener that accepts but never speaks ZMTP: the connection exists, the messages queue.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	require.NoError(t, push.Connect("tcp://"+ln.Addr().String()))
	for i := 0; i < 100; i++ {
		require.NoError(t, push.Send(zmqtest.Ctx(t, time.Second), []byte("queued")))
	}
	start := time.Now()
	require.NoError(t, c.Close())
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestWrap(t *testing.T) {
	zctx, err := zmq4.NewContext()
	require.NoError(t, err)
	rawPull, err := zctx.NewSocket(zmq4.PULL)
	require.NoError(t, err)
	rawPush, err := zctx.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	pull, err := zmqevented.Wrap(rawPull, zmqevented.WithLinger(0))
	require.NoError(t, err)
	push, err := zmqevented.Wrap(rawPush, zmqevented.WithLinger(0))
	require.NoError(t, err)
	require.NoError(t, pull.Bind("inproc://wrapped"))
	require.NoError(t, push.Connect("inproc://wrapped"))
	ctx := zmqtest.Ctx(t, 10*time.Second)

	mon, err := pull.Monitor(ctx, zmq4.EVENT_ALL, 16)
	require.NoError(t, err)

	require.NoError(t, push.Send(ctx, []byte("via wrap")))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"via wrap"}, toStrings(m))

	_, err = zmqevented.Wrap(nil)
	require.Error(t, err)
	rawBad, err := zctx.NewSocket(zmq4.PULL)
	require.NoError(t, err)
	_, err = zmqevented.Wrap(rawBad, zmqevented.WithMaxSockets(3))
	require.ErrorContains(t, err, "Context option")
	require.ErrorIs(t, rawBad.Bind("inproc://x"), zmq4.ErrorSocketClosed, "a failed Wrap still owns the socket: it closed it")

	require.NoError(t, mon.Close())
	require.ErrorIs(t, mon.Close(), zmqevented.ErrClosed)
	require.NoError(t, pull.Close())
	require.NoError(t, push.Close())
	require.NoError(t, zctx.Term())
}

// TestWithRechecksWaiters: a Recv waiting on a SUB with no subscription gets the message
// once With subscribes it, and With's error comes back.
func TestWithRechecksWaiters(t *testing.T) {
	c := zmqtest.NewContext(t)
	pub, sub := zmqtest.Pair(t, c, "inproc://with", zmq4.PUB, zmq4.SUB, nil, nil)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	got := make(chan []string, 1)
	go func() {
		m, err := sub.Recv(ctx)
		if err != nil {
			got <- []string{err.Error()}
			return
		}
		got <- toStrings(m)
	}()
	require.NoError(t, sub.With(func(raw *zmq4.Socket) error { return raw.SetSubscribe("") }))
	boom := errors.New("boom")
	require.ErrorIs(t, sub.With(func(*zmq4.Socket) error { return boom }), boom)
	for {
		require.NoError(t, pub.Send(ctx, []byte("now")))
		select {
		case m := <-got:
			require.Equal(t, []string{"now"}, m)
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// nextEvent returns the next event of mon within 10 s.
func nextEvent(t *testing.T, mon *zmqevented.Monitor) zmqevented.MonitorEvent {
	t.Helper()
	select {
	case ev, ok := <-mon.C():
		require.True(t, ok, "the subscription ended")
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no monitor event")
	}
	return zmqevented.MonitorEvent{}
}

// nextEventOf skips events until one of kind e.
func nextEventOf(t *testing.T, mon *zmqevented.Monitor, e zmq4.Event) zmqevented.MonitorEvent {
	t.Helper()
	for {
		if ev := nextEvent(t, mon); ev.Event == e {
			return ev
		}
	}
}

func TestMonitorReportsConnect(t *testing.T) {
	c := zmqtest.NewContext(t)
	s, ep := zmqtest.Bind(t, c, zmq4.PULL, "tcp://127.0.0.1:*")
	mon, err := s.Monitor(t.Context(), zmq4.EVENT_ACCEPTED|zmq4.EVENT_DISCONNECTED, 16)
	require.NoError(t, err)
	peer, err := c.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	require.NoError(t, peer.Connect(ep))
	ev := nextEvent(t, mon)
	require.Equal(t, zmq4.EVENT_ACCEPTED, ev.Event)
	require.Equal(t, ep, ev.Endpoint)
	require.Equal(t, 1, mon.Peers())
	require.NoError(t, peer.Close())
	ev = nextEvent(t, mon)
	require.Equal(t, zmq4.EVENT_DISCONNECTED, ev.Event)
	require.Equal(t, 0, mon.Peers())
	require.Contains(t, ev.String(), ep)

	_, err = s.Monitor(t.Context(), zmq4.EVENT_ALL, 0)
	require.ErrorContains(t, err, "buffer 0")
}

// TestMonitorSubscribers: one libzmq monitor serves any number of subscribers on one
// socket, each with its own mask, queue and end. A subscriber that never reads loses
// events for itself alone (counted); the others, libzmq's I/O thread and the socket
// carry on; one that leaves ends alone; a late one sees what follows.
func TestMonitorSubscribers(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "tcp://127.0.0.1:*")
	stuck, err := pull.Monitor(t.Context(), zmq4.EVENT_ALL, 4) // never read
	require.NoError(t, err)
	leaving, cancel := context.WithCancel(t.Context())
	left, err := pull.Monitor(leaving, zmq4.EVENT_ALL, 4)
	require.NoError(t, err)
	accepts, err := pull.Monitor(t.Context(), zmq4.EVENT_ACCEPTED, 2000)
	require.NoError(t, err)
	cancel()
	_, open := <-left.C()
	require.False(t, open, "a cancelled subscription ends")

	const conns = 700 // each is at least two events: more than a monitor socket's RCVHWM
	addr := strings.TrimPrefix(ep, "tcp://")
	for range conns {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	}
	for range conns {
		require.Equal(t, zmq4.EVENT_ACCEPTED, nextEvent(t, accepts).Event)
	}
	require.Zero(t, accepts.Dropped())
	require.Positive(t, stuck.Dropped())
	require.Len(t, stuck.C(), 4)

	late, err := pull.Monitor(t.Context(), zmq4.EVENT_ACCEPTED, 16)
	require.NoError(t, err)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
	require.Equal(t, ep, nextEvent(t, late).Endpoint)
	require.NoError(t, push.Send(ctx, []byte("still works")))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "still works", string(m[0]))
}

// TestMonitorEndsWithSocket: closing the socket ends every subscription, the last
// event MONITOR_STOPPED whatever the mask, and leaves no monitor behind (goleak and
// the context's Term check it); a closed socket refuses Monitor.
func TestMonitorEndsWithSocket(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "tcp://127.0.0.1:*")
	a, err := pull.Monitor(t.Context(), zmq4.EVENT_ACCEPTED, 16)
	require.NoError(t, err)
	b, err := pull.Monitor(t.Context(), zmq4.EVENT_ALL, 16)
	require.NoError(t, err)
	zmqtest.Connect(t, c, zmq4.PUSH, ep)
	nextEventOf(t, a, zmq4.EVENT_ACCEPTED)
	require.NoError(t, pull.Close())
	for _, mon := range []*zmqevented.Monitor{a, b} {
		var last zmqevented.MonitorEvent
		for ev := range mon.C() {
			last = ev
		}
		require.Equal(t, zmq4.EVENT_MONITOR_STOPPED, last.Event)
	}
	_, err = pull.Monitor(t.Context(), zmq4.EVENT_ALL, 1)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
}

// TestLargeMessage: a 16 MiB message round trip, content intact.
func TestLargeMessage(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		router, dealer := zmqtest.Pair(t, c, endpoint, zmq4.ROUTER, zmq4.DEALER, nil, nil)
		ctx := zmqtest.Ctx(t, 30*time.Second)
		big := make([]byte, 16<<20)
		for i := range big {
			big[i] = byte(i * 7)
		}
		require.NoError(t, dealer.Send(ctx, []byte("head"), big))
		m, err := router.Recv(ctx)
		require.NoError(t, err)
		require.Len(t, m, 3)
		require.Equal(t, "head", string(m[1]))
		require.True(t, bytes.Equal(big, m[2]))
		require.NoError(t, router.Send(ctx, m...))
		back, err := dealer.Recv(ctx)
		require.NoError(t, err)
		require.Len(t, back, 2)
		require.True(t, bytes.Equal(big, back[1]))
	})
}

func toStrings(m [][]byte) []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out
}
