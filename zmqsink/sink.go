package zmqsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Sink is a backpressured sender on one zmqevented.Socket: messages are accepted into
// a bounded queue and handed to libzmq in acceptance order by a writer goroutine the
// Sink owns (see the package documentation). Make one with New. Its methods are
// goroutine-safe.
type Sink struct {
	sock        *zmqevented.Socket
	log         *zap.Logger
	slots       int  // WithQueue
	batch       int  // most messages the writer takes from the queue at once
	closeSocket bool // WithCloseSocket

	// life is the sink's lifetime context, cancelled with ErrClosed when Close stops the
	// writer, or with the transport error that made the sink fail. The writer's sends
	// and the peer monitor's receives run under it.
	life       context.Context
	cancel     context.CancelCauseFunc
	bell       chan struct{} // wakes the idle writer; capacity 1
	writerDone chan struct{} // closed when the writer goroutine has returned

	// dropWarned is set once a warn line reported drops that no Flush or Close has
	// reported yet; later drops are logged at debug level until it is cleared.
	dropWarned atomic.Bool

	mon *zmqevented.Monitor // the socket's monitor, counting peers; nil without tracking

	mu       sync.Mutex
	closed   bool       // Close began: nothing more is accepted
	finished bool       // Close returned
	err      error      // the sticky transport error, nil while healthy
	used     int        // slots held: outstanding permits + queued + in the writer's hands
	reserved int        // outstanding permits (part of used)
	q        ring       // accepted messages the writer has not taken yet
	busy     bool       // the writer holds messages it has not finished handing to libzmq
	idle     bool       // the writer is waiting for the bell
	inHand   [][][]byte // what the writer held, unsent, when Close stopped it
	waiting  waiters    // Reserve calls waiting for a slot, FIFO
	flushers []*flusher // Flush and Close calls waiting for the writer

	unsent      [][][]byte // left over by the transport failure, until Flush or Close returns them
	unsentTaken bool
	dropped     [][][]byte // per-message failures not yet returned by Flush or Close
	dropErrs    []error    // their distinct causes, at most maxDropErrs
	omitted     int        // per-message failures counted but not kept

	accepted  uint64
	sent      uint64
	ndropped  uint64
	failed    uint64
	abandoned uint64 // the newest accepted messages, left unsent by Close (part of failed)
}

var _ io.Closer = (*Sink)(nil)

// flusher is a Flush or Close waiting until target messages have been resolved.
type flusher struct {
	target uint64
	ch     chan struct{}
}

// maxDropErrs bounds the distinct causes kept for the per-message failures between two
// reports.
const maxDropErrs = 8

