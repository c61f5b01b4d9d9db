package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// sinkRow sends through a zmqsink.Sink on the PUSH end of the raw baseline's loop: with
// Sink.Send or, with forward set, with zmqsink.Forward from an rxgo Observable.
type sinkRow struct{ forward bool }

// pipelineRow is the whole stream world end to end: an rxgo Observable forwarded into a
// Sink on a PUSH, and the PULL's messages consumed as a Stream's Observable.
type pipelineRow struct{}

func init() {
	register(sinkRow{})
	register(sinkRow{forward: true})
	register(pipelineRow{})
}

func (r sinkRow) Key() string {
	if r.forward {
		return keySinkForward
	}
	return keySinkSend
}

func (r sinkRow) Name() string {
	if r.forward {
		return "zmqsink Forward"
	}
	return "zmqsink Sink.Send"
}

func (r sinkRow) About() string {
	const common = "The raw baseline's receiver (the timing goroutine calling pebbe RecvBytes(0), blocking, on " +
		"the bound PULL) and a zmqsink.New(push) Sink, default options (64 slots), on the PUSH handed to zmqevented " +
		"(zmqevented.Wrap, same pebbe context); "
	const tail = "the sender then calls Flush. Timed at the receiver, exactly as raw: the same loop, only the " +
		"sending end differs. 16 B and 4 KiB."
	if r.forward {
		return common + "a goroutine calls zmqsink.Forward(ctx, src, sink) with src an rxgo.Defer Observable whose " +
			"producer emits spec.Count+1 items rxgo.Of(b) (b a []byte) on rxgo's default unbuffered channel, " +
			"selecting on its ctx; " + tail
	}
	return common + "a goroutine calls sink.Send(ctx, b) for spec.Count+1 messages (libzmq takes the message " +
		"inline while nothing is queued, else the Sink's writer goroutine sends it); " + tail
}

// Supports keeps the Sink rows to the sizes their issue asks for, on every transport.
func (sinkRow) Supports(k Kind, sp Spec) bool {
	return k == KindThroughput && (sp.Size == 16 || sp.Size == 4<<10)
}

// Throughput: the layered sender on a goroutine, the raw receiver timed.
func (r sinkRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	g, err := newRawPullRig(ctx, sp)
	if err != nil {
		return Sample{}, err
	}
	k, err := zmqsink.New(g.Push) // the Sink owns Push: Close closes it
	if err != nil {
		return Sample{}, g.abort(err)
	}
	msg := make([]byte, sp.Size)
	n := sp.Count + 1
	send := func(ctx context.Context) error {
		if r.forward {
			if err := zmqsink.Forward(ctx, msgSource(msg, n), k); err != nil {
				return fmt.Errorf("zmqsink forward: %w", err)
			}
		} else {
			for range n {
				if err := k.Send(ctx, msg); err != nil {
					return fmt.Errorf("zmqsink send: %w", err)
				}
			}
		}
		if err := k.Flush(ctx); err != nil {
			return fmt.Errorf("zmqsink flush: %w", err)
		}
		return nil
	}
	closeSink := func(ctx context.Context) error {
		err := k.Close(ctx)
		if st := k.Stats(); err == nil && (st.Accepted != uint64(n) || st.Sent != uint64(n)) {
			err = fmt.Errorf("zmqsink: accepted %d and sent %d messages, want %d", st.Accepted, st.Sent, n)
		}
		return err
	}
	return g.run(sp.Count, send, closeSink)
}

// msgSource is an rxgo Observable emitting n items carrying msg, then completing; its
// producer stops when the observation's context is done.
func msgSource(msg []byte, n int) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for range n {
			select {
			case next <- rxgo.Of(msg):
			case <-ctx.Done():
				return
			}
		}
	}})
}

// rawPullRig is one repetition of the raw baseline's throughput loop with the sending
// end left to the row: one pebbe context, a raw PULL bound to sp.Endpoint on which the
// timing goroutine receives exactly as rawRow does, and a PUSH connected to it and
// handed to zmqevented (Push) for the layer under test.
type rawPullRig struct {
	Push *zmqevented.Socket

	ctx    context.Context // the repetition's; cancelled with the cause when either end fails
	cancel context.CancelCauseFunc
	pull   *zmq4.Socket
	zc     *sharedContext
	done   chan struct{}  // closed when the receiver has stopped
	sent   chan endResult // the sender's result, once it has closed Push
}

