package zmqevented

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/pebbe/zmq4"
)

// How a blocking call waits.
//
// A call first tries its operation non-blocking, under s.mu. Only when libzmq says
// EAGAIN does it wait, in one of two roles:
//
//   - The leader is the one goroutine per socket parked in the runtime poller on the dup
//     of ZMQ_FD. rc.Write resets the poller's ready flag, then calls the leader's
//     callback, which takes s.mu and asks ZMQ_EVENTS (processing libzmq's pending
//     commands); it parks until the next edge while neither its own direction is ready
//     nor the socket closed. An edge that arrives after the reset is never lost, and the
//     callback looks at ZMQ_EVENTS after the reset, so an edge before it does not matter
//     either. The callback also wakes the followers whose direction it sees ready.
//   - A follower is any other waiter: it asks ZMQ_EVENTS itself under s.mu (so no
//     readiness slips between its EAGAIN and its registration) and then sleeps on its
//     direction's wake channel, ctx.Done() and s.closing.
//
// The leader waits for write readiness, not read readiness, on purpose. ZMQ_FD is an
// eventfd and the poller is edge-triggered: libzmq writing a signal (new commands) and
// libzmq reading one (commands processed) each queue an event, and the event reports the
// eventfd's state when the poller harvests it, which always includes "writable" but
// includes "readable" only if the counter is still non-zero. When another goroutine's
// send or receive processes the socket's commands between libzmq's write and the
// harvest, the event says writable only: a leader waiting for read readiness would sleep
// through it while the socket is ready (seen: two DEALERs, one goroutine sending and one
// receiving on each, stalled once in ten runs). Waiting for write readiness wakes on
// every change of the eventfd, and no more often, so it never spins.
//
// When the leader leaves, it wakes every follower so that one of them leads next. A
// leader whose ctx is cancelled, or who must re-check for another reason (With changed
// an option), is poked out of the poller with a past deadline.
//
// A cancelled waiter has taken nothing from libzmq, so cancellation never loses a
// message. A successful operation also wakes the followers of the other direction, since
// a send can make a socket readable and a receive writable without a new edge.
//
// Sockets that report POLLOUT while refusing a send (XPUB with XPUB_NODROP, ROUTER with
// ROUTER_MANDATORY at a peer's HWM) would make that loop spin; after two refusals in a
// row while ZMQ_EVENTS says ready, the call backs off on a timer instead, from
// minBackoff doubling to maxBackoff.

const (
	minBackoff = 50 * time.Microsecond
	maxBackoff = 5 * time.Millisecond
)

// aLongTimeAgo is a deadline in the past: setting it wakes the leader at once.
var aLongTimeAgo = time.Unix(1, 0)

// dir is the direction a goroutine waits for.
type dir uint8

const (
	dirIn dir = iota
	dirOut
)

func (d dir) state() zmq4.State {
	if d == dirIn {
		return zmq4.POLLIN
	}
	return zmq4.POLLOUT
}

func (d dir) other() dir { return 1 - d }

// waitState is a socket's waiting bookkeeping, guarded by Socket.mu.
type waitState struct {
	leading   bool // a goroutine is in, or on its way into, rc.Write
	deadline  bool // a past write deadline is set on the file
	followers [2]int
	wake      [2]chan struct{} // closed to wake a direction's followers; made lazily

	// The leader's state, read and written by its callback.
	leaderDir  dir
	leaderDone <-chan struct{} // the leader's ctx.Done(); nil if it cannot be cancelled
	calls      int             // callback invocations in this leadership
	evErr      error           // ZMQ_EVENTS failed in the callback

	// watched is the Done channel of the context whose cancellation pokes the leader; the
	// registration stays across leaderships with the same context (a receive loop's), so
	// that parking costs no allocation. unwatch removes it.
	watched <-chan struct{}
	unwatch func() bool
}

// attempt is the retry state of one blocking call.
type attempt struct {
	hot     int // consecutive EAGAINs while ZMQ_EVENTS said ready
	backoff time.Duration
	timer   *time.Timer
}

func (a *attempt) stop() {
	if a.timer != nil {
		a.timer.Stop()
	}
}

// waitLocked is called with s.mu held after an operation in direction d returned EAGAIN
// on an open socket, and returns with s.mu held. It returns nil when the caller should
// try again, context.Cause(ctx) when ctx is done, or an error.
func (s *Socket) waitLocked(ctx context.Context, d dir, a *attempt) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if a.hot >= 2 {
		return s.backoffLocked(ctx, a)
	}
	var immediate bool
	var err error
	if s.w.leading {
		immediate, err = s.followLocked(ctx, d)
	} else {
		immediate, err = s.leadLocked(ctx, d)
	}
	if immediate {
		a.hot++
	} else {
		a.hot = 0
	}
	return err
}

