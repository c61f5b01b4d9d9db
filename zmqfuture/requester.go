package zmqfuture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// ErrClosed is the error of the requests a [Requester] had in flight when it
// was closed, of every later [Requester.Request], and of a second
// [Requester.Close]. It matches [zmqevented.ErrClosed]:
// errors.Is(ErrClosed, zmqevented.ErrClosed) is true.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string { return "zmqfuture: requester closed" }
func (closedError) Unwrap() error { return zmqevented.ErrClosed }

// Requester keeps many requests in flight on one DEALER socket and matches
// each reply to its request's future, in whatever order the replies come.
// Each request carries a correlation frame that the server echoes (see the
// package documentation for the wire format, which any ROUTER or REP server
// can answer).
//
// A Requester owns its socket from [NewRequester] on, and one goroutine that
// receives the replies; [Requester.Close] closes both. All its methods are
// safe for concurrent use.
type Requester struct {
	s        *zmqevented.Socket
	log      *zap.Logger
	timeout  time.Duration
	slots    chan struct{} // one token per request in flight: WithMaxInFlight
	stopped  chan struct{} // closed once err is set
	recvDone chan struct{} // closed when the receiver has returned

	mu      sync.Mutex
	pending map[uint64]*call // nil once stopped
	next    uint64           // the last correlation ID handed out
	err     error            // why the requester stopped: ErrClosed or the socket's failure
	closed  bool

	sent      atomic.Uint64
	replied   atomic.Uint64
	dropped   atomic.Uint64
	malformed atomic.Uint64
	canceled  atomic.Uint64
}

var _ io.Closer = (*Requester)(nil)

// Stats are a [Requester]'s counters since [NewRequester]. Every reply
// received is counted in exactly one of Replied, Dropped and Malformed.
type Stats struct {
	// Sent counts requests handed to the socket.
	Sent uint64
	// Replied counts replies delivered to the future of their request.
	Replied uint64
	// Dropped counts well-formed replies thrown away because their request
	// was no longer pending: it was cancelled, its ctx ended, it timed out,
	// the Requester stopped, or the reply was a duplicate or named a request
	// this Requester never sent.
	Dropped uint64
	// Malformed counts replies thrown away because they were not in the wire
	// format (each is also logged at warn level).
	Malformed uint64
	// Canceled counts sent requests whose future failed before their reply
	// came because it was cancelled, its ctx ended or it timed out.
	Canceled uint64
	// InFlight is the number of requests sent (or being sent) whose futures
	// are pending, at the time of the call.
	InFlight int
}

// call is one request in flight; it is the owner of its future.
type call struct {
	f  Future[[][]byte]
	r  *Requester
	id uint64

	// Guarded by f.mu; released when the future settles.
	stop          func() bool        // unregisters the ctx bridge
	cancelTimeout context.CancelFunc // releases the WithRequestTimeout context
}

