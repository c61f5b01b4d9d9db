package zmqsink_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

func TestNewRejects(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, err := c.NewSocket(zmq4.PUSH)
	require.NoError(t, err)
	pull, err := c.NewSocket(zmq4.PULL)
	require.NoError(t, err)
	sub, err := c.NewSocket(zmq4.SUB)
	require.NoError(t, err)
	cases := []struct {
		name string
		s    *zmqevented.Socket
		opts []zmqsink.Option
		want string
	}{
		{"nil socket", nil, nil, "nil socket"},
		{"PULL", pull, nil, "cannot send"},
		{"SUB", sub, nil, "cannot send"},
		{"zero queue", push, []zmqsink.Option{zmqsink.WithQueue(0)}, "WithQueue(0)"},
		{"negative queue", push, []zmqsink.Option{zmqsink.WithQueue(-3)}, "WithQueue(-3)"},
		{"peer tracking on PUSH", push, []zmqsink.Option{zmqsink.WithPeerTracking(true)}, "WithPeerTracking"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := zmqsink.New(tc.s, tc.opts...)
			require.Nil(t, k)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// New left the socket alone: it still works.
	require.NoError(t, push.Bind("inproc://"+t.Name()))
}

// TestSendReceive moves messages of one and several frames through a sink over every
// transport and checks content and order.
func TestSendReceive(t *testing.T) {
	for name, endpoint := range zmqtest.Endpoints(t) {
		t.Run(name, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pull, ep := zmqtest.Bind(t, c, zmq4.PULL, endpoint)
			push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
			k := newSink(t, push)
			ctx := zmqtest.Ctx(t, 10*time.Second)
			const n = 500
			for i := range n {
				frames := [][]byte{seq(uint64(i))}
				if i%3 == 0 {
					frames = append(frames, []byte("tail"), nil)
				}
				require.NoError(t, k.Send(ctx, frames...))
			}
			require.NoError(t, k.Flush(ctx))
			for i := range n {
				m, err := pull.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, uint64(i), unseq(t, m[0]))
				if i%3 == 0 {
					require.Equal(t, [][]byte{seq(uint64(i)), []byte("tail"), {}}, m)
				} else {
					require.Len(t, m, 1)
				}
			}
			st := k.Stats()
			require.Equal(t, zmqsink.Stats{Accepted: n, Sent: n, Peers: -1}, st)
			require.NoError(t, k.Shutdown(ctx))
			require.ErrorIs(t, k.Shutdown(ctx), zmqsink.ErrClosed)
			require.NoError(t, push.Send(ctx, []byte("x")), "the socket stays the caller's by default")
		})
	}
}

