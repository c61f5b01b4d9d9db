package reqrep

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// splitEnvelope splits a request received on a ROUTER into its envelope
// (every frame up to and including the first empty one) and its body.
func splitEnvelope(t testing.TB, msg [][]byte) (envelope, body [][]byte) {
	t.Helper()
	i := slices.IndexFunc(msg, func(f []byte) bool { return len(f) == 0 })
	require.GreaterOrEqual(t, i, 0, "request without an empty delimiter: %q", msg)
	return msg[:i+1], msg[i+1:]
}

// answer is the reply to a request received on a ROUTER: its envelope, then
// body.
func answer(t testing.TB, msg [][]byte, body ...string) [][]byte {
	t.Helper()
	env, _ := splitEnvelope(t, msg)
	out := slices.Clone(env)
	for _, b := range body {
		out = append(out, []byte(b))
	}
	return out
}

// newRouterRequester returns a ROUTER bound in c and a Requester on a DEALER
// connected to it; the Requester is closed when the test ends.
func newRouterRequester(t testing.TB, c *zmqevented.Context, endpoint string, opts ...Option) (*zmqevented.Socket, *Requester) {
	t.Helper()
	router, dealer := socketPair(t, c, endpoint, zmq4.ROUTER, zmq4.DEALER)
	opts = append([]Option{WithLogger(zaptest.NewLogger(t))}, opts...)
	r, err := NewRequester(dealer, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			require.ErrorIs(t, err, ErrClosed)
		}
	})
	return router, r
}

// heldRequests receives requests on router in a goroutine and hands them to
// the test, which answers them (or not) with router.Send. It stops when the
// test ends.
func heldRequests(t testing.TB, router *zmqevented.Socket) <-chan [][]byte {
	t.Helper()
	ch := make(chan [][]byte, 1024)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = router.Close()
		wg.Wait()
	})
	wg.Go(func() {
		defer close(ch)
		for {
			msg, err := router.Recv(context.Background()) // ends when router closes
			if err != nil {
				return
			}
			ch <- msg
		}
	})
	return ch
}

func nextRequest(ctx context.Context, t testing.TB, ch <-chan [][]byte) [][]byte {
	t.Helper()
	select {
	case msg := <-ch:
		return msg
	case <-ctx.Done():
		require.FailNow(t, "no request arrived")
		return nil
	}
}

// requirePending asserts that f has not settled.
func requirePending[T any](t *testing.T, f *zmqfuture.Future[T]) {
	t.Helper()
	_, ok := f.Result()
	require.False(t, ok, "future settled")
}

// settledWithin waits for f to settle for at most d and returns its result.
func settledWithin[T any](t testing.TB, f *zmqfuture.Future[T], d time.Duration) zmqfuture.Result[T] {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(d):
		require.FailNow(t, "future did not settle", "within %v", d)
	}
	r, _ := f.Result()
	return r
}

func TestNewRequester(t *testing.T) {
	c := zmqtest.NewContext(t)
	for _, typ := range []zmq4.Type{zmq4.REQ, zmq4.ROUTER, zmq4.PUSH} {
		t.Run("Type"+typ.String(), func(t *testing.T) {
			s, err := c.NewSocket(typ)
			require.NoError(t, err)
			_, err = NewRequester(s)
			require.ErrorIs(t, err, ErrSocketType)
			require.ErrorContains(t, err, typ.String())
			require.NoError(t, s.Close(), "a failed NewRequester leaves the socket to the caller")
		})
	}
	tests := []struct {
		name    string
		opts    []Option
		wantErr string
	}{
		{name: "Defaults"},
		{name: "NilOptionAndLogger", opts: []Option{nil, WithLogger(nil)}},
		{name: "All", opts: []Option{WithMaxInFlight(1), WithRequestTimeout(time.Second), WithLogger(zap.NewNop()), WithRetryOnDisconnect(3)}},
		{name: "MaxInFlightZero", opts: []Option{WithMaxInFlight(0)}, wantErr: "reqrep: WithMaxInFlight(0)"},
		{name: "NegativeTimeout", opts: []Option{WithRequestTimeout(-time.Second)}, wantErr: "reqrep: WithRequestTimeout(-1s)"},
		{name: "NegativeRetries", opts: []Option{WithRetryOnDisconnect(-1)}, wantErr: "reqrep: WithRetryOnDisconnect(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.NewSocket(zmq4.DEALER)
			require.NoError(t, err)
			r, err := NewRequester(s, tt.opts...)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, r)
				require.NoError(t, s.Close())
				return
			}
			require.NoError(t, err)
			require.NoError(t, r.Close())
			require.ErrorIs(t, s.Close(), zmqevented.ErrClosed, "Close closed the socket")
		})
	}
	t.Run("NilSocket", func(t *testing.T) {
		_, err := NewRequester(nil)
		require.Error(t, err)
	})
	t.Run("ClosedSocket", func(t *testing.T) {
		s, err := c.NewSocket(zmq4.DEALER)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = NewRequester(s)
		require.ErrorIs(t, err, zmqevented.ErrClosed, "the monitor cannot start")
	})
}

