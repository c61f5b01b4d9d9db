package reqrep

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
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

// lostBound is how soon after its server is killed a pending request must
// have failed with ErrPeerLost (libzmq reports the disconnect within
// milliseconds; the bound leaves room for a loaded machine).
const lostBound = 2 * time.Second

// connectedRequester returns a Requester on a DEALER in c connected to
// endpoint; it is closed when the test ends.
func connectedRequester(t *testing.T, c *zmqevented.Context, endpoint string, opts ...Option) *Requester {
	t.Helper()
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(endpoint))
	opts = append([]Option{WithLogger(zaptest.NewLogger(t))}, opts...)
	r, err := NewRequester(dealer, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// mustRecv receives a message on s, failing the test if it cannot.
func mustRecv(ctx context.Context, t *testing.T, s *zmqevented.Socket) [][]byte {
	t.Helper()
	m, err := s.Recv(ctx)
	require.NoError(t, err)
	return m
}

// boundRequester returns a Requester on a DEALER in c bound to an ephemeral
// tcp port, and its endpoint, for servers that connect to it.
func boundRequester(t *testing.T, c *zmqevented.Context, opts ...Option) (*Requester, string) {
	t.Helper()
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	require.NoError(t, dealer.Bind("tcp://127.0.0.1:*"))
	ep, err := dealer.LastEndpoint()
	require.NoError(t, err)
	opts = append([]Option{WithLogger(zaptest.NewLogger(t))}, opts...)
	r, err := NewRequester(dealer, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r, ep
}

// connectRouter returns a ROUTER in c connected to endpoint.
func connectRouter(t *testing.T, c *zmqevented.Context, endpoint string) *zmqevented.Socket {
	t.Helper()
	s, err := c.NewSocket(zmq4.ROUTER)
	require.NoError(t, err)
	require.NoError(t, s.Connect(endpoint))
	return s
}

// request sends the test request (mode, i): mode "hold" asks the child
// server to hold its reply, "now" to answer at once.
func request(ctx context.Context, r *Requester, mode string, i int) *zmqfuture.Future[[][]byte] {
	return r.Request(ctx, []byte(mode), []byte(strconv.Itoa(i)))
}

// requireEcho checks that msg is the child server's reply to (mode, i).
func requireEcho(t *testing.T, msg [][]byte, mode string, i int) {
	t.Helper()
	require.Equal(t, []string{"echo", mode, strconv.Itoa(i)}, strs(msg), "reply to request %s %d", mode, i)
}

// TestRequesterPeerKilled: the server process is killed (SIGKILL) with 32
// requests pending. Each of them fails with ErrPeerLost, naming the
// endpoint, within lostBound; the requests it had answered keep their
// replies. Requests made while no server runs wait, and are answered once
// the server is started again on the same endpoint. Every future ends with
// its own reply or ErrPeerLost, and the counters add up.
func TestRequesterPeerKilled(t *testing.T) {
	for _, transport := range []string{"ipc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const held = 32
			ep := restartEndpoints(t)[transport]
			ctx := zmqtest.Ctx(t, 60*time.Second)
			srv := startChild(ctx, t, "router", "bind="+ep+",hold=1h")
			r := connectedRequester(t, zmqtest.NewContext(t), ep)

			var holds, nows []*zmqfuture.Future[[][]byte]
			for i := range held {
				holds = append(holds, request(ctx, r, "hold", i))
				if i%4 == 0 {
					nows = append(nows, request(ctx, r, "now", len(nows)))
				}
			}
			srv.expect(ctx, t, "recv "+strconv.Itoa(held+len(nows)))
			for i, f := range nows {
				msg, err := f.Await(ctx)
				require.NoError(t, err)
				requireEcho(t, msg, "now", i)
			}
			for _, f := range holds {
				requirePending(t, f)
			}

			start := time.Now()
			srv.kill(t)
			for i, f := range holds {
				res := settledWithin(t, f, lostBound)
				require.ErrorIs(t, res.Err, ErrPeerLost, "request %d", i)
				require.ErrorContains(t, res.Err, ep)
				require.Nil(t, res.Value)
			}
			elapsed := time.Since(start)
			require.Less(t, elapsed, lostBound)
			t.Logf("%d pending requests failed %v after the kill", held, elapsed)
			n := uint64(held + len(nows))
			require.Equal(t, Stats{Sent: n, Replied: uint64(len(nows)), Lost: held, Disconnects: 1}, r.Stats())

			// No server now: new requests wait for one, as libzmq reconnects.
			var later []*zmqfuture.Future[[][]byte]
			for i := range 8 {
				later = append(later, request(ctx, r, "now", 100+i))
			}
			time.Sleep(100 * time.Millisecond)
			for _, f := range later {
				requirePending(t, f)
			}
			startChild(ctx, t, "router", "bind="+ep+",hold=0s")
			for i, f := range later {
				res := settledWithin(t, f, 10*time.Second)
				require.NoError(t, res.Err)
				requireEcho(t, res.Value, "now", 100+i)
			}
			require.Equal(t, Stats{Sent: n + 8, Replied: uint64(len(nows)) + 8, Lost: held, Disconnects: 1}, r.Stats())
		})
	}
}

