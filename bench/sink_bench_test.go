package bench

import (
	"testing"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// Sink throughput against raw pebbe/zmq4, each layered variant beside its raw twin in
// the same run, over inproc and tcp at 16 B and 4 KiB:
//
//	BenchmarkSinkPush/<transport>/<size>/raw      the raw baseline: blocking PUSH loop → RecvBytes loop
//	BenchmarkSinkPush/<transport>/<size>/sink     zmqsink.Sink.Send on a zmqevented PUSH
//	BenchmarkSinkPush/<transport>/<size>/forward  zmqsink.Forward from an rxgo Observable
//	BenchmarkSinkPipeline/<transport>/<size>/raw       the same raw baseline
//	BenchmarkSinkPipeline/<transport>/<size>/pipeline  Observable → Forward → Sink → PUSH/PULL → Stream → Observable
//
// In BenchmarkSinkPush every variant sends to the raw baseline's receiver, and the
// timed loop is that receiver's, as in zmqbench's zmqsink-send and zmqsink-forward rows:
// only the sending end differs. The pipeline (zmqbench's zmqsink-pipeline) layers both
// ends and is timed at the consumer.

// BenchmarkSinkPush runs the sending layers beside their raw twin; see above.
func BenchmarkSinkPush(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":     rigs.RawThroughput,
		"sink":    rigs.SinkSend,
		"forward": rigs.SinkForward,
	}, benchTransports, benchLayerSizes)
}

// BenchmarkSinkPipeline runs the whole pipeline beside the same raw twin.
func BenchmarkSinkPipeline(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":      rigs.RawThroughput,
		"pipeline": rigs.Pipeline,
	}, benchTransports, benchLayerSizes)
}