// TestReserve: Reserve blocks at capacity and honours its context, TryReserve returns
// ErrFull, Release and Permit.Send give slots back, and a permit works once.
func TestReserve(t *testing.T) {
	c := zmqtest.NewContext(t)
	// A PUSH without a peer takes nothing: every accepted message stays in the queue.
	push, ep := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push, zmqsink.WithQueue(4))
	ctx := zmqtest.Ctx(t, 10*time.Second)

	permits := make([]*zmqsink.Permit, 4)
	for i := range permits {
		p, err := k.Reserve(ctx)
		require.NoError(t, err)
		permits[i] = p
	}
	require.Equal(t, 4, k.Stats().Reserved)

	_, err := k.TryReserve()
	require.ErrorIs(t, err, zmqsink.ErrFull)
	require.ErrorIs(t, err, syscall.EAGAIN)

	t.Run("deadline", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		p, err := k.Reserve(dctx)
		require.Nil(t, p)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.GreaterOrEqual(t, time.Since(start), 45*time.Millisecond, "Reserve returned before its deadline")
	})
	t.Run("cancel cause", func(t *testing.T) {
		cause := errors.New("shutting down")
		cctx, cancel := context.WithCancelCause(ctx)
		go func() { time.Sleep(10 * time.Millisecond); cancel(cause) }()
		_, err := k.Reserve(cctx)
		require.ErrorIs(t, err, cause)
		require.ErrorIs(t, k.Send(cctx, []byte("not accepted")), cause)
	})
	t.Run("Send blocks too", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, k.Send(dctx, []byte("not accepted")), context.DeadlineExceeded)
	})
	st := k.Stats()
	require.Equal(t, uint64(0), st.Accepted, "cancelled calls accepted nothing")
	require.Equal(t, 4, st.Reserved, "cancelled calls took no slot")

	// A waiting Reserve gets the slot Release gives back; a second Release is a no-op.
	got := make(chan *zmqsink.Permit)
	go func() {
		p, err := k.Reserve(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	select {
	case <-got:
		t.Fatal("Reserve did not block at capacity")
	case <-time.After(20 * time.Millisecond):
	}
	permits[0].Release()
	permits[0].Release()
	permits[0] = <-got
	require.Equal(t, 4, k.Stats().Reserved)
	_, err = k.TryReserve()
	require.ErrorIs(t, err, zmqsink.ErrFull, "the double Release freed nothing")

	// A permit carries one message; an empty message leaves it usable.
	require.ErrorIs(t, permits[1].Send(), zmqevented.ErrNoFrames)
	require.NoError(t, permits[1].Send([]byte("first")))
	require.ErrorIs(t, permits[1].Send([]byte("again")), zmqsink.ErrPermitUsed)
	permits[1].Release() // no-op after Send: the slot belongs to the queued message
	require.NoError(t, permits[2].Send([]byte("second"), []byte("2b")))
	st = k.Stats()
	require.Equal(t, uint64(2), st.Accepted)
	require.Equal(t, 2, st.Queued)
	require.Equal(t, 2, st.Reserved)
	_, err = k.TryReserve()
	require.ErrorIs(t, err, zmqsink.ErrFull, "queued messages hold their slots")

	// A peer drains the queue: the slots come back.
	pull := zmqtest.Connect(t, c, zmq4.PULL, ep)
	for _, want := range [][][]byte{{[]byte("first")}, {[]byte("second"), []byte("2b")}} {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, m)
	}
	require.NoError(t, k.Flush(ctx))
	p, err := k.TryReserve()
	require.NoError(t, err)
	require.Equal(t, 3, k.Stats().Reserved)

	// Close refuses unused permits and waiting calls.
	require.NoError(t, permits[3].Send([]byte("third")))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("third")}, m)
	require.NoError(t, k.Shutdown(ctx))
	require.ErrorIs(t, p.Send([]byte("late")), zmqsink.ErrClosed)
	require.ErrorIs(t, permits[0].Send([]byte("late")), zmqevented.ErrClosed)
	_, err = k.Reserve(ctx)
	require.ErrorIs(t, err, zmqsink.ErrClosed)
	_, err = k.TryReserve()
	require.ErrorIs(t, err, zmqsink.ErrClosed)
	require.ErrorIs(t, k.Send(ctx, []byte("late")), zmqsink.ErrClosed)
	require.ErrorIs(t, k.Flush(ctx), zmqsink.ErrClosed)
	st = k.Stats()
	requireInvariant(t, st)
	require.Equal(t, uint64(3), st.Sent)
	require.Zero(t, st.Reserved)
}

// TestCloseRefusesWaiters: a Reserve waiting when Close begins returns ErrClosed.
func TestCloseRefusesWaiters(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push, zmqsink.WithQueue(1))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, k.Send(ctx, []byte("stuck")))
	errc := make(chan error, 1)
	go func() { errc <- k.Send(ctx, []byte("waits")) }()
	time.Sleep(10 * time.Millisecond)
	expired, cancel := context.WithCancel(ctx)
	cancel()
	err := k.Shutdown(expired)
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.Equal(t, [][][]byte{{[]byte("stuck")}}, se.Messages)
	require.ErrorIs(t, <-errc, zmqsink.ErrClosed)
}