// TestRequesterOutOfOrder: 64 goroutines keep requests in flight against a
// ROUTER that answers every batch it finds in shuffled order; each of the
// requests gets its own reply.
func TestRequesterOutOfOrder(t *testing.T) {
	const (
		workers = 64
		total   = 100_000
	)
	c := zmqtest.NewContext(t)
	router, r := newRouterRequester(t, c, "tcp://127.0.0.1:*", WithMaxInFlight(workers))
	ctx := zmqtest.Ctx(t, 120*time.Second)

	var reordered, batches atomic.Int64
	var srv sync.WaitGroup
	t.Cleanup(func() {
		_ = router.Close()
		srv.Wait()
	})
	srv.Go(func() {
		bg := context.Background() // ends when router closes
		for {
			msg, err := router.Recv(bg)
			if err != nil {
				return
			}
			batch := [][][]byte{msg}
			for len(batch) < workers {
				m, err := router.TryRecv()
				if err != nil {
					break
				}
				batch = append(batch, m)
			}
			order := rand.Perm(len(batch))
			batches.Add(1)
			if !slices.IsSorted(order) {
				reordered.Add(1)
			}
			for _, i := range order {
				env, body := splitEnvelope(t, batch[i])
				reply := append(slices.Clone(env), []byte("re"))
				reply = append(reply, body...)
				if err := router.Send(bg, reply...); err != nil {
					return
				}
			}
		}
	})

	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			id := []byte(strconv.Itoa(w))
			for i := w; i < total; i += workers {
				seq := []byte(strconv.Itoa(i))
				msg, err := r.Request(ctx, id, seq).Await(ctx)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				if len(msg) != 3 || string(msg[0]) != "re" || string(msg[1]) != string(id) || string(msg[2]) != string(seq) {
					t.Errorf("request %d from worker %d got reply %q", i, w, msg)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	st := r.Stats()
	require.Equal(t, Stats{Sent: total, Replied: total}, st)
	require.Positive(t, reordered.Load(), "the server never reordered a batch")
	t.Logf("%d requests in %v (%.0f/s); %d of %d batches reordered", total, elapsed, total/elapsed.Seconds(), reordered.Load(), batches.Load())
}

// TestRequesterREPServer: an unmodified REP server answers the wire format,
// since REP echoes the envelope (correlation and delimiter) by itself.
func TestRequesterREPServer(t *testing.T) {
	c := zmqtest.NewContext(t)
	rep, dealer := socketPair(t, c, "tcp://127.0.0.1:*", zmq4.REP, zmq4.DEALER)
	repEcho(t, rep, nil)
	r, err := NewRequester(dealer, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	ctx := zmqtest.Ctx(t, 10*time.Second)

	fs := make([]*zmqfuture.Future[[][]byte], 50)
	for i := range fs {
		fs[i] = r.Request(ctx, []byte(strconv.Itoa(i)))
	}
	replies, err := zmqfuture.All(ctx, fs...).Await(ctx)
	require.NoError(t, err)
	for i, msg := range replies {
		require.Equal(t, []string{"re:", strconv.Itoa(i)}, strs(msg))
	}

	many := []string{"a", "", "c", "d", "e", "f"} // empty body frames are fine
	msg, err := r.Request(ctx, stringFrames(many)...).Await(ctx)
	require.NoError(t, err)
	require.Equal(t, append([]string{"re:"}, many...), strs(msg))
}

// stringFrames converts strings to frames.
func stringFrames(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestRequesterLateReplies: replies to requests that were cancelled, whose
// ctx ended or that timed out are dropped and counted, never delivered to
// another request; so are duplicates and replies naming unknown requests.
func TestRequesterLateReplies(t *testing.T) {
	stop := errors.New("stop")
	tests := []struct {
		name    string
		opts    []Option
		abandon func(f *zmqfuture.Future[[][]byte], cancelCtx context.CancelFunc)
		wantErr []error
	}{
		{
			name:    "Cancel",
			abandon: func(f *zmqfuture.Future[[][]byte], _ context.CancelFunc) { f.Cancel(stop) },
			wantErr: []error{stop},
		},
		{
			name:    "CtxCancelled",
			abandon: func(_ *zmqfuture.Future[[][]byte], cancel context.CancelFunc) { cancel() },
			wantErr: []error{context.Canceled},
		},
		{
			name:    "Timeout",
			opts:    []Option{WithRequestTimeout(20 * time.Millisecond)},
			abandon: func(*zmqfuture.Future[[][]byte], context.CancelFunc) {},
			wantErr: []error{zmqfuture.ErrTimeout, context.DeadlineExceeded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			router, r := newRouterRequester(t, c, inproc(t), tt.opts...)
			reqs := heldRequests(t, router)
			ctx := zmqtest.Ctx(t, 10*time.Second)

			actx, cancel := context.WithCancel(ctx)
			defer cancel()
			a := r.Request(actx, []byte("a"))
			ma := nextRequest(ctx, t, reqs)
			require.Equal(t, 1, r.Stats().InFlight)
			tt.abandon(a, cancel)
			res := settledWithin(t, a, 5*time.Second)
			for _, want := range tt.wantErr {
				require.ErrorIs(t, res.Err, want)
			}
			require.Equal(t, 0, r.Stats().InFlight, "the abandoned request left the table")

			b := r.Request(ctx, []byte("b"))
			mb := nextRequest(ctx, t, reqs)
			require.NoError(t, router.Send(ctx, answer(t, ma, "for a")...))
			require.NoError(t, router.Send(ctx, answer(t, ma, "for a, again")...))
			forged := answer(t, mb, "forged")
			forged[1] = newCorrelation(12345) // an ID this requester never sent (its IDs start at random)
			require.NoError(t, router.Send(ctx, forged...))
			require.NoError(t, router.Send(ctx, answer(t, mb, "for b")...))

			msg, err := b.Await(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{"for b"}, strs(msg))
			require.Equal(t, Stats{Sent: 2, Replied: 1, Dropped: 3, Canceled: 1}, r.Stats())
		})
	}
}

// TestRequesterMalformed: replies not in the wire format are dropped,
// counted and logged; the request still gets its real reply.
func TestRequesterMalformed(t *testing.T) {
	c := zmqtest.NewContext(t)
	core, logs := observer.New(zapcore.DebugLevel)
	router, r := newRouterRequester(t, c, inproc(t), WithLogger(zap.New(core)))
	reqs := heldRequests(t, router)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	f := r.Request(ctx, []byte("q"))
	msg := nextRequest(ctx, t, reqs)
	peer, corr := msg[0], msg[1]
	bad := [][][]byte{
		{peer, []byte("no delimiter")},
		{peer, []byte("short"), {}, []byte("x")},
		{peer, append([]byte{0x00}, corr[1:]...), {}, []byte("x")},
		{peer, corr, []byte("not empty"), []byte("x")},
	}
	for _, m := range bad {
		require.NoError(t, router.Send(ctx, m...))
	}
	require.NoError(t, router.Send(ctx, peer, corr, nil, []byte("good")))
	got, err := f.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"good"}, strs(got))
	require.Equal(t, Stats{Sent: 1, Replied: 1, Malformed: 4}, r.Stats())

	warns := logs.FilterMessage("malformed reply dropped").AllUntimed()
	require.Len(t, warns, 4)
	var reasons []string
	for _, e := range warns {
		require.Equal(t, "reqrep", e.LoggerName)
		require.Equal(t, zapcore.WarnLevel, e.Level)
		reason, ok := e.ContextMap()["reason"].(string)
		require.True(t, ok)
		reasons = append(reasons, reason)
	}
	require.Equal(t, []string{reasonShort, reasonCorrLen, reasonCorrMagic, reasonDelimiter}, reasons)
}

// TestRequesterClose: Close fails every pending request promptly, as well as
// a Request waiting for a slot, and every later Request.
func TestRequesterClose(t *testing.T) {
	c := zmqtest.NewContext(t)
	router, r := newRouterRequester(t, c, inproc(t), WithMaxInFlight(10))
	reqs := heldRequests(t, router)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	fs := make([]*zmqfuture.Future[[][]byte], 10)
	for i := range fs {
		fs[i] = r.Request(ctx, []byte(strconv.Itoa(i)))
	}
	for range fs {
		nextRequest(ctx, t, reqs) // all sent; the server never answers
	}
	blocked := make(chan *zmqfuture.Future[[][]byte], 1)
	go func() { blocked <- r.Request(ctx, []byte("no slot")) }()
	time.Sleep(20 * time.Millisecond) // let it wait for a slot

	start := time.Now()
	require.NoError(t, r.Close())
	for _, f := range fs {
		res := settledWithin(t, f, time.Second)
		require.ErrorIs(t, res.Err, ErrClosed)
		require.ErrorIs(t, res.Err, zmqevented.ErrClosed)
	}
	res := settledWithin(t, <-blocked, time.Second)
	require.ErrorIs(t, res.Err, ErrClosed)
	require.Less(t, time.Since(start), time.Second)

	_, err := r.Request(ctx, []byte("after")).Await(ctx)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, r.Close(), ErrClosed)
	st := r.Stats()
	require.Equal(t, 0, st.InFlight)
	require.Equal(t, uint64(10), st.Sent)
}

// TestRequesterCloseWhileSending: Close wakes a Request waiting in the send
// (a DEALER with no peer cannot send).
func TestRequesterCloseWhileSending(t *testing.T) {
	c := zmqtest.NewContext(t)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	r, err := NewRequester(dealer, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	got := make(chan *zmqfuture.Future[[][]byte], 1)
	go func() { got <- r.Request(ctx, []byte("nowhere")) }()
	require.Eventually(t, func() bool { return r.Stats().InFlight == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(10 * time.Millisecond) // let it park in the send
	require.NoError(t, r.Close())
	res := settledWithin(t, <-got, time.Second)
	require.ErrorIs(t, res.Err, ErrClosed)
	require.Equal(t, Stats{}, r.Stats(), "nothing was sent")
}

// TestRequesterSocketFails: when the socket is closed under the Requester
// (here by its Context), pending and later requests fail with that error.
func TestRequesterSocketFails(t *testing.T) {
	c := zmqtest.NewContext(t)
	srv := zmqtest.NewContext(t)
	router, err := srv.NewSocket(zmq4.ROUTER)
	require.NoError(t, err)
	require.NoError(t, router.Bind("tcp://127.0.0.1:*"))
	ep, err := router.LastEndpoint()
	require.NoError(t, err)
	reqs := heldRequests(t, router)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))
	r, err := NewRequester(dealer, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	f := r.Request(ctx, []byte("q"))
	nextRequest(ctx, t, reqs)
	zmqtest.CloseWithin(t, c)
	res := settledWithin(t, f, time.Second)
	require.ErrorIs(t, res.Err, zmqevented.ErrClosed)
	_, err = r.Request(ctx, []byte("later")).Await(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.NoError(t, r.Close(), "the first Close reports no error for a socket closed under it")
	require.ErrorIs(t, r.Close(), ErrClosed)
}

// TestRequesterMaxInFlight: Request waits for a slot, bounded by its ctx,
// and the server never sees more than the bound outstanding.
func TestRequesterMaxInFlight(t *testing.T) {
	t.Run("WaitsForSlot", func(t *testing.T) {
		c := zmqtest.NewContext(t)
		router, r := newRouterRequester(t, c, inproc(t), WithMaxInFlight(2))
		reqs := heldRequests(t, router)
		ctx := zmqtest.Ctx(t, 10*time.Second)

		a := r.Request(ctx, []byte("a"))
		r.Request(ctx, []byte("b"))
		ma := nextRequest(ctx, t, reqs)
		nextRequest(ctx, t, reqs)

		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, ok := r.Request(short, []byte("c")).Result()
		require.True(t, ok, "Request returned a settled future after waiting for a slot")
		require.ErrorIs(t, res.Err, context.DeadlineExceeded)
		require.GreaterOrEqual(t, time.Since(start), 25*time.Millisecond)
		select {
		case m := <-reqs:
			require.FailNow(t, "a request without a slot was sent", "%q", m)
		case <-time.After(20 * time.Millisecond):
		}

		require.NoError(t, router.Send(ctx, answer(t, ma, "for a")...))
		_, err := a.Await(ctx)
		require.NoError(t, err)
		d := r.Request(ctx, []byte("d")) // a's slot is free again
		require.Equal(t, []string{"d"}, strs(nextRequest(ctx, t, reqs)[3:]))
		requirePending(t, d)
		require.Equal(t, 2, r.Stats().InFlight)
	})

	t.Run("BoundHolds", func(t *testing.T) {
		const limit = 4
		c := zmqtest.NewContext(t)
		router, r := newRouterRequester(t, c, inproc(t), WithMaxInFlight(limit))
		reqs := heldRequests(t, router)
		ctx := zmqtest.Ctx(t, 30*time.Second)

		var maxSeen int
		srvDone := make(chan struct{})
		go func() {
			defer close(srvDone)
			var outstanding [][][]byte
			flush := func() {
				for _, m := range outstanding {
					_ = router.Send(ctx, answer(t, m, "ok")...)
				}
				outstanding = outstanding[:0]
			}
			for {
				var idle <-chan time.Time
				if len(outstanding) > 0 {
					idle = time.After(time.Millisecond) // the tail: nothing more is coming
				}
				select {
				case msg, ok := <-reqs:
					if !ok {
						return
					}
					outstanding = append(outstanding, msg)
					maxSeen = max(maxSeen, len(outstanding))
					if len(outstanding) == limit || rand.IntN(3) == 0 {
						flush()
					}
				case <-idle:
					flush()
				}
			}
		}()
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 50 {
					if _, err := zmqfuture.WithTimeout(r.Request(ctx, []byte("x")), 5*time.Second).Await(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, router.Close())
		<-srvDone
		require.LessOrEqual(t, maxSeen, limit)
		require.Equal(t, uint64(16*50), r.Stats().Replied)
	})
}

func TestRequesterErrors(t *testing.T) {
	c := zmqtest.NewContext(t)
	_, r := newRouterRequester(t, c, inproc(t))
	ctx := zmqtest.Ctx(t, 10*time.Second)

	_, err := r.Request(ctx).Await(ctx)
	require.ErrorIs(t, err, zmqevented.ErrNoFrames)

	done, cancel := context.WithCancelCause(ctx)
	stop := errors.New("stop")
	cancel(stop)
	res, ok := r.Request(done, []byte("x")).Result()
	require.True(t, ok)
	require.ErrorIs(t, res.Err, context.Canceled)
	require.ErrorIs(t, res.Err, stop)
	require.Equal(t, Stats{}, r.Stats())
}

// TestRequesterPyzmqRouter: a ROUTER written in Python with pyzmq answers the
// wire format, out of order (testdata/router_server.py).
func TestRequesterPyzmqRouter(t *testing.T) {
	const n = 300
	py := zmqtest.Python(t)
	ctx := zmqtest.Ctx(t, 60*time.Second)
	cmd := exec.CommandContext(ctx, py, "testdata/router_server.py", strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	out := bufio.NewReader(stdout)
	ep, err := out.ReadString('\n')
	require.NoError(t, err, "server stderr: %s", stderr.String())
	ep = strings.TrimSpace(ep)
	require.True(t, strings.HasPrefix(ep, "tcp://127.0.0.1:"), ep)

	c := zmqtest.NewContext(t)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))
	r, err := NewRequester(dealer, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })

	fs := make([]*zmqfuture.Future[[][]byte], n)
	for i := range fs {
		fs[i] = r.Request(ctx, []byte("hello"), []byte(fmt.Sprintf("n%d", i)))
	}
	for i, f := range fs {
		msg, err := f.Await(ctx)
		require.NoError(t, err, "server stderr: %s", stderr.String())
		require.Equal(t, []string{"py", "HELLO", fmt.Sprintf("N%d", i)}, strs(msg))
	}
	last, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("ok %d\n", n), last)
	waited = true
	require.NoError(t, cmd.Wait(), "server stderr: %s", stderr.String())
	st := r.Stats()
	require.LessOrEqual(t, st.Disconnects, uint64(1), "the server has exited: its disconnect may have been seen")
	st.Disconnects = 0
	require.Equal(t, Stats{Sent: n, Replied: n}, st)
}
