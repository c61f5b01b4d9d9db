package reqrep

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// socketPair makes a socket of type bt bound to endpoint and a socket of type
// ct connected to it.
func socketPair(t testing.TB, c *zmqevented.Context, endpoint string, bt, ct zmq4.Type, copts ...zmqevented.Option) (bound, connected *zmqevented.Socket) {
	t.Helper()
	return zmqtest.Pair(t, c, endpoint, bt, ct, nil, copts)
}

// inproc returns an inproc endpoint unique to the test.
func inproc(t testing.TB) string { return "inproc://" + t.Name() }

func strs(m [][]byte) []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out
}

func TestRecv(t *testing.T) {
	t.Run("ReadyWithoutGoroutine", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		require.NoError(t, push.Send(ctx, []byte("a"), []byte("b")))
		require.NoError(t, pull.WaitReadable(ctx))

		f := Recv(ctx, pull)
		r, ok := f.Result()
		require.True(t, ok, "a queued message completes the future at once")
		require.NoError(t, r.Err)
		require.Equal(t, []string{"a", "b"}, strs(r.Value))
	})

	t.Run("WaitsInOneGoroutine", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		f := Recv(ctx, pull)
		requirePending(t, f)
		require.NoError(t, push.Send(ctx, []byte("late")))
		msg, err := f.Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"late"}, strs(msg))
	})

	t.Run("CancelLeavesMessage", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		stop := errors.New("stop")

		f := Recv(ctx, pull)
		requirePending(t, f)
		f.Cancel(stop)
		_, err := f.Await(ctx)
		require.ErrorIs(t, err, stop)

		require.NoError(t, push.Send(ctx, []byte("kept")))
		msg, err := Recv(ctx, pull).Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"kept"}, strs(msg), "the cancelled future took nothing")
	})

	t.Run("CtxEndsWait", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		done, cancel := context.WithCancel(ctx)
		cancel()
		f := Recv(done, pull)
		r, ok := f.Result()
		require.True(t, ok, "a done ctx fails the future at once")
		require.ErrorIs(t, r.Err, context.Canceled)

		short, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel2()
		_, err := Recv(short, pull).Await(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)

		require.NoError(t, push.Send(ctx, []byte("after")))
		msg, err := Recv(ctx, pull).Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"after"}, strs(msg))
	})

	t.Run("Closed", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, _ := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		f := Recv(ctx, pull)
		require.NoError(t, pull.Close())
		_, err := f.Await(ctx)
		require.ErrorIs(t, err, zmqevented.ErrClosed)
		r, ok := Recv(ctx, pull).Result()
		require.True(t, ok)
		require.ErrorIs(t, r.Err, zmqevented.ErrClosed)
	})
}

// TestRecvCancelNeverLoses races cancellations against arriving messages:
// every message is received exactly once and in order, by a future that
// succeeded, whether or not it was cancelled.
func TestRecvCancelNeverLoses(t *testing.T) {
	const n = 2000
	c := zmqtest.NewContext(t)
	pull, push := socketPair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH)
	ctx := zmqtest.Ctx(t, 60*time.Second)

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		for i := range n {
			if err := push.Send(ctx, []byte(strconv.Itoa(i))); err != nil {
				t.Error(err)
				return
			}
			if rand.IntN(2) == 0 { // often idle, so that receivers wait
				time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			}
		}
	})

	next, cancelled := 0, 0
	for next < n {
		f := Recv(ctx, pull)
		switch rand.IntN(3) {
		case 0:
			f.Cancel(nil)
		case 1:
			time.Sleep(time.Duration(rand.IntN(20)) * time.Microsecond)
			f.Cancel(nil)
		}
		msg, err := f.Await(ctx)
		if err != nil {
			require.ErrorIs(t, err, zmqfuture.ErrCanceled)
			cancelled++
			continue
		}
		require.Equal(t, []string{strconv.Itoa(next)}, strs(msg), "lost or reordered message")
		next++
	}
	require.Positive(t, cancelled, "no receive was cancelled: the test proves nothing")
	t.Logf("%d messages, %d cancelled receives", n, cancelled)
}

func TestSend(t *testing.T) {
	t.Run("ReadyWithoutGoroutine", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		f := Send(ctx, push, []byte("x"), []byte("y"))
		r, ok := f.Result()
		require.True(t, ok, "a send libzmq takes at once completes the future at once")
		require.NoError(t, r.Err)
		msg, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"x", "y"}, strs(msg))
	})

	t.Run("WaitsForPeer", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		push, err := c.NewSocket(zmq4.PUSH)
		require.NoError(t, err)
		require.NoError(t, push.Bind(inproc(t)))

		// A PUSH with no peer cannot send: the future waits in a goroutine.
		cancelled := Send(ctx, push, []byte("never"))
		requirePending(t, cancelled)
		stop := errors.New("stop")
		cancelled.Cancel(stop)
		_, err = cancelled.Await(ctx)
		require.ErrorIs(t, err, stop)

		f := Send(ctx, push, []byte("first"))
		requirePending(t, f)
		pull, err := c.NewSocket(zmq4.PULL)
		require.NoError(t, err)
		require.NoError(t, pull.Connect(inproc(t)))
		_, err = f.Await(ctx)
		require.NoError(t, err)
		msg, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"first"}, strs(msg), "the cancelled send sent nothing")
	})

	t.Run("Errors", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		_, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		_, err := Send(ctx, push).Await(ctx)
		require.ErrorIs(t, err, zmqevented.ErrNoFrames)

		done, cancel := context.WithCancelCause(ctx)
		stop := errors.New("stop")
		cancel(stop)
		_, err = Send(done, push, []byte("x")).Await(ctx)
		require.ErrorIs(t, err, stop)

		require.NoError(t, push.Close())
		_, err = Send(ctx, push, []byte("x")).Await(ctx)
		require.ErrorIs(t, err, zmqevented.ErrClosed)
	})
}