// TestConcurrentSenders: 16 goroutines send through one sink; every message arrives
// exactly once and each goroutine's messages in its order.
func TestConcurrentSenders(t *testing.T) {
	for _, name := range []string{"inproc", "tcp"} {
		t.Run(name, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pull, ep := zmqtest.Bind(t, c, zmq4.PULL, zmqtest.Endpoints(t)[name], zmqevented.WithRecvHWM(20))
			push := zmqtest.Connect(t, c, zmq4.PUSH, ep, zmqevented.WithSendHWM(20))
			k := newSink(t, push, zmqsink.WithQueue(8))
			ctx := zmqtest.Ctx(t, 30*time.Second)
			const senders, each = 16, 3000

			var wg sync.WaitGroup
			for g := range senders {
				wg.Go(func() {
					for i := range each {
						if err := k.Send(ctx, []byte{byte(g)}, seq(uint64(i))); err != nil {
							t.Error(err)
							return
						}
						if i%500 == 0 {
							p, err := k.Reserve(ctx) // mix in permits
							if err != nil {
								t.Error(err)
								return
							}
							p.Release()
						}
					}
				})
			}
			next := make([]uint64, senders)
			for range senders * each {
				m, err := pull.Recv(ctx)
				require.NoError(t, err)
				require.Len(t, m, 2)
				g := int(m[0][0])
				require.Less(t, g, senders)
				require.Equal(t, next[g], unseq(t, m[1]), "sender %d out of order", g)
				next[g]++
			}
			wg.Wait()
			require.NoError(t, k.Flush(ctx))
			for g := range senders {
				require.Equal(t, uint64(each), next[g])
			}
			_, err := pull.TryRecv()
			require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "no duplicates")
			st := k.Stats()
			require.Equal(t, zmqsink.Stats{Accepted: senders * each, Sent: senders * each, Peers: -1}, st)
		})
	}
}

// TestCloseFlushes: Close with queued messages hands them all to libzmq within its
// context, and with WithCloseSocket(false) leaves the socket open.
func TestCloseFlushes(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, ep := zmqtest.Bind(t, c, zmq4.PUSH, "tcp://127.0.0.1:*", zmqevented.WithSendHWM(5))
	k := newSink(t, push, zmqsink.WithQueue(64), zmqsink.WithCloseSocket(false))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 50
	for i := range n {
		require.NoError(t, k.Send(ctx, seq(uint64(i))))
	}
	require.Equal(t, n, k.Stats().Queued, "no peer: everything waits in the queue")

	closed := make(chan error, 1)
	go func() { closed <- k.Shutdown(ctx) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before its messages could be sent", err)
	case <-time.After(30 * time.Millisecond):
	}
	require.ErrorIs(t, k.Send(ctx, []byte("late")), zmqsink.ErrClosed, "Close stops accepting at once")

	pull := zmqtest.Connect(t, c, zmq4.PULL, ep, zmqevented.WithRecvHWM(5))
	for i := range n {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, [][]byte{seq(uint64(i))}, m)
	}
	require.NoError(t, <-closed)
	st := k.Stats()
	require.Equal(t, zmqsink.Stats{Accepted: n, Sent: n, Peers: -1}, st)
	// The socket is still the caller's.
	require.NoError(t, push.Send(ctx, []byte("after")))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "after", string(m[0]))
	require.NoError(t, push.Close())
}

// TestCloseExpired: Close with an expired context returns every unsent message, in
// order, both those the writer held and those still queued.
func TestCloseExpired(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push) // 64 slots; the writer takes 16 at a time
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 40
	var want [][][]byte
	for i := range n {
		m := [][]byte{seq(uint64(i)), []byte("payload")}
		want = append(want, m)
		require.NoError(t, k.Send(ctx, m...))
	}
	eventually(t, 5*time.Second, func() bool { return k.Stats().Queued == n }, "all queued")

	expired, cancel := context.WithTimeout(ctx, -time.Second)
	defer cancel()
	err := k.Shutdown(expired)
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, want, se.Messages)
	require.Zero(t, se.Omitted)
	require.Contains(t, err.Error(), "40 message(s) not sent")
	st := k.Stats()
	require.Equal(t, zmqsink.Stats{Accepted: n, Failed: n, Peers: -1}, st)
	require.ErrorIs(t, k.Shutdown(ctx), zmqsink.ErrClosed)
	require.NoError(t, k.Err(), "Close is not a transport failure")
	require.ErrorIs(t, context.Cause(k.Context()), zmqsink.ErrClosed)
}

// TestCloseIsAbrupt: Close hands back at once, in a *SendError matching ErrClosed,
// every message not yet handed to libzmq, and closes the socket with
// WithCloseSocket(true).
func TestCloseIsAbrupt(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push, zmqsink.WithCloseSocket(true))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 10
	for i := range n {
		require.NoError(t, k.Send(ctx, seq(uint64(i))))
	}
	eventually(t, 5*time.Second, func() bool { return k.Stats().Queued == n }, "all queued")
	err := k.Close()
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, zmqsink.ErrClosed)
	require.Len(t, se.Messages, n)
	require.ErrorIs(t, k.Close(), zmqsink.ErrClosed)
	require.ErrorIs(t, k.Shutdown(ctx), zmqsink.ErrClosed)
	require.ErrorIs(t, push.Send(ctx, []byte("x")), zmqevented.ErrClosed, "WithCloseSocket(true) closes it")
}

