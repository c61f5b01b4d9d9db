package reqrep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// How a Requester notices that a peer went away.
//
// The watcher goroutine (watch) takes the events of the DEALER's socket
// monitor from its zmqevented subscription, which other watchers of the socket
// share. It never blocks on anything but that channel, so it does not fall
// behind and lose a disconnect (a lost event is logged).
//
// On ZMQ_EVENT_DISCONNECTED the watcher counts the loss (lossSeq) and cancels
// the receiver's Recv context (poke). The receiver, once out of its Recv,
// first takes every reply already queued in the socket (drain): libzmq's
// engine flushes what it received into the socket's queue before it reports
// the disconnect, so every reply the lost peer sent is delivered, not failed.
// Then it fails every request still pending with ErrPeerLost, or, with
// WithRetryOnDisconnect, queues them (resendQ) for the resender goroutine.
// Handling the loss on the receiver keeps the continuations of those futures
// on the receiving goroutine, as for replies.
//
// The resender does not send a queued request again at once. libzmq drops
// the queue of a connection that went away (for a DEALER that binds, or one
// with ZMQ_IMMEDIATE; a connecting DEALER keeps it across reconnects), but
// only once the socket has processed that queue's termination, which the I/O
// thread posts a few commands after it reports the disconnect: a message sent
// in between can be routed to the dying queue and vanish, and no later event
// would tell. So a request is due only after a handshake that followed its
// loss (upSeq > lostUp), when the old connection's teardown is long posted,
// or resendGrace after the loss, for when no new connection comes (other
// peers still connected, or a new one whose handshake was reported before
// the loss). Before sending, the resender makes the socket process its
// pending commands (ZMQ_EVENTS), which completes such terminations. Its sends
// block (at SNDHWM, or with no peer), so they run on a goroutine of their
// own, never on the receiver or the watcher, one at a time, each under a
// context that ends when its call leaves the table of pending requests
// (cancelled, timed out, answered, failed, or the Requester stopped; see
// unpendLocked): a request nobody waits for any more is not sent, and does
// not hold up the resends queued behind it. A request sent again is pending
// like any other at the next disconnect.
//
// A connection that fails its handshake never carried a request. libzmq
// reports it as a HANDSHAKE_FAILED_* event followed at once by DISCONNECTED
// for the same endpoint; the watcher ignores such a DISCONNECTED, so a port
// scanner or a client with the wrong keys reaching a bound DEALER does not
// fail the requests of its real peers.

// resendGrace is how long after a disconnect a lost request is sent again if
// no peer has completed a handshake since (see above): ample for libzmq's
// I/O thread to post the lost connection's teardown, which takes it
// microseconds.
const resendGrace = 100 * time.Millisecond

// monitorEvents are the socket monitor events a Requester subscribes to.
const monitorEvents = zmq4.EVENT_DISCONNECTED | zmq4.EVENT_HANDSHAKE_SUCCEEDED |
	zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL |
	zmq4.EVENT_HANDSHAKE_FAILED_AUTH

// monitorQueue is how many monitor events the watcher may fall behind by: ample for
// a burst of reconnects, since it only counts them and wakes other goroutines.
const monitorQueue = 1024

// resendState is what a call needs to be sent again (WithRetryOnDisconnect).
type resendState struct {
	body [][]byte // the request's body, copied; never changed
	// Guarded by r.mu.
	resends int // times the call was queued to be sent again
	// While in r.resendQ: it is due once r.upSeq exceeds lostUp, or at
	// lostAt+resendGrace.
	lostUp uint64
	lostAt time.Time
	// cancelSend ends the resend of the call under way, if any: set by the
	// resender for the time of the send, called by whoever takes the call out
	// of r.pending (unpendLocked).
	cancelSend context.CancelFunc
}

// handshakeFailed reports whether e is one of the HANDSHAKE_FAILED_* events.
func handshakeFailed(e zmq4.Event) bool {
	switch e {
	case zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq4.EVENT_HANDSHAKE_FAILED_AUTH:
		return true
	}
	return false
}

