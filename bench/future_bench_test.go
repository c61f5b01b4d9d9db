package bench

import (
	"context"
	"testing"

	"github.com/zmqasync/zmqasync/zmqfuture"
)

// Per-future overhead of zmqfuture's core, each beside a plain
// goroutine-and-channel twin doing the same work in the same run:
//
//	BenchmarkFutureGo / BenchmarkChanGo                     one goroutine, one result
//	BenchmarkFutureGoBackground / BenchmarkChanGo           the same with a never-cancelled ctx
//	BenchmarkFutureMap / BenchmarkChanMap                   one transformation of a pending result
//	BenchmarkFutureAll64 / BenchmarkChanAll64               64 goroutines joined in order
//	BenchmarkFutureAll64Ready / BenchmarkChanAll64Ready     64 pending results joined, no goroutines
//
// The All benchmarks also report ns/future. The twins do not bound their
// waits by a context; the futures do (Await(ctx) selects on ctx.Done), and
// Go derives a cancellable context per call: most of the difference in
// BenchmarkFutureGo and BenchmarkFutureAll64 is those two. Identifiers are
// prefixed futureBench to share package bench with other suites.

const futureBenchFanOut = 64

type futureBenchResult struct {
	v   int
	err error
}

var (
	futureBenchSinkInt  int
	futureBenchSinkInts []int
	futureBenchSinkErr  error
)

func futureBenchWork(context.Context) (int, error) { return 1, nil }

func futureBenchInc(v int) (int, error) { return v + 1, nil }

func futureBenchPerFuture(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/future")
}

func BenchmarkFutureGo(b *testing.B) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		futureBenchSinkInt, futureBenchSinkErr = zmqfuture.Go(ctx, futureBenchWork).Await(ctx)
	}
}

// BenchmarkFutureGoBackground is BenchmarkFutureGo with context.Background:
// no context registration and no select, so it shows what the ctx costs.
func BenchmarkFutureGoBackground(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		futureBenchSinkInt, futureBenchSinkErr = zmqfuture.Go(ctx, futureBenchWork).Await(ctx)
	}
}

func BenchmarkChanGo(b *testing.B) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		ch := make(chan futureBenchResult, 1)
		go func() {
			v, err := futureBenchWork(ctx)
			ch <- futureBenchResult{v, err}
		}()
		r := <-ch
		futureBenchSinkInt, futureBenchSinkErr = r.v, r.err
	}
}

func BenchmarkFutureMap(b *testing.B) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		p := zmqfuture.NewPromise[int]()
		m := zmqfuture.Map(p.Future(), futureBenchInc)
		p.Resolve(1)
		futureBenchSinkInt, futureBenchSinkErr = m.Await(ctx)
	}
}

// BenchmarkChanMap is the channel way to transform a result that is not
// there yet: a goroutine parked on the input until it arrives.
func BenchmarkChanMap(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		in := make(chan futureBenchResult, 1)
		out := make(chan futureBenchResult, 1)
		go func() {
			r := <-in
			if r.err == nil {
				r.v, r.err = futureBenchInc(r.v)
			}
			out <- r
		}()
		in <- futureBenchResult{v: 1}
		r := <-out
		futureBenchSinkInt, futureBenchSinkErr = r.v, r.err
	}
}

func BenchmarkFutureAll64(b *testing.B) {
	ctx := b.Context()
	fs := make([]*zmqfuture.Future[int], futureBenchFanOut)
	b.ReportAllocs()
	for b.Loop() {
		for i := range fs {
			fs[i] = zmqfuture.Go(ctx, futureBenchWork)
		}
		futureBenchSinkInts, futureBenchSinkErr = zmqfuture.All(ctx, fs...).Await(ctx)
	}
	futureBenchPerFuture(b, futureBenchFanOut)
}

func BenchmarkChanAll64(b *testing.B) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		type indexed struct {
			i int
			futureBenchResult
		}
		ch := make(chan indexed, futureBenchFanOut)
		for i := range futureBenchFanOut {
			go func() {
				v, err := futureBenchWork(ctx)
				ch <- indexed{i, futureBenchResult{v, err}}
			}()
		}
		vs := make([]int, futureBenchFanOut)
		var err error
		for range futureBenchFanOut {
			r := <-ch
			if r.err != nil && err == nil {
				err = r.err
			}
			vs[r.i] = r.v
		}
		futureBenchSinkInts, futureBenchSinkErr = vs, err
	}
	futureBenchPerFuture(b, futureBenchFanOut)
}

func BenchmarkFutureAll64Ready(b *testing.B) {
	ctx := b.Context()
	ps := make([]*zmqfuture.Promise[int], futureBenchFanOut)
	fs := make([]*zmqfuture.Future[int], futureBenchFanOut)
	b.ReportAllocs()
	for b.Loop() {
		for i := range ps {
			ps[i] = zmqfuture.NewPromise[int]()
			fs[i] = ps[i].Future()
		}
		all := zmqfuture.All(ctx, fs...)
		for i, p := range ps {
			p.Resolve(i)
		}
		futureBenchSinkInts, futureBenchSinkErr = all.Await(ctx)
	}
	futureBenchPerFuture(b, futureBenchFanOut)
}

// BenchmarkChanAll64Ready joins 64 results delivered on 64 one-shot
// channels, in order, without goroutines.
func BenchmarkChanAll64Ready(b *testing.B) {
	chs := make([]chan futureBenchResult, futureBenchFanOut)
	b.ReportAllocs()
	for b.Loop() {
		for i := range chs {
			chs[i] = make(chan futureBenchResult, 1)
		}
		for i, ch := range chs {
			ch <- futureBenchResult{v: i}
		}
		vs := make([]int, futureBenchFanOut)
		var err error
		for i, ch := range chs {
			r := <-ch
			if r.err != nil && err == nil {
				err = r.err
			}
			vs[i] = r.v
		}
		futureBenchSinkInts, futureBenchSinkErr = vs, err
	}
	futureBenchPerFuture(b, futureBenchFanOut)
}
