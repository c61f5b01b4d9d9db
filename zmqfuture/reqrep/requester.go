package reqrep

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

	"github.com/zmqasync/zmqasync/internal/ctxerr"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// ErrClosed is the error of the requests a [Requester] had in flight when it
// was closed, of every later [Requester.Request], and of a second
// [Requester.Close]. It matches [zmqevented.ErrClosed]:
// errors.Is(ErrClosed, zmqevented.ErrClosed) is true.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string { return "reqrep: requester closed" }
func (closedError) Unwrap() error { return zmqevented.ErrClosed }

// ErrPeerLost is matched by the error of the requests a Requester had pending when a
// peer's connection went away (see "Peer loss" in the package documentation); the
// error names the endpoint.
var ErrPeerLost = errors.New("reqrep: peer disconnected with the request pending")

// Requester keeps many requests in flight on one DEALER socket and matches each
// reply to its request's future, whatever order the replies come in (see "Wire
// format" in the package documentation). Its methods are goroutine-safe.
type Requester struct {
	s          *zmqevented.Socket
	claim      *zmqevented.Claim   // s's sends and receives are the Requester's
	mon        *zmqevented.Monitor // s's monitor events
	log        *zap.Logger
	timeout    time.Duration
	retries    int           // WithRetryOnDisconnect
	slots      chan struct{} // one token per request in flight: WithMaxInFlight
	stopped    chan struct{} // closed once err is set
	recvDone   chan struct{} // closed when the receiver has returned
	resendWake chan struct{} // (capacity 1) wakes the resender
	wg         sync.WaitGroup

	mu      sync.Mutex
	pending map[uint64]*call // nil once stopped
	next    uint64           // the last correlation ID handed out
	err     error            // why the requester stopped: ErrClosed or the socket's failure
	closed  bool
	// Peer losses, from the watcher to the receiver and the resender (see
	// requester_monitor.go).
	poke         context.CancelFunc // cancels the receiver's Recv context
	lossSeq      uint64             // disconnects seen by the watcher
	lossHandled  uint64             // lossSeq when the receiver last handled them
	lossEndpoint string             // the endpoint of the latest disconnect
	lossUp       uint64             // upSeq at the latest disconnect
	upSeq        uint64             // handshakes seen by the watcher
	resendQ      map[*call]struct{} // lost calls waiting to be sent again

	sent        atomic.Uint64
	replied     atomic.Uint64
	dropped     atomic.Uint64
	malformed   atomic.Uint64
	canceled    atomic.Uint64
	lost        atomic.Uint64
	resent      atomic.Uint64
	disconnects atomic.Uint64
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
	// it failed with [ErrPeerLost], the Requester stopped, or the reply was
	// a duplicate (for instance of a request sent again) or named a request
	// this Requester never sent.
	Dropped uint64
	// Malformed counts replies thrown away because they were not in the wire
	// format (each is also logged at warn level).
	Malformed uint64
	// Canceled counts sent requests whose future failed before their reply
	// came because it was cancelled, its ctx ended or it timed out.
	Canceled uint64
	// Lost counts requests whose future failed with [ErrPeerLost].
	Lost uint64
	// Resent counts the times requests were sent again after a disconnect
	// ([WithRetryOnDisconnect]); Sent counts each request once.
	Resent uint64
	// Disconnects counts the peer connections the Requester saw go away
	// (connections that failed their handshake, which carried no request,
	// are not counted).
	Disconnects uint64
	// InFlight is the number of requests sent (or being sent) whose futures
	// are pending, at the time of the call.
	InFlight int
}

// call is one request in flight, the producer of its future.
type call struct {
	p  *zmqfuture.Promise[[][]byte]
	r  *Requester
	id uint64

	// With WithRetryOnDisconnect, set before the call is registered;
	// otherwise nil (kept out of line: a call is allocated per request).
	rs *resendState

	mu            sync.Mutex
	settled       bool               // the future settled: nothing more is kept
	stop          func() bool        // unregisters the ctx bridge
	cancelTimeout context.CancelFunc // releases the WithRequestTimeout context
}

