package zmqsink

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/reactivex/rxgo/v2"
)

// Forward sends every item of src through k, in order, with Sink.Send, until src
// completes (nil), emits an error item (that error), ctx ends or the sink refuses (see
// "Forwarding" in the package documentation). An item is a [][]byte (one message), a
// []byte or a string (one frame); any other type stops it with ErrItemType. It
// observes src under a context it cancels before returning, so a cancellable source
// stops producing.
func Forward(ctx context.Context, src rxgo.Observable, k *Sink) (err error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A buffered channel spares the source a goroutine switch per item; what it holds
	// when Forward stops early is handed back in the error.
	items := src.Observe(rxgo.WithContext(fctx), rxgo.WithBufferedChannel(forwardBuffer))
	defer func() {
		if err != nil {
			cancel()
			err = withLeftovers(err, items)
		}
	}()
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

// forwardBuffer is the capacity of the channel Forward observes its source with.
const forwardBuffer = 64

// withLeftovers adds to err the messages the source had already put in Forward's
// channel (what it holds now, without waiting), in order, so that Forward loses none
// of them: err becomes, or is extended as, a *SendError.
func withLeftovers(err error, items <-chan rxgo.Item) error {
	var left [][][]byte
	for {
		select {
		case it, ok := <-items:
			if !ok {
				return addMessages(err, left)
			}
			if m, isMsg := asMessage(it.V); isMsg && it.E == nil {
				left = append(left, m)
			}
			continue
		default:
		}
		return addMessages(err, left)
	}
}

func addMessages(err error, left [][][]byte) error {
	if len(left) == 0 {
		return err
	}
	var se *SendError
	if errors.As(err, &se) {
		se.Messages = append(se.Messages, left...)
		return err
	}
	return &SendError{Err: err, Messages: left}
}

// asMessage converts a Forward item to a message, if it is one.
func asMessage(v any) ([][]byte, bool) {
	switch m := v.(type) {
	case [][]byte:
		return m, true
	case []byte:
		return [][]byte{m}, true
	case string:
		return [][]byte{[]byte(m)}, true
	}
	return nil, false
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

// ForwardChan is Forward for a channel: it sends every message received from src until
// src is closed (nil), ctx ends or the sink refuses; while the sink is full it stops
// receiving, so backpressure reaches src's senders.
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

// ForwardSeq is Forward for an iterator, ranged over on the caller's goroutine: it
// sends every message until src ends (nil), yields an error (that error), ctx ends
// (checked between messages, not while src produces) or the sink refuses. While the
// sink is full, src is not advanced; a panic in src is not recovered.
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