func newRawPullRig(ctx context.Context, sp Spec) (*rawPullRig, error) {
	zc, err := newSharedContext()
	if err != nil {
		return nil, err
	}
	pull, rawPush, err := rawConnect(zc.zc, zmq4.PULL, zmq4.PUSH, sp.Endpoint)
	if err != nil {
		return nil, errors.Join(err, zc.term())
	}
	push, err := zmqevented.Wrap(rawPush, zmqevented.WithLinger(0))
	if err != nil {
		return nil, errors.Join(err, rawClose(zc.zc, nil, rawPush, pull))
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	return &rawPullRig{Push: push, ctx: runCtx, cancel: cancel, pull: pull, zc: zc,
		done: make(chan struct{}), sent: make(chan endResult, 1)}, nil
}

// abort cleans up a rig whose run never started, returning err.
func (g *rawPullRig) abort(err error) error {
	g.cancel(err)
	return errors.Join(err, g.Push.Close(), rawClose(g.zc.zc, nil, g.pull))
}

// run starts a goroutine that calls send, which must send count+1 messages of the
// spec's size on Push through the layer under test and wait until libzmq has them,
// and receives them on the calling goroutine: one untimed, then count timed, as
// rawRow does. The goroutine then waits for the receiver, calls closeSend, which must
// close Push (a failed run passes a done context: give up at once), and ends. run
// returns when both ends have stopped and the context is terminated.
//
// A failure of either end cancels the other's context; the sender stops a receiver
// blocked in RecvBytes by terminating the context, which it does after closing Push.
func (g *rawPullRig) run(count int, send, closeSend func(context.Context) error) (Sample, error) {
	go func() {
		err := send(g.ctx)
		if err != nil {
			g.cancel(err)
		} else {
			select {
			case <-g.done: // closing Push any earlier could drop messages (linger 0)
			case <-g.ctx.Done(): // the run was cancelled; the receiver may be blocked
				err = context.Cause(g.ctx)
			}
		}
		cerr := closeSend(g.ctx)
		if err != nil {
			cerr = nil // the messages left unsent by the failure
		}
		_ = g.zc.term() // returned by finish; stops a receiver blocked in RecvBytes
		g.sent <- endResult{err, cerr}
	}()
	finish := func(recvErr error) error {
		if recvErr != nil {
			recvErr = fmt.Errorf("raw recv: %w", recvErr)
			g.cancel(recvErr)
		}
		close(g.done)
		perr := g.pull.Close()
		terr := g.zc.term()
		e := <-g.sent
		g.cancel(nil)
		return errors.Join(joinEnds(recvErr, e.err), e.closeErr, perr, terr)
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

func (pipelineRow) Key() string  { return keyPipeline }
func (pipelineRow) Name() string { return "rxgo → Sink → Stream → rxgo" }
func (pipelineRow) About() string {
	return "The full pipeline, both ends layered, in one zmqevented.Context (linger 0): a goroutine calls " +
		"zmqsink.Forward(ctx, src, sink) from the rxgo.Defer Observable of the Forward row (spec.Count+1 items " +
		"rxgo.Of(b)) into a zmqsink.New(push) Sink, then Flush; on the PULL, a zmqstream.New(pull) Stream whose " +
		"Observable the timing goroutine ranges over, as in the Observable() row. Timed at the consumer after " +
		"one warm-up message. No bar: it shows what the layers cost together. 16 B and 4 KiB."
}

// Supports runs the pipeline where the Sink and Stream rows run.
func (pipelineRow) Supports(k Kind, sp Spec) bool {
	return k == KindThroughput && (sp.Size == 16 || sp.Size == 4<<10)
}

// Throughput: Forward into a Sink on a goroutine; the Stream's Observable consumed and timed.
func (pipelineRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	zc, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return Sample{}, err
	}
	pull, push, err := evConnect(zc, zmq4.PULL, zmq4.PUSH, sp.Endpoint)
	if err != nil {
		return Sample{}, errors.Join(err, zc.Close())
	}
	k, err := zmqsink.New(push)
	if err != nil {
		return Sample{}, errors.Join(err, zc.Close())
	}
	st, err := zmqstream.New(pull)
	if err != nil {
		return Sample{}, errors.Join(err, k.Close(ctx), zc.Close())
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	msg := make([]byte, sp.Size)
	n := sp.Count + 1
	sent := make(chan error, 1)
	go func() {
		err := zmqsink.Forward(runCtx, msgSource(msg, n), k)
		if err == nil {
			err = k.Flush(runCtx)
		}
		if err != nil {
			err = fmt.Errorf("zmqsink: %w", err)
			cancel(err) // the consumer stops waiting
		}
		sent <- err
	}()
	items := st.Observable().Observe(rxgo.WithContext(runCtx))
	recv := func() error {
		it, ok := <-items
		switch {
		case !ok:
			if err := st.Err(); err != nil {
				return err
			}
			if err := context.Cause(runCtx); err != nil {
				return err
			}
			return errors.New("the stream ended early")
		case it.E != nil:
			return it.E
		}
		if _, ok := it.V.([][]byte); !ok {
			return fmt.Errorf("item of type %T, want [][]byte", it.V)
		}
		return nil
	}
	finish := func(rerr error) error {
		if rerr != nil {
			rerr = fmt.Errorf("zmqstream observable: %w", rerr)
			cancel(rerr)
		}
		serr := <-sent
		if rerr != nil && errors.Is(serr, context.Cause(runCtx)) {
			serr = nil // the cancellation that stopped the consumer too
		}
		kerr := k.Close(runCtx) // closes push; after a failure runCtx is done and Close gives up at once
		if st := k.Stats(); kerr == nil && (st.Accepted != uint64(n) || st.Sent != uint64(n)) {
			kerr = fmt.Errorf("zmqsink: accepted %d and sent %d messages, want %d", st.Accepted, st.Sent, n)
		}
		cerr := st.Close()
		for range items { // rxgo closes the channel once the Stream's producer has returned
		}
		<-st.Done()
		if rerr != nil || serr != nil {
			kerr, cerr = nil, nil // consequences of the failure
		} else {
			cerr = errors.Join(cerr, st.Err())
		}
		return errors.Join(joinEnds(rerr, serr), kerr, cerr, zc.Close())
	}
	if err := recv(); err != nil { // warm-up: the connection is up
		return Sample{}, finish(err)
	}
	m := startMeter()
	for range sp.Count {
		if err := recv(); err != nil {
			return Sample{}, finish(err)
		}
	}
	s := m.stop(sp.Count)
	return s, finish(nil)
}
