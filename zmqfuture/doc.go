// Package zmqfuture provides a generic, goroutine-safe [Future] with its
// write side, the [Promise], and combinators to chain and join futures:
// [Map], [Then], [Recover], [All], [AllSettled], [Race], [Any] and
// [WithTimeout].
//
// The core needs no socket and is useful on its own. The same package also
// holds socket futures ([Recv], [Send] and [Request] on a zmqevented socket)
// and a [Requester] that keeps many requests in flight on one DEALER socket;
// they are built on this core.
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
// # Socket futures
//
// [Recv], [Send] and [Request] turn one operation on a [zmqevented.Socket]
// into a future. When the operation can complete at once (a message is
// queued, libzmq takes the message) the future is settled before the call
// returns and no goroutine is started; otherwise one goroutine owned by the
// future makes the blocking call with a context that [Future.Cancel]
// cancels, and ends when the call returns. A Recv or Send that fails
// because it was cancelled has taken or sent nothing: the message stays in
// the socket for the next reader (one that completed first wins and
// succeeds). A REQ socket alternates strictly between send and receive, so
// a Request cancelled while it awaits its reply leaves the socket awaiting
// it (see [Request]); use a [Requester], or a fresh socket per abandoned
// request.
//
// # Requester and its wire format
//
// A [Requester] keeps many requests in flight on one DEALER socket, which
// it owns from [NewRequester] until [Requester.Close]; one goroutine of its
// own receives the replies and completes each request's future, whatever
// order they come in, so the continuations of those futures run on it and
// must not block (nor call Request or Close, see [Requester.Request]).
// Close fails the requests in flight with [ErrClosed].
//
// A Requester watches its socket's connections with libzmq's socket
// monitor, so that no request waits for a reply from a peer that is gone.
// When a peer's connection goes away (the server process died, say), the
// replies that had already arrived are delivered, then every request still
// pending fails at once with [ErrPeerLost] (all of them: a DEALER cannot
// tell which peer holds which request). Later requests wait for a peer as
// usual, libzmq reconnecting by itself. With [WithRetryOnDisconnect] the
// pending requests are instead sent again once a peer is connected, up to a
// limit, which gives at-least-once semantics. A peer that vanishes without
// closing its connection is noticed only through ZMQ heartbeats or TCP
// keepalives, and inproc connections report no disconnects: ctx and
// [WithRequestTimeout] remain the last bound on every request. The format is
// ZeroMQ's request-reply envelope with a correlation frame in it, the
// layout libzmq's ZMQ_REQ_CORRELATE uses, so a server in any language can
// answer:
//
//	DEALER sends     [correlation, "", body…]
//	ROUTER receives  [peer, correlation, "", body…]
//	ROUTER replies   [peer, correlation, "", reply…]
//	DEALER receives  [correlation, "", reply…]  → the future's value is [reply…]
//
// The correlation frame is 9 bytes: 0x5A (the format's magic and version),
// then the request's ID as a big-endian uint64. IDs are consecutive from a
// random start for each Requester and never reused by it. "" is an empty
// frame, the delimiter; the body has at least one frame, the reply may have
// none. A server needs no knowledge of the correlation frame: it echoes the
// envelope, every frame up to and including the first empty one, byte for
// byte, then appends its reply, as every ROUTER-based server following the
// ZeroMQ guide does. A REP socket does this by itself, so a plain REP server
// answers correctly (one request at a time), and ROUTER-DEALER proxies
// (zmq_proxy) pass the format through, each hop adding and removing its own
// identity frame. Replies may be sent in any order.
//
// A reply that is not in this format (fewer than two frames, a correlation
// frame of another length or magic, a non-empty second frame) is dropped,
// counted in [Stats].Malformed and logged at warn level. A well-formed reply
// whose request is no longer pending (cancelled, timed out, failed with
// ErrPeerLost, already answered, or never sent by this Requester) is dropped
// and counted in [Stats].Dropped; it is never delivered to another request.
// A request sent again after a disconnect keeps its correlation ID, so
// whichever of its replies comes first completes it and a duplicate is
// dropped the same way.
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
// [*AggregateError] that wraps every failure. Socket futures report the
// socket's errors unchanged ([zmqevented.ErrClosed], *zmqevented.OpError,
// …) and context.Cause of their context; a [Requester]'s requests fail with
// [ErrClosed] after Close (it matches zmqevented.ErrClosed), with the
// socket's error if the socket fails, with [ErrTimeout] when
// [WithRequestTimeout] runs out, and with an error matching [ErrPeerLost]
// (naming the endpoint) when their peer's connection went away. The wrong
// socket type is [ErrSocketType]. Sentinel messages start with
// "zmqfuture: " and are frozen; compare errors with [errors.Is]. A nil
// *Future passed to a function of this package panics, as calling a method
// on it would; a nil future returned by a Then function is reported as
// [ErrNilFuture] instead, since it happens later, on another goroutine.
package zmqfuture
