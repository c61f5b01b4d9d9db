package bench

import (
	"fmt"
	"strings"
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

var sinkBenchSizes = []int{16, 4096}

var sinkBenchTransports = []string{"inproc", "tcp"}

// sinkBenchRig is a raw pebbe context with a bound PULL and a connected PUSH.
type sinkBenchRig struct {
	zctx *zmq4.Context
	pull *zmq4.Socket
	push *zmq4.Socket
}

func sinkBenchNewRig(b *testing.B, transport string) *sinkBenchRig {
	b.Helper()
	zctx, err := zmq4.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	r := &sinkBenchRig{zctx: zctx}
	if r.pull, err = zctx.NewSocket(zmq4.PULL); err != nil {
		b.Fatal(err)
	}
	if r.push, err = zctx.NewSocket(zmq4.PUSH); err != nil {
		b.Fatal(err)
	}
	for _, s := range []*zmq4.Socket{r.pull, r.push} {
		if err := s.SetLinger(0); err != nil {
			b.Fatal(err)
		}
	}
	endpoint := "tcp://127.0.0.1:*"
	if transport == "inproc" {
		endpoint = "inproc://sink-bench-" + strings.ReplaceAll(b.Name(), "/", "-")
	}
	if err := r.pull.Bind(endpoint); err != nil {
		b.Fatal(err)
	}
	ep, err := r.pull.GetLastEndpoint()
	if err != nil {
		b.Fatal(err)
	}
	if err := r.push.Connect(ep); err != nil {
		b.Fatal(err)
	}
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
	s, err := zmqevented.Wrap(r.push, zmqevented.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
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
	if err := k.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

func sinkBenchSizeName(size int) string {
	if size >= 1024 {
		return fmt.Sprintf("%dKiB", size/1024)
	}
	return fmt.Sprintf("%dB", size)
}

func BenchmarkSinkPush(b *testing.B) {
	for _, tr := range sinkBenchTransports {
		for _, size := range sinkBenchSizes {
			b.Run(tr+"/"+sinkBenchSizeName(size), func(b *testing.B) {
				msg := make([]byte, size)
				b.Run("raw", func(b *testing.B) {
					r := sinkBenchNewRig(b, tr)
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
				})
				b.Run("sink", func(b *testing.B) {
					ctx := b.Context()
					r := sinkBenchNewRig(b, tr)
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
				})
				b.Run("forward", func(b *testing.B) {
					ctx := b.Context()
					r := sinkBenchNewRig(b, tr)
					wait := sinkBenchRawReceiver(b, r.pull)
					s, k := sinkBenchWrap(b, r)
					items := make(chan rxgo.Item, 256)
					var fwdErr error
					var wg sync.WaitGroup
					wg.Go(func() { fwdErr = zmqsink.Forward(ctx, rxgo.FromChannel(items), k) })
					b.ReportAllocs()
					b.SetBytes(int64(size))
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
					sinkBenchFinish(b, k, s, wait, n)
					r.close(b, false)
				})
			})
		}
	}
}

func BenchmarkSinkPipeline(b *testing.B) {
	for _, tr := range sinkBenchTransports {
		for _, size := range sinkBenchSizes {
			b.Run(tr+"/"+sinkBenchSizeName(size), func(b *testing.B) {
				msg := make([]byte, size)
				b.Run("raw", func(b *testing.B) {
					r := sinkBenchNewRig(b, tr)
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
				})
				b.Run("pipeline", func(b *testing.B) {
					ctx := b.Context()
					r := sinkBenchNewRig(b, tr)
					s, k := sinkBenchWrap(b, r)
					pull, err := zmqevented.Wrap(r.pull, zmqevented.WithLinger(0))
					if err != nil {
						b.Fatal(err)
					}
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
					items := make(chan rxgo.Item, 256)
					var fwdErr error
					var fwd sync.WaitGroup
					fwd.Go(func() { fwdErr = zmqsink.Forward(ctx, rxgo.FromChannel(items), k) })
					b.ReportAllocs()
					b.SetBytes(int64(size))
					n := 0
					for b.Loop() {
						items <- rxgo.Of(msg)
						n++
					}
					close(items)
					fwd.Wait()
					if fwdErr != nil {
						b.Fatal(fwdErr)
					}
					sinkBenchFinish(b, k, s, func() int { recv.Wait(); return got }, n)
					if err := pull.Close(); err != nil {
						b.Fatal(err)
					}
					if err := r.zctx.Term(); err != nil {
						b.Error(err)
					}
				})
			})
		}
	}
}