// TestFlushWhenCloseGivesUp: a Flush waiting when Close runs out of time must not
// report success for the messages Close gave up on; messages sent before stay
// reported as sent.
func TestFlushWhenCloseGivesUp(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 30
	for i := range n {
		require.NoError(t, k.Send(ctx, seq(uint64(i))))
	}
	eventually(t, 5*time.Second, func() bool { return k.Stats().Queued == n }, "all queued")
	flushed := make(chan error, 1)
	go func() { flushed <- k.Flush(ctx) }()
	eventually(t, 5*time.Second, func() bool { return len(flushed) == 0 }, "Flush waits")
	time.Sleep(10 * time.Millisecond)

	expired, cancel := context.WithTimeout(ctx, -time.Second)
	defer cancel()
	var se *zmqsink.SendError
	require.ErrorAs(t, k.Shutdown(expired), &se)
	require.Len(t, se.Messages, n)
	err := <-flushed
	require.Error(t, err, "Flush claimed the messages Close gave up on were handed to libzmq")
	require.ErrorIs(t, err, zmqsink.ErrClosed)
	require.Contains(t, err.Error(), "30")
}

// TestFlushHonoursContext: Flush waits for the hand-off, returns the context's cause
// when it ends first, and loses nothing by it.
func TestFlushHonoursContext(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, ep := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, k.Send(ctx, []byte("a")))
	dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, k.Flush(dctx), context.DeadlineExceeded)
	require.Equal(t, 1, k.Stats().Queued)

	flushed := make(chan error, 1)
	go func() { flushed <- k.Flush(ctx) }()
	pull := zmqtest.Connect(t, c, zmq4.PULL, ep)
	require.NoError(t, <-flushed)
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "a", string(m[0]))
	require.NoError(t, k.Flush(ctx), "nothing pending")
}

// TestStickyFailure: a transport error met by the writer fails the sink; the queued
// messages come back once, and every later call returns the error.
func TestStickyFailure(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 30
	for i := range n {
		require.NoError(t, k.Send(ctx, seq(uint64(i))))
	}
	require.NoError(t, push.Close()) // under the sink's feet

	select {
	case <-k.Context().Done():
	case <-ctx.Done():
		t.Fatal("the sink did not fail when its socket was closed")
	}
	require.ErrorIs(t, k.Err(), zmqevented.ErrClosed)
	require.ErrorIs(t, context.Cause(k.Context()), zmqevented.ErrClosed)
	require.ErrorIs(t, k.Send(ctx, []byte("x")), zmqevented.ErrClosed)
	_, err := k.Reserve(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClosed)

	err = k.Flush(ctx)
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.Len(t, se.Messages, n)
	for i, m := range se.Messages {
		require.Equal(t, [][]byte{seq(uint64(i))}, m)
	}
	st := k.Stats()
	require.Equal(t, zmqsink.Stats{Accepted: n, Failed: n, Peers: -1}, st)

	// Returned once: later reports carry the error alone.
	err = k.Flush(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.False(t, errors.As(err, &se))
	err = k.Shutdown(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.False(t, errors.As(err, &se))
}

// TestStickyFailureFastPath: a transport error met by Send itself (REQ refuses a second
// request with EFSM) is returned to that Send, which accepted nothing, and sticks.
func TestStickyFailureFastPath(t *testing.T) {
	c := zmqtest.NewContext(t)
	rep, ep := zmqtest.Bind(t, c, zmq4.REP, "inproc://"+t.Name())
	req := zmqtest.Connect(t, c, zmq4.REQ, ep)
	k := newSink(t, req)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, k.Send(ctx, []byte("q1")))
	m, err := rep.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "q1", string(m[0]))

	err = k.Send(ctx, []byte("q2"))
	require.ErrorIs(t, err, zmq4.EFSM)
	var oe *zmqevented.OpError
	require.ErrorAs(t, err, &oe)
	require.ErrorIs(t, k.Err(), zmq4.EFSM)
	require.ErrorIs(t, k.Send(ctx, []byte("q3")), zmq4.EFSM)
	require.Equal(t, zmqsink.Stats{Accepted: 1, Sent: 1, Peers: -1}, k.Stats())
	require.ErrorIs(t, k.Flush(ctx), zmq4.EFSM)
	require.ErrorIs(t, k.Shutdown(ctx), zmq4.EFSM)
}

