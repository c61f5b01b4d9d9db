package zmqstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Stream is the sequence of messages received on a zmqevented.Socket, each a whole
// multipart message ([][]byte, one slice per frame), consumed through one of C, All,
// Observable, or any number of Tap calls. It receives only when its consumer
// is ready for the next message, so a slow consumer leaves the messages in libzmq,
// where the socket's RCVHWM policy applies. See the package documentation for the
// lifecycle and the bounds.
type Stream struct {
	sock *zmqevented.Socket
	c    *core[[][]byte]
}

var _ io.Closer = (*Stream)(nil)

// New returns a Stream of the messages received on s. It starts nothing and receives
// nothing: the first consumer (C, All, Observable or Tap) does.
//
// The socket stays the caller's (unless WithCloseSocket(true)): the Stream never
// closes it, and every message it has not taken stays queued in libzmq. While a
// Stream consumes s, nothing else should receive on it, or the two share the messages.
//
// It fails with an error wrapping ErrInvalidArgument for a nil socket, a socket type
// that cannot receive (PUSH, PUB) or an invalid option. It does not block.
func New(s *zmqevented.Socket, opts ...Option) (*Stream, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: New: nil socket", ErrInvalidArgument)
	}
	if t := s.Type(); t == zmq4.PUSH || t == zmq4.PUB {
		return nil, fmt.Errorf("%w: New: a %v socket cannot receive", ErrInvalidArgument, t)
	}
	o := parseOptions(opts)
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	var closer func() error
	if o.closeSocket {
		closer = func() error {
			if err := s.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
				return err
			}
			return nil
		}
	}
	c := newCore(s.Recv, o, closer)
	if len(o.pending) > 0 {
		c.pending = append([][][]byte(nil), o.pending...)
		c.hasPending.Store(true)
	}
	return &Stream{sock: s, c: c}, nil
}

// Socket returns the socket the Stream receives on, whatever the Stream's state: the
// Stream does not own it (unless WithCloseSocket(true)), and it stays open and usable
// after the Stream ended, but nothing else should receive on it while the Stream
// consumes it. Does not block; goroutine-safe.
func (st *Stream) Socket() *zmqevented.Socket { return st.sock }

// C returns a channel that delivers the messages in order and is closed when the
// stream ends: on Close, when the socket fails or is closed (Err then says why).
//
// The first call starts the Stream's receiving goroutine, which receives the next
// message only once the channel has accepted the previous one: with WithBuffer(n) at
// most n messages wait in the channel plus one in the goroutine. Later calls return
// the same channel. If the Stream is already consumed another way, C returns a closed
// channel and Err reports ErrConsumed; if it was closed before anything consumed it, a
// closed channel.
//
// After Close, the channel still holds what was in its buffer (read it until it is
// closed), and the one message the goroutine held, if any, is in Undelivered. Does not
// block; goroutine-safe.
func (st *Stream) C() <-chan [][]byte { return st.c.C() }

// All returns an iterator over the messages, received on the goroutine that ranges
// over it, only when the loop asks for the next one: no goroutine, nothing held in Go.
// Leaving the loop (break, return) ends the Stream, and the messages not yet received
// stay in the socket for whoever receives next (a new Stream, a Recv).
//
// A failure yields (nil, err) once and ends the iteration: an error matching
// zmqevented.ErrClosed if the socket was closed, or the socket's error; Err reports it
// too. When ctx is done, All yields (nil, context.Cause(ctx)) and ends the Stream,
// having taken nothing more. Close ends the iteration without an error, at once if the
// loop waits for a message, else when the loop body returns. If the Stream is already
// consumed, All yields (nil, ErrConsumed); if it was closed first, nothing. The Stream
// may be ranged over once.
func (st *Stream) All(ctx context.Context) iter.Seq2[[][]byte, error] { return st.c.All(ctx) }

// Observable returns the messages as a cold rxgo Observable whose items carry a
// [][]byte in Item.V. It may be observed once: a second observation emits ErrConsumed.
//
// The observation's producer receives a message only after the previous one was
// taken by the first operator (or the observer): it holds at most one. opts apply to
// the source as in rxgo.Defer; the source channel is unbuffered unless opts say
// rxgo.WithBufferedChannel (WithBuffer does not apply). Each rxgo stage downstream
// holds at most one more item plus its own channel's buffer.
//
// Every operator chained on the returned Observable runs under the Stream's lifetime
// context (Context): Close stops the producer and every stage, even if the observer
// stopped reading. A context given to an operator or to Observe takes precedence for
// the stages it reaches (rxgo propagates it upstream); when it is done the observation
// ends and so does the Stream, the message the producer held going to Undelivered.
//
// The observation completes on Close, and after an error item on a failure
// (zmqevented.ErrClosed if the socket was closed; Err reports it too). Items inside
// rxgo's stages and channels when the observation ends are rxgo's and are not
// returned (rxgo's Take, for one, reads an item more than it passes on). If the
// Stream is already consumed another way the Observable emits ErrConsumed; if it was
// closed first, it completes at once. Does not block; goroutine-safe.
func (st *Stream) Observable(opts ...rxgo.Option) rxgo.Observable { return st.c.observable(opts) }

