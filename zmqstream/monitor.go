package zmqstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// EventStream is the sequence of a socket's monitor events (zmqevented.MonitorEvent)
// through the same forms as a Stream: C, All and Observable (one of them; it has no
// Tap). It holds one subscription to the socket's monitor, which other watchers of the
// socket share. Its methods are goroutine-safe.
type EventStream struct {
	c       *core[zmqevented.MonitorEvent]
	mon     *zmqevented.Monitor
	stopCtx func() bool
}

var _ io.Closer = (*EventStream)(nil)

// eventQueue is how many events an EventStream's subscription holds for a consumer
// that lags; see Monitor.
const eventQueue = 256

// Monitor subscribes to s's monitor events (zmq4.EVENT_ALL, or an OR of
// zmq4.EVENT_CONNECTED, …) and returns their stream, from now on (see
// zmqevented.Socket.Monitor). The sequence ends with zmq4.EVENT_MONITOR_STOPPED when s
// is closed; then C is closed, All and the Observable complete, Err is nil and Done is
// closed. ctx is the EventStream's lifetime: when it is done the EventStream closes
// itself, as Close. Options: WithBuffer, WithLimit and WithLogger.
//
// Events the consumer is too slow for wait in the subscription's queue of 256;
// beyond it they are dropped for this stream alone and counted (Dropped), so a slow
// consumer never stalls libzmq or another watcher. Fails with an error wrapping
// ErrInvalidArgument for a nil socket or an invalid option, or with s's error (an
// error matching zmqevented.ErrClosed if it is closed). Does not block.
func Monitor(ctx context.Context, s *zmqevented.Socket, events zmq4.Event, opts ...Option) (*EventStream, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: Monitor: nil socket", ErrInvalidArgument)
	}
	o := parseOptions(opts)
	if o.closeSet {
		o.fail("Monitor: WithCloseSocket does not apply: an EventStream owns its subscription")
	}
	if o.pendingSet {
		o.fail("Monitor: WithPending applies to New only")
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	mon, err := s.Monitor(context.Background(), events, eventQueue)
	if err != nil {
		return nil, err
	}
	src := func(ctx context.Context, dst []zmqevented.MonitorEvent, n int) ([]zmqevented.MonitorEvent, error) {
		if ctx.Err() != nil {
			return dst, context.Cause(ctx)
		}
		select {
		case ev, ok := <-mon.C():
			if !ok {
				return dst, errEnd
			}
			dst = append(dst, ev)
		case <-ctx.Done():
			return dst, context.Cause(ctx)
		}
		for len(dst) < n {
			select {
			case ev, ok := <-mon.C():
				if !ok {
					return dst, nil // the end comes with the next take
				}
				dst = append(dst, ev)
			default:
				return dst, nil
			}
		}
		return dst, nil
	}
	closer := func() error {
		if err := mon.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
			return err
		}
		return nil
	}
	es := &EventStream{c: newCore(src, o, closer), mon: mon}
	es.stopCtx = context.AfterFunc(ctx, func() { _ = es.c.Close() })
	return es, nil
}

// C returns a channel of the events, closed when the stream ends; see Stream.C.
func (es *EventStream) C() <-chan zmqevented.MonitorEvent { return es.c.C() }

// All returns an iterator over the events, received on the ranging goroutine; see
// Stream.All.
func (es *EventStream) All(ctx context.Context) iter.Seq2[zmqevented.MonitorEvent, error] {
	return es.c.All(ctx)
}

// Observable returns the events as an rxgo Observable whose items carry a
// zmqevented.MonitorEvent in Item.V; see Stream.Observable.
func (es *EventStream) Observable(opts ...rxgo.Option) rxgo.Observable {
	return es.c.observable(opts)
}

// Dropped returns how many events this stream lost because its consumer lagged more
// than the subscription's queue.
func (es *EventStream) Dropped() uint64 { return es.mon.Dropped() }

// Err returns the error that ended the stream, or nil; see Stream.Err.
func (es *EventStream) Err() error { return es.c.Err() }

// Done returns a channel closed once the stream has ended and its consumer has let
// go; see Stream.Done.
func (es *EventStream) Done() <-chan struct{} { return es.c.Done() }

// Context returns the EventStream's lifetime context, cancelled by Close (or when
// Monitor's ctx is done) with cause ErrClosed; see Stream.Context.
func (es *EventStream) Context() context.Context { return es.c.Context() }

// Undelivered returns the events taken but not delivered (at most one), once Done is
// closed; see Stream.Undelivered.
func (es *EventStream) Undelivered() []zmqevented.MonitorEvent { return es.c.Undelivered() }

// Close ends the stream as Stream.Close does and ends its subscription (the socket's
// monitor keeps running for its other watchers). It waits for the goroutines the
// stream owns. A second call returns ErrClosed.
func (es *EventStream) Close() error {
	es.stopCtx()
	return es.c.Close()
}