// NewRequester returns a Requester that sends requests on s, which must be a
// DEALER socket, and starts the goroutine that receives their replies.
//
// On success the Requester owns s: [Requester.Close] closes it, and nothing
// else may receive on it (a reply taken by anyone else is lost to its
// request) or send on it (a server would answer a message without a
// correlation frame with a malformed reply, if at all). s may already be
// connected; requests wait in libzmq until a peer is.
//
// It fails, leaving s untouched and the caller's, with an error matching
// [ErrSocketType] if s is not a DEALER and with an error naming the option
// for an invalid option. It does not block.
func NewRequester(s *zmqevented.Socket, opts ...Option) (*Requester, error) {
	if s == nil {
		return nil, errors.New("zmqfuture: NewRequester: nil socket")
	}
	if t := s.Type(); t != zmq4.DEALER {
		return nil, fmt.Errorf("%w: NewRequester needs a DEALER socket, got %v", ErrSocketType, t)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	r := &Requester{
		s:        s,
		log:      o.logger.Named("zmqfuture"),
		timeout:  o.timeout,
		slots:    make(chan struct{}, o.maxInFlight),
		stopped:  make(chan struct{}),
		recvDone: make(chan struct{}),
		pending:  make(map[uint64]*call),
		// A random start: replies to an earlier Requester that reach this
		// one (a DEALER reconnecting with the same routing ID) match nothing.
		next: rand.Uint64(),
	}
	go r.receive()
	r.log.Debug("requester started", zap.Int("max_in_flight", o.maxInFlight), zap.Duration("timeout", o.timeout))
	return r, nil
}

// Request sends frames (the request body, at least one frame) as one
// request and returns the future of its reply body: the frames the server
// sent after the envelope, possibly none. Replies are matched by
// correlation ID, so any number of requests may be in flight at once and
// their replies may come in any order.
//
// Request blocks while [WithMaxInFlight] requests are already in flight and
// while libzmq cannot take the message (no peer connected yet, or the
// peer's SNDHWM reached), both bounded by ctx; then it returns, and the
// future settles when the reply arrives. If ctx is done before the request
// was sent, the returned future has already failed with ctx's error and
// nothing was sent.
//
// After the send, ctx still bounds the request: when it is done, or when the
// future is cancelled ([Future.Cancel]), or when the [WithRequestTimeout]
// limit runs out ([ErrTimeout]), the future fails with that error at once,
// the request leaves the table of pending requests and frees its slot, and
// its reply, if it comes, is dropped and counted in [Stats].Dropped; it is
// never delivered to another request. The server may still have done the
// work.
//
// With no frames the future fails with [zmqevented.ErrNoFrames]. After
// [Requester.Close], and for the requests in flight when it runs, it fails
// with [ErrClosed]; if the socket fails (for instance because its
// zmqevented.Context was closed), with the socket's error. Other send
// errors are those of [zmqevented.Socket.Send]; the request was then not
// sent. The frames may be reused once Request returns.
//
// Goroutine-safe. The future's continuations ([Map], [Then], …) run on the
// Requester's receiving goroutine and delay every other reply while they
// run: they must be short and must not block. In particular a continuation
// must not call Request directly (a Then chaining a second request, say):
// with every slot taken, Request would wait for a slot that only the
// receiving goroutine can free, until its ctx ends. Start it from another
// goroutine instead, for instance inside [Go].
//
// Cost: a send on the socket, three small allocations and a map entry; with
// a cancellable ctx, a registration on it ([context.AfterFunc], three more
// allocations); with WithRequestTimeout, a timer and a context.
func (r *Requester) Request(ctx context.Context, frames ...[]byte) *Future[[][]byte] {
	if len(frames) == 0 {
		return Failed[[][]byte](zmqevented.ErrNoFrames)
	}
	if ctx.Err() != nil {
		return Failed[[][]byte](ctxErr(ctx))
	}
	c := &call{r: r}
	c.f.owner = c
	if r.timeout > 0 {
		// Released by finish, on every path: c owns it from here.
		ctx, c.cancelTimeout = context.WithTimeoutCause(ctx, r.timeout, ErrTimeout)
	}
	if err := r.register(ctx, c); err != nil {
		c.finish(Result[[][]byte]{Err: err})
		return &c.f
	}

	var buf [4][]byte
	msg := buf[:0]
	if len(frames)+2 > len(buf) {
		msg = make([][]byte, 0, len(frames)+2)
	}
	msg = append(msg, newCorrelation(c.id), nil) // nil: the empty delimiter
	msg = append(msg, frames...)
	if err := r.s.Send(ctx, msg...); err != nil {
		r.remove(c)
		switch {
		case ctx.Err() != nil && errors.Is(err, context.Cause(ctx)):
			err = ctxErr(ctx)
		case errors.Is(err, zmqevented.ErrClosed):
			if e := r.stopErr(); e != nil {
				err = e
			}
		}
		c.finish(Result[[][]byte]{Err: err})
		return &c.f
	}
	r.sent.Add(1)

	if ctx.Done() == nil {
		return &c.f // never cancelled, and no timeout: nothing to bridge
	}
	stop := context.AfterFunc(ctx, func() { c.f.Cancel(ctxErr(ctx)) })
	c.f.mu.Lock()
	if c.f.state.Load() != pending {
		// Settled meanwhile (the reply came, or the Requester stopped):
		// finish could not see the bridge.
		c.f.mu.Unlock()
		stop()
		return &c.f
	}
	c.stop = stop
	c.f.mu.Unlock()
	return &c.f
}

// register takes a slot for c (waiting for one, bounded by ctx), gives it
// the next correlation ID and enters it in the table of pending requests.
func (r *Requester) register(ctx context.Context, c *call) error {
	select {
	case r.slots <- struct{}{}:
	default:
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return ctxErr(ctx)
		case <-r.stopped:
			return r.stopErr()
		}
	}
	r.mu.Lock()
	if r.err != nil {
		err := r.err
		r.mu.Unlock()
		<-r.slots
		return err
	}
	r.next++
	c.id = r.next
	r.pending[c.id] = c
	r.mu.Unlock()
	return nil
}

// remove takes c out of the table of pending requests and frees its slot, if
// it is still there; it reports whether it was. Whoever removes a call
// settles it (or lets it be settled by a cancellation that claimed it).
func (r *Requester) remove(c *call) bool {
	r.mu.Lock()
	if r.pending[c.id] != c {
		r.mu.Unlock()
		return false
	}
	delete(r.pending, c.id)
	r.mu.Unlock()
	<-r.slots
	return true
}