// watch is the watcher goroutine: it takes the socket's monitor events until the
// subscription ends (Close, or the socket closed).
func (r *Requester) watch() {
	var failedAt string // endpoint of a handshake failure just reported
	failed := false
	var dropped uint64
	for ev := range r.mon.C() {
		if d := r.mon.Dropped(); d != dropped {
			dropped = d
			r.log.Warn("socket monitor events lost: a disconnect may go unnoticed", zap.Uint64("dropped", d))
		}
		switch {
		case handshakeFailed(ev.Event):
			failed, failedAt = true, ev.Endpoint
			if ce := r.log.Check(zap.DebugLevel, "connection failed its handshake"); ce != nil {
				ce.Write(zap.String("endpoint", ev.Endpoint), zap.Stringer("event", ev.Event), zap.Uint32("value", ev.Value))
			}
			continue
		case ev.Event == zmq4.EVENT_DISCONNECTED:
			if failed && failedAt == ev.Endpoint {
				break // the end of the connection that failed its handshake
			}
			r.disconnected(ev.Endpoint)
		case ev.Event == zmq4.EVENT_HANDSHAKE_SUCCEEDED:
			r.mu.Lock()
			r.upSeq++
			r.mu.Unlock()
			r.wakeResender()
			if ce := r.log.Check(zap.DebugLevel, "peer connected"); ce != nil {
				ce.Write(zap.String("endpoint", ev.Endpoint))
			}
		}
		failed = false
	}
}

// disconnected records a peer's disconnect and wakes the receiver to handle
// it.
func (r *Requester) disconnected(endpoint string) {
	r.disconnects.Add(1)
	r.mu.Lock()
	r.lossSeq++
	r.lossEndpoint = endpoint
	r.lossUp = r.upSeq
	poke := r.poke
	r.mu.Unlock()
	poke()
}

// handleLoss runs on the receiver after the watcher cancelled its Recv
// context: it returns the context for the next Recv, delivers the replies
// already queued, then fails the pending requests with ErrPeerLost or queues
// them to be sent again.
func (r *Requester) handleLoss() context.Context {
	ctx, poke := context.WithCancel(context.Background())
	r.mu.Lock()
	old := r.poke
	// Installed before lossSeq is read: a disconnect counted after this
	// point pokes the new context, so none is missed.
	r.poke = poke
	seq, endpoint, lossUp := r.lossSeq, r.lossEndpoint, r.lossUp
	fresh := seq != r.lossHandled
	r.lossHandled = seq
	r.mu.Unlock()
	old() // already cancelled; releases it
	if !fresh {
		return ctx
	}

	// The drain's last, empty, receive also makes libzmq process the
	// socket's pending commands, among them (usually already) the
	// termination of the lost connection's queue.
	r.drain()

	var failed []*call
	requeued := 0
	now := time.Now()
	r.mu.Lock()
	for _, c := range r.pending { // nil once stopped: nothing to do
		if _, ok := r.resendQ[c]; ok {
			// Not sent again yet: it is due after this loss now, and uses
			// no more of its budget.
			c.rs.lostUp, c.rs.lostAt = lossUp, now
			continue
		}
		if c.rs != nil && c.rs.resends < r.retries { // c.rs is nil without retries
			c.rs.resends++
			c.rs.lostUp, c.rs.lostAt = lossUp, now
			r.resendQ[c] = struct{}{}
			requeued++
			continue
		}
		r.unpendLocked(c)
		failed = append(failed, c)
	}
	queued := len(r.resendQ) > 0
	r.mu.Unlock()
	if queued {
		r.wakeResender() // to set its timer
	}

	lostErr := fmt.Errorf("%w: %s", ErrPeerLost, endpoint)
	for _, c := range failed {
		<-r.slots
		// Counted before the future settles, as in dispatch.
		r.lost.Add(1)
		if !c.finish(nil, lostErr) {
			r.lost.Add(^uint64(0)) // a cancellation won the race
		}
	}
	r.log.Info("peer disconnected", zap.String("endpoint", endpoint),
		zap.Int("requests_failed", len(failed)), zap.Int("requests_to_resend", requeued))
	return ctx
}

