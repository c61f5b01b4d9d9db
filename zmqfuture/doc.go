// Package zmqfuture provides a generic, goroutine-safe [Future] with its
// write side, the [Promise], and combinators to chain and join futures:
// [Map], [Then], [Recover], [All], [AllSettled], [Race], [Any] and
// [WithTimeout].
//
// It is pure Go: it needs no socket and builds without cgo. Futures over
// zmqevented sockets and the pipelined Requester live in the sub-package
// [github.com/zmqasync/zmqasync/zmqfuture/reqrep], built on this package's
// public API alone.
//
//	f := zmqfuture.Go(ctx, func(ctx context.Context) (int, error) {
//		return compute(ctx)
//	})
//	g := zmqfuture.Map(f, func(n int) (string, error) { return strconv.Itoa(n), nil })
//	s, err := zmqfuture.WithTimeout(g, time.Second).Await(ctx)
//
// # Lifecycle
//
// A future is pending until it settles, exactly once, with a value or an
// error; it then never changes. [Go] runs a function in a goroutine owned
// by the future, which ends when the function returns; [NewPromise] gives a
// producer the [Promise] to complete by hand; [Ready] and [Failed] are
// settled from the start. The combinators start no goroutine: they register
// continuations on their inputs, which run when those settle, so any number
// of pending Map or Then chains costs memory but no goroutine.
//
// [Future.Cancel] asks the work to stop. A Go future's function sees its
// context cancelled and the future settles when the function returns, so
// the function must honour its context. Every other future settles at once
// with the cancel cause: a promise's producer learns of it through
// [Promise.Context], and a derived future passes the cancellation on to its
// sources. Race and Any cancel their losers, All cancels the rest on the
// first failure, and WithTimeout cancels its input when the time runs out.
// A future that nobody completes stays pending; nothing is collected
// behind the user's back.
//
// # Concurrency
//
// Every method and function is safe for concurrent use. [Future.Done]
// returns one channel, closed when the future settles, for use in select;
// [Future.Await] waits for it bounded by a context; [Future.Result] polls.
//
// Continuations (the functions given to Map, Then and Recover, and the
// bookkeeping of the other combinators) run on the goroutine that settles
// their input: the one that calls [Promise.Resolve], [Promise.Reject] or
// [Future.Cancel], the goroutine of [Go] after its function returns, the
// caller of the combinator when the input has already settled, or the
// goroutine of the context or timer that ended a combinator (via
// [context.AfterFunc] and [time.AfterFunc]). They never run under a
// lock of this package, and a long chain runs at constant stack depth.
// They should therefore be short and must not block; use Then with Go for
// blocking work. Panics in user functions are not recovered (as in
// golang.org/x/sync/errgroup): they crash the program with the original
// stack.
//
// # Errors
//
// A failed future reports the error of its work unchanged. Cancellation
// reports the cause given to Cancel ([ErrCanceled], which matches
// [context.Canceled], for a nil cause); a context that ends a wait or a
// combinator yields an error for which errors.Is with [context.Canceled] or
// [context.DeadlineExceeded] holds and which also matches the context's
// cause. [WithTimeout] fails with [ErrTimeout], which matches
// [context.DeadlineExceeded]. [Race] and [Any] over no futures fail with
// [ErrNoFutures]; an Any whose inputs all failed fails with an
// [*AggregateError] that wraps every failure. Sentinel messages start with
// "zmqfuture: " and are frozen; compare errors with [errors.Is]. A nil
// *Future passed to a function of this package panics, as calling a method
// on it would; a nil future returned by a Then function is reported as
// [ErrNilFuture] instead, since it happens later, on another goroutine.
package zmqfuture
