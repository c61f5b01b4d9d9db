package zmqstream

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// mode is how a stream is consumed; the first consumer fixes it.
type mode uint8

const (
	modeNone mode = iota
	modeC
	modeAll
	modeObservable
	modeTap
)

func (m mode) String() string {
	switch m {
	case modeC:
		return "C"
	case modeAll:
		return "All"
	case modeObservable:
		return "Observable"
	case modeTap:
		return "Tap"
	}
	return "none"
}

// errEnd is returned by a source at the natural end of its sequence (a monitor after
// MONITOR_STOPPED): the stream then ends as if its consumer had stopped, with no error.
var errEnd = errors.New("zmqstream: end of sequence")

// errShutdown is the cause a Shutdown gives the receive in progress.
var errShutdown = errors.New("zmqstream: shut down")

// source takes up to limit (≥ 1) items, appending them to dst: it blocks until there is
// one or ctx is done, and must take nothing when it returns an error.
type source[T any] func(ctx context.Context, dst []T, limit int) ([]T, error)

// core is the machinery shared by Stream and EventStream: a pull-driven sequence of
// items taken from src, consumed in exactly one way.
//
// Nothing is taken from src unless a consumer asked for an item: All takes on the
// consumer's goroutine; C, Observable and Tap take on one goroutine each (the
// pump, the rxgo producer, the fan-out). They take in batches of up to the buffer's
// size (one crossing into libzmq per batch) into pending, from which they hand the
// items over one by one. Items taken but not handed over when the stream stops (and,
// for Tap, an item that found no subscriber) stay in pending, in order: Undelivered
// returns them once the stream is done.
//
// pending is touched only by the one consumer activity while it runs (and read by
// Undelivered once it has let go), so the hot path takes no lock.
type core[T any] struct {
	src    source[T]
	log    *zap.Logger
	buffer int
	closer func() error // closes the socket on Close; nil if the caller keeps it

	ctx    context.Context // lifetime: cancelled by Close (only), with cause ErrClosed
	cancel context.CancelCauseFunc
	// recv is what consumers take from src under: a child of ctx, cancelled alone (with
	// cause errShutdown) by Shutdown, which stops taking without cancelling the consumer.
	recv       context.Context
	recvCancel context.CancelCauseFunc
	limit      int64          // WithLimit: most items taken for delivery; 0 for no limit
	taken      atomic.Int64   // items taken and not put back; counted only with a limit
	done       chan struct{}  // closed once stopped and no consumer activity is left
	wg         sync.WaitGroup // goroutines the stream owns; Close waits for them

	mu         sync.Mutex
	mode       mode
	observed   bool // the Observable's source has been observed
	stopped    bool
	closed     bool
	doneClosed bool
	active     int   // consumer activities running: All loops and owned goroutines
	err        error // the failure that ended the stream, or a misuse; first one wins
	pending    []T   // taken (or given) but not delivered, in order from head
	head       int   // pending[:head] were handed out
	ch         chan T
	subs       []*subscriber[T] // live subscribers, copy on write; ended ones are dropped
	fanning    bool
	subsSignal chan struct{} // capacity 1: a subscriber arrived
	// subsCancel cancels the fan-out's current receive context (which the fan-out
	// keeps) when the last subscriber leaves; nil while there is none.
	subsCancel context.CancelFunc
}

func newCore[T any](src source[T], o options, closer func() error) *core[T] {
	ctx, cancel := context.WithCancelCause(context.Background())
	recv, recvCancel := context.WithCancelCause(ctx)
	return &core[T]{
		src:        src,
		log:        o.logger.Named("zmqstream"),
		buffer:     o.buffer,
		closer:     closer,
		ctx:        ctx,
		cancel:     cancel,
		recv:       recv,
		recvCancel: recvCancel,
		limit:      int64(o.limit),
		done:       make(chan struct{}),
		subsSignal: make(chan struct{}, 1),
	}
}

