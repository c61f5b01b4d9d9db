package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqstream"
)

// streamRow consumes a zmqstream.Stream on the PULL end of the raw baseline's loop:
// through C() or, with observable set, through Observable().
type streamRow struct{ observable bool }

func init() {
	register(streamRow{})
	register(streamRow{observable: true})
}

func (r streamRow) Key() string {
	if r.observable {
		return keyStreamObservable
	}
	return keyStreamC
}

func (r streamRow) Name() string {
	if r.observable {
		return "zmqstream Observable()"
	}
	return "zmqstream C()"
}

func (r streamRow) About() string {
	const common = "The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and a " +
		"zmqstream.New(pull) Stream, default options, on the PULL handed to zmqevented (zmqevented.Wrap, same " +
		"pebbe context); "
	if r.observable {
		return common + "the timing goroutine ranges over st.Observable().Observe(rxgo.WithContext(ctx)), taking " +
			"item.V of each item; the Stream's producer runs on the goroutine rxgo starts for the observation " +
			"and receives each message once the previous one was taken. Timed at the consumer, as raw. 16 B and 4 KiB."
	}
	return common + "the timing goroutine takes each message from st.C() (unbuffered: the Stream's goroutine " +
		"receives the next message once the channel took the previous one). Timed at the consumer, as raw. " +
		"16 B and 4 KiB."
}

// Supports keeps the Stream rows to the sizes their bars name, on every transport.
func (streamRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: raw sender; the timing goroutine consumes the Stream.
func (r streamRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	g, err := newRawPushRig(ctx, sp)
	if err != nil {
		return Sample{}, err
	}
	st, err := zmqstream.New(g.Pull)
	if err != nil {
		return Sample{}, g.finish(err)
	}
	var recv func() error
	drain := func() {}
	unwatch := func() bool { return true }
	if r.observable {
		recv, drain = observe(g.Ctx, st)
	} else {
		// A bare channel receive per message; the repetition's context ends the
		// Stream instead.
		ch := st.C()
		unwatch = context.AfterFunc(g.Ctx, func() { _ = st.Close() })
		recv = func() error {
			if _, ok := <-ch; !ok {
				return streamEnd(g.Ctx, st)
			}
			return nil
		}
	}
	finish := func(rerr error) error {
		if rerr != nil {
			rerr = fmt.Errorf("%s: %w", r.Name(), rerr)
		}
		unwatch()
		cerr := st.Close()
		if errors.Is(cerr, zmqstream.ErrClosed) && g.Ctx.Err() != nil {
			cerr = nil // closed by the cancellation
		}
		drain()
		<-st.Done()
		if rerr == nil {
			cerr = errors.Join(cerr, st.Err())
		}
		return g.finish(errors.Join(rerr, cerr))
	}
	s, err := timeLoop(sp.Count, recv)
	if err != nil {
		return Sample{}, finish(err)
	}
	return s, finish(nil)
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

// streamEnd is why st ended before the row had all its messages: the Stream's failure,
// else the cause of ctx's cancellation, else an early end.
func streamEnd(ctx context.Context, st *zmqstream.Stream) error {
	if err := st.Err(); err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return errors.New("the stream ended early")
}
