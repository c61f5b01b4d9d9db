package rigs

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

// SinkSend is Sink.Send(ctx, b) on the sending end of the raw baseline's loop: the far
// end calls it on a zmqsink.New Sink (default options: its writer hands libzmq each
// batch with SendMany) on the PUSH handed to zmqevented.Wrap in the same pebbe context,
// then Flush, and closes the PUSH once the Sink has ended; the timed end is
// RawThroughput's receiver, so only the sending end differs from the baseline.
func SinkSend(ctx context.Context, l Looper, sp Spec) error {
	return sinkLoop(ctx, l, sp, false)
}

// SinkForward is SinkSend with zmqsink.Forward(ctx, src, sink) instead of Send, src an
// rxgo.Defer Observable whose producer emits rxgo.Of(b) items on rxgo's default
// unbuffered channel, selecting on its ctx.
func SinkForward(ctx context.Context, l Looper, sp Spec) error {
	return sinkLoop(ctx, l, sp, true)
}

func sinkLoop(ctx context.Context, l Looper, sp Spec, forward bool) error {
	e, pull, push, err := newPullRig(ctx, sp)
	if err != nil {
		return err
	}
	k, err := zmqsink.New(push)
	if err != nil {
		return e.stop(err, func() error { return errors.Join(push.Close(), pull.Close()) })
	}
	msg := make([]byte, sp.Size)
	n := sp.far()
	e.goFar(func(ctx context.Context) error { return sinkSend(ctx, k, msg, n, forward) },
		func(ctx context.Context) error { return errors.Join(closeSink(ctx, k, n), push.Close()) })
	return e.stop(wrapErr("raw recv", rawRecvLoop(l, pull, false)), pull.Close)
}

// Pipeline is the whole stream world end to end, both ends layered, in one
// zmqevented.Context with linger 0: the far end forwards SinkForward's Observable into
// a zmqsink.New(push) Sink, then Flush; the timed end ranges over the Observable of a
// zmqstream.New(pull) Stream, as StreamObservable does.
func Pipeline(ctx context.Context, l Looper, sp Spec) error {
	e, pull, push, err := newEvEnds(ctx, sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return err
	}
	k, err := zmqsink.New(push)
	if err != nil {
		return e.stop(err, nil)
	}
	st, err := zmqstream.New(pull)
	if err != nil {
		return e.stop(errors.Join(err, k.Close()), nil)
	}
	msg := make([]byte, sp.Size)
	n := sp.far()
	e.goFar(func(ctx context.Context) error { return sinkSend(ctx, k, msg, n, true) },
		func(ctx context.Context) error { return closeSink(ctx, k, n) })
	recv, drain := observe(e.Ctx, st)
	rerr := wrapErr("zmqstream observable", warmLoop(l, recv))
	return e.stop(rerr, func() error {
		cerr := st.Close()
		drain()
		<-st.Done()
		if rerr != nil {
			return nil // consequences of the failure
		}
		return errors.Join(cerr, st.Err())
	})
}

// sinkSend sends msg n times (0: until ctx is done) into k, with Sink.Send or, with
// forward set, with zmqsink.Forward from msgSource, then waits with Flush until libzmq
// has them all.
func sinkSend(ctx context.Context, k *zmqsink.Sink, msg []byte, n int, forward bool) error {
	if forward {
		if err := zmqsink.Forward(ctx, msgSource(msg, n), k); err != nil {
			return fmt.Errorf("zmqsink forward: %w", err)
		}
	} else {
		for i := 0; n == 0 || i < n; i++ {
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

// closeSink ends k: after n messages (n > 0) gracefully, checking that k accepted and
// sent exactly n, and after an open-ended run (n == 0) abruptly, the messages it still
// held being of no interest.
func closeSink(ctx context.Context, k *zmqsink.Sink, n int) error {
	if n == 0 {
		if err := k.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) { // zmqsink's too
			return err
		}
		return nil
	}
	err := k.Shutdown(ctx)
	if st := k.Stats(); err == nil && (st.Accepted != uint64(n) || st.Sent != uint64(n)) {
		err = fmt.Errorf("zmqsink: accepted %d and sent %d messages, want %d", st.Accepted, st.Sent, n)
	}
	return err
}

// msgSource is an rxgo Observable emitting n items carrying msg (0: until the
// observation's context is done), then completing; its producer stops when the
// observation's context is done.
func msgSource(msg []byte, n int) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for i := 0; n == 0 || i < n; i++ {
			select {
			case next <- rxgo.Of(msg):
			case <-ctx.Done():
				return
			}
		}
	}})
}
