package zmqfuture

import (
	"context"
	"sync/atomic"

	"github.com/zmqasync/zmqasync/internal/ctxerr"
)

// Map returns a future that settles with fn(v) once f succeeds with v, or with f's
// error once f fails (fn is then not called). fn runs where f settles (see
// "Concurrency" in the package documentation), so it must not block. Cancel on the
// result cancels f first.
func Map[T, U any](f *Future[T], fn func(T) (U, error)) *Future[U] {
	n := &mapNode[T, U]{src: f, fn: fn}
	n.dst.owner = n
	n.w.c = n
	if !f.subscribe(&n.w) {
		run(n.fire())
	}
	return &n.dst
}

type mapNode[T, U any] struct {
	dst Future[U]
	src *Future[T]
	fn  func(T) (U, error)
	w   waiter
}

func (n *mapNode[T, U]) fire() *waiter {
	if n.dst.state.Load() != pending {
		return nil // cancelled: do not call fn
	}
	r := n.src.res
	if r.Err != nil {
		w, _ := n.dst.settle(Result[U]{Err: r.Err}, false)
		return w
	}
	u, err := n.fn(r.Value)
	w, _ := n.dst.settle(Result[U]{Value: u, Err: err}, false)
	return w
}

func (n *mapNode[T, U]) cancel(error) (stepper, bool) {
	if !n.dst.claim() {
		return nil, false
	}
	return n.src, true
}

// Recover returns a future that settles with f's value once f succeeds, or with
// fn(err) once f fails: fn can turn the failure into a value or another error. It runs
// as Map's fn does; Cancel on the result cancels f first.
func Recover[T any](f *Future[T], fn func(error) (T, error)) *Future[T] {
	n := &recoverNode[T]{src: f, fn: fn}
	n.dst.owner = n
	n.w.c = n
	if !f.subscribe(&n.w) {
		run(n.fire())
	}
	return &n.dst
}

type recoverNode[T any] struct {
	dst Future[T]
	src *Future[T]
	fn  func(error) (T, error)
	w   waiter
}

func (n *recoverNode[T]) fire() *waiter {
	if n.dst.state.Load() != pending {
		return nil // cancelled: do not call fn
	}
	r := n.src.res
	if r.Err != nil {
		v, err := n.fn(r.Err)
		r = Result[T]{Value: v, Err: err}
	}
	w, _ := n.dst.settle(r, false)
	return w
}

func (n *recoverNode[T]) cancel(error) (stepper, bool) {
	if !n.dst.claim() {
		return nil, false
	}
	return n.src, true
}

// Then chains an asynchronous step: once f succeeds with v, it calls fn(ctx, v) and
// returns a future that settles like the one fn returned (ErrNilFuture if nil); if f
// fails, with f's error. fn runs as Map's fn does, so it should only start the work
// (with Go) and return. Its ctx ends when the result settles; Cancel on the result
// cancels f, or fn's future once there is one.
func Then[T, U any](f *Future[T], fn func(ctx context.Context, v T) *Future[U]) *Future[U] {
	n := &thenNode[T, U]{src: f, fn: fn}
	n.dst.owner = n
	n.srcW.c = n
	n.innerW.c = thenInner[T, U]{n}
	if !f.subscribe(&n.srcW) {
		run(n.fire())
	}
	return &n.dst
}

type thenNode[T, U any] struct {
	dst    Future[U]
	src    *Future[T]
	fn     func(context.Context, T) *Future[U]
	srcW   waiter
	innerW waiter

	// Guarded by dst.mu.
	stop  context.CancelCauseFunc // set before fn is called
	inner *Future[U]              // set once fn has returned
	cause error                   // set when cancel claims dst
}

// fire runs when src settles.
func (n *thenNode[T, U]) fire() *waiter {
	r := n.src.res
	if r.Err != nil {
		w, _ := n.dst.settle(Result[U]{Err: r.Err}, false)
		return w
	}
	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		n.dst.mu.Unlock()
		return nil // cancelled: do not call fn
	}
	ctx, stop := context.WithCancelCause(context.Background())
	n.stop = stop
	n.dst.mu.Unlock()

	inner := n.fn(ctx, r.Value)
	if inner == nil {
		inner = Failed[U](ErrNilFuture)
	}

	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		// Cancelled while fn ran: cancel has stopped ctx, and could not see
		// inner.
		cause := n.cause
		n.dst.mu.Unlock()
		inner.Cancel(cause)
		return nil
	}
	n.inner = inner
	n.dst.mu.Unlock()
	if inner.subscribe(&n.innerW) {
		return nil
	}
	return n.fireInner()
}