// TestMidMessagePeerDeath sends 200-frame messages to PUSH peers that keep going away.
// libzmq discards a message whose peer dies between its frames: the sink reports each
// such message (counted in Dropped, returned by Flush), never leaves half a message to
// swallow the next, and every message a peer receives is whole.
func TestMidMessagePeerDeath(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, ep := zmqtest.Bind(t, c, zmq4.PUSH, "tcp://127.0.0.1:*", zmqevented.WithSendHWM(10))
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 60*time.Second)
	const frames = 200
	message := func(i uint64) [][]byte {
		m := make([][]byte, frames)
		m[0] = seq(i)
		for j := 1; j < frames; j++ {
			m[j] = []byte{byte(j), byte(i)}
		}
		return m
	}

	received := make(map[uint64]bool)
	check := func(m [][]byte) {
		require.Len(t, m, frames, "a received message is whole")
		i := unseq(t, m[0])
		require.Equal(t, message(i), m)
		require.False(t, received[i], "message %d received twice", i)
		received[i] = true
	}

	stop := make(chan struct{})
	var sender sync.WaitGroup
	var sentN uint64
	sender.Go(func() {
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				sentN = i
				return
			default:
			}
			if err := k.Send(ctx, message(i)...); err != nil {
				t.Error(err)
				sentN = i
				return
			}
		}
	})
	for round := 0; round < 2000 && (round < 20 || k.Stats().Dropped == 0); round++ {
		pull := zmqtest.Connect(t, c, zmq4.PULL, ep, zmqevented.WithRecvHWM(5))
		for range 3 {
			m, err := pull.Recv(ctx)
			require.NoError(t, err)
			check(m)
		}
		require.NoError(t, pull.Close()) // whatever sits in its pipe is lost, as ZeroMQ does
	}
	close(stop)
	// A last peer takes everything else.
	pull := zmqtest.Connect(t, c, zmq4.PULL, ep)
	sender.Wait()
	var report error
	flushed := make(chan struct{})
	go func() { report = k.Flush(ctx); close(flushed) }()
	var total int
	for done := false; !done; {
		select {
		case <-flushed:
			done = true
		default:
		}
		if m, err := pull.TryRecv(); err == nil {
			check(m)
			total++
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}

	st := k.Stats()
	requireInvariant(t, st)
	require.Equal(t, sentN, st.Accepted)
	require.NotZero(t, st.Dropped, "no mid-message drop in 2000 peer deaths")
	require.Zero(t, st.Failed)
	var se *zmqsink.SendError
	require.ErrorAs(t, report, &se)
	require.ErrorIs(t, report, zmqevented.ErrMessageDropped)
	require.Equal(t, int(st.Dropped), len(se.Messages)+se.Omitted)
	for _, m := range se.Messages {
		require.Equal(t, message(unseq(t, m[0])), m, "a dropped message comes back whole")
		require.False(t, received[unseq(t, m[0])], "a dropped message reached no peer")
	}
	require.NoError(t, k.Flush(ctx), "each drop is reported once")
	t.Logf("accepted %d, dropped mid-message %d, received %d (last peer %d)", st.Accepted, st.Dropped, len(received), total)
}

