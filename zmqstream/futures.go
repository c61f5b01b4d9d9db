package zmqstream

import (
	"context"
	"fmt"

	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqfuture"
)

// FlatMapFuture returns an Observable that maps each item of obs to a future with fn
// and emits the futures' results in the order of the items, keeping at most
// concurrency futures that have been made and whose result has not been emitted yet:
// with that many, it observes no further item until the oldest has settled and its
// result has been taken downstream. So backpressure flows through: a slow consumer
// stops the calls to fn, and then obs.
//
// Errors do not stop it: a failed future, an error item of obs, a value of obs that is
// not a T (an error wrapping ErrItemType) or a nil future (ErrNilFuture) becomes an
// error item in that item's place, and the next items go on. Downstream operators with
// rxgo's default error strategy stop at the first error; Values reports each and goes
// on.
//
// The Observable is cold: each observation observes obs anew, on one goroutine that
// rxgo starts and that ends when obs has completed and every result is emitted, or
// when the observation's context is done (or, for an Observable of a Stream, the
// Stream is closed, which also stops the operators chained on the result). Then it
// cancels the futures still in flight (zmqfuture's Future.Cancel) and the context it
// passed to fn, and stops observing obs.
//
// fn runs on that goroutine, one call at a time, never under a lock of this package.
// While it runs, the Observable emits no result and takes no item from obs.
// So fn may block — reqrep.Requester.Request, for one, waits while MaxInFlight
// requests are pending — but it then delays the next items and the results of the
// futures already made; it must not wait for this Observable's own results (that
// would never end), and it must return when its ctx is done: that ctx is cancelled
// when the observation's context is done or, for an Observable of a Stream, the Stream
// is closed. A panic in fn is not recovered.
//
// concurrency must be ≥ 1; otherwise the Observable emits one error wrapping
// ErrInvalidArgument. Building the Observable does not block and starts nothing; it
// may be observed from any goroutine.
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

// First returns a future of the first item of obs, as a T: obs is observed (with
// rxgo.WithContext of a context derived from ctx) on a goroutine owned by the future,
// which stops observing as soon as the first item arrives, when ctx is done, or when
// the future is cancelled (zmqfuture's Future.Cancel).
//
// The future fails with the item's error for an error item, with an error wrapping
// ErrItemType for a value that is not a T, with ErrNoItems if obs completes first, and
// with context.Cause(ctx) or the Cancel cause. Unlike rxgo's First and Single, the
// result can be read any number of times. Does not block; goroutine-safe.
//
// For a Stream's Observable the first message is delivered and the Stream then ends
// (its observation was cancelled). Its producer receives the next message as soon as
// the first is handed over, so by then it may hold the second: that one is not lost
// but returned by the Stream's Undelivered once Done is closed (give it to a successor
// with WithPending); the messages after it stay in the socket.
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
