package rigs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// errStopped is the cause with which stop cancels the far end's context: the timed end
// has stopped and needs no more messages. What the far end returns after it is no
// failure.
var errStopped = errors.New("rigs: the timed end has stopped")

// twoEnds stops the two ends of one loop: the far end on the goroutine goFar starts,
// the timed end on the calling goroutine, which calls stop once, when it has stopped.
// A failure of either end cancels Ctx with the failure as cause, so that the other
// stops waiting; an end blocked in a raw pebbe call, which no context reaches, is
// stopped by terminating the context.
type twoEnds struct {
	Ctx context.Context // the loop's: ends use it for every call that takes one

	cancel  context.CancelCauseFunc
	farCtx  context.Context // the far end's run: Ctx, also cancelled with errStopped by stop
	stopFar context.CancelCauseFunc
	term    *closer        // terminates the loop's context
	raw     bool           // term is pebbe's Term, which waits for every socket; else zmqevented.Context.Close
	started bool           // goFar was called
	done    chan struct{}  // closed by stop: the timed end has stopped
	far     chan endResult // the far end's result, once it has closed its sockets
}

// newTwoEnds makes the ends of a loop whose context term terminates: pebbe's Term (raw
// set: it waits until both ends have closed their sockets, and stops an end blocked in
// a raw call) or zmqevented.Context.Close (it closes every socket, so it runs once both
// ends have stopped).
func newTwoEnds(ctx context.Context, term func() error, raw bool) *twoEnds {
	e := &twoEnds{term: &closer{fn: term}, raw: raw, done: make(chan struct{}), far: make(chan endResult, 1)}
	e.Ctx, e.cancel = context.WithCancelCause(ctx)
	e.farCtx, e.stopFar = context.WithCancelCause(e.Ctx)
	return e
}

// newRawEnds makes a pebbe context with a socket of type bt bound to endpoint and one
// of type ct connected to it (NewRawPair), and their twoEnds.
func newRawEnds(ctx context.Context, endpoint string, bt, ct zmq4.Type) (e *twoEnds, bound, conn *zmq4.Socket, err error) {
	zc, bound, conn, err := NewRawPair(endpoint, bt, ct)
	if err != nil {
		return nil, nil, nil, err
	}
	return newTwoEnds(ctx, zc.Term, true), bound, conn, nil
}

// newEvEnds is newRawEnds for zmqevented: one zmqevented.Context with linger 0
// (NewEvPair), which stop closes, and with it both sockets.
func newEvEnds(ctx context.Context, endpoint string, bt, ct zmq4.Type) (e *twoEnds, bound, conn *zmqevented.Socket, err error) {
	zc, bound, conn, err := NewEvPair(endpoint, bt, ct)
	if err != nil {
		return nil, nil, nil, err
	}
	return newTwoEnds(ctx, zc.Close, false), bound, conn, nil
}

// goFar starts the far end: a goroutine that calls run and then, unless run failed,
// waits until the timed end has stopped (closing the far end's sockets any earlier
// could drop messages, linger 0) or Ctx is cancelled (the timed end may be blocked in
// a raw call). It then calls closeFar (nil: nothing to close), which must close the far
// end's sockets (after a failure Ctx is done: give up at once), terminates a pebbe
// context and reports to stop. run gets a context that stop cancels: a far end serving
// for as long as the timed end runs returns when it is done, or, in a raw call, when
// the context is terminated.
func (e *twoEnds) goFar(run, closeFar func(context.Context) error) {
	e.started = true
	go func() {
		err := run(e.farCtx)
		switch {
		case err == nil:
			select {
			case <-e.done:
			case <-e.Ctx.Done():
				err = context.Cause(e.Ctx)
			}
		case errors.Is(context.Cause(e.farCtx), errStopped):
			err = nil // stopped by the timed end, as asked
		default:
			e.cancel(err) // the timed end stops waiting
		}
		var cerr error
		if closeFar != nil {
			cerr = closeFar(e.Ctx)
		}
		if err != nil {
			cerr = nil // the messages left unsent or unanswered by the failure
		}
		if e.raw {
			_ = e.term.close() // returned by stop; ends a timed end blocked in a raw call
		}
		e.far <- endResult{err, cerr}
	}()
}