// Tap adds a subscriber and returns it: every message received from now on is
// offered to every live subscriber, in order, on its channel (Tap.C), by its
// own policy when its buffer (of buffer messages) is full — Block waits for it,
// DropNewest and DropOldest drop for it alone and count the drops
// (Tap.Dropped). The subscription ends, and its channel is closed, when ctx
// is done or the Stream ends: on Close, or when its socket fails or is closed (Err then
// says why). ctx is only watched, never used to receive.
//
// Tap is the one consumer that can be used several times: the first call claims
// the Stream for subscribers (C, All and Observable are then refused), and its
// receiving goroutine (the fan-out) receives only while at least one subscriber is
// live, and the next message only after every Block subscriber took the previous one.
// Go memory is bounded by one message plus every live subscriber's buffer; with only
// Drop subscribers the fan-out never waits, so libzmq never fills and the drops happen
// in Go. A subscriber that joins late sees the messages received after it joined. A
// message that found no live subscriber (all left while it was received) is kept for
// the next subscriber, or Undelivered.
//
// If the Stream is consumed another way, or buffer < 0, or policy is unknown,
// Tap returns a subscription whose channel is closed, and Err reports
// ErrConsumed or ErrInvalidArgument; if the Stream has ended, such a subscription and
// no error. Does not block; goroutine-safe. Cost: one channel of buffer messages and
// one context.AfterFunc per subscription, which the Stream forgets as soon as the
// subscription ends (see Tap).
func (st *Stream) Tap(ctx context.Context, buffer int, policy Overflow) *Tap {
	return &Tap{s: st.c.subscribe(ctx, buffer, policy)}
}

// Err returns the error that ended the Stream: an error matching zmqevented.ErrClosed
// if the socket was closed under it, another receive error, or ErrConsumed or
// ErrInvalidArgument after a misuse of C or Tap (the first error wins). It is
// nil while the Stream runs normally, and after it ended through Close or because its
// consumer stopped (a break, a cancelled context): those are not failures.
// Goroutine-safe.
func (st *Stream) Err() error { return st.c.Err() }

// Done returns a channel that is closed once the Stream has ended and its consumer has
// let go: its receiving goroutine (if any) has returned, having closed C's channel or
// every subscriber's channel, or the All loop has returned. After it is closed,
// Undelivered is final. Goroutine-safe.
func (st *Stream) Done() <-chan struct{} { return st.c.Done() }

// Context returns the Stream's lifetime context: it is cancelled by Close, with cause
// ErrClosed, and never otherwise — not when the socket fails or the consumer stops
// (Done reports those), so that a pipeline still delivers the items and the error
// before the end. Every rxgo stage chained on Observable runs under it; pass it
// (rxgo.WithContext) to pipelines built elsewhere that must end with the Stream. To
// learn that the Stream ended for any reason, wait on Done instead. Does not block;
// goroutine-safe.
func (st *Stream) Context() context.Context { return st.c.Context() }

// Undelivered returns, in order, the messages the Stream took from the socket (or was
// given with WithPending) but did not deliver: at most one taken (held by its
// goroutine when it stopped, or received while no subscriber was live) plus the
// pending ones it did not reach. It returns nil until Done is closed. Give them to
// the next Stream with WithPending to lose nothing. Goroutine-safe.
func (st *Stream) Undelivered() [][][]byte { return st.c.Undelivered() }

// Shutdown ends the Stream gracefully: it stops receiving (a receive in progress is
// abandoned, taking nothing), lets the consumer take the message already held, and
// completes it: C is closed, All ends, the Observable completes, so that rxgo operators
// flush what they hold (a partial BufferWithTime batch is emitted) and a pipeline
// through zmqsink.Forward ends with every item. It waits, within ctx, until the
// consumer has let go (Done), then closes the socket if WithCloseSocket(true). If ctx
// ends first it does what Close does and returns context.Cause(ctx) (joined with the
// socket's Close error, if any).
//
// Use Shutdown to stop a pipeline that must deliver what it took; Close to stop at
// once (it cancels every rxgo stage, and what those hold is lost). Safe to call
// concurrently with every method; after Close or a first Shutdown it returns ErrClosed.
func (st *Stream) Shutdown(ctx context.Context) error { return st.c.Shutdown(ctx) }

// Close ends the Stream: its receiving goroutine stops (a receive in progress is
// abandoned, taking nothing), the subscribers' channels and C's channel are closed,
// and the rxgo stages chained on Observable are cancelled. It waits for the goroutines
// the Stream owns (never for the goroutine of an All loop, which may be the caller:
// that loop ends at its next step); they return at once, whatever the consumer does (a
// full C or a Block subscriber with no room does not hold Close up). It does not close
// the socket, unless WithCloseSocket(true), and then returns the socket's Close error.
//
// Close is abrupt: what it does not deliver is in C's buffer, the subscribers' buffers
// or Undelivered, and everything else stays in libzmq, but what rxgo operators hold
// is lost (Shutdown lets them flush). Safe to call concurrently and from inside a
// consumer; a call after Close or Shutdown returns ErrClosed (which matches
// zmqevented.ErrClosed too) and does nothing else.
func (st *Stream) Close() error { return st.c.Close() }
