package reqrep

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// upper answers with the body upper-cased; a body "fail" fails.
func upper(_ context.Context, req *Request) ([][]byte, error) {
	if len(req.Body) == 1 && string(req.Body[0]) == "fail" {
		return nil, errors.New("asked to fail")
	}
	out := make([][]byte, len(req.Body))
	for i, f := range req.Body {
		out[i] = bytes.ToUpper(f)
	}
	return out, nil
}

// startServer binds a ROUTER on endpoint and serves h on it until the test ends. It
// returns the server and the bound endpoint.
func startServer(t *testing.T, c *zmqevented.Context, endpoint string, h Handler, opts ...Option) (*Server, string) {
	t.Helper()
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, endpoint)
	opts = append([]Option{WithLogger(zaptest.NewLogger(t))}, opts...)
	sv, err := NewServer(router, h, opts...)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- sv.Serve(context.Background()) }()
	t.Cleanup(func() {
		if err := sv.Close(); err != nil {
			require.ErrorIs(t, err, ErrClosed)
		}
		require.ErrorIs(t, <-served, ErrClosed)
	})
	return sv, ep
}

// requestAll sends n requests through r, at most inFlight at once, each body
// [prefix, i], and checks every reply.
func requestAll(ctx context.Context, t *testing.T, r *Requester, prefix string, n int) {
	t.Helper()
	fs := make([]*zmqfuture.Future[[][]byte], n)
	for i := range n {
		fs[i] = r.Request(ctx, []byte(prefix), []byte(strconv.Itoa(i)))
	}
	for i, f := range fs {
		reply, err := f.Await(ctx)
		require.NoError(t, err, "request %d", i)
		require.Equal(t, [][]byte{bytes.ToUpper([]byte(prefix)), []byte(strconv.Itoa(i))}, reply)
	}
}