// stop ends the loop once the timed end has stopped, with mine its failure (nil after
// a full run): it stops the far end, closes the timed end's sockets with closeMine (nil:
// nothing to close), terminates the context and waits for the far end. It returns
// every failure but those that only follow from another (see joinEnds). Before goFar,
// it only closes and terminates.
func (e *twoEnds) stop(mine error, closeMine func() error) error {
	if mine != nil {
		e.cancel(mine)
	}
	close(e.done)
	e.stopFar(errStopped)
	var cerr, terr error
	if closeMine != nil {
		cerr = closeMine()
	}
	if e.raw {
		terr = e.term.close()
	}
	var r endResult
	if e.started {
		r = <-e.far
	}
	if !e.raw {
		terr = e.term.close()
	}
	e.cancel(nil)
	return errors.Join(joinEnds(mine, r.err), r.closeErr, cerr, terr)
}

// closer calls fn once; a later call waits for the first and returns the same result.
// A pebbe context whose sockets two goroutines close, each then terminating it, is
// terminated once: the first call returns when the other goroutine has closed its
// sockets too (its calls blocked on them return ETERM meanwhile).
type closer struct {
	once sync.Once
	fn   func() error
	err  error
}

func (c *closer) close() error {
	c.once.Do(func() { c.err = c.fn() })
	return c.err
}

// endResult is what the goroutine running the far end of a loop reports when it has
// closed its sockets: its failure, if any, and the failure to close them.
type endResult struct{ err, closeErr error }

// joinEnds joins the failures of the two ends of a loop, leaving out the one that only
// follows from the other: ETERM from a blocked raw call after the other end terminated
// the context, or the cancellation cause that one end received from the other.
func joinEnds(mine, theirs error) error {
	if mine != nil && theirs != nil {
		switch {
		case isETERM(theirs) || errors.Is(mine, theirs) || errors.Is(theirs, mine):
			theirs = nil
		case isETERM(mine):
			mine = nil
		}
	}
	return errors.Join(mine, theirs)
}

// isETERM reports whether err is libzmq's ETERM: the context was terminated under a
// blocked pebbe call.
func isETERM(err error) bool {
	var eno zmq4.Errno
	return errors.As(err, &eno) && eno == zmq4.ETERM
}

// wrapErr prefixes a failure with what failed; nil stays nil.
func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// warmLoop calls step once untimed (the warm-up: the connection is up), then once per
// l.Loop(), and stops at the first failure. Loops whose step is a closure anyway use
// it; a loop of direct calls (the raw baseline's receiver) stays inline, so that it
// pays for no indirect call.
func warmLoop(l Looper, step func() error) error {
	if err := step(); err != nil {
		return err
	}
	for l.Loop() {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// newPushRig is the raw baseline's throughput loop with the receiving end left to the
// caller: one pebbe context, a PULL bound to sp.Endpoint and handed to zmqevented
// (pull), and a PUSH connected to it on which the far end sends sp.Size-byte messages
// with blocking SendBytes, exactly as RawThroughput's sender does. The caller receives
// on pull with e.Ctx, closes whatever consumed pull, and calls e.stop(err, pull.Close).
func newPushRig(ctx context.Context, sp Spec) (e *twoEnds, pull *zmqevented.Socket, err error) {
	zc, rawPull, push, err := NewRawPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return nil, nil, err
	}
	if pull, err = zmqevented.Wrap(rawPull, zmqevented.WithLinger(0)); err != nil {
		return nil, nil, errors.Join(err, RawClose(zc, nil, push)) // Wrap closed rawPull
	}
	e = newTwoEnds(ctx, zc.Term, true)
	msg := make([]byte, sp.Size)
	e.goFar(func(context.Context) error { return RawSend(push, msg, sp.far()) },
		func(context.Context) error { return push.Close() })
	return e, pull, nil
}

// newPullRig is the raw baseline's throughput loop with the sending end left to the
// caller: one pebbe context, a raw PULL bound to sp.Endpoint on which the timed end
// receives with rawRecvLoop, exactly as RawThroughput does, and a PUSH connected to it
// and handed to zmqevented (push) for the layer under test, which the caller runs as
// the far end with e.goFar.
func newPullRig(ctx context.Context, sp Spec) (e *twoEnds, pull *zmq4.Socket, push *zmqevented.Socket, err error) {
	zc, pull, rawPush, err := NewRawPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return nil, nil, nil, err
	}
	if push, err = zmqevented.Wrap(rawPush, zmqevented.WithLinger(0)); err != nil {
		return nil, nil, nil, errors.Join(err, RawClose(zc, nil, pull)) // Wrap closed rawPush
	}
	return newTwoEnds(ctx, zc.Term, true), pull, push, nil
}