// NewRequester returns a Requester that sends requests on s, a DEALER socket, and
// starts its goroutines. From then on the Requester owns s: Close closes it, and
// nothing else may send or receive on it. It fails, leaving s the caller's, with an
// error matching ErrSocketType for another socket type, naming the option for an
// invalid one, or with the socket's error. It does not block.
func NewRequester(s *zmqevented.Socket, opts ...Option) (*Requester, error) {
	if s == nil {
		return nil, errors.New("reqrep: NewRequester: nil socket")
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
	if len(o.props) > 0 {
		o.fail("WithRequestMetadata applies to NewServer only")
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	claim, err := s.Claim("a reqrep.Requester")
	if err != nil {
		return nil, fmt.Errorf("reqrep: NewRequester: %w", err)
	}
	mon, err := s.Monitor(context.Background(), monitorEvents, monitorQueue)
	if err != nil {
		claim.Release()
		return nil, fmt.Errorf("reqrep: NewRequester: start the socket monitor: %w", err)
	}
	r := &Requester{
		s:          s,
		claim:      claim,
		mon:        mon,
		log:        o.logger.Named("reqrep"),
		timeout:    o.timeout,
		retries:    o.retries,
		slots:      make(chan struct{}, o.maxInFlight),
		stopped:    make(chan struct{}),
		recvDone:   make(chan struct{}),
		resendWake: make(chan struct{}, 1),
		pending:    make(map[uint64]*call),
		resendQ:    make(map[*call]struct{}),
		// A random start: replies to an earlier Requester that reach this
		// one (a DEALER reconnecting with the same routing ID) match nothing.
		next: rand.Uint64(),
	}
	// The receiver's Recv context: the watcher cancels it to hand the
	// receiver a disconnect (see handleLoss); it is replaced each time.
	rctx, poke := context.WithCancel(context.Background())
	r.poke = poke
	go r.receive(rctx)
	r.wg.Go(r.watch)
	if r.retries > 0 {
		r.wg.Go(r.resendLoop)
	}
	r.log.Debug("requester started", zap.Int("max_in_flight", o.maxInFlight), zap.Duration("timeout", o.timeout),
		zap.Int("retry_on_disconnect", o.retries))
	return r, nil
}

// Request sends frames (the body, at least one frame) as one request and returns the
// future of its reply body (the frames after the envelope, possibly none). It blocks
// while WithMaxInFlight requests are in flight and while libzmq cannot take the
// message, both bounded by ctx; if ctx ends first the future has failed with ctx's
// error and nothing was sent. After the send, ctx, [zmqfuture.Future.Cancel] and
// [WithRequestTimeout] still bound the request: it then fails at once, frees its slot,
// and a late reply is dropped (see "Peer loss" in the package documentation for
// disconnects, and "Concurrency" for where the future's continuations run). The frames
// may be reused once Request returns.
func (r *Requester) Request(ctx context.Context, frames ...[]byte) *zmqfuture.Future[[][]byte] {
	if len(frames) == 0 {
		return zmqfuture.Failed[[][]byte](zmqevented.ErrNoFrames)
	}
	if ctx.Err() != nil {
		return zmqfuture.Failed[[][]byte](ctxerr.Of(ctx))
	}
	c := &call{r: r}
	c.p = zmqfuture.NewPromiseFunc[[][]byte](c.canceled)
	if r.retries > 0 {
		c.rs = &resendState{body: cloneFrames(frames)}
	}
	if r.timeout > 0 {
		// Released by finish, on every path: c owns it from here.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, r.timeout, zmqfuture.ErrTimeout)
		c.hold(nil, cancel)
	}
	if err := r.register(ctx, c); err != nil {
		c.finish(nil, err)
		return c.p.Future()
	}

	var buf [4][]byte
	msg := buf[:0]
	if len(frames)+2 > len(buf) {
		msg = make([][]byte, 0, len(frames)+2)
	}
	msg = append(msg, newCorrelation(c.id), nil) // nil: the empty delimiter
	msg = append(msg, frames...)
	if err := r.claim.Send(ctx, msg...); err != nil {
		r.remove(c)
		switch {
		case ctx.Err() != nil && errors.Is(err, context.Cause(ctx)):
			err = ctxerr.Of(ctx)
		case errors.Is(err, zmqevented.ErrClosed):
			if e := r.stopErr(); e != nil {
				err = e
			}
		}
		c.finish(nil, err)
		return c.p.Future()
	}
	r.sent.Add(1)

	if ctx.Done() == nil {
		return c.p.Future() // never cancelled, and no timeout: nothing to bridge
	}
	f := c.p.Future()
	c.hold(context.AfterFunc(ctx, func() { f.Cancel(ctxerr.Of(ctx)) }), nil)
	return f
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
			return ctxerr.Of(ctx)
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
	r.unpendLocked(c)
	r.mu.Unlock()
	<-r.slots
	return true
}

// unpendLocked takes c out of the table of pending requests (stop, which
// drops the whole table, does the same for each call) and ends a resend of c
// under way: nobody waits for its
// reply any more. Cancelling that context runs no user code (zmqevented
// reacts on a goroutine of its own), so it may happen under r.mu.
func (r *Requester) unpendLocked(c *call) {
	delete(r.pending, c.id)
	c.endResendLocked()
}

// endResendLocked cancels the resend of c under way, if any. r.mu is held.
func (c *call) endResendLocked() {
	if c.rs != nil && c.rs.cancelSend != nil {
		c.rs.cancelSend()
		c.rs.cancelSend = nil
	}
}

func (r *Requester) stopErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// receive is the Requester's goroutine: it receives replies until the
// socket fails or is closed, and handles the disconnects the watcher hands
// it by cancelling ctx (then replaced by handleLoss).
func (r *Requester) receive(ctx context.Context) {
	defer close(r.recvDone)
	owned := r.claim.Context(ctx)
	for {
		msg, err := r.s.Recv(owned) // Close ends the wait by closing the socket
		if err != nil {
			if ctx.Err() != nil { // poked: a peer disconnected
				ctx = r.handleLoss()
				owned = r.claim.Context(ctx)
				continue
			}
			if r.stop(err) {
				r.log.Warn("socket failed; requester stopped", zap.Error(err))
			}
			r.mu.Lock()
			poke := r.poke
			r.mu.Unlock()
			poke() // releases the context
			return
		}
		r.dispatch(msg)
	}
}

// dispatch delivers one reply to the future of its request, or drops it.
func (r *Requester) dispatch(msg [][]byte) {
	id, body, failed, reason := parseReply(msg)
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
		r.unpendLocked(c)
	}
	r.mu.Unlock()
	if c != nil {
		<-r.slots
		// Counted before the future settles, so whoever sees the reply sees it counted;
		// taken back in the rare case that a cancellation won the race.
		r.replied.Add(1)
		var err error
		if failed {
			body, err = nil, remoteError(body)
		}
		if c.finish(body, err) {
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
	for _, c := range calls {
		c.endResendLocked() // the whole table goes: as unpendLocked for each
	}
	r.pending = nil
	r.mu.Unlock()
	for _, c := range calls {
		<-r.slots
		c.finish(nil, err)
	}
	return first
}

// Close stops the Requester abruptly: every request in flight or waiting fails with
// ErrClosed, replies on their way are lost, the socket is closed, and Close waits for
// the Requester's goroutines (so it must not be called from a continuation of its
// futures). It returns the socket's close error, if any; a second call returns
// ErrClosed.
func (r *Requester) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.closed = true
	r.mu.Unlock()

	r.stop(ErrClosed)
	_ = r.mon.Close() // the watcher returns; fails only if the socket closed under us
	err := r.s.Close()
	<-r.recvDone
	r.wg.Wait()
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
		Sent:        r.sent.Load(),
		Replied:     r.replied.Load(),
		Dropped:     r.dropped.Load(),
		Malformed:   r.malformed.Load(),
		Canceled:    r.canceled.Load(),
		Lost:        r.lost.Load(),
		Resent:      r.resent.Load(),
		Disconnects: r.disconnects.Load(),
		InFlight:    n,
	}
}

// finish settles c's future with body or err if it is pending, runs its
// continuations and releases what c holds. It reports whether it settled it.
func (c *call) finish(body [][]byte, err error) bool {
	var ok bool
	if err != nil {
		ok = c.p.Reject(err)
	} else {
		ok = c.p.Resolve(body)
	}
	if ok {
		c.release()
	}
	return ok
}

// hold keeps the ctx bridge and the timeout of c until its future settles; if it
// has settled already, it releases them at once.
func (c *call) hold(stop func() bool, cancelTimeout context.CancelFunc) {
	c.mu.Lock()
	if !c.settled {
		if stop != nil {
			c.stop = stop
		}
		if cancelTimeout != nil {
			c.cancelTimeout = cancelTimeout
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	if cancelTimeout != nil {
		cancelTimeout()
	}
}

// release marks c settled and releases its ctx bridge and timeout.
func (c *call) release() {
	c.mu.Lock()
	stop, cancelTimeout := c.stop, c.cancelTimeout
	c.stop, c.cancelTimeout, c.settled = nil, nil, true
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	if cancelTimeout != nil {
		cancelTimeout()
	}
}

// canceled runs when c's future is cancelled (also from its ctx bridge), before it
// fails with the cause: the request leaves the table and frees its slot.
func (c *call) canceled(error) {
	c.r.remove(c)
	c.release()
	c.r.canceled.Add(1)
}