func newRequester(t *testing.T, c *zmqevented.Context, ep string, opts ...Option) *Requester {
	t.Helper()
	dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep)
	r, err := NewRequester(dealer, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// soakRuns is how many times the no-loss test runs: ZMQASYNC_SOAK set (make stress)
// asks for the 20 runs of 100k requests, the default one shorter run.
func soakRuns() (runs, n int) {
	if os.Getenv("ZMQASYNC_SOAK") != "" {
		return 20, 100_000
	}
	return 1, 20_000
}

// TestServerRequesterNoLoss: a Requester with 1,000 requests in flight, more than
// half a ROUTER's SNDHWM, loses nothing against the Server (ROUTER_MANDATORY: a
// reply waits at the HWM instead of vanishing).
func TestServerRequesterNoLoss(t *testing.T) {
	runs, n := soakRuns()
	for run := range runs {
		t.Run("run"+strconv.Itoa(run), func(t *testing.T) {
			c := zmqtest.NewContext(t)
			sv, ep := startServer(t, c, "tcp://127.0.0.1:*", upper, WithMaxInFlight(64))
			r := newRequester(t, c, ep, WithMaxInFlight(1000))
			ctx := zmqtest.Ctx(t, 120*time.Second)
			requestAll(ctx, t, r, "req", n)
			st := sv.Stats()
			require.Equal(t, uint64(n), st.Served)
			require.Zero(t, st.Dropped+st.Malformed+st.Failed, "%+v", st)
			require.Zero(t, r.Stats().Dropped)
		})
	}
}

// TestServerMixedClients: 8 Requesters, 4 pyzmq REQ clients, a pyzmq DEALER speaking
// REQ's envelope and a pebbe REQ client at once on one Server: every reply reaches its
// own request. ZMQASYNC_SOAK runs it 20 times with 100k requests each.
func TestServerMixedClients(t *testing.T) {
	runs, total := soakRuns()
	perRequester, perPy := 2000, 300
	if total > 20_000 {
		perRequester, perPy = 12_000, 1000 // 8×12k + 4×1k = 100k per run
	}
	for run := range runs {
		t.Run("run"+strconv.Itoa(run), func(t *testing.T) { mixedClients(t, perRequester, perPy) })
	}
}

func mixedClients(t *testing.T, perRequester, perPy int) {
	c := zmqtest.NewContext(t)
	sv, ep := startServer(t, c, "tcp://127.0.0.1:*", upper)
	ctx := zmqtest.Ctx(t, 300*time.Second)
	py := zmqtest.Python(t)

	var wg sync.WaitGroup
	var pyOut [5]string
	var pyErr [5]error
	for i := range 5 {
		kind := "req"
		if i == 4 {
			kind = "dealer"
		}
		wg.Go(func() {
			out, err := exec.CommandContext(ctx, py, "testdata/req_client.py", ep, kind, strconv.Itoa(perPy)).CombinedOutput()
			pyOut[i], pyErr[i] = string(out), err
		})
	}
	wg.Go(func() { pebbeREQ(t, ep, 300) })
	for i := range 8 {
		r := newRequester(t, c, ep, WithMaxInFlight(64))
		wg.Go(func() { requestAll(ctx, t, r, "go"+strconv.Itoa(i), perRequester) })
	}
	wg.Wait()
	for i := range 5 {
		require.NoError(t, pyErr[i], pyOut[i])
		require.Contains(t, pyOut[i], "ok "+strconv.Itoa(perPy))
	}
	st := sv.Stats()
	require.Equal(t, uint64(8*perRequester+5*perPy+300), st.Served)
	require.Equal(t, uint64(4), st.Failed, "one failing request per pyzmq REQ client")
	require.Zero(t, st.Dropped+st.Malformed)
}

// pebbeREQ makes n round trips with a plain pebbe/zmq4 REQ socket.
func pebbeREQ(t *testing.T, ep string, n int) {
	zctx, err := zmq4.NewContext()
	require.NoError(t, err)
	defer func() { require.NoError(t, zctx.Term()) }()
	req, err := zctx.NewSocket(zmq4.REQ)
	require.NoError(t, err)
	defer func() { _ = req.Close() }()
	require.NoError(t, req.SetLinger(0))
	require.NoError(t, req.SetRcvtimeo(20*time.Second))
	require.NoError(t, req.Connect(ep))
	for i := range n {
		_, err := req.SendMessage("pebbe", strconv.Itoa(i))
		require.NoError(t, err)
		reply, err := req.RecvMessage(0)
		require.NoError(t, err)
		require.Equal(t, []string{"PEBBE", strconv.Itoa(i)}, reply)
	}
}

// TestServerErrors: a handler's error reaches a Requester as a *RemoteError and a
// REQ client as the frames [reqrep.error, text]; a handler past its time gets its
// ctx ended and the client the error reply.
func TestServerErrors(t *testing.T) {
	c := zmqtest.NewContext(t)
	handler := func(ctx context.Context, req *Request) ([][]byte, error) {
		if string(req.Body[0]) == "slow" {
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
		return upper(ctx, req)
	}
	_, ep := startServer(t, c, "inproc://"+t.Name(), handler, WithRequestTimeout(100*time.Millisecond))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	r := newRequester(t, c, ep)

	_, err := r.Request(ctx, []byte("fail")).Await(ctx)
	var re *RemoteError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "asked to fail", re.Message)

	start := time.Now()
	_, err = r.Request(ctx, []byte("slow")).Await(ctx)
	require.ErrorAs(t, err, &re)
	require.Equal(t, zmqfuture.ErrTimeout.Error(), re.Message)
	require.Less(t, time.Since(start), 5*time.Second)

	req := zmqtest.Connect(t, c, zmq4.REQ, ep)
	require.NoError(t, req.Send(ctx, []byte("fail")))
	m, err := req.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("reqrep.error"), []byte("asked to fail")}, m)

	reply, err := r.Request(ctx, []byte("fine")).Await(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("FINE")}, reply)
}

// blocker is a handler that waits until released (or its ctx ends), counting the
// handlers running.
type blocker struct {
	release chan struct{}
	ended   chan error // the ctx cause of handlers whose ctx ended
}

func newBlocker() *blocker {
	return &blocker{release: make(chan struct{}), ended: make(chan error, 100)}
}

func (b *blocker) serve(ctx context.Context, req *Request) ([][]byte, error) {
	select {
	case <-b.release:
		return upper(ctx, req)
	case <-ctx.Done():
		b.ended <- context.Cause(ctx)
		return nil, context.Cause(ctx)
	}
}

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond, msg)
}

