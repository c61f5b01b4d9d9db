package zmqfuture

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/zmqasync/zmqasync/internal/ctxerr"
)

// Result is the outcome of a settled [Future]: Value when Err is nil,
// otherwise the zero value and the failure.
type Result[T any] struct {
	// Value is the future's value; the zero value if Err is not nil.
	Value T
	// Err is nil if the future succeeded.
	Err error
}

// Future is the eventual result of an asynchronous computation: it is
// written once and read any number of times. All its methods are safe for
// concurrent use.
//
// Futures are made by [Go], [Ready], [Failed], [NewPromise] and the
// combinators ([Map], [Then], [All], …); the zero Future is pending forever
// and ignores Cancel. A Future must not be copied.
type Future[T any] struct {
	state atomic.Uint32 // pending, claimed, settled; res, done and byCancel are fixed once settled

	mu       sync.Mutex
	done     chan struct{} // made on first Done while pending; closedChan if settled first
	head     *waiter       // continuations, in registration order
	tail     *waiter
	res      Result[T]
	byCancel bool // settled by Cancel (a Promise reports the cause on its Context)

	// owner receives Cancel while pending; nil for futures no one works on.
	// Set before the future is shared and never changed.
	owner canceler
}

// A future is pending, then settled. In between it can be claimed: a
// cancellation (or a combinator's decision) has fixed that it will settle,
// and how, but first delivers cancellations to the inputs; meanwhile it
// still reads as pending and nothing else can settle it.
const (
	pending uint32 = iota
	claimed
	settled
)

// closedChan is the Done channel of futures settled before anyone asked for
// one: no allocation for Ready, Failed and synchronously completed futures.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// continuation is what runs when a future settles. fire returns the
// continuations of the future it settled in turn (nil if none), so that run
// executes a chain iteratively instead of recursing once per link.
type continuation interface {
	fire() *waiter
}

// waiter is a node of a future's continuation list. It is embedded in the
// node that registers it (one waiter per registration), so subscribing
// allocates nothing.
type waiter struct {
	next *waiter
	c    continuation
}

// canceler is the work behind a future. cancel asks it to stop and returns
// the next future upstream that should be cancelled too (nil if none), so a
// long chain is cancelled by a loop, not by recursion, and whether it
// claimed its future: the walk then settles that future with the cause
// once everything upstream has been cancelled.
type canceler interface {
	cancel(cause error) (up stepper, claimed bool)
}

// stepper is a future seen from a cancellation walk.
type stepper interface {
	cancelStep(cause error) (up stepper, claimed bool)
	publishCancel(cause error)
}

// Ready returns a future that has already succeeded with v.
//
// It does not block, starts nothing and is safe for concurrent use; Cancel
// on it is a no-op.
func Ready[T any](v T) *Future[T] {
	f := &Future[T]{res: Result[T]{Value: v}, done: closedChan}
	f.state.Store(settled)
	return f
}

// Failed returns a future that has already failed with err (with
// [ErrNilError] if err is nil).
//
// It does not block, starts nothing and is safe for concurrent use; Cancel
// on it is a no-op.
func Failed[T any](err error) *Future[T] {
	if err == nil {
		err = ErrNilError
	}
	f := &Future[T]{res: Result[T]{Err: err}, done: closedChan}
	f.state.Store(settled)
	return f
}

