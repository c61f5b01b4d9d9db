package bench

import (
	"sync"
	"testing"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

// Sink throughput against raw pebbe/zmq4, each layered variant beside its raw twin in
// the same run, over inproc and tcp at 16 B and 4 KiB:
//
//	BenchmarkSinkPush/<transport>/<size>/raw      raw pebbe blocking PUSH loop (SendBytes(msg, 0))
//	BenchmarkSinkPush/<transport>/<size>/sink     zmqsink.Sink.Send on a zmqevented PUSH
//	BenchmarkSinkPush/<transport>/<size>/forward  zmqsink.Forward from an rxgo Observable
//	BenchmarkSinkPipeline/<transport>/<size>/raw       raw PUSH loop → raw PULL loop
//	BenchmarkSinkPipeline/<transport>/<size>/pipeline  Observable → Forward → Sink → PUSH/PULL → zmqevented Recv loop
//
// In BenchmarkSinkPush every variant sends to the same raw pebbe PULL receive loop. The
// timed loop is the sender's; in steady state the HWMs (1000 each side) tie it to the
// receiver, and the messages still in flight when the loop ends (at most the HWMs) are
// drained untimed. The machine has 2 cores: sender and receiver each use one.

// sinkBenchRig is a raw pebbe context with a bound PULL and a connected PUSH.
type sinkBenchRig struct {
	zctx *zmq4.Context
	pull *zmq4.Socket
	push *zmq4.Socket
}

func sinkBenchNewRig(b *testing.B, transport string) *sinkBenchRig {
	b.Helper()
	r := &sinkBenchRig{}
	r.zctx, r.pull, r.push = rawConnect(b, transport, zmq4.PULL, zmq4.PUSH)
	return r
}

// close closes the raw sockets (pass push=false when zmqevented owns it) and
// terminates the context.
func (r *sinkBenchRig) close(b *testing.B, push bool) {
	b.Helper()
	if push {
		_ = r.push.Close()
	}
	_ = r.pull.Close()
	if err := r.zctx.Term(); err != nil {
		b.Error(err)
	}
}

// sinkBenchRawReceiver receives on pull in its own goroutine until an empty message
// (the end marker) and reports how many messages came before it.
func sinkBenchRawReceiver(b *testing.B, pull *zmq4.Socket) func() int {
	b.Helper()
	var n int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			m, err := pull.RecvBytes(0)
			if err != nil {
				b.Error(err)
				return
			}
			if len(m) == 0 {
				return
			}
			n++
		}
	})
	return func() int { wg.Wait(); return n }
}

// sinkBenchWrap hands the rig's raw PUSH to zmqevented and a Sink.
func sinkBenchWrap(b *testing.B, r *sinkBenchRig) (*zmqevented.Socket, *zmqsink.Sink) {
	b.Helper()
	s := evWrap(b, r.push)
	k, err := zmqsink.New(s, zmqsink.WithCloseSocket(false))
	if err != nil {
		b.Fatal(err)
	}
	return s, k
}