// New makes a Sink that sends on s and starts its writer. The Sink takes over sending
// on s (receiving on s stays free). It fails, leaving s untouched, for a nil socket, a
// type that cannot send (PULL, SUB) and invalid options. It does not block.
func New(s *zmqevented.Socket, opts ...Option) (*Sink, error) {
	if s == nil {
		return nil, errors.New("zmqsink: New: nil socket")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	switch s.Type() {
	case zmq4.PULL, zmq4.SUB:
		o.fail("New: a %v socket cannot send", s.Type())
	case zmq4.PUB, zmq4.XPUB:
	default:
		if o.trackPeers {
			o.fail("WithPeerTracking: only PUB and XPUB drop messages for want of a peer, not %v", s.Type())
		}
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	k := &Sink{
		sock:        s,
		log:         o.logger.Named("zmqsink").With(zap.Stringer("type", s.Type())),
		slots:       o.queue,
		batch:       min(max(o.queue/4, 1), 256),
		closeSocket: o.closeSocket,
		bell:        make(chan struct{}, 1),
		writerDone:  make(chan struct{}),
		q:           newRing(o.queue),
	}
	k.life, k.cancel = context.WithCancelCause(context.Background())
	if o.trackPeers {
		if err := k.startTracking(); err != nil {
			k.cancel(err)
			return nil, err
		}
	}
	go k.run()
	k.log.Debug("sink opened", zap.Int("queue", k.slots), zap.Bool("peer_tracking", k.mon != nil))
	return k, nil
}

// Send accepts one message for sending, blocking only while every slot is taken; if
// ctx ends first it returns ctx's cause and accepted nothing. nil means accepted, not
// sent: what happens next is reported by Flush, Shutdown, Err and Stats. Otherwise
// nothing was sent: ErrClosed, the sink's transport error, or zmqevented.ErrNoFrames.
// The sink keeps the frames' bytes until sent: do not modify them after nil.
func (k *Sink) Send(ctx context.Context, frames ...[]byte) error {
	if len(frames) == 0 {
		return zmqevented.ErrNoFrames
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	k.mu.Lock()
	if err := k.refuseLocked(); err != nil {
		k.mu.Unlock()
		return err
	}
	if res, err := k.directLocked(frames); res != notDirect {
		k.mu.Unlock()
		return k.afterDirect(res, err)
	}
	if k.used < k.slots && k.waiting.empty() {
		k.used++
		k.enqueueLocked(frames)
		k.mu.Unlock()
		return nil
	}
	k.mu.Unlock()
	p, err := k.Reserve(ctx)
	if err != nil {
		return err
	}
	return p.Send(frames...)
}

// refuseLocked returns why nothing can be accepted now, or nil.
func (k *Sink) refuseLocked() error {
	if k.closed {
		return ErrClosed
	}
	return k.err
}

// direct is the outcome of the fast path.
type direct uint8

const (
	notDirect     direct = iota // not taken (something is queued, or EAGAIN): nothing happened
	directSent                  // libzmq took the message
	directDropped               // libzmq dropped or refused it alone; kept for the next report
	directFailed                // a transport failure: the sink failed, the message was not accepted
)

// directLocked is the fast path: with nothing queued and the writer idle, nothing was
// accepted before this message that libzmq has not taken, so the caller may hand it to
// libzmq itself (under k.mu, which keeps the order) without waiting. On EAGAIN it
// returns notDirect and takes nothing. err is the send error for the other outcomes.
func (k *Sink) directLocked(frames [][]byte) (direct, error) {
	if k.q.len() != 0 || k.busy {
		return notDirect, nil
	}
	err := k.sock.TrySend(frames...)
	switch {
	case err == nil:
		k.accepted++
		k.countSentLocked(1)
		return directSent, nil
	case errors.Is(err, zmqevented.ErrWouldBlock):
		return notDirect, nil
	case perMessage(err):
		k.accepted++
		k.dropLocked(clone(frames), err)
		return directDropped, err
	default:
		k.failLocked(err, nil)
		return directFailed, err
	}
}

// afterDirect logs the outcome of the fast path, outside the lock, and returns what
// the caller returns: nil for an accepted message, the failure otherwise.
func (k *Sink) afterDirect(res direct, err error) error {
	switch res {
	case directDropped:
		k.logDrops(1, err)
	case directFailed:
		k.logFailure(err, 0)
		return err
	}
	return nil
}

// logDrops logs n messages that libzmq dropped or refused one by one (a batch of the
// writer's, or one message of the fast path), first being the first one's cause: one
// line per batch, not per message. The first batch with drops after a report (by
// Flush or Close) is logged at warn level, and later ones, until the next report, at
// debug level: a ROUTER_MANDATORY sink addressing unknown peers, or PUSH peers that
// keep going away, must not flood the log. Every drop is still counted in
// Stats.Dropped and returned by the next Flush or Close.
//
// logDrops and logFailure log outside the sink's lock: a logger's core is user code.
func (k *Sink) logDrops(n int, first error) {
	if n == 0 {
		return
	}
	if k.dropWarned.CompareAndSwap(false, true) {
		k.log.Warn("messages not sent; further drops are logged at debug level until Flush or Close reports them",
			zap.Int("messages", n), zap.Error(first))
		return
	}
	if ce := k.log.Check(zap.DebugLevel, "messages not sent"); ce != nil {
		ce.Write(zap.Int("messages", n), zap.Error(first))
	}
}

func (k *Sink) logFailure(err error, unsent int) {
	k.log.Warn("sink failed", zap.Error(err), zap.Int("unsent", unsent))
}

// enqueueLocked queues an accepted message whose slot the caller has already counted
// in k.used, and wakes the writer if it is idle.
func (k *Sink) enqueueLocked(frames [][]byte) {
	k.q.push(clone(frames))
	k.accepted++
	if k.idle {
		k.idle = false
		select {
		case k.bell <- struct{}{}:
		default:
		}
	}
}

// clone copies the frame list (not the frames) so that the caller's variadic slice
// need not escape on the fast path.
func clone(frames [][]byte) [][]byte {
	return append(make([][]byte, 0, len(frames)), frames...)
}

// perMessage reports whether a send error concerns only that message, leaving the
// socket usable: the peer went away mid-message, or ROUTER_MANDATORY found no route.
func perMessage(err error) bool {
	return errors.Is(err, zmqevented.ErrMessageDropped) || errors.Is(err, syscall.EHOSTUNREACH)
}

// countSentLocked counts n messages libzmq took whole: as sent, or, for a tracked PUB or
// XPUB without any connected peer, as dropped.
func (k *Sink) countSentLocked(n int) {
	if k.noPeer() {
		k.ndropped += uint64(n)
	} else {
		k.sent += uint64(n)
	}
}

// dropLocked records an accepted message that libzmq dropped or refused on its own.
func (k *Sink) dropLocked(m [][]byte, err error) {
	k.ndropped++
	if len(k.dropped) < k.slots {
		k.dropped = append(k.dropped, m)
	} else {
		k.omitted++
	}
	if len(k.dropErrs) < maxDropErrs {
		dup := false
		for _, e := range k.dropErrs {
			dup = dup || e.Error() == err.Error()
		}
		if !dup {
			k.dropErrs = append(k.dropErrs, err)
		}
	}
}

// failLocked makes the sink fail with the transport error err: rest (messages the
// writer held, each with a slot) and everything queued become unsent, waiters are
// refused, flushers woken and the lifetime context cancelled with err. It returns the
// number of messages left unsent.
func (k *Sink) failLocked(err error, rest [][][]byte) int {
	if k.err != nil {
		return 0
	}
	k.err = err
	n := len(rest) + k.q.len()
	k.unsent = append(k.unsent, rest...)
	k.unsent = k.q.popN(k.unsent, k.q.len())
	k.failed += uint64(n)
	k.used -= n
	k.refuseWaitersLocked(err)
	k.wakeFlushersLocked(true)
	k.cancel(err)
	return n
}

// doneLocked counts the accepted messages that are resolved: sent, dropped or failed.
func (k *Sink) doneLocked() uint64 { return k.sent + k.ndropped + k.failed }

// wakeFlushersLocked wakes the flushers whose messages are all resolved, or all of them.
func (k *Sink) wakeFlushersLocked(all bool) {
	if len(k.flushers) == 0 {
		return
	}
	done := k.doneLocked()
	kept := k.flushers[:0]
	for _, f := range k.flushers {
		if all || done >= f.target {
			close(f.ch)
		} else {
			kept = append(kept, f)
		}
	}
	clear(k.flushers[len(kept):])
	k.flushers = kept
}

func (k *Sink) addFlusherLocked(target uint64) *flusher {
	f := &flusher{target: target, ch: make(chan struct{})}
	k.flushers = append(k.flushers, f)
	return f
}

func (k *Sink) removeFlusherLocked(f *flusher) {
	for i, g := range k.flushers {
		if g == f {
			k.flushers = append(k.flushers[:i], k.flushers[i+1:]...)
			k.flushers = k.flushers[:len(k.flushers):len(k.flushers)]
			return
		}
	}
}

// Flush waits until every message accepted before the call is resolved (handed to
// libzmq, dropped by it, or left over by a transport failure). It returns nil when all
// were handed to libzmq (not delivery: see "Delivery"), else a *SendError with the
// failures not yet reported. If ctx ends first it returns ctx's cause and changes
// nothing. After Shutdown or Close, or when Close gave up on its messages, it returns
// ErrClosed.
func (k *Sink) Flush(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.finished {
		return ErrClosed
	}
	target := k.accepted
	if k.err == nil && k.doneLocked() < target {
		f := k.addFlusherLocked(target)
		k.mu.Unlock()
		select {
		case <-f.ch:
			k.mu.Lock()
		case <-ctx.Done():
			k.mu.Lock()
			k.removeFlusherLocked(f)
			return context.Cause(ctx)
		}
	}
	if k.err == nil && k.doneLocked()-k.abandoned < target {
		// Close gave up on some of them (the newest); its *SendError carries them.
		return fmt.Errorf("%w: Close left %d message(s) unsent", ErrClosed, k.abandoned)
	}
	return k.reportLocked(nil, nil)
}

// reportLocked builds what Flush and Close return: the per-message failures not yet
// reported, the messages left by the transport failure (once), and extra with its
// cause. It returns nil when there is nothing to report, and the bare transport error
// when only that is left.
func (k *Sink) reportLocked(extra [][][]byte, extraCause error) error {
	var msgs [][][]byte
	var causes []error
	omitted := k.omitted
	if len(k.dropped) > 0 || k.omitted > 0 {
		msgs = append(msgs, k.dropped...)
		causes = append(causes, k.dropErrs...)
		k.dropped, k.dropErrs, k.omitted = nil, nil, 0
		k.dropWarned.Store(false) // the next drop is news again
	}
	if k.err != nil {
		causes = append(causes, k.err)
		if !k.unsentTaken {
			k.unsentTaken = true
			msgs = append(msgs, k.unsent...)
			k.unsent = nil
		}
	}
	if len(extra) > 0 {
		msgs = append(msgs, extra...)
		causes = append(causes, extraCause)
	}
	if len(msgs) == 0 && omitted == 0 {
		return k.err
	}
	return &SendError{Err: joinDistinct(causes), Messages: msgs, Omitted: omitted}
}

// Shutdown ends the sink gracefully: it stops accepting, waits within ctx until every
// accepted message is resolved, stops the writer and closes the socket with
// WithCloseSocket(true). It returns nil when all were handed to libzmq, else a
// *SendError with the ones that were not (oldest first; Err matches ctx's cause when
// ctx ended first) and the failures not yet reported. Later calls return ErrClosed.
func (k *Sink) Shutdown(ctx context.Context) error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return ErrClosed
	}
	k.closed = true
	k.refuseWaitersLocked(ErrClosed)
	var f *flusher
	if k.err == nil && k.doneLocked() < k.accepted {
		f = k.addFlusherLocked(k.accepted)
	}
	k.mu.Unlock()

	var expired error
	if f != nil {
		select {
		case <-f.ch:
		case <-ctx.Done():
			expired = context.Cause(ctx)
		}
	}
	k.cancel(ErrClosed)
	<-k.writerDone
	var errs []error
	if k.mon != nil {
		errs = append(errs, k.stopTracking())
	}

	k.mu.Lock()
	left := k.inHand
	k.inHand = nil
	left = k.q.popN(left, k.q.len())
	k.used -= len(left)
	k.failed += uint64(len(left))
	k.abandoned = uint64(len(left))
	k.finished = true
	k.wakeFlushersLocked(true)
	report := k.reportLocked(left, expired)
	st := k.statsLocked()
	k.mu.Unlock()

	if k.closeSocket {
		if err := k.sock.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
			errs = append(errs, err)
		}
	}
	k.log.Debug("sink closed", zap.Uint64("accepted", st.Accepted), zap.Uint64("sent", st.Sent),
		zap.Uint64("dropped", st.Dropped), zap.Uint64("failed", st.Failed))
	if len(errs) == 0 {
		return report
	}
	return errors.Join(append([]error{report}, errs...)...)
}

// Close ends the sink abruptly: Shutdown with no time to wait. Accepted messages not
// yet handed to libzmq come back in a *SendError that matches ErrClosed. After
// Shutdown or Close it returns ErrClosed.
func (k *Sink) Close() error {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrClosed)
	return k.Shutdown(ctx)
}

// Err returns the sticky transport error that made the sink fail (an *OpError from
// zmqevented, or zmqevented.ErrClosed if the socket was closed under the sink), or nil
// while the sink is healthy. Per-message failures (a peer gone mid-message, no route)
// and Close do not set it. Goroutine-safe; does not block.
func (k *Sink) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// Context returns the sink's lifetime context. It is cancelled when the sink fails,
// with the transport error as its cause, or when Close stops the writer, with
// ErrClosed. Forward uses it to stop waiting on a source once the sink cannot accept.
// Goroutine-safe; does not block.
func (k *Sink) Context() context.Context { return k.life }