// repEcho serves rep until the test ends (it then closes rep): it answers
// each request with "re:" and the request's frames, after delay.
func repEcho(t testing.TB, rep *zmqevented.Socket, delay func() time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = rep.Close()
		wg.Wait()
	})
	wg.Go(func() {
		ctx := context.Background() // ends when the socket closes
		for {
			msg, err := rep.Recv(ctx)
			if err != nil {
				return
			}
			if delay != nil {
				time.Sleep(delay())
			}
			if err := rep.Send(ctx, append([][]byte{[]byte("re:")}, msg...)...); err != nil {
				return
			}
		}
	})
}

func TestRequest(t *testing.T) {
	t.Run("RoundTrips", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		rep, req := socketPair(t, c, inproc(t), zmq4.REP, zmq4.REQ)
		repEcho(t, rep, nil)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		for i := range 100 {
			msg, err := Call(ctx, req, []byte("q"), []byte(strconv.Itoa(i))).Await(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{"re:", "q", strconv.Itoa(i)}, strs(msg))
		}
	})

	t.Run("CancelledAwaitsReply", func(t *testing.T) {
		// The REQ state machine: a cancelled Request leaves the socket
		// awaiting its reply; the next Request fails with EFSM until that
		// reply is received.
		c := zmqtest.NewContext(t)
		rep, req := socketPair(t, c, inproc(t), zmq4.REP, zmq4.REQ)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		f := Call(ctx, req, []byte("one"))
		got, err := rep.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"one"}, strs(got))
		f.Cancel(nil)
		_, err = f.Await(ctx)
		require.ErrorIs(t, err, context.Canceled)

		_, err = Call(ctx, req, []byte("two")).Await(ctx)
		require.ErrorIs(t, err, zmq4.EFSM)

		require.NoError(t, rep.Send(ctx, []byte("reply to one")))
		stale, err := Recv(ctx, req).Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"reply to one"}, strs(stale))

		g := Call(ctx, req, []byte("three"))
		got, err = rep.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"three"}, strs(got))
		require.NoError(t, rep.Send(ctx, []byte("reply to three")))
		msg, err := g.Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"reply to three"}, strs(msg))
	})

	t.Run("RelaxedCorrelated", func(t *testing.T) {
		// With REQ_RELAXED and REQ_CORRELATE the socket can send after a
		// cancelled Request, and libzmq drops the late reply.
		c := zmqtest.NewContext(t)
		rep, req := socketPair(t, c, inproc(t), zmq4.REP, zmq4.REQ,
			zmqevented.WithSockopt("REQ_RELAXED", func(s *zmq4.Socket) error { return s.SetReqRelaxed(1) }),
			zmqevented.WithSockopt("REQ_CORRELATE", func(s *zmq4.Socket) error { return s.SetReqCorrelate(1) }))
		repEcho(t, rep, func() time.Duration { return 30 * time.Millisecond })
		ctx := zmqtest.Ctx(t, 10*time.Second)

		f := Call(ctx, req, []byte("abandoned"))
		time.Sleep(5 * time.Millisecond)
		f.Cancel(nil)
		_, err := f.Await(ctx)
		require.ErrorIs(t, err, context.Canceled)

		msg, err := Call(ctx, req, []byte("wanted")).Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"re:", "wanted"}, strs(msg))
	})

	t.Run("SendWaits", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		req, err := c.NewSocket(zmq4.REQ)
		require.NoError(t, err)
		require.NoError(t, req.Connect(inproc(t)))

		f := Call(ctx, req, []byte("early")) // no peer yet: the send waits
		requirePending(t, f)
		rep, err := c.NewSocket(zmq4.REP)
		require.NoError(t, err)
		require.NoError(t, rep.Bind(inproc(t)))
		repEcho(t, rep, nil)
		msg, err := f.Await(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"re:", "early"}, strs(msg))
	})

	t.Run("Errors", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		ctx := zmqtest.Ctx(t, 10*time.Second)
		dealer, err := c.NewSocket(zmq4.DEALER)
		require.NoError(t, err)
		_, err = Call(ctx, dealer, []byte("x")).Await(ctx)
		require.ErrorIs(t, err, ErrSocketType)
		require.ErrorContains(t, err, "DEALER")

		req, err := c.NewSocket(zmq4.REQ)
		require.NoError(t, err)
		_, err = Call(ctx, req).Await(ctx)
		require.ErrorIs(t, err, zmqevented.ErrNoFrames)
		require.NoError(t, req.Close())
		_, err = Call(ctx, req, []byte("x")).Await(ctx)
		require.ErrorIs(t, err, zmqevented.ErrClosed)
	})
}

// ExampleRecv-style smoke check that the futures compose with the core.
func TestSocketFuturesCompose(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, push := socketPair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	fs := make([]*zmqfuture.Future[[][]byte], 3)
	for i := range fs {
		fs[i] = Recv(ctx, pull)
	}
	for i := range fs {
		require.NoError(t, push.Send(ctx, []byte(fmt.Sprint(i))))
	}
	all, err := zmqfuture.All(ctx, fs...).Await(ctx)
	require.NoError(t, err)
	var got []string
	for _, m := range all {
		got = append(got, strs(m)...)
	}
	require.ElementsMatch(t, []string{"0", "1", "2"}, got)
}
