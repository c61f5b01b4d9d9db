package zmqstream

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// Overflow is what Subscribe does with a message for a subscriber whose buffer is full.
type Overflow uint8

const (
	// Block waits until the subscriber has room. The fan-out, and with it every other
	// subscriber and the receiving from the socket, waits for the slowest Block
	// subscriber: backpressure reaches libzmq as with C.
	Block Overflow = iota
	// DropNewest drops the new message for this subscriber; what is in its buffer
	// stays. Each drop is counted (Stream.Dropped).
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

// subscriber is one Subscribe call. Only the fan-out sends on ch; ch is closed under mu.
type subscriber[T any] struct {
	ch        chan T
	ctx       context.Context
	policy    Overflow
	stopAfter func() bool // unregisters the ctx callback; guarded by core.mu
	dropped   atomic.Uint64

	mu     sync.Mutex // held by the fan-out while it delivers; guards closed
	closed bool
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
		case <-s.ctx.Done():
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

// subscribe adds a subscriber and starts the fan-out on the first call.
func (c *core[T]) subscribe(ctx context.Context, buffer int, policy Overflow) <-chan T {
	if buffer < 0 || policy > DropOldest {
		err := fmt.Errorf("%w: Subscribe(buffer %d, policy %v)", ErrInvalidArgument, buffer, policy)
		c.log.Warn("subscription refused", zap.Error(err))
		c.fail(err)
		return closedChan[T]()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.mode != modeNone && c.mode != modeSubscribe:
		c.log.Warn("second consumer refused", zap.Stringer("consumer", c.mode), zap.Stringer("refused", modeSubscribe))
		if c.err == nil {
			c.err = ErrConsumed
		}
		return closedChan[T]()
	case c.stopped:
		return closedChan[T]()
	}
	if c.mode == modeNone {
		c.log.Debug("consumer attached", zap.Stringer("consumer", modeSubscribe))
	}
	c.mode = modeSubscribe
	s := &subscriber[T]{ch: make(chan T, buffer), ctx: ctx, policy: policy}
	if len(c.subs) == 0 {
		c.subsCtx, c.subsCancel = context.WithCancel(c.ctx)
	}
	c.subs = append(slices.Clip(c.subs), s)
	if c.allSubs == nil {
		c.allSubs = make(map[<-chan T]*subscriber[T])
	}
	c.allSubs[s.ch] = s
	c.wg.Add(1) // the callback below; Close calls Done if it unregisters it first
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
	return s.ch
}

// remove drops s from the live subscribers.
func (c *core[T]) remove(s *subscriber[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.subs, s); i >= 0 {
		c.subs = slices.Delete(slices.Clone(c.subs), i, i+1)
		if len(c.subs) == 0 {
			c.subsCancel() // a receive in progress gives up, taking nothing
		}
	}
}

// dropped returns the drop count of the subscription whose channel is ch.
func (c *core[T]) dropped(ch <-chan T) uint64 {
	c.mu.Lock()
	s := c.allSubs[ch]
	c.mu.Unlock()
	if s == nil {
		return 0
	}
	return s.dropped.Load()
}

// fanOut takes an item only while there is a subscriber (its receive is abandoned,
// taking nothing, when the last one leaves), and hands it to every live subscriber by
// its policy before taking the next. An item that no subscriber took (they all left
// while it was delivered, or the stream was closed while the Block ones had no room)
// is put back in front of the pending items.
func (c *core[T]) fanOut() {
	defer c.leave(true)
	stop := c.ctx.Done()
	for {
		rctx := c.waitSubscribers()
		if rctx == nil {
			return
		}
		v, err := c.next(rctx)
		if err != nil {
			if rctx.Err() != nil && c.ctx.Err() == nil {
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
// receive with; nil once the stream has stopped.
func (c *core[T]) waitSubscribers() context.Context {
	for {
		c.mu.Lock()
		n, stopped, ctx := len(c.subs), c.stopped, c.subsCtx
		c.mu.Unlock()
		switch {
		case stopped:
			return nil
		case n > 0:
			return ctx
		}
		select {
		case <-c.subsSignal:
		case <-c.ctx.Done():
			return nil
		}
	}
}
