package rigs

import (
	"context"
	"errors"
	"fmt"

	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqstream"
)

// The Stream loops consume a zmqstream.New(pull, opts...) Stream on the receiving end of
// the raw baseline's loop (RawThroughput's sender, the PULL handed to zmqevented.Wrap in
// the same pebbe context), timed at the consumer.

// StreamC takes each message from st.C(), whose capacity is the Stream's buffer (by
// default zmqstream.DefaultBuffer: the Stream's goroutine takes up to that many messages
// per crossing into libzmq and queues them on the channel).
func StreamC(ctx context.Context, l Looper, sp Spec, opts ...zmqstream.Option) error {
	return streamLoop(ctx, sp, opts, "zmqstream C()", func(ctx context.Context, st *zmqstream.Stream) (func(), error) {
		ch := st.C()
		// A bare channel receive per message; the loop's context ends the Stream instead.
		unwatch := context.AfterFunc(ctx, func() { _ = st.Close() })
		defer unwatch()
		return nil, warmLoop(l, func() error {
			if _, ok := <-ch; !ok {
				return streamEnd(ctx, st)
			}
			return nil
		})
	})
}

// StreamObservable ranges over st.Observable().Observe(rxgo.WithContext(ctx)), taking
// item.V of each item; the Stream's producer runs on the goroutine rxgo starts for the
// observation.
func StreamObservable(ctx context.Context, l Looper, sp Spec, opts ...zmqstream.Option) error {
	return streamLoop(ctx, sp, opts, "zmqstream Observable()", func(ctx context.Context, st *zmqstream.Stream) (func(), error) {
		recv, drain := observe(ctx, st)
		return drain, warmLoop(l, recv)
	})
}

// StreamAll ranges over st.All(ctx): each l.Loop() is followed by one receive, the
// range asking for the next message.
func StreamAll(ctx context.Context, l Looper, sp Spec, opts ...zmqstream.Option) error {
	return streamLoop(ctx, sp, opts, "zmqstream All", func(ctx context.Context, st *zmqstream.Stream) (func(), error) {
		for _, err := range st.All(ctx) { // the first message is the warm-up
			if err != nil {
				return nil, err
			}
			if !l.Loop() {
				return nil, nil
			}
		}
		return nil, streamEnd(ctx, st)
	})
}

// streamLoop runs consume on a Stream of the push rig's PULL, then closes the Stream,
// calls drain (unless nil) and waits for the Stream to end before it stops the rig.
func streamLoop(ctx context.Context, sp Spec, opts []zmqstream.Option, name string,
	consume func(ctx context.Context, st *zmqstream.Stream) (drain func(), err error),
) error {
	e, pull, err := newPushRig(ctx, sp)
	if err != nil {
		return err
	}
	st, err := zmqstream.New(pull, opts...)
	if err != nil {
		return e.stop(err, pull.Close)
	}
	drain, rerr := consume(e.Ctx, st)
	rerr = wrapErr(name, rerr)
	cerr := st.Close()
	if errors.Is(cerr, zmqstream.ErrClosed) && e.Ctx.Err() != nil {
		cerr = nil // closed by the cancellation
	}
	if drain != nil {
		drain()
	}
	<-st.Done()
	if rerr == nil {
		cerr = errors.Join(cerr, st.Err())
	}
	return e.stop(errors.Join(rerr, cerr), pull.Close)
}

// observe consumes st's Observable, observed with ctx: recv takes the next item and
// fails unless it is a message; drain, once st is closed, takes the items left (rxgo
// closes the channel once the Stream's producer has returned).
func observe(ctx context.Context, st *zmqstream.Stream) (recv func() error, drain func()) {
	items := st.Observable().Observe(rxgo.WithContext(ctx))
	recv = func() error {
		it, ok := <-items
		switch {
		case !ok:
			return streamEnd(ctx, st)
		case it.E != nil:
			return it.E
		}
		if _, ok := it.V.([][]byte); !ok {
			return fmt.Errorf("item of type %T, want [][]byte", it.V)
		}
		return nil
	}
	drain = func() {
		for range items {
		}
	}
	return recv, drain
}

// streamEnd is why st ended before the loop had all its messages: the Stream's
// failure, else the cause of ctx's cancellation, else an early end.
func streamEnd(ctx context.Context, st *zmqstream.Stream) error {
	if err := st.Err(); err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return errors.New("the stream ended early")
}
