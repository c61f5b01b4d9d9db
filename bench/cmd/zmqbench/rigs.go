package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// The rigs of the layered rows: the raw baseline's loop (row_raw.go) with one end
// handed to the layer under test and the other kept exactly as rawRow runs it, so that
// a ratio to raw is the cost of that one layer. rawPushRig keeps raw's sender and leaves
// the receiving end to the row (zmqfuture's Recv row, the zmqstream rows); rawPullRig
// keeps raw's receiver and leaves the sending end to the row (the zmqsink rows). Both,
// and the Requester row against raw's REP echo, stop their two ends with twoEnds.

// sharedContext is a pebbe context whose sockets are used by two goroutines, each
// closing its own and then calling term: libzmq's context is terminated once. The
// first call returns when the other goroutine has closed its sockets too (its calls
// blocked on them return ETERM meanwhile, which is how a blocking raw end is stopped);
// a later call waits for the first and returns the same result.
type sharedContext struct {
	zc   *zmq4.Context
	once sync.Once
	err  error
}

// newSharedPair is newRawPair in a sharedContext.
func newSharedPair(endpoint string, bt, ct zmq4.Type) (zc *sharedContext, bound, conn *zmq4.Socket, err error) {
	raw, bound, conn, err := newRawPair(endpoint, bt, ct)
	if err != nil {
		return nil, nil, nil, err
	}
	return &sharedContext{zc: raw}, bound, conn, nil
}

func (c *sharedContext) term() error {
	c.once.Do(func() { c.err = c.zc.Term() })
	return c.err
}

// wrap hands s, one of c's sockets, to zmqevented with linger 0. On failure it closes s
// and others and terminates the context.
func (c *sharedContext) wrap(s *zmq4.Socket, others ...*zmq4.Socket) (*zmqevented.Socket, error) {
	w, err := zmqevented.Wrap(s, zmqevented.WithLinger(0))
	if err != nil {
		return nil, errors.Join(err, rawClose(c.zc, nil, append([]*zmq4.Socket{s}, others...)...))
	}
	return w, nil
}

// twoEnds stops the two ends of one repetition's loop, whose sockets share a
// sharedContext: the far end runs on the goroutine goFar starts, the timed end on the
// calling goroutine, which calls stop once, when it has stopped. A failure of either end
// cancels Ctx with the failure as cause, so that the other stops waiting; an end blocked
// in a raw pebbe call, which no context reaches, is stopped by terminating the context.
type twoEnds struct {
	Ctx context.Context // the repetition's: ends use it for every call that takes one

	cancel context.CancelCauseFunc
	zc     *sharedContext
	done   chan struct{}  // closed by stop: the timed end has stopped
	far    chan endResult // the far end's result, once it has closed its sockets
}

func newTwoEnds(ctx context.Context, zc *sharedContext) *twoEnds {
	runCtx, cancel := context.WithCancelCause(ctx)
	return &twoEnds{Ctx: runCtx, cancel: cancel, zc: zc, done: make(chan struct{}), far: make(chan endResult, 1)}
}

// goFar starts the far end: a goroutine that calls run and then, unless run failed,
// waits until the timed end has stopped (closing the far end's sockets any earlier
// could drop messages, linger 0) or Ctx is cancelled (the timed end may be blocked in a
// raw call). It then calls closeFar, which must close the far end's sockets (after a
// failure Ctx is done: give up at once), terminates the context and reports to stop.
func (e *twoEnds) goFar(run, closeFar func(context.Context) error) {
	go func() {
		err := run(e.Ctx)
		if err != nil {
			e.cancel(err) // the timed end stops waiting
		} else {
			select {
			case <-e.done:
			case <-e.Ctx.Done():
				err = context.Cause(e.Ctx)
			}
		}
		cerr := closeFar(e.Ctx)
		if err != nil {
			cerr = nil // the messages left unsent or unanswered by the failure
		}
		_ = e.zc.term() // returned by stop; ends a timed end blocked in a raw call
		e.far <- endResult{err, cerr}
	}()
}

