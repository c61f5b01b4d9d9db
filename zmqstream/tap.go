package zmqstream

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// Overflow is what Tap does with a message for a subscriber whose buffer is full.
type Overflow uint8

const (
	// Block waits until the subscriber has room, its ctx is done (the subscription
	// ends) or the Stream is closed. The fan-out, and with it every other subscriber
	// and the receiving from the socket, waits for the slowest Block subscriber:
	// backpressure reaches libzmq as with C.
	Block Overflow = iota
	// DropNewest drops the new message for this subscriber; what is in its buffer
	// stays. Each drop is counted (Tap.Dropped).
	DropNewest
	// DropOldest drops the oldest message in this subscriber's buffer to make room for
	// the new one, so the subscriber sees the latest messages. Each drop is counted.
	// With a buffer of 0 there is nothing to drop but the new message, as DropNewest.
	DropOldest
)

// String returns "block", "drop-newest" or "drop-oldest".
func (o Overflow) String() string {
	switch o {
	case Block:
		return "block"
	case DropNewest:
		return "drop-newest"
	case DropOldest:
		return "drop-oldest"
	}
	return fmt.Sprintf("overflow(%d)", uint8(o))
}

// Tap is one subscriber of a Stream, returned by Stream.Tap: its
// channel (C) and the count of the messages its policy dropped (Dropped).
//
// The Stream keeps a subscription only while it is live: once it has ended (its ctx
// is done, or the Stream ended), the Stream holds nothing of it, neither its channel
// nor its count, so subscribing and leaving any number of times costs a long-lived
// Stream nothing. The Tap itself keeps working: C still yields what its
// buffer holds and then reports the end, and Dropped still reports the final count.
// Its methods are goroutine-safe and do not block.
type Tap struct {
	s *subscriber[[][]byte]
}

// C returns the subscription's channel, the same on every call: the messages received
// while it is live, in order, less those its policy dropped. It is closed when the
// subscription's ctx is done or the Stream ends (Close, or its socket failed or was
// closed: Stream.Err then says why), after the messages already in its buffer, so
// ranging over it always ends. For a refused subscription (see Stream.Tap) it
// is closed from the start.
func (sub *Tap) C() <-chan [][]byte { return sub.s.ch }

// Dropped returns how many messages the subscription's policy has dropped so far:
// always 0 for Block and for a refused subscription. Once the subscription has ended
// the count is final.
func (sub *Tap) Dropped() uint64 { return sub.s.dropped.Load() }

// subscriber is one Tap call. Only the fan-out sends on ch; ch is closed under
// mu, once: by the callback of the subscriber's context, by the fan-out when it finds
// that context done, or by the fan-out when it ends (endSubscribers). The stream
// forgets a subscriber as it ends: what stays is in the caller's hands (its
// Tap), so ended subscriptions cost the stream nothing.
type subscriber[T any] struct {
	ch        chan T
	done      <-chan struct{} // the subscriber's ctx.Done()
	policy    Overflow
	stopAfter func() bool // unregisters the ctx callback; set and called under core.mu
	dropped   atomic.Uint64

	mu     sync.Mutex // held by the fan-out while it delivers; guards closed
	closed bool
}

// endedSubscriber returns a subscriber whose channel is closed: what Tap
// returns when it refuses or the stream has stopped.
func endedSubscriber[T any]() *subscriber[T] {
	return &subscriber[T]{ch: closedChan[T](), closed: true}
}

func (s *subscriber[T]) close() {
	s.mu.Lock()
	s.closeLocked()
	s.mu.Unlock()
}

func (s *subscriber[T]) closeLocked() {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// deliver hands v to s by its policy. handled reports that v went to s or was dropped
// by its policy; gone that s has ended. Neither is set when stop closed first while a
// Block subscriber had no room.
func (s *subscriber[T]) deliver(stop <-chan struct{}, v T) (handled, gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, true
	}
	switch s.policy {
	case Block:
		select {
		case s.ch <- v:
			return true, false
		default:
		}
		select {
		case s.ch <- v:
			return true, false
		case <-s.done:
			s.closeLocked()
			return false, true
		case <-stop:
			return false, false
		}
	case DropNewest:
		select {
		case s.ch <- v:
		default:
			s.dropped.Add(1)
		}
		return true, false
	default: // DropOldest
		for {
			select {
			case s.ch <- v:
				return true, false
			default:
			}
			if cap(s.ch) == 0 {
				s.dropped.Add(1)
				return true, false
			}
			// Only the fan-out sends, so after this there is room (or the
			// subscriber just made some).
			select {
			case <-s.ch:
				s.dropped.Add(1)
			default:
			}
		}
	}
}

