package bench

import (
	"testing"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// Request rate of reqrep.Requester against raw pebbe/zmq4 REQ/REP, and the cost of a
// Recv future against a raw receive loop, each beside its raw twin in the same run:
//
//	BenchmarkRequester/tcp/inflight=64   Requester, 64 requests in flight (zmqbench's zmqfuture-requester)
//	BenchmarkRequester/tcp/inflight=1    the same, one request at a time (latency)
//	BenchmarkRequester/tcp/server/inflight=64  the same Requester against a reqrep.Server (zmqfuture-server)
//	BenchmarkRequester/tcp/raw-REQ-REP   raw pebbe REQ → REP, sequential round trips
//	BenchmarkRecvFuture/inproc/16B/raw         raw pebbe PULL RecvBytes loop
//	BenchmarkRecvFuture/inproc/16B/future      reqrep.Recv(ctx, pull).Await(ctx) per message (zmqfuture-recv)
//	BenchmarkRecvFuture/inproc/16B/zmqevented  the layer below: pull.Recv(ctx) per message
//
// One iteration is one request (or one message). The Requester keeps its window
// full: each iteration tops it up and awaits the oldest request; the ones still in
// flight when the loop ends are awaited untimed. The server is the raw baseline's REP
// echo, or (server/…) a reqrep.Server with default options echoing the body. The
// request body is 16 B; req/s is b.N over the timed loop.

const reqBenchBody = 16

func BenchmarkRequester(b *testing.B) {
	for _, c := range []struct {
		name string
		sp   rigs.Spec
		loop rigs.Func
	}{
		{"tcp/inflight=64", rigs.Spec{Size: reqBenchBody, InFlight: 64}, rigs.Requester},
		{"tcp/inflight=1", rigs.Spec{Size: reqBenchBody, InFlight: 1}, rigs.Requester},
		{"tcp/server/inflight=64", rigs.Spec{Size: reqBenchBody, InFlight: 64}, rigs.ServerRequests},
		{"tcp/raw-REQ-REP", rigs.Spec{Size: reqBenchBody}, rigs.RawReqRep},
	} {
		b.Run(c.name, func(b *testing.B) {
			runLoop(b, "tcp", c.sp, c.loop)
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "req/s")
			}
		})
	}
}

func BenchmarkRecvFuture(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":        rigs.RawThroughput,
		"future":     rigs.FutureRecv,
		"zmqevented": rigs.EventedRecv,
	}, []string{"inproc"}, []int{reqBenchBody})
}