// TestRequesterPeerKilledRetry: with WithRetryOnDisconnect, the 32 requests
// pending when the server is killed stay pending and are sent again (libzmq
// holds them while it reconnects); once the server restarts on the same
// endpoint each completes with its own reply. Nothing fails, nothing is
// answered twice.
func TestRequesterPeerKilledRetry(t *testing.T) {
	for _, transport := range []string{"ipc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const held = 32
			ep := restartEndpoints(t)[transport]
			ctx := zmqtest.Ctx(t, 60*time.Second)
			srv := startChild(ctx, t, "router", "bind="+ep+",hold=1h")
			r := connectedRequester(t, zmqtest.NewContext(t), ep, WithRetryOnDisconnect(1))

			fs := make([]*zmqfuture.Future[[][]byte], held)
			for i := range fs {
				fs[i] = request(ctx, r, "hold", i)
			}
			srv.expect(ctx, t, "recv "+strconv.Itoa(held))

			srv.kill(t)
			// Sent again once the grace has passed, into the queue libzmq
			// keeps for the peer it is reconnecting to.
			require.Eventually(t, func() bool { return r.Stats().Resent == held }, lostBound, time.Millisecond,
				"the pending requests were not sent again")
			for _, f := range fs {
				requirePending(t, f)
			}
			require.Equal(t, Stats{Sent: held, Resent: held, Disconnects: 1, InFlight: held}, r.Stats())

			startChild(ctx, t, "router", "bind="+ep+",hold=0s")
			for i, f := range fs {
				res := settledWithin(t, f, 10*time.Second)
				require.NoError(t, res.Err, "request %d", i)
				requireEcho(t, res.Value, "hold", i)
			}
			require.Equal(t, Stats{Sent: held, Resent: held, Replied: held, Disconnects: 1}, r.Stats())
		})
	}
}

// TestRequesterRepliesBeforeDisconnect: replies that reached the socket
// before the server went away are delivered, not failed with ErrPeerLost,
// even when the receiving goroutine is busy (here: held by a continuation)
// until after the disconnect was seen.
func TestRequesterRepliesBeforeDisconnect(t *testing.T) {
	for _, transport := range []string{"ipc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const n = 32
			ep := restartEndpoints(t)[transport]
			ctx := zmqtest.Ctx(t, 60*time.Second)
			srv := startChild(ctx, t, "router", "bind="+ep+",hold=stdin")
			r := connectedRequester(t, zmqtest.NewContext(t), ep)
			release := make(chan struct{})
			var once sync.Once
			unblock := func() { once.Do(func() { close(release) }) }
			t.Cleanup(unblock) // before r.Close, which waits for the continuation

			fs := make([]*zmqfuture.Future[[][]byte], n)
			for i := range fs {
				fs[i] = request(ctx, r, "hold", i)
			}
			srv.expect(ctx, t, "recv "+strconv.Itoa(n))
			// Pending until the flush, so the continuation runs on the
			// receiving goroutine when the first reply comes, and holds it.
			fs[0] = zmqfuture.Map(fs[0], func(m [][]byte) ([][]byte, error) {
				select {
				case <-release:
				case <-ctx.Done(): // never hang the test
				}
				return m, nil
			})
			srv.flush(t)
			srv.expect(ctx, t, "sent "+strconv.Itoa(n))
			// The server's libzmq writes the replies out within microseconds;
			// the DEALER queues them, its receiver being held.
			time.Sleep(300 * time.Millisecond)
			srv.kill(t)
			require.Eventually(t, func() bool { return r.Stats().Disconnects == 1 }, lostBound, time.Millisecond)
			for _, f := range fs {
				requirePending(t, f)
			}

			unblock()
			for i, f := range fs {
				res := settledWithin(t, f, 5*time.Second)
				require.NoError(t, res.Err, "request %d", i)
				requireEcho(t, res.Value, "hold", i)
			}
			require.Equal(t, Stats{Sent: n, Replied: n, Disconnects: 1}, r.Stats())
		})
	}
}