// Go runs fn in a goroutine the future owns and returns the future of its result,
// settled when fn returns. fn's ctx is derived from ctx and cancelled by
// [Future.Cancel] (with its cause) and once fn has returned; fn must honour it, or
// Cancel cannot make the future settle early. A panic in fn is not recovered.
func Go[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *Future[T] {
	cctx, stop := context.WithCancelCause(ctx)
	t := &goTask[T]{stop: stop}
	t.f.owner = t
	go t.run(cctx, fn)
	return &t.f
}

type goTask[T any] struct {
	f    Future[T]
	stop context.CancelCauseFunc
}

func (t *goTask[T]) run(ctx context.Context, fn func(context.Context) (T, error)) {
	v, err := fn(ctx)
	t.stop(nil) // release the context; a cause set by Cancel stays
	t.f.complete(Result[T]{Value: v, Err: err}, false)
}

func (t *goTask[T]) cancel(cause error) (stepper, bool) {
	t.stop(cause)
	return nil, false // the future settles when fn returns
}

// Done returns a channel that is closed once the future has settled. It
// returns the same channel on every call, so it can be used in a select
// loop. It does not block and is safe for concurrent use.
func (f *Future[T]) Done() <-chan struct{} {
	if f.state.Load() == settled {
		return f.done
	}
	f.mu.Lock()
	if f.done == nil {
		f.done = make(chan struct{})
	}
	d := f.done
	f.mu.Unlock()
	return d
}

// Await waits until the future settles or ctx is done. It returns the future's value
// and error, or, if ctx ends first, an error matching ctx's (and its cause) and leaves
// the future untouched. A result already there wins over the cancellation.
func (f *Future[T]) Await(ctx context.Context) (T, error) {
	if f.state.Load() == settled {
		return f.res.Value, f.res.Err
	}
	if ctx.Err() != nil {
		var zero T
		return zero, ctxerr.Of(ctx)
	}
	done := f.Done()
	ctxDone := ctx.Done()
	if ctxDone == nil { // a context that is never cancelled
		<-done
		return f.res.Value, f.res.Err
	}
	select {
	case <-done:
	case <-ctxDone:
		select {
		case <-done: // both ready: the result wins
		default:
			var zero T
			return zero, ctxerr.Of(ctx)
		}
	}
	return f.res.Value, f.res.Err
}

// Result returns the future's result and true if it has settled, or the
// zero Result and false while it is pending. It never blocks and is safe
// for concurrent use.
func (f *Future[T]) Result() (Result[T], bool) {
	if f.state.Load() != settled {
		return Result[T]{}, false
	}
	return f.res, true
}

// Cancel asks the work behind the future to stop with cause (ErrCanceled if nil) and
// does not wait for it; it is a no-op once the future has settled. A Go future
// settles when its fn returns; every other future fails with cause before Cancel
// returns, after passing the cancellation on to its sources or inputs (see
// "Lifecycle" in the package documentation), and the continuations that settles run
// on the calling goroutine.
func (f *Future[T]) Cancel(cause error) {
	if cause == nil {
		cause = ErrCanceled
	}
	// Claim from here upstream, then settle from the top down: when a
	// cancelled future settles, its sources have been told to stop.
	var first stepper
	var more []stepper
	for s := stepper(f); s != nil; {
		up, claimed := s.cancelStep(cause)
		if claimed {
			if first == nil {
				first = s
			} else {
				more = append(more, s)
			}
		}
		s = up
	}
	for i := len(more) - 1; i >= 0; i-- {
		more[i].publishCancel(cause)
	}
	if first != nil {
		first.publishCancel(cause)
	}
}

func (f *Future[T]) cancelStep(cause error) (stepper, bool) {
	if f.owner == nil || f.state.Load() != pending {
		return nil, false
	}
	return f.owner.cancel(cause)
}

// publishCancel settles f, which its owner has claimed, with cause.
func (f *Future[T]) publishCancel(cause error) {
	run(f.publish(Result[T]{Err: cause}, true))
}

// claim marks f claimed if it is pending: from then on only publish
// settles it. It reports whether it did.
func (f *Future[T]) claim() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state.Load() != pending {
		return false
	}
	f.state.Store(claimed)
	return true
}

// publish settles f, which the caller has claimed, with r and returns the
// continuations to run.
func (f *Future[T]) publish(r Result[T], byCancel bool) *waiter {
	f.mu.Lock()
	w := f.settleLocked(r, byCancel)
	f.mu.Unlock()
	return w
}

// settleLocked records r, wakes Done and returns the continuations to run.
// f.mu must be held and f pending or claimed by the caller.
func (f *Future[T]) settleLocked(r Result[T], byCancel bool) *waiter {
	f.res = r
	f.byCancel = byCancel
	d := f.done
	if d == nil {
		f.done = closedChan
	}
	w := f.head
	f.head, f.tail = nil, nil
	// Settled before Done closes: whoever wakes on Done sees the result in
	// Result too.
	f.state.Store(settled)
	if d != nil {
		close(d)
	}
	return w
}

// settle settles f with r if it is pending. It returns the continuations to
// run (the caller runs them, outside any lock) and whether f was settled by
// this call.
func (f *Future[T]) settle(r Result[T], byCancel bool) (*waiter, bool) {
	f.mu.Lock()
	if f.state.Load() != pending {
		f.mu.Unlock()
		return nil, false
	}
	w := f.settleLocked(r, byCancel)
	f.mu.Unlock()
	return w, true
}

// complete settles f with r if it is pending and runs its continuations.
func (f *Future[T]) complete(r Result[T], byCancel bool) bool {
	w, ok := f.settle(r, byCancel)
	run(w)
	return ok
}

// subscribe appends w to f's continuations and returns true, or returns
// false if f has already settled (the caller then fires w itself). A
// claimed future takes continuations: they run when it is published.
func (f *Future[T]) subscribe(w *waiter) bool {
	f.mu.Lock()
	if f.state.Load() == settled {
		f.mu.Unlock()
		return false
	}
	if f.tail == nil {
		f.head = w
	} else {
		f.tail.next = w
	}
	f.tail = w
	f.mu.Unlock()
	return true
}

