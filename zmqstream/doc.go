// Package zmqstream turns the messages received on a zmqevented.Socket into a
// pull-driven sequence — a channel, an iterator or an rxgo Observable — with real
// backpressure: a message is received only when the consumer is ready for it, so a
// slow consumer leaves the messages in libzmq, where the socket's RCVHWM policy
// applies (PULL and DEALER push back on the sender, SUB drops), and Go holds no
// unbounded queue. It also streams socket monitor events (Monitor) and chains futures
// and observables both ways (FlatMapFuture, First).
//
//	st, _ := zmqstream.New(pull)
//	defer st.Close()
//	for msg, err := range st.All(ctx) { // receives each message when the loop asks
//		if err != nil {
//			return err
//		}
//		handle(msg) // [][]byte, one whole multipart message
//	}
//
// # Consumers and bounds
//
// A Stream is consumed in exactly one way, fixed by the first call: C (a channel), All
// (an iterator), Observable (rxgo), or Tap (any number of subscribers, each with
// its own buffer and Overflow policy; rxgo's connectable mode would stall every
// subscriber on the slowest). Asking for a second form is an error (ErrConsumed), never
// a panic.
//
// Consumers take messages in batches of up to WithBuffer's n (DefaultBuffer, 64): one
// crossing into libzmq moves a whole batch (zmqevented's RecvMany). What Go holds at
// most, beyond which everything waits in libzmq under the socket's RCVHWM:
//
//   - All: n messages taken and not yet yielded (none with WithBuffer(0), which
//     receives one message each time the loop asks).
//   - C: the channel's n slots plus the one message waiting for a slot: n + 1. The
//     pump takes no more than the channel has room for.
//   - Observable: n messages held by the producer, plus what rxgo holds: each
//     operator downstream one item, and each channel its rxgo.WithBufferedChannel.
//   - Tap: one message being fanned out plus every live tap's buffer. A tap that
//     ended costs the Stream nothing: it forgets it at once, and its Tap handle keeps
//     its channel and its drop count.
//
// # Lifecycle
//
// New starts nothing. The first consumer starts what it needs: C one goroutine (the
// pump), Tap one (the fan-out), Observable none until it is observed (rxgo then
// runs the producer on a goroutine of its own, which the Stream counts as its own), All
// none. The Stream owns these goroutines; Close stops them and waits for them.
//
// The Stream does not own the socket: Close (and leaving an All loop) leaves it open,
// unless WithCloseSocket(true). Stopping never loses a message that reached Go: a
// receive in progress is abandoned without taking anything (zmqevented's guarantee),
// messages in C's buffer stay readable until the channel is closed, and the messages
// taken but not handed over when the Stream stopped are returned by Undelivered, in
// order. A new Stream on the same socket given those (after what C's buffer still
// held) with WithPending continues exactly where the first one stopped: every message
// exactly once, in order. Items already inside rxgo operators when an observation is
// cancelled are rxgo's and are not returned.
//
// A Stream ends on Close (abrupt: rxgo stages are cancelled and what they hold is
// lost), on Shutdown (graceful: it stops receiving and completes the consumer, so rxgo
// operators flush), after WithLimit's count, when its socket fails or is closed (Err
// says why), or when its consumer stops: a break out of All, a cancelled iteration or
// observation. rxgo's Take reads one item more than it passes on, and that item is
// lost: WithLimit is the lossless way to take n messages. However
// it ends, C's channel and every live subscriber's channel are closed (after what
// their buffers hold), so ranging over them ends too. Done is closed once it has ended
// and the consumer has let go. Context is cancelled by Close only, so that a pipeline
// still delivers the items and the error before an end.
//
// Every rxgo operator chained on a Stream's Observable runs under that context unless
// given another (see Stream.Observable), so Close stops the whole pipeline even when
// its observer stopped reading. This avoids rxgo v2.5.0's traps: an Observable built
// on a channel with a context that is never cancelled leaks a goroutine per stage
// (here the source is cold and every stage has a context Close cancels);
// Observe(WithContext) on FromChannel ignores the context (here the source is built
// with rxgo.Defer, which honours it, and Values stops on its ctx whatever the source);
// ForEach reports completion when it is cancelled (Values reports the cancellation as
// an error instead); and a lazy Single read twice panics (First returns a
// zmqfuture.Future, which can be read any number of times).
//
// # Concurrency
//
// Every method is safe for concurrent use, and Close may be called from inside a
// consumer (an All loop body, a receive from C, an rxgo operator). The consumer's
// functions (rxgo operators, FlatMapFuture's fn) never run under a lock of this
// package; panics in them are not recovered.
//
// # Errors
//
// Sentinels start with "zmqstream: " and are compared with errors.Is. A socket closed
// under a Stream ends it with an error matching zmqevented.ErrClosed; other receive
// failures are zmqevented's *OpError. All yields the error, the Observable emits it as
// an error item, and Err reports it. Close and a consumer stopping are not failures:
// Err stays nil. A second consumer is ErrConsumed (C and Tap, which cannot return
// an error, return a closed channel, or a Tap whose channel is closed, and
// set Err); invalid arguments wrap ErrInvalidArgument. A second Close returns
// ErrClosed, which wraps zmqevented.ErrClosed: errors.Is(err, zmqevented.ErrClosed)
// holds for every "closed" error of this package, errors.Is(err, ErrClosed) only for a
// closed Stream or EventStream.
package zmqstream