// subscribe adds a subscriber and starts the fan-out on the first call. It returns an
// ended subscriber (its channel closed) if it refuses or the stream has stopped.
func (c *core[T]) subscribe(ctx context.Context, buffer int, policy Overflow) *subscriber[T] {
	if buffer < 0 || policy > DropOldest {
		err := fmt.Errorf("%w: Tap(buffer %d, policy %v)", ErrInvalidArgument, buffer, policy)
		c.log.Warn("subscription refused", zap.Error(err))
		c.fail(err)
		return endedSubscriber[T]()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.mode != modeNone && c.mode != modeTap:
		c.log.Warn("second consumer refused", zap.Stringer("consumer", c.mode), zap.Stringer("refused", modeTap))
		if c.err == nil {
			c.err = ErrConsumed
		}
		return endedSubscriber[T]()
	case c.stopped:
		return endedSubscriber[T]()
	}
	if c.mode == modeNone {
		c.log.Debug("consumer attached", zap.Stringer("consumer", modeTap))
	}
	c.mode = modeTap
	s := &subscriber[T]{ch: make(chan T, buffer), done: ctx.Done(), policy: policy}
	c.subs = append(slices.Clip(c.subs), s)
	c.wg.Add(1) // the callback below; whoever unregisters it first calls Done instead
	s.stopAfter = context.AfterFunc(ctx, func() {
		defer c.wg.Done()
		s.close()
		c.remove(s)
	})
	if !c.fanning {
		c.fanning = true
		c.enterLocked(true)
		go c.fanOut()
	}
	select {
	case c.subsSignal <- struct{}{}:
	default:
	}
	return s
}

// remove drops s from the live subscribers; the stream keeps nothing of it.
func (c *core[T]) remove(s *subscriber[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.subs, s); i >= 0 {
		c.subs = slices.Delete(slices.Clone(c.subs), i, i+1)
		if len(c.subs) == 0 && c.subsCancel != nil {
			c.subsCancel() // a receive in progress gives up, taking nothing
			c.subsCancel = nil
		}
	}
}

// subscribers returns how many subscribers the stream keeps.
func (c *core[T]) subscribers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}

// fanOut takes an item only while there is a subscriber (its receive is abandoned,
// taking nothing, when the last one leaves), and hands it to every live subscriber by
// its policy before taking the next. An item that no subscriber took (they all left
// while it was delivered, or the stream was closed while the Block ones had no room)
// is put back in front of the pending items. However it ends (Close, a failure of the
// source), it closes the channel of every subscriber still live before the stream is
// done.
func (c *core[T]) fanOut() {
	defer c.leave(true)
	defer c.endSubscribers()
	stop := c.ctx.Done()
	var rctx context.Context
	for {
		rctx = c.waitSubscribers(rctx)
		if rctx == nil {
			return
		}
		v, err := c.next(rctx, 1)
		if err != nil {
			if rctx.Err() != nil && c.recv.Err() == nil {
				continue // the subscribers left
			}
			_ = c.ended(err)
			return
		}
		c.mu.Lock()
		subs := c.subs
		c.mu.Unlock()
		taken := false
		for _, s := range subs {
			if c.ctx.Err() != nil {
				break // closed: the rest get nothing more
			}
			handled, gone := s.deliver(stop, v)
			taken = taken || handled
			if gone {
				c.remove(s)
			}
		}
		if !taken {
			c.unread(v)
		}
	}
}

// waitSubscribers waits until there is a live subscriber, and returns the context to
// receive with: cur while the subscribers it was made for are live, else a new one,
// which remove cancels when the last subscriber leaves. It returns nil once the stream
// has stopped.
func (c *core[T]) waitSubscribers(cur context.Context) context.Context {
	for {
		c.mu.Lock()
		switch {
		case c.stopped:
			c.mu.Unlock()
			return nil
		case len(c.subs) > 0:
			if c.subsCancel == nil {
				cur, c.subsCancel = context.WithCancel(c.recv)
			}
			c.mu.Unlock()
			return cur
		}
		c.mu.Unlock()
		select {
		case <-c.subsSignal:
		case <-c.recv.Done(): // Close or Shutdown
			return nil
		}
	}
}

// endSubscribers ends every live subscriber when the fan-out returns (the stream has
// stopped, so no subscriber can join): it forgets them, unregisters their context
// callbacks and closes their channels, so that ranging over one ends whatever ended
// the stream.
func (c *core[T]) endSubscribers() {
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	if c.subsCancel != nil {
		c.subsCancel()
		c.subsCancel = nil
	}
	for _, s := range subs {
		if s.stopAfter() {
			c.wg.Done() // its callback will never run
		}
	}
	c.mu.Unlock()
	for _, s := range subs {
		s.close()
	}
}