// drain delivers the replies queued in the socket, without waiting.
func (r *Requester) drain() {
	for {
		msg, err := r.claim.TryRecv()
		if err != nil {
			return // ErrWouldBlock, or a failure the next Recv reports
		}
		r.dispatch(msg)
	}
}

// wakeResender wakes the resender goroutine, if there is one.
func (r *Requester) wakeResender() {
	select {
	case r.resendWake <- struct{}{}:
	default: // already woken, or no resender
	}
}

// resendLoop is the resender goroutine (with WithRetryOnDisconnect): when
// woken, or when its timer fires, it sends again, in ID order, the queued
// requests that are due, and sets its timer for the next one, until the
// Requester stops.
func (r *Requester) resendLoop() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var batch []*call
	var msg [][]byte
	for {
		select {
		case <-r.resendWake:
		case <-timer.C:
		case <-r.stopped:
			return
		}
		batch = batch[:0]
		var next time.Time // when the first request not yet due will be
		now := time.Now()
		r.mu.Lock()
		for c := range r.resendQ {
			switch {
			case r.pending[c.id] != c:
				delete(r.resendQ, c) // answered, cancelled or failed meanwhile
			case r.resendDueLocked(c, now):
				batch = append(batch, c)
			default:
				if at := c.rs.lostAt.Add(resendGrace); next.IsZero() || at.Before(next) {
					next = at
				}
			}
		}
		r.mu.Unlock()
		if !next.IsZero() {
			timer.Reset(next.Sub(now))
		}
		if len(batch) == 0 {
			continue
		}
		// Let libzmq finish removing the queues of lost connections, so that
		// nothing is routed to them.
		err := r.s.With(func(raw *zmq4.Socket) error {
			_, err := raw.GetEvents()
			return err
		})
		if errors.Is(err, zmqevented.ErrClosed) {
			return // Close, or the socket failed: stop fails the requests
		}
		slices.SortFunc(batch, func(a, b *call) int { return cmp.Compare(a.id, b.id) })
		for _, c := range batch {
			r.mu.Lock()
			_, queued := r.resendQ[c]
			// Not if it settled, or was lost again meanwhile (then the
			// receiver woke us to wait for it anew).
			due := queued && r.pending[c.id] == c && r.resendDueLocked(c, now)
			var ctx context.Context
			var cancel context.CancelFunc
			if due {
				delete(r.resendQ, c)
				// Ends when c leaves r.pending, which happens under r.mu:
				// from here on unpendLocked sees cancelSend.
				ctx, cancel = context.WithCancel(context.Background())
				c.rs.cancelSend = cancel
			}
			r.mu.Unlock()
			if !due {
				continue
			}
			msg = append(msg[:0], newCorrelation(c.id), nil)
			msg = append(msg, c.rs.body...)
			err := r.claim.Send(ctx, msg...)
			clear(msg) // keep no frames alive
			r.mu.Lock()
			c.rs.cancelSend = nil
			r.mu.Unlock()
			abandoned := ctx.Err() != nil
			cancel()
			switch {
			case err == nil:
				r.resent.Add(1)
			case errors.Is(err, zmqevented.ErrClosed):
				return // Close, or the socket failed: stop fails the requests
			case abandoned:
				// c left r.pending while its resend waited (a cancelled send
				// sends nothing); whoever took it out settles it.
			default:
				if r.remove(c) {
					c.finish(nil, err)
				}
			}
		}
		clear(batch)
	}
}

// resendDueLocked reports whether the queued call c is due to be sent again
// at now: a peer completed a handshake after its loss, or resendGrace has
// passed since.
func (r *Requester) resendDueLocked(c *call, now time.Time) bool {
	return c.rs.lostUp < r.upSeq || !now.Before(c.rs.lostAt.Add(resendGrace))
}

// cloneFrames copies frames into memory of their own: two allocations, one
// for the frames and one for all their bytes.
func cloneFrames(frames [][]byte) [][]byte {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(frames))
	for i, f := range frames {
		start := len(buf)
		buf = append(buf, f...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}
