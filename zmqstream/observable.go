package zmqstream

import (
	"context"

	"github.com/reactivex/rxgo/v2"
	"go.uber.org/zap"
)

// observable returns the rxgo form: a cold Observable whose single observation takes
// the items, run under the stream's lifetime context.
func (c *core[T]) observable(opts []rxgo.Option) rxgo.Observable {
	c.mu.Lock()
	switch {
	case c.mode != modeNone:
		m := c.mode
		c.mu.Unlock()
		c.log.Warn("second consumer refused", zap.Stringer("consumer", m), zap.Stringer("refused", modeObservable))
		return newPipeline(c.ctx, rxgo.Thrown(ErrConsumed))
	case c.stopped:
		c.mu.Unlock()
		return newPipeline(c.ctx, rxgo.Empty())
	}
	c.mode = modeObservable
	c.mu.Unlock()
	c.log.Debug("consumer attached", zap.Stringer("consumer", modeObservable))
	// rxgo.Defer, unlike FromChannel, builds the context of each observation from
	// the options given to Observe (and propagated upstream by the operators), and
	// starts the producer only when observed.
	return newPipeline(c.ctx, rxgo.Defer([]rxgo.Producer{c.produce}, opts...))
}

// produce is the Observable's producer. It runs on a goroutine rxgo starts for the
// observation, which the stream counts as its own: Close waits for produce to return.
// ctx is the observation's context; when it is done the consumer is gone and the stream
// stops.
func (c *core[T]) produce(ctx context.Context, next chan<- rxgo.Item) {
	c.mu.Lock()
	switch {
	case c.observed:
		c.mu.Unlock()
		c.log.Warn("second observation refused")
		select {
		case next <- rxgo.Error(ErrConsumed):
		case <-ctx.Done():
		case <-c.ctx.Done():
		}
		return
	case c.stopped:
		c.mu.Unlock()
		return
	}
	c.observed = true
	c.enterLocked(true)
	c.mu.Unlock()
	defer c.leave(true)

	// The producer takes under rctx (Shutdown or the observer's end stop it) and holds
	// an item until the observer's end or Close: Shutdown lets it hand the item over.
	rctx := c.recv
	gone := ctx.Done()
	if gone == c.ctx.Done() {
		gone = nil
	}
	if gone != nil {
		var cancel context.CancelCauseFunc
		rctx, cancel = context.WithCancelCause(c.recv)
		defer cancel(nil)
		stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
		defer stop()
	}
	closed := c.ctx.Done()
	for {
		v, err := c.next(rctx, c.batch())
		if err != nil {
			c.endObservation(ctx, err, next)
			return
		}
		item := rxgo.Of(v)
		select {
		case next <- item: // the first operator was waiting
			continue
		default:
		}
		select {
		case next <- item:
		case <-gone:
			c.unread(v)
			c.endObservation(ctx, context.Cause(ctx), next)
			return
		case <-closed:
			c.unread(v)
			return
		}
	}
}

// endObservation stops the stream after its observation ended with err (from next, or
// the cause of the observation's context), emitting err if it is a failure.
func (c *core[T]) endObservation(ctx context.Context, err error, next chan<- rxgo.Item) {
	switch {
	case c.ctx.Err() != nil: // closed
	case ctx.Err() != nil: // the observer is gone
		c.stop()
	default:
		if err := c.ended(err); err != nil {
			select {
			case next <- rxgo.Error(err):
			case <-ctx.Done():
			case <-c.ctx.Done():
			}
		}
	}
}
