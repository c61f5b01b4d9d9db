package zmqstream

import (
	"context"
	"fmt"

	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqfuture"
)

// FlatMapFuture returns an Observable that maps each item of obs to a future with fn
// and emits the results in the items' order, with at most concurrency futures made and
// not yet emitted: beyond that it observes no further item, so a slow consumer stops
// fn, then obs. A failed future, an error item, a value not a T (ErrItemType) or a nil
// future (ErrNilFuture) becomes an error item in its place. fn runs on the
// observation's goroutine, one call at a time: it may block, delaying the rest, and
// must return when its ctx ends; the ctx and the futures in flight are cancelled when
// the observation ends. concurrency < 1 emits an error wrapping ErrInvalidArgument.
func FlatMapFuture[T, U any](obs rxgo.Observable, fn func(context.Context, T) *zmqfuture.Future[U], concurrency int) rxgo.Observable {
	if concurrency < 1 {
		return rxgo.Thrown(fmt.Errorf("%w: FlatMapFuture concurrency %d < 1", ErrInvalidArgument, concurrency))
	}
	var life context.Context
	if p, ok := obs.(*pipeline); ok {
		life = p.ctx
	}
	out := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		flatMapFuture(ctx, life, obs, fn, concurrency, next)
	}})
	if life != nil {
		return newPipeline(life, out)
	}
	return out
}

// inFlight is one item of FlatMapFuture: its future, or the error it became.
type inFlight[U any] struct {
	f   *zmqfuture.Future[U]
	err error
}

func flatMapFuture[T, U any](ctx, life context.Context, obs rxgo.Observable, fn func(context.Context, T) *zmqfuture.Future[U], concurrency int, next chan<- rxgo.Item) {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if life != nil {
		stop := context.AfterFunc(life, func() { cancel(context.Cause(life)) })
		defer stop()
	}
	queue := make([]inFlight[U], 0, concurrency)
	defer func() {
		for _, q := range queue {
			if q.f != nil {
				q.f.Cancel(context.Cause(cctx))
			}
		}
	}()
	in := obs.Observe(rxgo.WithContext(cctx))
	done := cctx.Done()
	settled := closedChan[struct{}]() // the Done of an item that is already an error
	for in != nil || len(queue) > 0 {
		var head <-chan struct{}
		if len(queue) > 0 {
			head = settled
			if queue[0].f != nil {
				head = queue[0].f.Done()
			}
		}
		var input <-chan rxgo.Item
		if len(queue) < concurrency {
			input = in // nil once obs has completed
		}
		select {
		case <-done:
			return
		case <-head:
			q := queue[0]
			queue[0] = inFlight[U]{}
			queue = queue[1:]
			item := rxgo.Item{E: q.err}
			if q.f != nil {
				r, _ := q.f.Result()
				item = rxgo.Item{V: r.Value, E: r.Err}
				if r.Err != nil {
					item.V = nil
				}
			}
			select {
			case next <- item:
			case <-done:
				return
			}
		case item, ok := <-input:
			if !ok {
				in = nil
				continue
			}
			v, err := itemValue[T](item)
			if err != nil {
				queue = append(queue, inFlight[U]{err: err})
				continue
			}
			f := fn(cctx, v)
			if f == nil {
				queue = append(queue, inFlight[U]{err: ErrNilFuture})
				continue
			}
			queue = append(queue, inFlight[U]{f: f})
		}
	}
}

// First returns a future of the first item of obs, as a T, observed on a goroutine the
// future owns, which stops observing once the first item arrives. It fails with an
// error item's error, ErrItemType, ErrNoItems if obs completes first, or ctx's cause.
// For a Stream's Observable the Stream then ends, and what its producer had taken
// beyond the first is in Undelivered. Unlike rxgo's First, the result can be read any
// number of times.
func First[T any](ctx context.Context, obs rxgo.Observable) *zmqfuture.Future[T] {
	return zmqfuture.Go(ctx, func(ctx context.Context) (T, error) {
		var zero T
		octx, cancel := context.WithCancel(ctx)
		defer cancel()
		items := obs.Observe(rxgo.WithContext(octx))
		select {
		case item, ok := <-items:
			if !ok {
				return zero, ErrNoItems
			}
			return itemValue[T](item)
		case <-ctx.Done():
			return zero, context.Cause(ctx)
		}
	})
}
