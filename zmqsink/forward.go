package zmqsink

import (
	"context"
	"fmt"
	"iter"

	"github.com/reactivex/rxgo/v2"
)

// Forward sends every item of src through k, in order, with Sink.Send (so it waits
// whenever the sink is full: backpressure reaches the Observable's producer through
// rxgo's channel). An item may be a [][]byte (one message of several frames), a []byte
// or a string (one single-frame message); any other type stops Forward with an error
// wrapping ErrItemType. (rxgo.Just flattens slice arguments into one item per element,
// so it suits strings; emit []byte and [][]byte items with rxgo.Defer, rxgo.Create or
// rxgo.FromChannel.)
//
// Forward blocks until src completes (it returns nil), src emits an error item (it
// returns that error), ctx is done (context.Cause(ctx)) or the sink refuses a message
// or fails (ErrClosed or the sink's transport error, also while waiting for the next
// item). It observes src with rxgo.WithContext bound to a context it cancels before it
// returns, so a cancellable source stops producing and leaks no goroutine; a source
// that ignores its context (a Defer or Create producer that never looks at ctx) may
// block in its own goroutine.
//
// Returning nil means every item was accepted, not sent: call Flush or Close to wait
// for the hand-off to libzmq. Items already accepted stay accepted when Forward stops
// early. The frames of each item are kept by the sink until sent (see Sink.Send), so a
// producer must not reuse their buffers. Goroutine-safe in the sense that several
// Forward calls may feed one sink at once (their items interleave).
func Forward(ctx context.Context, src rxgo.Observable, k *Sink) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := src.Observe(rxgo.WithContext(fctx))
	for {
		// While items are ready, take them without the three-way select (Send checks
		// ctx and the sink itself); block in the select only when the source lags.
		select {
		case it, ok := <-items:
			if ok && it.E == nil {
				if err := sendItem(ctx, k, it.V); err != nil {
					return err
				}
				continue
			}
			return forwardEnd(ctx, it, ok)
		default:
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-k.life.Done():
			return k.refusal()
		case it, ok := <-items:
			if !ok || it.E != nil {
				return forwardEnd(ctx, it, ok)
			}
			if err := sendItem(ctx, k, it.V); err != nil {
				return err
			}
		}
	}
}

// forwardEnd is what Forward returns when the stream ends (ok false) or emits an error.
func forwardEnd(ctx context.Context, it rxgo.Item, ok bool) error {
	switch {
	case ok:
		return it.E
	case ctx.Err() != nil:
		// rxgo also ends the stream when its context is cancelled: that is not
		// completion.
		return context.Cause(ctx)
	default:
		return nil
	}
}

// ForwardChan is Forward for a channel: it sends every message received from src, in
// order, until src is closed (nil), ctx is done (context.Cause(ctx)) or the sink
// refuses a message or fails. A message left in src when Forward returns early stays
// there. The frames are kept by the sink as for Sink.Send.
func ForwardChan(ctx context.Context, src <-chan [][]byte, k *Sink) error {
	for {
		select { // as in Forward: no three-way select while messages are ready
		case m, ok := <-src:
			if !ok {
				return nil
			}
			if err := k.Send(ctx, m...); err != nil {
				return err
			}
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-k.life.Done():
			return k.refusal()
		case m, ok := <-src:
			if !ok {
				return nil
			}
			if err := k.Send(ctx, m...); err != nil {
				return err
			}
		}
	}
}

// ForwardSeq is Forward for an iterator: it ranges over src in the calling goroutine and
// sends every message, in order, until src ends (nil), yields a non-nil error (that
// error), ctx is done (context.Cause(ctx)) or the sink refuses a message or fails. It
// stops the iteration early in those cases. ctx is checked between messages: a src
// blocked producing its next value is not interrupted. The frames are kept by the sink
// as for Sink.Send.
func ForwardSeq(ctx context.Context, src iter.Seq2[[][]byte, error], k *Sink) error {
	for m, err := range src {
		if err != nil {
			return err
		}
		if err := k.Send(ctx, m...); err != nil {
			return err
		}
	}
	return nil
}

// refusal is the error for a sink whose lifetime context ended: its transport error,
// or ErrClosed.
func (k *Sink) refusal() error {
	if err := k.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// sendItem sends a Forward item as one message. A single frame goes through an array
// on the stack: Send keeps the frames' bytes, not the list.
func sendItem(ctx context.Context, k *Sink, v any) error {
	var one [1][]byte
	switch m := v.(type) {
	case [][]byte:
		return k.Send(ctx, m...)
	case []byte:
		one[0] = m
	case string:
		one[0] = []byte(m)
	default:
		return fmt.Errorf("%w %T: Forward sends [][]byte, []byte or string", ErrItemType, v)
	}
	return k.Send(ctx, one[:]...)
}
