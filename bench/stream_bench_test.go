package bench

import (
	"errors"
	"testing"

	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// Stream throughput against raw pebbe/zmq4, each consumer beside its raw twin in the
// same run, over inproc and tcp at 16 B and 4 KiB:
//
//	BenchmarkStream/<transport>/<size>/raw         raw pebbe PULL: RecvBytes(0) loop
//	BenchmarkStream/<transport>/<size>/Recv        zmqevented Socket.Recv loop, no Stream (for reference)
//	BenchmarkStream/<transport>/<size>/All         ranging over zmqstream.Stream.All
//	BenchmarkStream/<transport>/<size>/C           zmqstream.Stream.C() on a zmqevented PULL
//	BenchmarkStream/<transport>/<size>/C-buffer64  the same with WithBuffer(64)
//	BenchmarkStream/<transport>/<size>/Observable  ranging over Stream.Observable().Observe()
//
// The sender is the same in every variant: a raw pebbe PUSH on its own goroutine
// sending as fast as libzmq takes the messages (HWMs of 1000 each side; sendingPair in
// pairs_test.go). The timed loop is the receiver's, one message per iteration, so the
// number is the receiving rate while the queues are kept full. The machine has 2 cores; the Stream variants run
// three goroutines on them (sender, the Stream's receiver, the consumer), the raw twin
// two. Identifiers are prefixed stream to share package bench with other suites.

// streamBenchSink keeps the received messages observable, so that no loop is optimized
// away.
var streamBenchSink int

// streamBenchStream hands the pair's raw PULL to zmqevented and a Stream.
func streamBenchStream(b *testing.B, r *sendingPair, opts ...zmqstream.Option) (*zmqevented.Socket, *zmqstream.Stream) {
	b.Helper()
	s := evWrap(b, r.pull)
	st, err := zmqstream.New(s, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return s, st
}

// streamBenchClose closes the Stream, checks how it ended, then stops the pair with s
// owning its PULL (an s already closed, ErrClosed, is no failure).
func streamBenchClose(b *testing.B, r *sendingPair, s *zmqevented.Socket, st *zmqstream.Stream) {
	b.Helper()
	if err := st.Close(); err != nil {
		b.Error(err)
	}
	<-st.Done()
	if err := st.Err(); err != nil {
		b.Error(err)
	}
	r.stop(b, func() error {
		if err := s.Close(); !errors.Is(err, zmqevented.ErrClosed) {
			return err
		}
		return nil
	})
}

func BenchmarkStream(b *testing.B) {
	for _, tr := range benchTransports {
		for _, size := range benchLayerSizes {
			b.Run(tr+"/"+sizeName(size), func(b *testing.B) {
				b.Run("raw", func(b *testing.B) {
					r := newSendingPair(b, tr, size)
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						m, err := r.pull.RecvBytes(0)
						if err != nil {
							b.Fatal(err)
						}
						streamBenchSink += len(m)
					}
					r.stop(b, r.pull.Close)
				})
				b.Run("Recv", func(b *testing.B) {
					r := newSendingPair(b, tr, size)
					s, st := streamBenchStream(b, r)
					ctx := b.Context()
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						m, err := s.Recv(ctx)
						if err != nil {
							b.Fatal(err)
						}
						streamBenchSink += len(m[0])
					}
					streamBenchClose(b, r, s, st)
				})
				b.Run("All", func(b *testing.B) {
					r := newSendingPair(b, tr, size)
					s, st := streamBenchStream(b, r)
					b.ReportAllocs()
					b.SetBytes(int64(size))
					// Each b.Loop call is followed by one receive: the range asks for
					// the next message.
					for m, err := range st.All(b.Context()) {
						if err != nil {
							b.Fatal(err)
						}
						streamBenchSink += len(m[0])
						if !b.Loop() {
							break
						}
					}
					streamBenchClose(b, r, s, st)
				})
				for _, buffer := range []int{0, 64} {
					variant := "C"
					if buffer > 0 {
						variant = "C-buffer64"
					}
					b.Run(variant, func(b *testing.B) {
						r := newSendingPair(b, tr, size)
						s, st := streamBenchStream(b, r, zmqstream.WithBuffer(buffer))
						ch := st.C()
						b.ReportAllocs()
						b.SetBytes(int64(size))
						for b.Loop() {
							m, ok := <-ch
							if !ok {
								b.Fatal(st.Err())
							}
							streamBenchSink += len(m[0])
						}
						streamBenchClose(b, r, s, st)
					})
				}
				b.Run("Observable", func(b *testing.B) {
					r := newSendingPair(b, tr, size)
					s, st := streamBenchStream(b, r)
					items := st.Observable().Observe(rxgo.WithContext(st.Context()))
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						it, ok := <-items
						m, isMsg := it.V.([][]byte)
						if !ok || it.E != nil || !isMsg {
							b.Fatal(it.E, st.Err())
						}
						streamBenchSink += len(m[0])
					}
					streamBenchClose(b, r, s, st)
				})
			})
		}
	}
}
