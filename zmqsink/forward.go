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
// early, and items src has not emitted yet stay with src. The one item Forward has
// taken from src when Send refuses it (the sink closed or failed, ctx ended while Send
// waited for room, an empty [][]byte) is not lost: the error is then a *SendError
// whose Messages hold exactly that message, as Send would have taken it, and whose Err
// is Send's error, so errors.Is matches ErrClosed, the transport error or ctx's cause.
// The sink is left as that Send left it. An item of another type is reported by the
// ErrItemType error alone. The frames of each item are kept by the sink until sent
// (see Sink.Send), so a producer must not reuse their buffers. Goroutine-safe in the
// sense that several Forward calls may feed one sink at once (their items interleave).
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

// ForwardChan is Forward for a channel: it receives messages from src and sends each,
// in order, with Sink.Send. It blocks until src is closed (it returns nil), ctx is done
// (context.Cause(ctx)) or the sink refuses a message or fails (ErrClosed or the sink's
// transport error, also while waiting for the next message). While the sink is full it
// waits in Send and stops receiving, so backpressure reaches src's senders.
//
// Returning nil means every message was accepted, not sent (see Flush). When it returns
// early, the messages already accepted stay accepted and those not yet received stay in
// src; the one message it had received when Send refused it comes back inside a
// *SendError (Messages holds exactly it, Err is Send's error: errors.Is matches
// ErrClosed, the transport error or ctx's cause). The frames are kept by the sink as
// for Sink.Send. Several ForwardChan calls (on one channel or several) may feed one
// sink at once; their messages interleave.
func ForwardChan(ctx context.Context, src <-chan [][]byte, k *Sink) error {
	for {
		select { // as in Forward: no three-way select while messages are ready
		case m, ok := <-src:
			if !ok {
				return nil
			}
			if err := sendMsg(ctx, k, m); err != nil {
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
			if err := sendMsg(ctx, k, m); err != nil {
				return err
			}
		}
	}
}

// ForwardSeq is Forward for an iterator: it ranges over src in the calling goroutine and
// sends every message, in order, with Sink.Send. It blocks until src ends (it returns
// nil), yields a non-nil error (that error), ctx is done (context.Cause(ctx)) or the
// sink refuses a message or fails (ErrClosed or the sink's transport error), and stops
// the iteration early in all but the first case. ctx is checked by Send, between
// messages and while Send waits for room: a src blocked producing its next value is
// not interrupted. While the sink is full, src is not advanced.
//
// Returning nil means every message was accepted, not sent (see Flush). When it returns
// early, the messages already accepted stay accepted; the one message src had yielded
// when Send refused it comes back inside a *SendError (Messages holds exactly it, Err
// is Send's error: errors.Is matches ErrClosed, the transport error or ctx's cause).
// The frames are kept by the sink as for Sink.Send. Several ForwardSeq calls may feed
// one sink at once; src runs on the caller's goroutine, outside the sink's locks, and
// a panic in it is not recovered.
func ForwardSeq(ctx context.Context, src iter.Seq2[[][]byte, error], k *Sink) error {
	for m, err := range src {
		if err != nil {
			return err
		}
		if err := sendMsg(ctx, k, m); err != nil {
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
// on the stack: Send keeps the frames' bytes, not the list, and only a refusal copies
// the list.
func sendItem(ctx context.Context, k *Sink, v any) error {
	var one [1][]byte
	switch m := v.(type) {
	case [][]byte:
		return sendMsg(ctx, k, m)
	case []byte:
		one[0] = m
	case string:
		one[0] = []byte(m)
	default:
		return fmt.Errorf("%w %T: Forward sends [][]byte, []byte or string", ErrItemType, v)
	}
	if err := k.Send(ctx, one[:]...); err != nil {
		return refused(err, [][]byte{one[0]})
	}
	return nil
}

// sendMsg sends a message taken from a Forward source, handing it back inside the
// error if the sink refuses it.
func sendMsg(ctx context.Context, k *Sink, m [][]byte) error {
	if err := k.Send(ctx, m...); err != nil {
		return refused(err, m)
	}
	return nil
}

// refused is the error for a message taken from a source that Send did not accept: a
// *SendError carrying it, so that it is not lost.
func refused(err error, m [][]byte) error {
	return &SendError{Err: err, Messages: [][][]byte{m}}
}