func (r *Requester) stopErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// receive is the Requester's goroutine: it receives replies until the
// socket fails or is closed.
func (r *Requester) receive() {
	defer close(r.recvDone)
	ctx := context.Background() // Close ends the wait by closing the socket
	for {
		msg, err := r.s.Recv(ctx)
		if err != nil {
			if r.stop(err) {
				r.log.Warn("socket failed; requester stopped", zap.Error(err))
			}
			return
		}
		r.dispatch(msg)
	}
}

// dispatch delivers one reply to the future of its request, or drops it.
func (r *Requester) dispatch(msg [][]byte) {
	id, body, reason := parseReply(msg)
	if reason != "" {
		r.malformed.Add(1)
		if ce := r.log.Check(zap.WarnLevel, "malformed reply dropped"); ce != nil {
			ce.Write(zap.String("reason", reason), zap.Int("frames", len(msg)))
		}
		return
	}
	r.mu.Lock()
	c := r.pending[id]
	if c != nil {
		delete(r.pending, id)
	}
	r.mu.Unlock()
	if c != nil {
		<-r.slots
		// Counted before the future settles, so whoever sees the reply sees it counted;
		// taken back in the rare case that a cancellation won the race.
		r.replied.Add(1)
		if c.finish(Result[[][]byte]{Value: body}) {
			return
		}
		r.replied.Add(^uint64(0))
	}
	r.dropped.Add(1)
	if ce := r.log.Check(zap.DebugLevel, "late reply dropped"); ce != nil {
		ce.Write(zap.Uint64("correlation_id", id))
	}
}

// stop records why the Requester stopped (if it had not already) and fails
// every pending request with that reason. It reports whether err became the
// reason.
func (r *Requester) stop(err error) bool {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err = err
		close(r.stopped)
	}
	err = r.err
	calls := r.pending
	r.pending = nil
	r.mu.Unlock()
	for _, c := range calls {
		<-r.slots
		c.finish(Result[[][]byte]{Err: err})
	}
	return first
}

// Close stops the Requester: every request in flight fails with
// [ErrClosed] before Close returns, as do Request calls waiting for a slot
// or a send and every later Request; replies still on their way are lost.
// Close then closes the socket (see [zmqevented.Socket.Close]) and waits for
// the receiving goroutine to return. It is abrupt: there is no graceful
// variant, since a caller that wants its replies awaits their futures first.
//
// It blocks until that goroutine has returned (which waits for the
// continuations of a reply it is delivering), so it must not be called from
// such a continuation. It returns the socket's close error, if any, or nil. Safe to call
// concurrently with every other method; a second call returns [ErrClosed].
func (r *Requester) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.closed = true
	r.mu.Unlock()

	r.stop(ErrClosed)
	err := r.s.Close()
	<-r.recvDone
	r.log.Debug("requester closed")
	if errors.Is(err, zmqevented.ErrClosed) {
		return nil // the socket was closed under us (its Context closed): nothing to report
	}
	return err
}

// Stats returns the Requester's counters. It does not block beyond a short
// lock, is safe for concurrent use, and works after Close.
func (r *Requester) Stats() Stats {
	r.mu.Lock()
	n := len(r.pending)
	r.mu.Unlock()
	return Stats{
		Sent:      r.sent.Load(),
		Replied:   r.replied.Load(),
		Dropped:   r.dropped.Load(),
		Malformed: r.malformed.Load(),
		Canceled:  r.canceled.Load(),
		InFlight:  n,
	}
}

// finish settles c's future with res if it is pending, releases its ctx
// bridge and runs its continuations. It reports whether it settled it.
func (c *call) finish(res Result[[][]byte]) bool {
	c.f.mu.Lock()
	if c.f.state.Load() != pending {
		c.f.mu.Unlock()
		return false
	}
	w := c.f.settleLocked(res, false)
	c.releaseLocked()
	run(w)
	return true
}

// releaseLocked takes the ctx bridge and timeout out of c, unlocks c.f.mu
// and releases them.
func (c *call) releaseLocked() {
	stop, cancelTimeout := c.stop, c.cancelTimeout
	c.stop, c.cancelTimeout = nil, nil
	c.f.mu.Unlock()
	if stop != nil {
		stop()
	}
	if cancelTimeout != nil {
		cancelTimeout()
	}
}

// cancel is Cancel on c's future (also from its ctx bridge): the request
// leaves the table, and the future fails at once with the cause (the walk in
// Cancel publishes it).
func (c *call) cancel(error) (stepper, bool) {
	c.r.remove(c)
	c.f.mu.Lock()
	if c.f.state.Load() != pending {
		c.f.mu.Unlock()
		return nil, false
	}
	c.f.state.Store(claimed)
	c.releaseLocked()
	c.r.canceled.Add(1)
	return nil, true
}
