package zmqevented_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// benchSize is the message size of the microbenchmarks, where per-call costs dominate.
const benchSize = 16

// benchRig is a PUSH/PULL pair over inproc in a libzmq context of its own, the PULL
// left raw for the receiver to take as it likes.
type benchRig struct {
	zc   *zmq4.Context
	pull *zmq4.Socket
	push *zmqevented.Socket
}

func newBenchRig(b *testing.B) *benchRig {
	b.Helper()
	zc, err := zmq4.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	pull, err := zc.NewSocket(zmq4.PULL)
	if err != nil {
		b.Fatal(err)
	}
	rawPush, err := zc.NewSocket(zmq4.PUSH)
	if err != nil {
		b.Fatal(err)
	}
	push, err := zmqevented.Wrap(rawPush, zmqevented.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := pull.Bind("inproc://bench"); err != nil {
		b.Fatal(err)
	}
	if err := push.Connect("inproc://bench"); err != nil {
		b.Fatal(err)
	}
	return &benchRig{zc: zc, pull: pull, push: push}
}

// feed keeps the PULL's queue full with SendMany batches until stop is called, which
// also closes the rig.
func (r *benchRig) feed(b *testing.B, recv *zmqevented.Socket) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	batch := make([][][]byte, 256)
	for i := range batch {
		batch[i] = [][]byte{make([]byte, benchSize)}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if _, err := r.push.SendMany(ctx, batch); err != nil {
				if !errors.Is(err, context.Canceled) {
					b.Error(err)
				}
				return
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		_ = r.push.Close()
		if recv != nil {
			_ = recv.Close()
		} else {
			_ = r.pull.SetLinger(0)
			_ = r.pull.Close()
		}
		_ = r.zc.Term()
	}
}

// BenchmarkRecv16 compares, in one run, ways to receive 16-byte messages over inproc
// from a sender that keeps the queue full: pebbe/zmq4's blocking RecvBytes loop (the
// raw baseline), Recv on the hot path and on pebbe/zmq4's calls, and RecvMany (batches
// of up to 64). One op is one message.
func BenchmarkRecv16(b *testing.B) {
	b.Run("pebbe-RecvBytes", func(b *testing.B) {
		r := newBenchRig(b)
		defer r.feed(b, nil)()
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.pull.RecvBytes(0); err != nil {
				b.Fatal(err)
			}
		}
	})
	recv := func(b *testing.B, pebbeOnly bool) {
		r := newBenchRig(b)
		zmqevented.SetPebbeOnly(pebbeOnly)
		pull, err := zmqevented.Wrap(r.pull, zmqevented.WithLinger(0))
		zmqevented.SetPebbeOnly(false)
		if err != nil {
			b.Fatal(err)
		}
		defer r.feed(b, pull)()
		ctx := b.Context()
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pull.Recv(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Recv", func(b *testing.B) { recv(b, false) })
	b.Run("Recv-pebbe-calls", func(b *testing.B) { recv(b, true) })
	b.Run("RecvMany-64", func(b *testing.B) {
		r := newBenchRig(b)
		pull, err := zmqevented.Wrap(r.pull, zmqevented.WithLinger(0))
		if err != nil {
			b.Fatal(err)
		}
		defer r.feed(b, pull)()
		ctx := b.Context()
		b.SetBytes(benchSize)
		b.ReportAllocs()
		var batch [][][]byte
		next := 0
		for b.Loop() {
			if next == len(batch) {
				if batch, err = pull.RecvMany(ctx, batch[:0], 64); err != nil {
					b.Fatal(err)
				}
				next = 0
			}
			next++
		}
	})
}
