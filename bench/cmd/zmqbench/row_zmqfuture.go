package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// The zmqfuture rows. Like every layered row they change one end of the raw baseline's
// loop and keep the other: the receiving rows (here and in row_zmqstream.go) receive
// from rawRow's sender (rawPushRig), the sending rows (row_zmqsink.go) send to rawRow's
// receiver, and the Requester talks to rawRow's REP echo server. So a ratio to raw
// pebbe is the cost of the one layer under test.

// futureRecvRow receives each message through a zmqfuture.Recv future.
type futureRecvRow struct{}

// requesterRow is zmqfuture.Requester with spec.InFlight requests outstanding.
type requesterRow struct{}

func init() {
	register(futureRecvRow{})
	register(requesterRow{})
}

func (futureRecvRow) Key() string  { return keyFutureRecv }
func (futureRecvRow) Name() string { return "zmqfuture Recv futures" }
func (futureRecvRow) About() string {
	return "The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and, on the timing " +
		"goroutine, zmqfuture.Recv(ctx, pull).Await(ctx) for every message, one future per message, on the " +
		"PULL handed to zmqevented (zmqevented.Wrap, same pebbe context): a future settled at once when a " +
		"message is queued, else one goroutine waiting in zmqevented's Recv. Timed at the receiver, as raw."
}

// Throughput: raw sender, one Recv future awaited per message on the timing goroutine.
func (futureRecvRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	g, err := newRawPushRig(ctx, sp)
	if err != nil {
		return Sample{}, err
	}
	recv := func() error {
		_, err := zmqfuture.Recv(g.Ctx, g.Pull).Await(g.Ctx)
		return err
	}
	if err := recv(); err != nil { // warm-up: the connection is up
		return Sample{}, g.finish(fmt.Errorf("zmqfuture recv: %w", err))
	}
	m := startMeter()
	for range sp.Count {
		if err := recv(); err != nil {
			return Sample{}, g.finish(fmt.Errorf("zmqfuture recv: %w", err))
		}
	}
	s := m.stop(sp.Count)
	return s, g.finish(nil)
}

func (requesterRow) Key() string  { return keyRequester }
func (requesterRow) Name() string { return "zmqfuture Requester" }
func (requesterRow) About() string {
	return "zmqfuture.NewRequester on a DEALER (a pebbe socket handed to zmqevented) keeping spec.InFlight (64) " +
		"requests of spec.Size (16) bytes outstanding: the timing goroutine awaits the oldest future and issues the next " +
		"Request, and at the end awaits the ones still in flight, so the time covers exactly the counted " +
		"requests, each answered. The server is the raw baseline's: a goroutine with a pebbe REP echoing " +
		"(RecvBytes, SendBytes), which answers the Requester's correlation envelope by itself, in the same " +
		"pebbe context. Rate only; the ratio is to raw REQ/REP sequential round trips."
}

// Rate: a Requester with sp.InFlight requests outstanding against a raw REP echo goroutine.
func (requesterRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	window := max(sp.InFlight, 1)
	zc, err := newSharedContext()
	if err != nil {
		return Sample{}, err
	}
	rep, rawDealer, err := rawConnect(zc.zc, zmq4.REP, zmq4.DEALER, sp.Endpoint)
	if err != nil {
		return Sample{}, errors.Join(err, zc.term())
	}
	dealer, err := zmqevented.Wrap(rawDealer, zmqevented.WithLinger(0))
	if err != nil {
		return Sample{}, errors.Join(err, rawClose(zc.zc, nil, rawDealer, rep))
	}
	r, err := zmqfuture.NewRequester(dealer, zmqfuture.WithMaxInFlight(window))
	if err != nil {
		return Sample{}, errors.Join(err, dealer.Close(), rawClose(zc.zc, nil, rep))
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{}) // closed when the client has stopped
	echoed := make(chan endResult, 1)
	go func() {
		var err error
		for range sp.Count + 1 {
			var b []byte
			if b, err = rep.RecvBytes(0); err == nil {
				_, err = rep.SendBytes(b, 0)
			}
			if err != nil {
				err = fmt.Errorf("raw echo: %w", err)
				cancel(err) // the client stops waiting for replies
				break
			}
		}
		if err == nil {
			<-done // closing REP with linger 0 could drop the last replies
		}
		cerr := rep.Close()
		_ = zc.term() // returned to the client
		echoed <- endResult{err, cerr}
	}()
	finish := func(cerr error) error {
		if cerr != nil {
			cancel(cerr)
		}
		close(done)
		rerr := r.Close() // fails the requests in flight, closes the DEALER
		terr := zc.term() // a REP blocked in RecvBytes returns ETERM
		e := <-echoed
		return errors.Join(joinEnds(cerr, e.err), e.closeErr, rerr, terr)
	}
	msg := make([]byte, sp.Size)
	await := func(f *zmqfuture.Future[[][]byte]) error {
		reply, err := f.Await(runCtx)
		switch {
		case err != nil:
			return fmt.Errorf("zmqfuture request: %w", err)
		case len(reply) != 1 || len(reply[0]) != sp.Size:
			return fmt.Errorf("zmqfuture request: reply of %d frames, want one of %d bytes", len(reply), sp.Size)
		}
		return nil
	}
	if err := await(r.Request(runCtx, msg)); err != nil { // warm-up: the connection is up
		return Sample{}, finish(err)
	}
	ring := make([]*zmqfuture.Future[[][]byte], window)
	m := startMeter()
	for i := range sp.Count {
		j := i % window
		if f := ring[j]; f != nil {
			if err := await(f); err != nil {
				return Sample{}, finish(err)
			}
		}
		ring[j] = r.Request(runCtx, msg)
	}
	for i := range window { // the rest, oldest first
		if f := ring[(sp.Count+i)%window]; f != nil {
			if err := await(f); err != nil {
				return Sample{}, finish(err)
			}
		}
	}
	s := m.stop(sp.Count)
	if st := r.Stats(); st.Dropped != 0 || st.Malformed != 0 {
		return Sample{}, finish(fmt.Errorf("zmqfuture requester: %d replies dropped, %d malformed", st.Dropped, st.Malformed))
	}
	return s, finish(nil)
}

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