// TestServerBackpressure: at the concurrency limit the Server stops receiving: the
// requests wait in the socket until a handler finishes, then all are served.
func TestServerBackpressure(t *testing.T) {
	c := zmqtest.NewContext(t)
	b := newBlocker()
	sv, ep := startServer(t, c, "inproc://"+t.Name(), b.serve, WithMaxInFlight(2))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	r := newRequester(t, c, ep)
	fs := make([]*zmqfuture.Future[[][]byte], 10)
	for i := range fs {
		fs[i] = r.Request(ctx, []byte(strconv.Itoa(i)))
	}
	eventually(t, func() bool { return sv.Stats().InFlight == 2 }, "two handlers running")
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, uint64(2), sv.Stats().Received, "received beyond the limit")
	close(b.release)
	_, err := zmqfuture.All(ctx, fs...).Await(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(10), sv.Stats().Served)
}

// TestServerShutdownDrains: Shutdown stops receiving, waits for the running handlers
// and sends their replies; requests it did not take stay in the socket.
func TestServerShutdownDrains(t *testing.T) {
	c := zmqtest.NewContext(t)
	b := newBlocker()
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name())
	sv, err := NewServer(router, b.serve, WithMaxInFlight(5), WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- sv.Serve(context.Background()) }()
	ctx := zmqtest.Ctx(t, 10*time.Second)
	r := newRequester(t, c, ep)
	fs := make([]*zmqfuture.Future[[][]byte], 5)
	for i := range fs {
		fs[i] = r.Request(ctx, []byte(strconv.Itoa(i)))
	}
	eventually(t, func() bool { return sv.Stats().InFlight == 5 }, "five handlers running")
	shut := make(chan error, 1)
	go func() { shut <- sv.Shutdown(ctx) }()
	time.Sleep(20 * time.Millisecond)
	late := r.Request(ctx, []byte("late"))
	require.Empty(t, shut, "Shutdown returned with handlers running")
	close(b.release)
	require.NoError(t, <-shut)
	require.ErrorIs(t, <-served, ErrClosed)
	for i, f := range fs {
		reply, err := f.Await(ctx)
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte(strconv.Itoa(i))}, reply)
	}
	require.Equal(t, ServerStats{Received: 5, Served: 5}, sv.Stats())
	m, err := router.Recv(ctx)
	require.NoError(t, err, "the late request stays in the socket")
	require.Equal(t, "late", string(m[len(m)-1]))
	late.Cancel(nil)
	require.ErrorIs(t, sv.Shutdown(ctx), ErrClosed)
	require.ErrorIs(t, sv.Close(), ErrClosed)
}

// TestServerCloseCancelsHandlers: Close ends every handler's ctx with ErrClosed and
// returns once they have returned; so does the end of Serve's ctx.
func TestServerCloseCancelsHandlers(t *testing.T) {
	for _, how := range []string{"Close", "ctx"} {
		t.Run(how, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			b := newBlocker()
			router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name())
			sv, err := NewServer(router, b.serve, WithLogger(zaptest.NewLogger(t)))
			require.NoError(t, err)
			sctx, cancel := context.WithCancelCause(context.Background())
			served := make(chan error, 1)
			go func() { served <- sv.Serve(sctx) }()
			ctx := zmqtest.Ctx(t, 10*time.Second)
			r := newRequester(t, c, ep)
			for range 3 {
				r.Request(ctx, []byte("x"))
			}
			eventually(t, func() bool { return sv.Stats().InFlight == 3 }, "three handlers running")
			stop := errors.New("stop serving")
			if how == "Close" {
				require.NoError(t, sv.Close())
				require.ErrorIs(t, <-served, ErrClosed)
			} else {
				cancel(stop)
				require.ErrorIs(t, <-served, stop)
			}
			cancel(nil)
			require.Len(t, b.ended, 3)
			for range 3 {
				cause := <-b.ended
				if how == "Close" {
					require.ErrorIs(t, cause, ErrClosed)
				} else {
					require.ErrorIs(t, cause, stop)
				}
			}
			require.Zero(t, sv.Stats().InFlight)
		})
	}
}

// TestServerMalformed: messages that are not requests are dropped and counted, never
// answered or misrouted, and the server goes on serving.
func TestServerMalformed(t *testing.T) {
	c := zmqtest.NewContext(t)
	sv, ep := startServer(t, c, "inproc://"+t.Name(), upper)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep)
	for _, m := range [][][]byte{
		{[]byte("no delimiter")},
		{{0x5A, 1, 2}, {}, []byte("short correlation")},
		{{}},
	} {
		require.NoError(t, dealer.Send(ctx, m...))
	}
	r := newRequester(t, c, ep)
	reply, err := r.Request(ctx, []byte("ok")).Await(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("OK")}, reply)
	require.Equal(t, uint64(3), sv.Stats().Malformed)
	_, err = dealer.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "a malformed request was answered")
}