// TestXPubNoDrop: an XPUB with XPUB_NODROP waits while its subscriber lags, without
// spinning, and loses nothing.
func TestXPubNoDrop(t *testing.T) {
	c := zmqtest.NewContext(t)
	// inproc: over tcp or ipc the kernel's socket buffers would hold thousands of small
	// messages between the HWMs, and the subscriber's stall would not reach the sink.
	xpub, ep := zmqtest.Bind(t, c, zmq4.XPUB, "inproc://"+t.Name(), zmqevented.WithXPubNoDrop(true), zmqevented.WithSendHWM(10))
	sub := zmqtest.Connect(t, c, zmq4.SUB, ep, zmqevented.WithSubscribe(""), zmqevented.WithRecvHWM(10))
	ctx := zmqtest.Ctx(t, 30*time.Second)
	m, err := xpub.Recv(ctx) // the subscription has arrived: nothing is dropped for want of it
	require.NoError(t, err)
	require.Equal(t, [][]byte{{1}}, m)
	const slots = 16
	k := newSink(t, xpub, zmqsink.WithQueue(slots))

	const n = 3000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if err := k.Send(ctx, seq(uint64(i))); err != nil {
				t.Error(err)
				return
			}
		}
	})
	recv := func(from, to int) {
		for i := from; i < to; i++ {
			m, err := sub.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, [][]byte{seq(uint64(i))}, m)
		}
	}
	recv(0, 100)

	// The subscriber stalls for a second: the sink fills up and waits.
	eventually(t, 5*time.Second, func() bool { return k.Stats().Queued == slots }, "the sink to fill up")
	before := cpuTime(t)
	start := time.Now()
	time.Sleep(time.Second)
	used, wall := cpuTime(t)-before, time.Since(start)
	st := k.Stats()
	require.Equal(t, slots, st.Queued, "the sink is still full: it waited and dropped nothing")
	require.Less(t, used, wall/20, "CPU time during a %v stall: %v (>= 5%% of a core: spinning)", wall, used)
	t.Logf("CPU during a %v stall: %v", wall, used)

	recv(100, n)
	wg.Wait()
	require.NoError(t, k.Flush(ctx))
	require.Equal(t, zmqsink.Stats{Accepted: n, Sent: n, Peers: -1}, k.Stats())
	_, err = sub.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock)
}

// cpuTime returns the user plus system CPU time the process has used.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPubWithoutSubscribers: with WithPeerTracking, what a PUB sends while no peer is
// connected is counted as dropped; with a subscriber it is sent and received.
func TestPubWithoutSubscribers(t *testing.T) {
	for _, name := range []string{"tcp", "ipc"} {
		t.Run(name, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pub, err := c.NewSocket(zmq4.PUB)
			require.NoError(t, err)
			k := newSink(t, pub, zmqsink.WithPeerTracking(true))
			require.NoError(t, pub.Bind(zmqtest.Endpoints(t)[name]))
			ep, err := pub.LastEndpoint()
			require.NoError(t, err)
			ctx := zmqtest.Ctx(t, 20*time.Second)

			for i := range 100 {
				require.NoError(t, k.Send(ctx, seq(uint64(i))))
			}
			require.NoError(t, k.Flush(ctx), "drops for want of a peer are counted, not returned")
			require.Equal(t, zmqsink.Stats{Accepted: 100, Dropped: 100}, k.Stats())

			sub := zmqtest.Connect(t, c, zmq4.SUB, ep, zmqevented.WithSubscribe(""))
			eventually(t, 5*time.Second, func() bool { return k.Stats().Peers == 1 }, "the monitor to see the subscriber")
			// The subscription travels after the connection: publish until one lands.
			var first uint64
			for i := uint64(1000); ; i++ {
				require.NoError(t, k.Send(ctx, seq(i)))
				if m, err := sub.TryRecv(); err == nil {
					first = unseq(t, m[0])
					break
				}
				time.Sleep(time.Millisecond)
			}
			require.GreaterOrEqual(t, first, uint64(1000))
			for i := range uint64(100) {
				require.NoError(t, k.Send(ctx, seq(5000+i)))
			}
			for i := uint64(0); i < 100; {
				m, err := sub.Recv(ctx)
				require.NoError(t, err)
				if unseq(t, m[0]) < 5000 {
					continue // the tail of the warm-up
				}
				require.Equal(t, 5000+i, unseq(t, m[0]))
				i++
			}
			st := k.Stats()
			requireInvariant(t, st)
			require.Equal(t, uint64(100), st.Dropped)
			require.GreaterOrEqual(t, st.Sent, uint64(101))

			require.NoError(t, sub.Close())
			eventually(t, 5*time.Second, func() bool { return k.Stats().Peers == 0 }, "the monitor to see the subscriber leave")
			for i := range 10 {
				require.NoError(t, k.Send(ctx, seq(uint64(9000+i))))
			}
			require.NoError(t, k.Flush(ctx))
			after := k.Stats()
			require.Equal(t, st.Dropped+10, after.Dropped)
			require.Equal(t, st.Sent, after.Sent)
			require.NoError(t, k.Shutdown(ctx))
		})
	}
}