func newSharedContext() (*sharedContext, error) {
	zc, err := zmq4.NewContext()
	if err != nil {
		return nil, err
	}
	return &sharedContext{zc: zc}, nil
}

func (c *sharedContext) term() error {
	c.once.Do(func() { c.err = c.zc.Term() })
	return c.err
}

// isETERM reports whether err is libzmq's ETERM: the context was terminated under a
// blocked pebbe call.
func isETERM(err error) bool {
	var eno zmq4.Errno
	return errors.As(err, &eno) && eno == zmq4.ETERM
}

// rawPushRig is one repetition of the raw baseline's throughput loop with the receiving
// end left to the row: one pebbe context, a PULL bound to sp.Endpoint and handed to
// zmqevented (Pull), and a PUSH connected to it on which a goroutine sends sp.Count+1
// messages of sp.Size bytes with blocking SendBytes, exactly as rawRow's sender does.
// The row receives on Pull with Ctx, which is the repetition's context, also cancelled
// (with the error as cause) if the sender fails; then it calls finish, once.
type rawPushRig struct {
	Ctx  context.Context
	Pull *zmqevented.Socket

	cancel context.CancelCauseFunc
	zc     *sharedContext
	done   chan struct{}  // closed by finish: the receiver has stopped
	sent   chan endResult // the sender's result, once it has closed its PUSH
}

func newRawPushRig(ctx context.Context, sp Spec) (*rawPushRig, error) {
	zc, err := newSharedContext()
	if err != nil {
		return nil, err
	}
	rawPull, push, err := rawConnect(zc.zc, zmq4.PULL, zmq4.PUSH, sp.Endpoint)
	if err != nil {
		return nil, errors.Join(err, zc.term())
	}
	pull, err := zmqevented.Wrap(rawPull, zmqevented.WithLinger(0))
	if err != nil {
		return nil, errors.Join(err, rawClose(zc.zc, nil, rawPull, push))
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	g := &rawPushRig{Ctx: runCtx, Pull: pull, cancel: cancel, zc: zc, done: make(chan struct{}), sent: make(chan endResult, 1)}
	msg := make([]byte, sp.Size)
	go func() {
		err := rawSend(push, msg, sp.Count+1)
		if err != nil {
			cancel(err) // the receiver stops waiting
		} else {
			<-g.done // closing PUSH with linger 0 could drop the last messages
		}
		cerr := push.Close()
		_ = g.zc.term() // returned by finish
		g.sent <- endResult{err, cerr}
	}()
	return g, nil
}

// finish ends the repetition after the row stopped receiving, with recvErr its failure
// (nil after spec.Count+1 messages). Whatever consumed Pull must have been closed: finish
// closes Pull, terminates the context (stopping the sender if it is still blocked) and
// waits for the sender. It returns every failure but those that only follow from
// another (see joinEnds).
func (g *rawPushRig) finish(recvErr error) error {
	if recvErr != nil {
		g.cancel(recvErr)
	}
	close(g.done)
	perr := g.Pull.Close()
	terr := g.zc.term()
	e := <-g.sent
	g.cancel(nil)
	return errors.Join(joinEnds(recvErr, e.err), e.closeErr, perr, terr)
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