// TestServerRejects: NewServer refuses other socket types and the Requester-only
// option.
func TestServerRejects(t *testing.T) {
	c := zmqtest.NewContext(t)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	_, err = NewServer(dealer, upper)
	require.ErrorIs(t, err, ErrSocketType)
	router, err := c.NewSocket(zmq4.ROUTER)
	require.NoError(t, err)
	_, err = NewServer(router, upper, WithRetryOnDisconnect(1))
	require.ErrorContains(t, err, "NewRequester only")
	_, err = NewRequester(dealer, WithRequestMetadata("X-Tenant"))
	require.ErrorContains(t, err, "NewServer only")
}

// TestOwnedSockets: the socket of a Requester or a running Server refuses receives and
// sends from anyone else with a clear error, instead of stealing a reply or a request;
// once the Server ends the socket is the caller's again.
func TestOwnedSockets(t *testing.T) {
	c := zmqtest.NewContext(t)
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "inproc://"+t.Name())
	sv, err := NewServer(router, upper, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- sv.Serve(context.Background()) }()
	dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep)
	r, err := NewRequester(dealer, WithLogger(zaptest.NewLogger(t)))
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	ctx := zmqtest.Ctx(t, 10*time.Second)

	_, err = dealer.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrClaimed)
	require.ErrorContains(t, err, "reqrep.Requester")
	require.ErrorIs(t, dealer.Send(ctx, []byte("sneaky")), zmqevented.ErrClaimed)
	_, err = router.Recv(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClaimed)
	require.ErrorContains(t, err, "reqrep.Server")
	_, err = NewRequester(dealer)
	require.ErrorIs(t, err, zmqevented.ErrClaimed, "one owner at a time")

	reply, err := r.Request(ctx, []byte("still served")).Await(ctx)
	require.NoError(t, err)
	require.Equal(t, "STILL SERVED", string(reply[0]))

	require.NoError(t, sv.Shutdown(ctx))
	require.ErrorIs(t, <-served, ErrClosed)
	_, err = router.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "the caller's again")
}

// TestServerPeerDisconnect: a handler blocked until its ctx ends is released within a
// second when its requesting peer disconnects, with cause ErrPeerGone; the request
// carries its connection's metadata.
func TestServerPeerDisconnect(t *testing.T) {
	c := zmqtest.NewContext(t)
	b := newBlocker()
	var meta map[string]string
	var metaOnce sync.Once
	handler := func(ctx context.Context, req *Request) ([][]byte, error) {
		metaOnce.Do(func() { meta = req.Metadata })
		return b.serve(ctx, req)
	}
	sv, ep := startServer(t, c, "tcp://127.0.0.1:*", handler, WithRequestMetadata("X-Tenant"))
	ctx := zmqtest.Ctx(t, 10*time.Second)

	client := zmqtest.NewContext(t)
	dealer := zmqtest.Connect(t, client, zmq4.DEALER, ep, zmqevented.WithMetadata(map[string]string{"X-Tenant": "blue"}))
	r, err := NewRequester(dealer)
	require.NoError(t, err)
	f := r.Request(ctx, []byte("wait for me"))
	eventually(t, func() bool { return sv.Stats().InFlight == 1 }, "the handler running")

	start := time.Now()
	require.NoError(t, r.Close()) // the peer goes away
	select {
	case cause := <-b.ended:
		require.ErrorIs(t, cause, ErrPeerGone)
		require.Less(t, time.Since(start), time.Second)
	case <-ctx.Done():
		t.Fatal("the handler was not cancelled when its peer disconnected")
	}
	_, err = f.Await(ctx)
	require.ErrorIs(t, err, ErrClosed)
	require.Equal(t, "blue", meta["X-Tenant"])
	require.Equal(t, "DEALER", meta["Socket-Type"])
	require.Equal(t, "127.0.0.1", meta["Peer-Address"])
	eventually(t, func() bool { return sv.Stats().InFlight == 0 }, "the handler returned")
}