// TestRequesterPeerLostSeveralPeers: with several peers, one peer's
// disconnect fails every pending request, those the other peer holds too
// (a DEALER cannot tell who holds which); that peer's late replies are
// dropped, and it serves the next requests.
func TestRequesterPeerLostSeveralPeers(t *testing.T) {
	c, sc := zmqtest.NewContext(t), zmqtest.NewContext(t)
	r, ep := boundRequester(t, c)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	a, b := connectRouter(t, sc, ep), connectRouter(t, sc, ep)
	fromA, fromB := heldRequests(t, a), heldRequests(t, b)

	// Requests until each peer holds two (the DEALER round-robins over the
	// peers connected at the time).
	var fs []*zmqfuture.Future[[][]byte]
	var atB [][][]byte
	atA := 0
	for atA < 2 || len(atB) < 2 {
		fs = append(fs, r.Request(ctx, []byte("q"), []byte(strconv.Itoa(len(fs)))))
		select {
		case <-fromA:
			atA++
		case m := <-fromB:
			atB = append(atB, m)
		case <-ctx.Done():
			require.FailNow(t, "a request did not arrive")
		}
	}

	require.NoError(t, a.Close())
	for i, f := range fs {
		res := settledWithin(t, f, lostBound)
		require.ErrorIs(t, res.Err, ErrPeerLost, "request %d", i)
	}
	for _, m := range atB {
		require.NoError(t, b.Send(ctx, answer(t, m, "late")...))
	}
	require.Eventually(t, func() bool { return r.Stats().Dropped == uint64(len(atB)) }, 5*time.Second, time.Millisecond)

	f := r.Request(ctx, []byte("next"))
	require.NoError(t, b.Send(ctx, answer(t, nextRequest(ctx, t, fromB), "served")...))
	msg, err := f.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"served"}, strs(msg))
	n := uint64(len(fs))
	require.Equal(t, Stats{Sent: n + 1, Replied: 1, Dropped: uint64(len(atB)), Lost: n, Disconnects: 1}, r.Stats())
}

// TestRequesterRetryOnDisconnect: a lost request is sent again with its
// correlation frame unchanged; a duplicate reply is dropped and counted; a
// request lost again after its last allowed resend fails with ErrPeerLost.
// Here the servers connect to a bound DEALER, whose resends wait in the
// send for the next peer.
func TestRequesterRetryOnDisconnect(t *testing.T) {
	c, sc := zmqtest.NewContext(t), zmqtest.NewContext(t)
	r, ep := boundRequester(t, c, WithRetryOnDisconnect(1))
	ctx := zmqtest.Ctx(t, 10*time.Second)

	a := connectRouter(t, sc, ep)
	body := []byte("f")
	f := r.Request(ctx, body)
	body[0] = 'X' // the caller may reuse its frames once Request returns
	ma := mustRecv(ctx, t, a)
	require.Equal(t, "f", string(ma[3]))
	require.NoError(t, a.Close())
	require.Eventually(t, func() bool { return r.Stats().Disconnects == 1 }, lostBound, time.Millisecond)
	requirePending(t, f)

	b := connectRouter(t, sc, ep)
	mb := mustRecv(ctx, t, b)
	require.Equal(t, ma[1:], mb[1:], "sent again as it was, correlation frame included")
	require.NoError(t, b.Send(ctx, answer(t, mb, "first")...))
	require.NoError(t, b.Send(ctx, answer(t, mb, "duplicate")...))
	msg, err := f.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"first"}, strs(msg))
	require.Eventually(t, func() bool { return r.Stats().Dropped == 1 }, 5*time.Second, time.Millisecond)

	g := r.Request(ctx, []byte("g"))
	mg := mustRecv(ctx, t, b)
	require.NoError(t, b.Close())
	d := connectRouter(t, sc, ep)
	require.Equal(t, mg[1:], mustRecv(ctx, t, d)[1:])
	require.NoError(t, d.Close())
	res := settledWithin(t, g, lostBound)
	require.ErrorIs(t, res.Err, ErrPeerLost)
	require.Equal(t, Stats{Sent: 2, Resent: 2, Replied: 1, Dropped: 1, Lost: 1, Disconnects: 3}, r.Stats())
}