// fireInner runs when the future returned by fn settles.
func (n *thenNode[T, U]) fireInner() *waiter {
	w, ok := n.dst.settle(n.inner.res, false)
	if ok {
		n.stop(nil)
	}
	return w
}

func (n *thenNode[T, U]) cancel(cause error) (stepper, bool) {
	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		n.dst.mu.Unlock()
		return nil, false
	}
	n.dst.state.Store(claimed)
	n.cause = cause
	stop, inner := n.stop, n.inner
	n.dst.mu.Unlock()
	if stop != nil {
		stop(cause)
	}
	if inner != nil {
		return inner, true
	}
	return n.src, true
}

// thenInner is the continuation a Then registers on the future fn returned.
type thenInner[T, U any] struct{ n *thenNode[T, U] }

func (c thenInner[T, U]) fire() *waiter { return c.n.fireInner() }

// All returns a future of the values of fs, in order, once all have succeeded, or of
// the first failure, cancelling the others with a cause matching ErrCanceled and that
// failure. ctx bounds the wait: when it ends first, or on Cancel, the pending inputs
// are cancelled and the future fails with that error. No futures: an empty slice.
func All[T any](ctx context.Context, fs ...*Future[T]) *Future[[]T] {
	if len(fs) == 0 {
		return Ready([]T{})
	}
	return newGroup[T, []T](ctx, fs, allFire[T])
}

func allFire[T any](g *group[T, []T], f *Future[T]) *waiter {
	if err := f.res.Err; err != nil {
		if !g.claim() {
			return nil
		}
		g.cancelInputs(canceledBy(err))
		return g.dst.publish(Result[[]T]{Err: err}, false)
	}
	if g.left.Add(-1) != 0 {
		return nil
	}
	vs := make([]T, len(g.items))
	for i := range g.items {
		vs[i] = g.items[i].f.res.Value
	}
	return g.finish(Result[[]T]{Value: vs})
}

// AllSettled returns a future of the results of fs, in order, once all have settled;
// an input's failure is in its Result, never the future's error. ctx and Cancel end
// the wait as in All. No futures: an empty slice.
func AllSettled[T any](ctx context.Context, fs ...*Future[T]) *Future[[]Result[T]] {
	if len(fs) == 0 {
		return Ready([]Result[T]{})
	}
	return newGroup[T, []Result[T]](ctx, fs, allSettledFire[T])
}

func allSettledFire[T any](g *group[T, []Result[T]], _ *Future[T]) *waiter {
	if g.left.Add(-1) != 0 {
		return nil
	}
	rs := make([]Result[T], len(g.items))
	for i := range g.items {
		rs[i] = g.items[i].f.res
	}
	return g.finish(Result[[]Result[T]]{Value: rs})
}

// Race returns a future that settles like the first of fs to settle, and cancels the
// others with ErrCanceled. ctx and Cancel end the wait as in All. No futures:
// ErrNoFutures.
func Race[T any](ctx context.Context, fs ...*Future[T]) *Future[T] {
	if len(fs) == 0 {
		return Failed[T](ErrNoFutures)
	}
	return newGroup[T, T](ctx, fs, raceFire[T])
}

func raceFire[T any](g *group[T, T], f *Future[T]) *waiter {
	if !g.claim() {
		return nil
	}
	g.cancelInputs(ErrCanceled)
	return g.dst.publish(f.res, false)
}

// Any returns a future that succeeds like the first of fs to succeed, and cancels the
// others with ErrCanceled; if all fail, it fails with an *AggregateError of every
// input's error. ctx and Cancel end the wait as in All. No futures: ErrNoFutures.
func Any[T any](ctx context.Context, fs ...*Future[T]) *Future[T] {
	if len(fs) == 0 {
		return Failed[T](ErrNoFutures)
	}
	return newGroup[T, T](ctx, fs, anyFire[T])
}