// TestPubWithoutTracking documents the default: libzmq drops silently and so does the
// count.
func TestPubWithoutTracking(t *testing.T) {
	c := zmqtest.NewContext(t)
	pub, _ := zmqtest.Bind(t, c, zmq4.PUB, "inproc://"+t.Name())
	k := newSink(t, pub)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	for i := range 10 {
		require.NoError(t, k.Send(ctx, seq(uint64(i))))
	}
	require.NoError(t, k.Flush(ctx))
	require.Equal(t, zmqsink.Stats{Accepted: 10, Sent: 10, Peers: -1}, k.Stats())
}

// TestRouterMandatory: a message for an unknown peer is refused (EHOSTUNREACH), counted
// and returned by Flush; the sink carries on.
func TestRouterMandatory(t *testing.T) {
	c := zmqtest.NewContext(t)
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name(), zmqevented.WithRouterMandatory(true))
	dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep, zmqevented.WithRoutingID("known"))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, dealer.Send(ctx, []byte("hello"))) // the router learns the peer
	m, err := router.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "known", string(m[0]))
	k := newSink(t, router)

	require.NoError(t, k.Send(ctx, []byte("nobody"), []byte("lost")))
	require.NoError(t, k.Send(ctx, []byte("known"), []byte("kept")))
	err = k.Flush(ctx)
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, syscall.EHOSTUNREACH)
	require.Equal(t, [][][]byte{{[]byte("nobody"), []byte("lost")}}, se.Messages)
	m, err = dealer.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "kept", string(m[0]))
	require.NoError(t, k.Err())
	require.Equal(t, zmqsink.Stats{Accepted: 2, Sent: 1, Dropped: 1, Peers: -1}, k.Stats())
}

// TestDropLogging: messages a ROUTER_MANDATORY sink cannot route are logged one line
// per batch, not per message, and only the first line after a report is at warn
// level: a stream of messages for unknown peers does not flood the log. The lines
// still account for every drop, and after Flush reports them the next drop warns
// again.
func TestDropLogging(t *testing.T) {
	const n = 40
	dropLines := func(logs *observer.ObservedLogs) (lines, warns, total int) {
		for _, e := range logs.FilterMessageSnippet("messages not sent").All() {
			lines++
			if e.Level == zapcore.WarnLevel {
				warns++
			}
			m, _ := e.ContextMap()["messages"].(int64)
			total += int(m)
			require.Contains(t, e.ContextMap()["error"], syscall.EHOSTUNREACH.Error())
		}
		return lines, warns, total
	}
	flushDrops := func(t *testing.T, ctx context.Context, k *zmqsink.Sink) {
		t.Helper()
		var se *zmqsink.SendError
		require.ErrorAs(t, k.Flush(ctx), &se)
		require.Len(t, se.Messages, n)
		require.ErrorIs(t, se, syscall.EHOSTUNREACH)
	}

	t.Run("fast path", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		router, _ := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name(), zmqevented.WithRouterMandatory(true))
		core, logs := observer.New(zapcore.DebugLevel)
		k := newSink(t, router, zmqsink.WithQueue(n), zmqsink.WithLogger(zap.New(core)))
		ctx := zmqtest.Ctx(t, 10*time.Second)
		for i := range n { // nothing queued: each Send meets EHOSTUNREACH itself
			require.NoError(t, k.Send(ctx, []byte("nobody"), seq(uint64(i))))
		}
		lines, warns, total := dropLines(logs)
		require.Equal(t, 1, warns, "one warn line for a stream of drops")
		require.Equal(t, n, lines)
		require.Equal(t, n, total)
		flushDrops(t, ctx, k)

		require.NoError(t, k.Send(ctx, []byte("nobody"), []byte("again")))
		_, warns, _ = dropLines(logs)
		require.Equal(t, 2, warns, "the first drop after a report warns again")
		require.ErrorIs(t, k.Shutdown(ctx), syscall.EHOSTUNREACH)
	})

	t.Run("writer", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name(),
			zmqevented.WithRouterMandatory(true), zmqevented.WithSendHWM(1))
		dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep, zmqevented.WithRoutingID("known"), zmqevented.WithRecvHWM(1))
		ctx := zmqtest.Ctx(t, 10*time.Second)
		require.NoError(t, dealer.Send(ctx, []byte("hello"))) // the router learns the peer
		_, err := router.Recv(ctx)
		require.NoError(t, err)
		core, logs := observer.New(zapcore.DebugLevel)
		k := newSink(t, router, zmqsink.WithQueue(64), zmqsink.WithLogger(zap.New(core)))

		// Fill the known peer's pipe until the sink queues, then queue the messages
		// for nobody behind: the writer meets their EHOSTUNREACH in batches.
		known := 0
		for k.Stats().Queued == 0 {
			require.Less(t, known, 1000, "the known peer's pipe never filled")
			require.NoError(t, k.Send(ctx, []byte("known"), seq(uint64(known))))
			known++
		}
		for i := range n {
			require.NoError(t, k.Send(ctx, []byte("nobody"), seq(uint64(i))))
		}
		for range known {
			_, err := dealer.Recv(ctx)
			require.NoError(t, err)
		}
		flushDrops(t, ctx, k)
		require.NoError(t, k.Shutdown(ctx)) // the writer has logged everything once it returned
		lines, warns, total := dropLines(logs)
		require.Equal(t, 1, warns)
		require.Less(t, lines, n/4, "one line per batch of the writer (%d lines)", lines)
		require.Equal(t, n, total)
		require.NoError(t, dealer.Close())
	})
}