// TestRequesterRetryAbandoned: a resend waiting in the send (a bound DEALER
// with no peer) ends when its request is cancelled: the resender moves on to
// the next lost request, and the cancelled one never reaches the server that
// comes up later.
func TestRequesterRetryAbandoned(t *testing.T) {
	c, sc := zmqtest.NewContext(t), zmqtest.NewContext(t)
	r, ep := boundRequester(t, c, WithRetryOnDisconnect(1))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	queued := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.resendQ)
	}

	a := connectRouter(t, sc, ep)
	fctx, cancelF := context.WithCancel(ctx)
	f := r.Request(fctx, []byte("f"))
	g := r.Request(ctx, []byte("g"))
	require.Equal(t, "f", string(mustRecv(ctx, t, a)[3]))
	require.Equal(t, "g", string(mustRecv(ctx, t, a)[3]))
	require.NoError(t, a.Close())
	require.Eventually(t, func() bool { return r.Stats().Disconnects == 1 }, lostBound, time.Millisecond)

	// Once due, the resender takes f (the lower ID) first, and its send waits
	// for a peer; g waits behind it.
	require.Eventually(t, func() bool { return queued() == 1 }, lostBound, time.Millisecond)
	cancelF()
	res := settledWithin(t, f, lostBound)
	require.ErrorIs(t, res.Err, context.Canceled)
	require.Eventually(t, func() bool { return queued() == 0 }, lostBound, time.Millisecond,
		"the resender is still stuck on the cancelled request")

	b := connectRouter(t, sc, ep)
	defer b.Close()
	mg := mustRecv(ctx, t, b)
	require.Equal(t, "g", string(mg[3]), "the cancelled request was sent again")
	require.NoError(t, b.Send(ctx, answer(t, mg, "ok")...))
	msg, err := g.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"ok"}, strs(msg))

	// Nothing of f follows: the next request is the next message b sees.
	h := r.Request(ctx, []byte("h"))
	mh := mustRecv(ctx, t, b)
	require.Equal(t, "h", string(mh[3]))
	require.NoError(t, b.Send(ctx, answer(t, mh, "ok")...))
	_, err = h.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, Stats{Sent: 3, Resent: 1, Replied: 2, Canceled: 1, Disconnects: 1}, r.Stats())
}

// TestRequesterHandshakeFailures: connections to a bound DEALER that never
// complete a ZMTP handshake (a client that connects and leaves, one that
// speaks HTTP, one with a broken greeting) carried no request: they fail
// nothing and are not counted as disconnects.
func TestRequesterHandshakeFailures(t *testing.T) {
	c, sc := zmqtest.NewContext(t), zmqtest.NewContext(t)
	core, logs := observer.New(zapcore.DebugLevel)
	r, ep := boundRequester(t, c, WithLogger(zap.New(core)))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	a := connectRouter(t, sc, ep)
	fromA := heldRequests(t, a)
	f := r.Request(ctx, []byte("f"))
	m := nextRequest(ctx, t, fromA)

	garbage := [][]byte{
		nil,
		[]byte("GET / HTTP/1.0\r\n\r\n"),
		append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0}, []byte("NOPE")...),
	}
	addr := strings.TrimPrefix(ep, "tcp://")
	for _, g := range garbage {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		if g != nil {
			_, err = conn.Write(g)
			require.NoError(t, err)
			time.Sleep(20 * time.Millisecond) // let libzmq read it
		}
		require.NoError(t, conn.Close())
	}
	require.Eventually(t, func() bool {
		return logs.FilterMessage("connection failed its handshake").Len() >= len(garbage)
	}, 5*time.Second, time.Millisecond)
	// A new peer's handshake is reported after those connections' ends.
	b := connectRouter(t, sc, ep)
	defer b.Close()
	require.Eventually(t, func() bool { return logs.FilterMessage("peer connected").Len() >= 2 }, 5*time.Second, time.Millisecond)

	requirePending(t, f)
	require.NoError(t, a.Send(ctx, answer(t, m, "ok")...))
	msg, err := f.Await(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"ok"}, strs(msg))
	require.Equal(t, Stats{Sent: 1, Replied: 1}, r.Stats())
}

// TestRequesterSharesMonitor: a user's monitor on the Requester's socket runs beside
// the Requester's own (they share the socket's one libzmq monitor): both see the
// peer go, the pending request fails with ErrPeerLost, and nothing is logged as lost.
func TestRequesterSharesMonitor(t *testing.T) {
	c := zmqtest.NewContext(t)
	core, logs := observer.New(zapcore.WarnLevel)
	router, r := newRouterRequester(t, c, "tcp://127.0.0.1:*", WithLogger(zap.New(core)))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	mon, err := r.s.Monitor(ctx, zmq4.EVENT_DISCONNECTED, 16)
	require.NoError(t, err)
	f := r.Request(ctx, []byte("never answered"))
	_, err = router.Recv(ctx)
	require.NoError(t, err)
	require.NoError(t, router.Close())

	_, err = f.Await(ctx)
	require.ErrorIs(t, err, ErrPeerLost)
	select {
	case ev := <-mon.C():
		require.Equal(t, zmq4.EVENT_DISCONNECTED, ev.Event)
	case <-ctx.Done():
		t.Fatal("the user's monitor saw no disconnect")
	}
	require.NoError(t, mon.Close())
	require.NoError(t, r.Close())
	require.Zero(t, logs.Len(), "warnings: %v", logs.All())
}