// run fires the continuations of w and, in turn, those of the futures they
// settle. It keeps its own stack of pending lists on the heap, so a chain of
// any length runs at constant call depth. Continuations registered on one
// future run in registration order, each followed by what it settled.
func run(w *waiter) {
	var stack []*waiter
	for {
		for w != nil {
			cur := w
			w = cur.next
			cur.next = nil
			if next := cur.c.fire(); next != nil {
				if w != nil {
					stack = append(stack, w)
				}
				w = next
			}
		}
		if len(stack) == 0 {
			return
		}
		w = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
	}
}

// Promise is the write side of a [Future]: a producer completes it with
// Resolve or Reject, consumers read its Future. All its methods are safe for
// concurrent use. The first completion wins; later ones return false.
type Promise[T any] struct {
	f Future[T]

	onCancel func(cause error) // NewPromiseFunc; nil for NewPromise

	// Guarded by f.mu; made on the first call to Context.
	ctx  context.Context // the promise's lifetime context, exposed by Context
	stop context.CancelCauseFunc
	ctxW waiter
}

// NewPromise returns a pending promise. It does not block and starts
// nothing; if it is never completed (or its future cancelled), its future
// stays pending and its awaiters wait until their own ctx is done.
func NewPromise[T any]() *Promise[T] {
	p := &Promise[T]{}
	p.f.owner = p
	return p
}

// NewPromiseFunc returns a pending promise, as NewPromise, whose producer is told of a
// cancellation synchronously: when [Future.Cancel] (or a combinator, or a context
// bridge) cancels the pending future, onCancel(cause) runs once, on the cancelling
// goroutine, before the future fails with cause and before its continuations run. It
// is for producers that must release what a request holds (a slot, a table entry) the
// moment it is no longer wanted; onCancel must be short and must not block, and it
// never runs after Resolve or Reject won.
func NewPromiseFunc[T any](onCancel func(cause error)) *Promise[T] {
	p := NewPromise[T]()
	p.onCancel = onCancel
	return p
}

// Future returns the promise's future; the same one on every call. It does
// not block and is safe for concurrent use.
func (p *Promise[T]) Future() *Future[T] { return &p.f }

// Resolve completes the future with v and returns true, or returns false
// (and changes nothing) if it has already settled, for instance because it
// was cancelled. It never panics. Continuations registered on the future
// ([Map], [Then], …) run on the calling goroutine before Resolve returns:
// Resolve blocks only while they run. Safe for concurrent use with every
// other method; of concurrent completions exactly one returns true.
func (p *Promise[T]) Resolve(v T) bool {
	return p.f.complete(Result[T]{Value: v}, false)
}

// Reject fails the future with err ([ErrNilError] if err is nil) and
// returns true, or returns false (and changes nothing) if it has already
// settled. It never panics. Continuations registered on the future run on
// the calling goroutine before Reject returns: Reject blocks only while they
// run. Safe for concurrent use, like Resolve.
func (p *Promise[T]) Reject(err error) bool {
	if err == nil {
		err = ErrNilError
	}
	return p.f.complete(Result[T]{Err: err}, false)
}

// Context returns a context that is done once the promise's future has
// settled, so the producer learns that its work is no longer wanted. After
// [Future.Cancel] with cause, [context.Cause] of it returns that cause
// (ErrCanceled for a nil cause); after Resolve or Reject it returns
// [context.Canceled]. It returns the same context on every call, does not
// block, and is safe for concurrent use. The context is made on the first
// call, so a promise whose Context is never asked for costs none.
func (p *Promise[T]) Context() context.Context {
	p.f.mu.Lock()
	if p.ctx != nil {
		ctx := p.ctx
		p.f.mu.Unlock()
		return ctx
	}
	ctx, stop := context.WithCancelCause(context.Background())
	p.ctx, p.stop = ctx, stop
	if p.f.state.Load() == settled {
		stop(p.cause()) // under the lock: no caller sees it live
		p.f.mu.Unlock()
		return ctx
	}
	p.ctxW.c = promiseContext[T]{p}
	if p.f.tail == nil {
		p.f.head = &p.ctxW
	} else {
		p.f.tail.next = &p.ctxW
	}
	p.f.tail = &p.ctxW
	p.f.mu.Unlock()
	return ctx
}

// cause is the Context cause of a settled promise: the Cancel cause, or nil
// (context.Canceled) after Resolve or Reject.
func (p *Promise[T]) cause() error {
	if p.f.byCancel {
		return p.f.res.Err
	}
	return nil
}

// cancel is Cancel on the promise's future: it fails at once with cause
// (the walk in Cancel publishes it), after onCancel.
func (p *Promise[T]) cancel(cause error) (stepper, bool) {
	if !p.f.claim() {
		return nil, false
	}
	if p.onCancel != nil {
		p.onCancel(cause)
	}
	return nil, true
}

// promiseContext cancels the promise's Context when its future settles.
type promiseContext[T any] struct{ p *Promise[T] }

func (c promiseContext[T]) fire() *waiter {
	c.p.stop(c.p.cause())
	return nil
}
