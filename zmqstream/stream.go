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

// New returns a Stream of the messages received on s. It starts and receives nothing:
// the first consumer does. The socket stays the caller's unless WithCloseSocket(true);
// nothing else should receive on it while the Stream consumes it. It fails with an
// error wrapping ErrInvalidArgument for a nil socket, a type that cannot receive (PUSH,
// PUB) or an invalid option. It does not block.
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
	c := newCore(s.RecvMany, o, closer)
	c.setPending(o.pending)
	return &Stream{sock: s, c: c}, nil
}

// Socket returns the socket the Stream receives on, whatever the Stream's state: the
// Stream does not own it (unless WithCloseSocket(true)), and it stays open and usable
// after the Stream ended, but nothing else should receive on it while the Stream
// consumes it. Does not block; goroutine-safe.
func (st *Stream) Socket() *zmqevented.Socket { return st.sock }

// C returns a channel that delivers the messages in order and is closed when the
// Stream ends; the first call starts the pump goroutine, later calls return the same
// channel. Its capacity is WithBuffer's n (see "Consumers and bounds"). After Close
// the channel still holds what was in its buffer. If the Stream is consumed another
// way, C returns a closed channel and Err reports ErrConsumed.
func (st *Stream) C() <-chan [][]byte { return st.c.C() }

// All returns an iterator over the messages, taken on the ranging goroutine when the
// loop asks (in batches of up to WithBuffer's n). Leaving the loop ends the Stream;
// what it took and did not yield is in Undelivered, the rest stays in the socket. A
// failure, or ctx ending, yields (nil, err) once and ends the iteration; Close ends it
// without an error. A second consumer gets (nil, ErrConsumed).
func (st *Stream) All(ctx context.Context) iter.Seq2[[][]byte, error] { return st.c.All(ctx) }

// Observable returns the messages as a cold rxgo Observable ([][]byte in Item.V),
// observable once. Every operator chained on it runs under the Stream's Context unless
// given another, so Close stops the whole pipeline; a context given to Observe ends the
// observation and the Stream, the producer's untaken messages going to Undelivered.
// opts apply to the source as in rxgo.Defer (rxgo.WithBufferedChannel speeds it up, but
// what that channel holds on a cancellation is rxgo's). See "Consumers and bounds".
func (st *Stream) Observable(opts ...rxgo.Option) rxgo.Observable { return st.c.observable(opts) }

// Tap adds a reader that gets every message received from now on, on its own channel
// of buffer messages, by its Overflow policy when full (Block waits for it; DropNewest
// and DropOldest drop for it alone and count). It ends, closing its channel, when ctx
// is done or the Stream ends. Taps are the one consumer that may be used many times;
// the fan-out receives only while a tap is live. A misuse returns a closed tap and
// sets Err.
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

// Shutdown ends the Stream gracefully: it stops receiving, lets the consumer take what
// was taken, and completes it (C closes, All ends, the Observable completes) so rxgo
// operators flush and a pipeline through zmqsink.Forward ends with every item. It
// waits for that within ctx, then closes the socket with WithCloseSocket(true); if ctx
// ends first it does what Close does and returns ctx's cause. Use Close to stop at
// once. After Close or Shutdown it returns ErrClosed.
func (st *Stream) Shutdown(ctx context.Context) error { return st.c.Shutdown(ctx) }

// Close ends the Stream abruptly: its goroutines stop (a receive in progress takes
// nothing) and are waited for, the consumer's channels close, and the rxgo stages are
// cancelled (what they hold is lost; Shutdown lets them flush). What was taken and not
// handed over is in Undelivered or C's buffer. It closes the socket with
// WithCloseSocket(true). A second call returns ErrClosed.
func (st *Stream) Close() error { return st.c.Close() }