func anyFire[T any](g *group[T, T], f *Future[T]) *waiter {
	if f.res.Err == nil {
		if !g.claim() {
			return nil
		}
		g.cancelInputs(ErrCanceled)
		return g.dst.publish(f.res, false)
	}
	if g.left.Add(-1) != 0 {
		return nil
	}
	errs := make([]error, len(g.items))
	for i := range g.items {
		errs[i] = g.items[i].f.res.Err
	}
	return g.finish(Result[T]{Err: &AggregateError{Errs: errs}})
}

// group is the state shared by All, AllSettled, Race and Any: a future of R
// fed by inputs of T, with a policy deciding what each settled input does.
type group[T, R any] struct {
	dst    Future[R]
	items  []groupItem[T, R] // one per input, in input order; never changed after newGroup fills it
	left   atomic.Int64      // inputs not yet counted by the policy
	policy func(g *group[T, R], f *Future[T]) *waiter

	stop func() bool // guarded by dst.mu; unregisters from ctx
}

type groupItem[T, R any] struct {
	w waiter
	g *group[T, R]
	f *Future[T]
}

func (it *groupItem[T, R]) fire() *waiter {
	if it.g.dst.state.Load() != pending {
		return nil
	}
	return it.g.policy(it.g, it.f)
}

func newGroup[T, R any](ctx context.Context, fs []*Future[T], policy func(*group[T, R], *Future[T]) *waiter) *Future[R] {
	g := &group[T, R]{policy: policy}
	g.dst.owner = g
	g.left.Store(int64(len(fs)))
	g.items = make([]groupItem[T, R], len(fs))
	for i, f := range fs {
		it := &g.items[i]
		it.g, it.f = g, f
		it.w.c = it
	}
	for i := range g.items {
		it := &g.items[i]
		if !it.f.subscribe(&it.w) {
			run(it.fire())
		}
		if g.dst.state.Load() != pending {
			break
		}
	}
	if g.dst.state.Load() != pending {
		return &g.dst
	}
	if ctx.Err() != nil {
		g.ctxDone(ctx)
		return &g.dst
	}
	if ctx.Done() == nil {
		return &g.dst // never cancelled: nothing to register
	}
	stop := context.AfterFunc(ctx, func() { g.ctxDone(ctx) })
	g.dst.mu.Lock()
	if g.dst.state.Load() != pending {
		g.dst.mu.Unlock()
		stop() // settled meanwhile: finish and claim could not see stop
	} else {
		g.stop = stop
		g.dst.mu.Unlock()
	}
	return &g.dst
}

// finish settles the group's future with r if it is pending and
// unregisters it from ctx. It returns the continuations to run.
func (g *group[T, R]) finish(r Result[R]) *waiter {
	g.dst.mu.Lock()
	if g.dst.state.Load() != pending {
		g.dst.mu.Unlock()
		return nil
	}
	w := g.dst.settleLocked(r, false)
	stop := g.stop
	g.stop = nil
	g.dst.mu.Unlock()
	if stop != nil {
		stop()
	}
	return w
}

// claim claims the group's future if it is pending and unregisters it from
// ctx; the caller then cancels inputs and publishes the result.
func (g *group[T, R]) claim() bool {
	g.dst.mu.Lock()
	if g.dst.state.Load() != pending {
		g.dst.mu.Unlock()
		return false
	}
	g.dst.state.Store(claimed)
	stop := g.stop
	g.stop = nil
	g.dst.mu.Unlock()
	if stop != nil {
		stop()
	}
	return true
}

// cancelInputs cancels every input still pending with cause.
func (g *group[T, R]) cancelInputs(cause error) {
	for i := range g.items {
		g.items[i].f.Cancel(cause)
	}
}

// ctxDone runs when ctx is done before the group's future settled; if it
// lost the race to a result, it does nothing.
func (g *group[T, R]) ctxDone(ctx context.Context) {
	if !g.claim() {
		return
	}
	err := ctxerr.Of(ctx)
	g.cancelInputs(err)
	run(g.dst.publish(Result[R]{Err: err}, true))
}

func (g *group[T, R]) cancel(cause error) (stepper, bool) {
	if !g.claim() {
		return nil, false
	}
	g.cancelInputs(cause)
	return nil, true
}
