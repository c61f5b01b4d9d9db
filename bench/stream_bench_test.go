package bench

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
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
// sending as fast as libzmq takes the messages (HWMs of 1000 each side). The timed loop
// is the receiver's, one message per iteration, so the number is the receiving rate
// while the queues are kept full. The machine has 2 cores; the Stream variants run
// three goroutines on them (sender, the Stream's receiver, the consumer), the raw twin
// two. Identifiers are prefixed stream to share package bench with other suites.

var (
	streamBenchSizes      = []int{16, 4096}
	streamBenchTransports = []string{"inproc", "tcp"}
	streamBenchSink       int
)

// streamBenchRig is a raw pebbe context with a bound PULL and a connected PUSH whose
// sender goroutine runs until stop.
type streamBenchRig struct {
	zctx   *zmq4.Context
	pull   *zmq4.Socket
	push   *zmq4.Socket
	quit   atomic.Bool
	sender sync.WaitGroup
	err    error
}

func streamBenchNewRig(b *testing.B, transport string, size int) *streamBenchRig {
	b.Helper()
	zctx, err := zmq4.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	r := &streamBenchRig{zctx: zctx}
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
	// A blocked send gives up now and then, so the sender sees quit.
	if err := r.push.SetSndtimeo(20 * time.Millisecond); err != nil {
		b.Fatal(err)
	}
	endpoint := "tcp://127.0.0.1:*"
	if transport == "inproc" {
		endpoint = "inproc://stream-bench-" + strings.ReplaceAll(b.Name(), "/", "-")
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
	msg := make([]byte, size)
	r.sender.Go(func() {
		for !r.quit.Load() {
			if _, err := r.push.SendBytes(msg, 0); err != nil && zmq4.AsErrno(err) != zmq4.Errno(syscall.EAGAIN) {
				r.err = err
				return
			}
		}
	})
	return r
}

// stop ends the sender and closes everything; pull is false when zmqevented owns it.
func (r *streamBenchRig) stop(b *testing.B, pull bool) {
	b.Helper()
	r.quit.Store(true)
	r.sender.Wait()
	if r.err != nil {
		b.Error(r.err)
	}
	_ = r.push.Close()
	if pull {
		_ = r.pull.Close()
	}
	if err := r.zctx.Term(); err != nil {
		b.Error(err)
	}
}

// streamBenchStream hands the rig's raw PULL to zmqevented and a Stream.
func streamBenchStream(b *testing.B, r *streamBenchRig, opts ...zmqstream.Option) (*zmqevented.Socket, *zmqstream.Stream) {
	b.Helper()
	s, err := zmqevented.Wrap(r.pull, zmqevented.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	st, err := zmqstream.New(s, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return s, st
}

func streamBenchClose(b *testing.B, r *streamBenchRig, s *zmqevented.Socket, st *zmqstream.Stream) {
	b.Helper()
	if err := st.Close(); err != nil {
		b.Error(err)
	}
	<-st.Done()
	if err := st.Err(); err != nil {
		b.Error(err)
	}
	r.quit.Store(true)
	r.sender.Wait()
	if err := s.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
		b.Error(err)
	}
	r.stop(b, false)
}

func BenchmarkStream(b *testing.B) {
	for _, tr := range streamBenchTransports {
		for _, size := range streamBenchSizes {
			name := tr + "/16B"
			if size == 4096 {
				name = tr + "/4KiB"
			}
			b.Run(name, func(b *testing.B) {
				b.Run("raw", func(b *testing.B) {
					r := streamBenchNewRig(b, tr, size)
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						m, err := r.pull.RecvBytes(0)
						if err != nil {
							b.Fatal(err)
						}
						streamBenchSink += len(m)
					}
					r.stop(b, true)
				})
				b.Run("Recv", func(b *testing.B) {
					r := streamBenchNewRig(b, tr, size)
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
					r := streamBenchNewRig(b, tr, size)
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
						r := streamBenchNewRig(b, tr, size)
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
					r := streamBenchNewRig(b, tr, size)
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
