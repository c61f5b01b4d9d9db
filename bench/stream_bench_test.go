package bench

import (
	"testing"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// BenchmarkStream measures zmqstream's consumers against raw pebbe/zmq4, each beside
// its raw twin in the same run, over inproc and tcp at 16 B and 4 KiB:
//
//	BenchmarkStream/<transport>/<size>/raw         the raw baseline: RecvBytes(0) loop (rigs.RawThroughput)
//	BenchmarkStream/<transport>/<size>/All         ranging over zmqstream.Stream.All
//	BenchmarkStream/<transport>/<size>/C           zmqstream.Stream.C() on a zmqevented PULL
//	BenchmarkStream/<transport>/<size>/C-buffer0   the same with WithBuffer(0): one message per crossing
//	BenchmarkStream/<transport>/<size>/Observable  ranging over Stream.Observable().Observe()
//	BenchmarkStream/<transport>/<size>/Recv        zmqevented Socket.Recv loop, no Stream (for reference)
//
// The sender is the same in every variant: the raw baseline's, a raw pebbe PUSH on its
// own goroutine sending as fast as libzmq takes the messages. The timed loop is the
// receiver's, so the number is the receiving rate while the queues are kept full. The
// Stream variants run three goroutines (sender, the Stream's receiver, the consumer),
// the raw twin two. Every Stream but C-buffer0 has the default options (a buffer of
// 64: batched receives); All, C and Observable are zmqbench's zmqstream-all,
// zmqstream-c and zmqstream-observable rows.
func BenchmarkStream(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":        rigs.RawThroughput,
		"Recv":       rigs.EventedRecv,
		"All":        withOptions(rigs.StreamAll),
		"C":          withOptions(rigs.StreamC),
		"C-buffer0":  withOptions(rigs.StreamC, zmqstream.WithBuffer(0)),
		"Observable": withOptions(rigs.StreamObservable),
	}, benchTransports, benchLayerSizes)
}