// leadLocked waits in the poller as the socket's leader. immediate reports that d was ready
// at the first look, without parking.
func (s *Socket) leadLocked(ctx context.Context, d dir) (immediate bool, err error) {
	done := ctx.Done()
	s.watchLocked(ctx, done)
	// ctx may have ended since the caller checked it, and a context cancelled before
	// anyone asked for its Done channel shares one closed channel with every other
	// such context, which watchLocked may take for the one already watched: checked
	// after the watch, a cancellation is either seen here or pokes the leader.
	if ctx.Err() != nil {
		return false, nil
	}
	s.w.leading = true
	s.w.leaderDir = d
	s.w.leaderDone = done
	s.w.calls = 0
	s.w.evErr = nil
	s.mu.Unlock()

	rerr := s.rc.Write(s.leaderFn)

	s.mu.Lock()
	s.w.leading = false
	s.w.leaderDone = nil
	if s.w.deadline {
		s.w.deadline = false
		_ = s.file.SetWriteDeadline(time.Time{}) // fails only once the file is closed
	}
	// Hand the doorbell over: every follower re-checks, and one of them leads next.
	s.wakeLocked(dirIn)
	s.wakeLocked(dirOut)
	switch {
	case s.closed:
		return false, ErrClosed
	case s.w.evErr != nil:
		return false, opError("get EVENTS", "", s.w.evErr)
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		return false, nil // poked: ctx is done or a re-check was asked for
	case rerr != nil:
		return false, &OpError{Op: "wait for ZMQ_FD", Err: rerr}
	}
	return s.w.calls == 1, nil
}

// leaderCheck is the leader's poller callback (as s.leaderFn, made once per socket): it
// reports whether the leader should stop waiting. The first call, right after the poller
// reset its ready flag, asks ZMQ_EVENTS. A later call means the eventfd changed: a lone
// leader then simply retries its operation (which processes libzmq's commands itself),
// saving a ZMQ_EVENTS; with followers it asks ZMQ_EVENTS to wake only those who can
// proceed, and waits on if its own direction is not ready.
func (s *Socket) leaderCheck(uintptr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.calls++
	if s.closed {
		return true
	}
	if s.w.calls > 1 && s.w.followers[dirIn]+s.w.followers[dirOut] == 0 {
		return true
	}
	ev, err := s.raw.GetEvents()
	if err != nil {
		s.w.evErr = err
		return true
	}
	s.wakeReadyLocked(ev)
	return ev&s.w.leaderDir.state() != 0
}

// watchLocked makes the cancellation of ctx poke the leader out of the poller. The
// registration (context.AfterFunc) is kept for the next leader with the same context,
// and replaced when a leader comes with another one.
func (s *Socket) watchLocked(ctx context.Context, done <-chan struct{}) {
	if done == nil || done == s.w.watched {
		return
	}
	s.unwatchLocked()
	s.w.watched = done
	s.w.unwatch = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		if s.w.leading && s.w.leaderDone == done {
			s.pokeLocked()
		}
		s.mu.Unlock()
	})
}

func (s *Socket) unwatchLocked() {
	if s.w.unwatch != nil {
		s.w.unwatch()
		s.w.unwatch = nil
		s.w.watched = nil
	}
}

// followLocked waits on d's wake channel while another goroutine leads.
func (s *Socket) followLocked(ctx context.Context, d dir) (immediate bool, err error) {
	ev, err := s.raw.GetEvents()
	if err != nil {
		return false, opError("get EVENTS", "", err)
	}
	if ev&d.state() != 0 {
		return true, nil
	}
	ch := s.w.wake[d]
	if ch == nil {
		ch = make(chan struct{})
		s.w.wake[d] = ch
	}
	s.w.followers[d]++
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-s.closing:
	}
	s.mu.Lock()
	s.w.followers[d]--
	return false, nil
}

// backoffLocked sleeps before the next attempt of a call that libzmq keeps refusing
// while reporting the socket ready.
func (s *Socket) backoffLocked(ctx context.Context, a *attempt) error {
	a.backoff = min(max(2*a.backoff, minBackoff), maxBackoff)
	if a.timer == nil {
		a.timer = time.NewTimer(a.backoff)
	} else {
		a.timer.Reset(a.backoff)
	}
	s.mu.Unlock()
	select {
	case <-a.timer.C:
	case <-ctx.Done():
	case <-s.closing:
	}
	s.mu.Lock()
	return nil
}

func (s *Socket) pokeLocked() {
	if !s.w.deadline && !s.closed {
		s.w.deadline = true
		_ = s.file.SetWriteDeadline(aLongTimeAgo) // fails only once the file is closed
	}
}

// recheckAllLocked makes every waiter look at ZMQ_EVENTS again.
func (s *Socket) recheckAllLocked() {
	s.wakeLocked(dirIn)
	s.wakeLocked(dirOut)
	if s.w.leading {
		s.pokeLocked()
	}
}

// wakeReadyLocked wakes the followers of each direction ev reports ready.
func (s *Socket) wakeReadyLocked(ev zmq4.State) {
	if ev&zmq4.POLLIN != 0 {
		s.wakeLocked(dirIn)
	}
	if ev&zmq4.POLLOUT != 0 {
		s.wakeLocked(dirOut)
	}
}

// doneLocked is called after a successful operation in direction d: followers of the
// other direction re-check (see the top of this file). It costs nothing when nobody waits.
func (s *Socket) doneLocked(d dir) {
	if s.w.followers[d.other()] > 0 {
		s.wakeLocked(d.other())
	}
}

func (s *Socket) wakeLocked(d dir) {
	if ch := s.w.wake[d]; ch != nil {
		close(ch)
		s.w.wake[d] = nil
	}
}