// next returns the next item: a pending one, else the first of a batch of up to batch
// taken from src. It returns errEnd once the limit (WithLimit) was handed out.
func (c *core[T]) next(ctx context.Context, batch int) (T, error) {
	var zero T
	if c.limit > 0 && c.taken.Load() >= c.limit {
		return zero, errEnd
	}
	if c.head == len(c.pending) {
		n := batch
		if c.limit > 0 {
			n = int(min(int64(n), c.limit-c.taken.Load()))
		}
		batch, err := c.src(ctx, c.pending[:0], n)
		if err != nil {
			c.pending, c.head = c.pending[:0], 0
			return zero, err
		}
		c.pending, c.head = batch, 0
	}
	v := c.pending[c.head]
	c.pending[c.head] = zero
	c.head++
	if c.limit > 0 {
		c.taken.Add(1)
	}
	return v, nil
}

// unread puts v back in front of the pending items.
func (c *core[T]) unread(v T) {
	if c.limit > 0 {
		c.taken.Add(-1)
	}
	if c.head > 0 {
		c.head--
		c.pending[c.head] = v
		return
	}
	c.pending = append([]T{v}, c.pending...)
}

// setPending makes vs the first items the stream delivers (WithPending).
func (c *core[T]) setPending(vs []T) {
	c.pending, c.head = append([]T(nil), vs...), 0
}

// batch is how many items a consumer takes at once: the buffer's size, at least 1.
func (c *core[T]) batch() int { return max(c.buffer, 1) }

// attach claims the stream for a consumer of mode m and counts it as active (and as
// an owned goroutine if owned). ok is false, with a nil err, if the stream has
// stopped before anyone consumed it, and with ErrConsumed if another consumer has it.
func (c *core[T]) attach(m mode, owned bool) (ok bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.mode != modeNone:
		c.log.Warn("second consumer refused", zap.Stringer("consumer", c.mode), zap.Stringer("refused", m))
		return false, ErrConsumed
	case c.stopped:
		return false, nil
	}
	c.mode = m
	c.enterLocked(owned)
	c.log.Debug("consumer attached", zap.Stringer("consumer", m))
	return true, nil
}

func (c *core[T]) enterLocked(owned bool) {
	c.active++
	if owned {
		c.wg.Add(1)
	}
}

// leave ends a consumer activity counted by attach or enterLocked.
func (c *core[T]) leave(owned bool) {
	c.mu.Lock()
	c.active--
	c.maybeDoneLocked()
	c.mu.Unlock()
	if owned {
		c.wg.Done()
	}
}

// stop ends the stream: nothing more is taken from src, and Done is closed once the
// consumer has let go. It does not cancel the lifetime context (only Close does), so
// that an rxgo pipeline still carries the items and the error before the end.
func (c *core[T]) stop() {
	c.mu.Lock()
	c.stopLocked()
	c.mu.Unlock()
}

func (c *core[T]) stopLocked() {
	if !c.stopped {
		c.stopped = true
		c.log.Debug("stream stopped")
	}
	c.maybeDoneLocked()
}

func (c *core[T]) maybeDoneLocked() {
	if c.stopped && c.active == 0 && !c.doneClosed {
		c.doneClosed = true
		close(c.done)
	}
}

// fail records err as the stream's error unless one is recorded already.
func (c *core[T]) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// ended handles an error from next in a consumer that took with a context derived
// from c.recv, and stops the stream. It returns the error to report to the consumer,
// or nil if the stream was closed or shut down, or its sequence ended.
func (c *core[T]) ended(err error) error {
	switch {
	case c.ctx.Err() != nil:
		return nil
	case c.recv.Err() != nil, errors.Is(err, errEnd):
		c.stop()
		return nil
	}
	c.log.Warn("stream failed", zap.Error(err))
	c.fail(err)
	c.stop()
	return err
}

// Err returns the error that ended the stream, or nil.
func (c *core[T]) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done returns a channel closed once the stream has stopped and its consumer has let go.
func (c *core[T]) Done() <-chan struct{} { return c.done }

// Context returns the stream's lifetime context.
func (c *core[T]) Context() context.Context { return c.ctx }

