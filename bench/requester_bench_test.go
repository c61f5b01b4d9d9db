package bench

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

// Request rate of reqrep.Requester against raw pebbe/zmq4 REQ/REP, and the
// cost of a Recv future against a raw receive loop, each beside its raw twin
// in the same run:
//
//	BenchmarkRequester/tcp/inflight=64   Requester, 64 requests in flight, ROUTER echo server
//	BenchmarkRequester/tcp/inflight=1    the same, one request at a time (latency)
//	BenchmarkRequester/tcp/raw-REQ-REP   raw pebbe REQ → REP, sequential round trips
//	BenchmarkRecvFuture/inproc/16B/future      reqrep.Recv(ctx, pull).Await(ctx) per message
//	BenchmarkRecvFuture/inproc/16B/zmqevented  the layer below: pull.Recv(ctx) per message
//	BenchmarkRecvFuture/inproc/16B/raw         raw pebbe PULL RecvBytes loop
//
// One iteration is one request (or one message). The Requester benchmarks
// keep a window of futures: each iteration awaits the oldest and issues a new
// request, so the window stays full; the ones still in flight when the loop
// ends are awaited untimed. Both sides of a round trip run in the process,
// each with its own libzmq context (one I/O thread each); the servers are a
// zmqevented ROUTER echoing every message in one goroutine and a raw pebbe
// REP. The request body is 16 B. req/s is b.N over the timed loop.
// Identifiers are prefixed req to share package bench with other suites.

const reqBenchBody = 16

var reqBenchSinkMsg [][]byte

// reqBenchReport reports the request rate of the timed loop.
func reqBenchReport(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "req/s")
	}
}

func BenchmarkRequester(b *testing.B) {
	b.Run("tcp/inflight=64", func(b *testing.B) { reqBenchRequester(b, 64) })
	b.Run("tcp/inflight=1", func(b *testing.B) { reqBenchRequester(b, 1) })
	b.Run("tcp/raw-REQ-REP", reqBenchRawREQREP)
}

// reqBenchRequester runs a Requester with window requests in flight against a
// zmqevented ROUTER echo server over tcp.
func reqBenchRequester(b *testing.B, window int) {
	srvCtx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	cliCtx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	router, err := srvCtx.NewSocket(zmq4.ROUTER)
	if err != nil {
		b.Fatal(err)
	}
	if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	ep, err := router.LastEndpoint()
	if err != nil {
		b.Fatal(err)
	}
	var srv sync.WaitGroup
	srv.Go(func() { reqBenchEcho(b, router) })

	dealer, err := cliCtx.NewSocket(zmq4.DEALER)
	if err != nil {
		b.Fatal(err)
	}
	if err := dealer.Connect(ep); err != nil {
		b.Fatal(err)
	}
	r, err := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(window))
	if err != nil {
		b.Fatal(err)
	}

	ctx := b.Context()
	body := bytes.Repeat([]byte{'r'}, reqBenchBody)
	ring := make([]*zmqfuture.Future[[][]byte], window)
	await := func(f *zmqfuture.Future[[][]byte]) {
		msg, err := f.Await(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(msg) != 1 || len(msg[0]) != reqBenchBody {
			b.Fatalf("bad reply %q", msg)
		}
		reqBenchSinkMsg = msg
	}
	// Warm up: the connection is made and the first round trip done.
	await(r.Request(ctx, body))

	b.ReportAllocs()
	b.SetBytes(reqBenchBody)
	i := 0
	for b.Loop() {
		if f := ring[i]; f != nil {
			await(f)
		}
		ring[i] = r.Request(ctx, body)
		if i++; i == window {
			i = 0
		}
	}
	reqBenchReport(b)
	for _, f := range ring {
		if f != nil {
			await(f)
		}
	}
	if st := r.Stats(); st.Dropped != 0 || st.Malformed != 0 {
		b.Errorf("stats %+v", st)
	}

	if err := r.Close(); err != nil {
		b.Error(err)
	}
	if err := router.Close(); err != nil {
		b.Error(err)
	}
	srv.Wait()
	if err := cliCtx.Close(); err != nil {
		b.Error(err)
	}
	if err := srvCtx.Close(); err != nil {
		b.Error(err)
	}
}