// TestReportCapsKeptFailures: per-message failures beyond the queue length are counted
// but not kept.
func TestReportCapsKeptFailures(t *testing.T) {
	c := zmqtest.NewContext(t)
	router, _ := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name(), zmqevented.WithRouterMandatory(true))
	k := newSink(t, router, zmqsink.WithQueue(4))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	for i := range 10 {
		require.NoError(t, k.Send(ctx, []byte("nobody"), seq(uint64(i))))
	}
	err := k.Shutdown(ctx)
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Messages, 4)
	require.Equal(t, 6, se.Omitted)
	require.Equal(t, seq(0), se.Messages[0][1])
	require.Contains(t, err.Error(), "10 message(s) not sent")
	require.Equal(t, zmqsink.Stats{Accepted: 10, Dropped: 10, Peers: -1}, k.Stats())
}

// TestSendErrorMessage checks the error text and unwrapping.
func TestSendErrorMessage(t *testing.T) {
	cause := fmt.Errorf("boom")
	e := &zmqsink.SendError{Err: cause, Messages: [][][]byte{{[]byte("a")}, {[]byte("b")}}}
	require.Equal(t, "zmqsink: 2 message(s) not sent: boom", e.Error())
	require.ErrorIs(t, e, cause)
	require.Equal(t, "zmqsink: 0 message(s) not sent", (&zmqsink.SendError{}).Error())
	require.True(t, slices.Equal([]byte("a"), e.Messages[0][0]))
}

// TestPeerTrackingLeavesSocket: with WithCloseSocket(false), Close stops the monitor
// and its goroutine but leaves the socket working.
func TestPeerTrackingLeavesSocket(t *testing.T) {
	c := zmqtest.NewContext(t)
	xpub, err := c.NewSocket(zmq4.XPUB)
	require.NoError(t, err)
	k := newSink(t, xpub, zmqsink.WithPeerTracking(true), zmqsink.WithCloseSocket(false))
	ep := zmqtest.Endpoints(t)["ipc"]
	require.NoError(t, xpub.Bind(ep))
	sub := zmqtest.Connect(t, c, zmq4.SUB, ep, zmqevented.WithSubscribe(""))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	m, err := xpub.Recv(ctx) // receiving on the sink's socket is fine
	require.NoError(t, err)
	require.Equal(t, [][]byte{{1}}, m)
	eventually(t, 5*time.Second, func() bool { return k.Stats().Peers == 1 }, "the monitor to see the subscriber")
	require.NoError(t, k.Send(ctx, []byte("via sink")))
	require.NoError(t, k.Shutdown(ctx))
	require.Equal(t, zmqsink.Stats{Accepted: 1, Sent: 1, Peers: 1}, k.Stats())

	require.NoError(t, xpub.Send(ctx, []byte("direct")))
	for _, want := range []string{"via sink", "direct"} {
		m, err := sub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(m[0]))
	}
	require.NoError(t, xpub.Close())
}
