package zmqstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync/atomic"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// EventStream is the sequence of socket monitor events of a socket, typed, through the
// same forms as a Stream: C, All and Observable (one of them; it has no Subscribe). It
// owns the monitor's PAIR socket, which Close (or the end of Monitor's ctx) closes.
// Its methods are goroutine-safe.
type EventStream struct {
	c       *core[Event]
	mon     *zmqevented.Socket
	stopCtx func() bool
}

var _ io.Closer = (*EventStream)(nil)

// Monitor starts libzmq's socket monitor on s for events (zmq4.EVENT_ALL, or an OR of
// zmq4.EVENT_CONNECTED, …) and returns the stream of its events (see
// zmqevented.Socket.Monitor: events before Monitor returns are not reported).
//
// zmqevented.Socket.Monitor always adds zmq4.EVENT_MONITOR_STOPPED to events, so the
// sequence always ends with an EventMonitorStopped event, whatever events says: libzmq
// sends it when s is closed, and when a later Monitor on s (here or elsewhere; a
// socket has one monitor at a time) replaces this one (see zmqevented.Socket.Monitor
// for the events not yet received then). After it, C is closed, All and
// the Observable complete, Err is nil and Done is closed; the monitor socket stays
// open until Close or the end of ctx.
//
// ctx is the EventStream's lifetime: when it is done the EventStream closes itself, as
// Close. Options: WithBuffer and WithLogger (WithCloseSocket and WithPending do not
// apply).
//
// Like a Stream, it receives an event only when its consumer is ready for it; events
// the consumer is too slow for queue in libzmq up to the monitor socket's RCVHWM
// (1000), beyond which libzmq's I/O thread waits (it sends events with blocking
// sends): keep consuming, or Close the EventStream. Fails with an error wrapping
// ErrInvalidArgument for a nil socket or an invalid option, or with s's error (an
// error matching zmqevented.ErrClosed if it is closed); on failure no monitor runs on
// s and nothing is left to close. Does not block, beyond handing over from a previous
// monitor of s; goroutine-safe.
func Monitor(ctx context.Context, s *zmqevented.Socket, events zmq4.Event, opts ...Option) (*EventStream, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: Monitor: nil socket", ErrInvalidArgument)
	}
	o := parseOptions(opts)
	if o.closeSet {
		o.fail("Monitor: WithCloseSocket does not apply: an EventStream owns its monitor socket")
	}
	if o.pendingSet {
		o.fail("Monitor: WithPending applies to New only")
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	mon, err := s.Monitor(events, zmqevented.WithLogger(o.logger))
	if err != nil {
		return nil, err
	}
	var ended atomic.Bool
	src := func(ctx context.Context) (Event, error) {
		if ended.Load() {
			return Event{}, errEnd
		}
		msg, err := mon.Recv(ctx)
		if err != nil {
			return Event{}, err
		}
		ev, err := decodeEvent(msg)
		if err != nil {
			return Event{}, err
		}
		if ev.Kind == EventMonitorStopped {
			ended.Store(true)
		}
		return ev, nil
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

// C returns a channel of the events, closed when the stream ends (after
// EventMonitorStopped, on Close, or on a failure); see Stream.C for the bounds and the
// refusals. Does not block; goroutine-safe.
func (es *EventStream) C() <-chan Event { return es.c.C() }

// All returns an iterator over the events, received on the ranging goroutine; when ctx
// is done it yields (zero, context.Cause(ctx)) and ends the stream. See Stream.All.
func (es *EventStream) All(ctx context.Context) iter.Seq2[Event, error] { return es.c.All(ctx) }

// Observable returns the events as an rxgo Observable whose items carry an Event in
// Item.V; see Stream.Observable. Does not block; goroutine-safe.
func (es *EventStream) Observable(opts ...rxgo.Option) rxgo.Observable {
	return es.c.observable(opts)
}

// Err returns the error that ended the stream, or nil; see Stream.Err. A message that
// is not a monitor event ends it with an error wrapping ErrMalformedEvent. The natural
// end (after EventMonitorStopped) is not a failure: Err stays nil. Goroutine-safe.
func (es *EventStream) Err() error { return es.c.Err() }

// Done returns a channel closed once the stream has ended and its consumer has let go;
// see Stream.Done. Goroutine-safe.
func (es *EventStream) Done() <-chan struct{} { return es.c.Done() }

// Context returns the EventStream's lifetime context, cancelled by Close (or when
// Monitor's ctx is done) with cause ErrClosed, and never otherwise: not when the
// sequence ends after EventMonitorStopped (Done reports that). Goroutine-safe.
func (es *EventStream) Context() context.Context { return es.c.Context() }

// Undelivered returns the events received but not delivered (at most one), once Done
// is closed, and nil before; see Stream.Undelivered. Goroutine-safe.
func (es *EventStream) Undelivered() []Event { return es.c.Undelivered() }

// Close ends the stream as Stream.Close does (abrupt: an event received but not
// delivered goes to Undelivered, the rest is discarded with the monitor socket) and
// closes the monitor socket, which stops libzmq's monitor on the monitored socket (see
// zmqevented.Socket.Monitor). It waits for the goroutines the stream owns and returns
// the monitor socket's Close error, if any. Safe to call concurrently; a second call
// returns ErrClosed.
func (es *EventStream) Close() error {
	es.stopCtx()
	return es.c.Close()
}