// sinkBenchFinish sends the end marker on s, checks the receiver's count and closes
// the sink and the socket.
func sinkBenchFinish(b *testing.B, k *zmqsink.Sink, s *zmqevented.Socket, wait func() int, want int) {
	b.Helper()
	ctx := b.Context()
	if err := k.Send(ctx, nil); err != nil {
		b.Fatal(err)
	}
	if got := wait(); got != want {
		b.Fatalf("receiver got %d messages, want %d", got, want)
	}
	if err := k.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// sinkBenchForwardLoop is the timed loop of the variants that forward an Observable:
// zmqsink.Forward(ctx, rxgo.FromChannel(items), k) on a goroutine, and one item
// rxgo.Of(msg) sent on items per b.Loop iteration. It then closes items, waits for
// Forward and returns how many items it sent.
func sinkBenchForwardLoop(b *testing.B, k *zmqsink.Sink, msg []byte) int {
	b.Helper()
	ctx := b.Context()
	items := make(chan rxgo.Item, 256)
	var fwdErr error
	var wg sync.WaitGroup
	wg.Go(func() { fwdErr = zmqsink.Forward(ctx, rxgo.FromChannel(items), k) })
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	n := 0
	for b.Loop() {
		items <- rxgo.Of(msg)
		n++
	}
	close(items)
	wg.Wait()
	if fwdErr != nil {
		b.Fatal(fwdErr)
	}
	return n
}

// sinkBenchRaw is the raw twin of both benchmarks: a raw pebbe blocking PUSH loop
// (SendBytes(msg, 0)) to the raw receiver.
func sinkBenchRaw(b *testing.B, transport string, size int) {
	msg := make([]byte, size)
	r := sinkBenchNewRig(b, transport)
	wait := sinkBenchRawReceiver(b, r.pull)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	n := 0
	for b.Loop() {
		if _, err := r.push.SendBytes(msg, 0); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if _, err := r.push.SendBytes(nil, 0); err != nil {
		b.Fatal(err)
	}
	if got := wait(); got != n {
		b.Fatalf("receiver got %d messages, want %d", got, n)
	}
	r.close(b, true)
}

// BenchmarkSinkPush runs the sending layers beside their raw twin; see the top of
// this file.
func BenchmarkSinkPush(b *testing.B) {
	runLayers(b, map[string]layerBench{
		"raw":     sinkBenchRaw,
		"sink":    sinkBenchSend,
		"forward": sinkBenchForward,
	}, benchTransports, benchLayerSizes)
}

// BenchmarkSinkPipeline runs the whole pipeline beside the same raw twin.
func BenchmarkSinkPipeline(b *testing.B) {
	runLayers(b, map[string]layerBench{
		"raw":      sinkBenchRaw,
		"pipeline": sinkBenchPipeline,
	}, benchTransports, benchLayerSizes)
}

// sinkBenchSend is Sink.Send on a zmqevented PUSH to the raw receiver.
func sinkBenchSend(b *testing.B, transport string, size int) {
	ctx := b.Context()
	msg := make([]byte, size)
	r := sinkBenchNewRig(b, transport)
	wait := sinkBenchRawReceiver(b, r.pull)
	s, k := sinkBenchWrap(b, r)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	n := 0
	for b.Loop() {
		if err := k.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
		n++
	}
	sinkBenchFinish(b, k, s, wait, n)
	r.close(b, false)
}

// sinkBenchForward is zmqsink.Forward from an rxgo Observable into a Sink on a
// zmqevented PUSH, to the raw receiver.
func sinkBenchForward(b *testing.B, transport string, size int) {
	msg := make([]byte, size)
	r := sinkBenchNewRig(b, transport)
	wait := sinkBenchRawReceiver(b, r.pull)
	s, k := sinkBenchWrap(b, r)
	n := sinkBenchForwardLoop(b, k, msg)
	sinkBenchFinish(b, k, s, wait, n)
	r.close(b, false)
}

// sinkBenchPipeline is Forward into a Sink on a zmqevented PUSH, received by a
// zmqevented Recv loop on the PULL.
func sinkBenchPipeline(b *testing.B, transport string, size int) {
	ctx := b.Context()
	msg := make([]byte, size)
	r := sinkBenchNewRig(b, transport)
	s, k := sinkBenchWrap(b, r)
	pull := evWrap(b, r.pull)
	var got int
	var recv sync.WaitGroup
	recv.Go(func() {
		for {
			m, err := pull.Recv(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			if len(m[0]) == 0 {
				return
			}
			got++
		}
	})
	n := sinkBenchForwardLoop(b, k, msg)
	sinkBenchFinish(b, k, s, func() int { recv.Wait(); return got }, n)
	if err := pull.Close(); err != nil {
		b.Fatal(err)
	}
	if err := r.zctx.Term(); err != nil {
		b.Error(err)
	}
}