// stop ends the repetition once the timed end has stopped, with mine its failure (nil
// after a full run): it closes the timed end's sockets with closeMine, terminates the
// context (stopping the far end if it is still blocked in a raw call) and waits for the
// far end. It returns every failure but those that only follow from another (see
// joinEnds).
func (e *twoEnds) stop(mine error, closeMine func() error) error {
	if mine != nil {
		e.cancel(mine)
	}
	close(e.done)
	cerr := closeMine()
	terr := e.zc.term()
	r := <-e.far
	e.cancel(nil)
	return errors.Join(joinEnds(mine, r.err), r.closeErr, cerr, terr)
}

// endResult is what the goroutine running the other end of a loop reports when it has
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

// rawPushRig is one repetition of the raw baseline's throughput loop with the receiving
// end left to the row: one pebbe context, a PULL bound to sp.Endpoint and handed to
// zmqevented (Pull), and a PUSH connected to it on which the far end sends sp.Count+1
// messages of sp.Size bytes with blocking SendBytes, exactly as rawRow's sender does.
// The row receives on Pull with Ctx, which is also cancelled (with the error as cause)
// if the sender fails; then it calls finish, once.
type rawPushRig struct {
	*twoEnds
	Pull *zmqevented.Socket
}

func newRawPushRig(ctx context.Context, sp Spec) (*rawPushRig, error) {
	zc, rawPull, push, err := newSharedPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return nil, err
	}
	pull, err := zc.wrap(rawPull, push)
	if err != nil {
		return nil, err
	}
	g := &rawPushRig{twoEnds: newTwoEnds(ctx, zc), Pull: pull}
	msg := make([]byte, sp.Size)
	g.goFar(func(context.Context) error { return rawSend(push, msg, sp.Count+1) },
		func(context.Context) error { return push.Close() })
	return g, nil
}

// finish ends the repetition after the row stopped receiving, with recvErr its failure
// (nil after spec.Count+1 messages). Whatever consumed Pull must have been closed: finish
// closes Pull, terminates the context (stopping the sender if it is still blocked) and
// waits for the sender (see twoEnds.stop).
func (g *rawPushRig) finish(recvErr error) error {
	return g.stop(recvErr, g.Pull.Close)
}

// rawPullRig is one repetition of the raw baseline's throughput loop with the sending
// end left to the row: one pebbe context, a raw PULL bound to sp.Endpoint on which the
// timing goroutine receives exactly as rawRow does, and a PUSH connected to it and
// handed to zmqevented (Push) for the layer under test.
type rawPullRig struct {
	*twoEnds
	Push *zmqevented.Socket
	pull *zmq4.Socket
}

func newRawPullRig(ctx context.Context, sp Spec) (*rawPullRig, error) {
	zc, pull, rawPush, err := newSharedPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return nil, err
	}
	push, err := zc.wrap(rawPush, pull)
	if err != nil {
		return nil, err
	}
	return &rawPullRig{twoEnds: newTwoEnds(ctx, zc), Push: push, pull: pull}, nil
}

// abort cleans up a rig whose run never started, returning err.
func (g *rawPullRig) abort(err error) error {
	g.cancel(err)
	return errors.Join(err, g.Push.Close(), rawClose(g.zc.zc, nil, g.pull))
}

// run starts the far end, which calls send, which must send count+1 messages of the
// spec's size on Push through the layer under test and wait until libzmq has them, and
// receives them on the calling goroutine: one untimed, then count timed, as rawRow
// does. The far end then waits for the receiver, calls closeSend, which must close Push
// (a failed run passes a done context: give up at once), and ends. run returns when
// both ends have stopped and the context is terminated.
//
// A failure of either end cancels the other's context; the sender stops a receiver
// blocked in RecvBytes by terminating the context, which it does after closing Push.
func (g *rawPullRig) run(count int, send, closeSend func(context.Context) error) (Sample, error) {
	g.goFar(send, closeSend)
	finish := func(recvErr error) error {
		if recvErr != nil {
			recvErr = fmt.Errorf("raw recv: %w", recvErr)
		}
		return g.stop(recvErr, g.pull.Close)
	}
	if _, err := g.pull.RecvBytes(0); err != nil { // warm-up: the connection is up
		return Sample{}, finish(err)
	}
	m := startMeter()
	for range count {
		if _, err := g.pull.RecvBytes(0); err != nil {
			return Sample{}, finish(err)
		}
	}
	s := m.stop(count)
	return s, finish(nil)
}