// reqBenchEcho sends every message router receives back as it is (the
// envelope included, so it answers the Requester's wire format) until router
// is closed.
func reqBenchEcho(b *testing.B, router *zmqevented.Socket) {
	ctx := context.Background() // ends when router closes
	for {
		msg, err := router.Recv(ctx)
		if err != nil {
			return
		}
		if err := router.Send(ctx, msg...); err != nil {
			if err != zmqevented.ErrClosed { //nolint:errorlint // zmqevented returns the sentinel itself
				b.Error(err)
			}
			return
		}
	}
}

// reqBenchRawREQREP: raw pebbe REQ and REP over tcp, one round trip per
// iteration.
func reqBenchRawREQREP(b *testing.B) {
	srvCtx, err := zmq4.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	cliCtx, err := zmq4.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	rep, err := srvCtx.NewSocket(zmq4.REP)
	if err != nil {
		b.Fatal(err)
	}
	req, err := cliCtx.NewSocket(zmq4.REQ)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []*zmq4.Socket{rep, req} {
		if err := s.SetLinger(0); err != nil {
			b.Fatal(err)
		}
	}
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	ep, err := rep.GetLastEndpoint()
	if err != nil {
		b.Fatal(err)
	}
	if err := req.Connect(ep); err != nil {
		b.Fatal(err)
	}
	var srv sync.WaitGroup
	srv.Go(func() {
		defer rep.Close()
		for {
			m, err := rep.RecvBytes(0)
			if err != nil {
				return // ETERM: srvCtx is terminating
			}
			if _, err := rep.SendBytes(m, 0); err != nil {
				return
			}
		}
	})

	body := bytes.Repeat([]byte{'r'}, reqBenchBody)
	benchRoundTrips(b, reqBenchBody, func() { // one untimed round trip first, as the Requester has
		if _, err := req.SendBytes(body, 0); err != nil {
			b.Fatal(err)
		}
		m, err := req.RecvBytes(0)
		if err != nil {
			b.Fatal(err)
		}
		if len(m) != reqBenchBody {
			b.Fatalf("bad reply %q", m)
		}
		reqBenchSinkMsg = [][]byte{m}
	})
	reqBenchReport(b)

	if err := req.Close(); err != nil {
		b.Error(err)
	}
	if err := cliCtx.Term(); err != nil {
		b.Error(err)
	}
	if err := srvCtx.Term(); err != nil { // ends the REP loop with ETERM
		b.Error(err)
	}
	srv.Wait()
}

func BenchmarkRecvFuture(b *testing.B) {
	b.Run("inproc/16B/future", func(b *testing.B) {
		rig := newSendingPair(b, "inproc", reqBenchBody)
		pull := evWrap(b, rig.pull)
		ctx := b.Context()
		b.ReportAllocs()
		b.SetBytes(reqBenchBody)
		for b.Loop() {
			msg, err := reqrep.Recv(ctx, pull).Await(ctx)
			if err != nil {
				b.Fatal(err)
			}
			reqBenchSinkMsg = msg
		}
		rig.stop(b, pull.Close)
	})
	b.Run("inproc/16B/zmqevented", func(b *testing.B) {
		rig := newSendingPair(b, "inproc", reqBenchBody)
		pull := evWrap(b, rig.pull)
		ctx := b.Context()
		b.ReportAllocs()
		b.SetBytes(reqBenchBody)
		for b.Loop() {
			msg, err := pull.Recv(ctx)
			if err != nil {
				b.Fatal(err)
			}
			reqBenchSinkMsg = msg
		}
		rig.stop(b, pull.Close)
	})
	b.Run("inproc/16B/raw", func(b *testing.B) {
		rig := newSendingPair(b, "inproc", reqBenchBody)
		b.ReportAllocs()
		b.SetBytes(reqBenchBody)
		for b.Loop() {
			m, err := rig.pull.RecvBytes(0)
			if err != nil {
				b.Fatal(err)
			}
			reqBenchSinkMsg = [][]byte{m}
		}
		rig.stop(b, rig.pull.Close)
	})
}