// Undelivered returns the items taken but not delivered, once Done is closed.
func (c *core[T]) Undelivered() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.doneClosed || c.head == len(c.pending) {
		return nil
	}
	return append([]T(nil), c.pending[c.head:]...)
}

// Close stops the stream, waits for the goroutines it owns and closes the socket if
// it owns it.
func (c *core[T]) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	return c.abort()
}

// abort cancels everything the stream runs, waits for its goroutines and releases
// the socket.
func (c *core[T]) abort() error {
	c.mu.Lock()
	c.cancel(ErrClosed)
	c.stopLocked()
	c.mu.Unlock()
	c.wg.Wait() // the fan-out, if any, closes the subscribers' channels on its way out
	c.log.Debug("stream closed")
	return c.release()
}

// release closes the socket if the stream owns it.
func (c *core[T]) release() error {
	if c.closer != nil {
		return c.closer()
	}
	return nil
}

// Shutdown stops taking items, lets the consumer take what is held and complete, and
// waits for that within ctx; if ctx ends first it aborts as Close does.
func (c *core[T]) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.recvCancel(errShutdown)
	c.stopLocked()
	c.mu.Unlock()
	select {
	case <-c.done:
		c.wg.Wait()
		c.log.Debug("stream shut down")
		return c.release()
	case <-ctx.Done():
		return errors.Join(context.Cause(ctx), c.abort())
	}
}

// C returns the channel of items, starting the pump on the first call.
func (c *core[T]) C() <-chan T {
	c.mu.Lock()
	switch {
	case c.mode == modeC:
		ch := c.ch
		c.mu.Unlock()
		return ch
	case c.mode != modeNone:
		c.mu.Unlock()
		c.log.Warn("second consumer refused", zap.Stringer("consumer", c.mode), zap.Stringer("refused", modeC))
		c.fail(ErrConsumed)
		return closedChan[T]()
	case c.stopped:
		c.mu.Unlock()
		return closedChan[T]()
	}
	c.mode = modeC
	c.ch = make(chan T, c.buffer)
	c.enterLocked(true)
	ch := c.ch
	c.mu.Unlock()
	c.log.Debug("consumer attached", zap.Stringer("consumer", modeC))
	go c.pump(ch)
	return ch
}

// pump takes items and hands them to ch, one at a time: it takes the next only after
// ch accepted the previous one.
func (c *core[T]) pump(ch chan T) {
	defer c.leave(true)
	defer close(ch)
	done := c.ctx.Done()
	for {
		// Take no more than the channel has room for: Go holds at most its buffer
		// plus the one item that waits for room.
		v, err := c.next(c.recv, max(cap(ch)-len(ch), 1))
		if err != nil {
			_ = c.ended(err)
			return
		}
		select {
		case ch <- v: // the consumer was waiting, or there was room
			continue
		default:
		}
		select {
		case ch <- v:
		case <-done:
			c.unread(v)
			return
		}
	}
}

// All returns the iterator form; items are taken on the caller's goroutine.
func (c *core[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ok, err := c.attach(modeAll, false)
		if !ok {
			if err != nil {
				yield(zero, err)
			}
			return
		}
		defer c.leave(false)
		rctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(c.recv, func() { cancel(context.Cause(c.recv)) })
		defer stop()
		for {
			// Close or Shutdown may have run in the loop body: the bridge above is
			// asynchronous.
			if c.recv.Err() != nil {
				c.stop()
				return
			}
			if ctx.Err() != nil { // a batch taken before stays Undelivered
				c.stop()
				yield(zero, context.Cause(ctx))
				return
			}
			v, err := c.next(rctx, c.batch())
			if err != nil {
				if c.ctx.Err() == nil && ctx.Err() != nil {
					c.stop()
					yield(zero, context.Cause(ctx))
					return
				}
				if err := c.ended(err); err != nil {
					yield(zero, err)
				}
				return
			}
			if !yield(v, nil) {
				c.stop()
				return
			}
		}
	}
}

func closedChan[T any]() chan T {
	ch := make(chan T)
	close(ch)
	return ch
}
