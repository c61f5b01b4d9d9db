package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

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

// Supports keeps the Sink rows to the sizes their bars name, on every transport.
func (sinkRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

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
	return g.run(sp.Count,
		func(ctx context.Context) error { return r.send(ctx, k, msg, n) },
		func(ctx context.Context) error { return closeSink(ctx, k, n) })
}

// send sends msg n times into k, with Sink.Send or, with forward set, with
// zmqsink.Forward from msgSource, then waits with Flush until libzmq has them all.
func (r sinkRow) send(ctx context.Context, k *zmqsink.Sink, msg []byte, n int) error {
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

// closeSink closes k, and with it its socket, and checks that k accepted and sent
// exactly n messages.
func closeSink(ctx context.Context, k *zmqsink.Sink, n int) error {
	err := k.Shutdown(ctx)
	if st := k.Stats(); err == nil && (st.Accepted != uint64(n) || st.Sent != uint64(n)) {
		err = fmt.Errorf("zmqsink: accepted %d and sent %d messages, want %d", st.Accepted, st.Sent, n)
	}
	return err
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
func (pipelineRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: Forward into a Sink on a goroutine; the Stream's Observable consumed and timed.
func (pipelineRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	zc, pull, push, err := newEvPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return Sample{}, err
	}
	k, err := zmqsink.New(push)
	if err != nil {
		return Sample{}, errors.Join(err, zc.Close())
	}
	st, err := zmqstream.New(pull)
	if err != nil {
		return Sample{}, errors.Join(err, k.Shutdown(ctx), zc.Close())
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	msg := make([]byte, sp.Size)
	n := sp.Count + 1
	sent := make(chan error, 1)
	go func() {
		err := sinkRow{forward: true}.send(runCtx, k, msg, n)
		if err != nil {
			cancel(err) // the consumer stops waiting
		}
		sent <- err
	}()
	recv, drain := observe(runCtx, st)
	finish := func(rerr error) error {
		if rerr != nil {
			rerr = fmt.Errorf("zmqstream observable: %w", rerr)
			cancel(rerr)
		}
		serr := <-sent
		if rerr != nil && errors.Is(serr, context.Cause(runCtx)) {
			serr = nil // the cancellation that stopped the consumer too
		}
		kerr := closeSink(runCtx, k, n) // closes push; after a failure runCtx is done and Close gives up at once
		cerr := st.Close()
		drain()
		<-st.Done()
		if rerr != nil || serr != nil {
			kerr, cerr = nil, nil // consequences of the failure
		} else {
			cerr = errors.Join(cerr, st.Err())
		}
		return errors.Join(joinEnds(rerr, serr), kerr, cerr, zc.Close())
	}
	s, err := timeLoop(sp.Count, recv)
	if err != nil {
		return Sample{}, finish(err)
	}
	return s, finish(nil)
}
