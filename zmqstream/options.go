package zmqstream

import (
	"fmt"

	"go.uber.org/zap"
)

// An Option configures a Stream (New) or an EventStream (Monitor). An invalid value,
// or an option that does not apply where it is given, is an error from the
// constructor, never a panic.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	buffer      int
	limit       int
	logger      *zap.Logger
	closeSocket bool
	closeSet    bool // WithCloseSocket was given (Monitor refuses it)
	pending     [][][]byte
	pendingSet  bool // WithPending was given (Monitor refuses it)
	errs        []error
}

// DefaultBuffer is the buffer of a Stream unless WithBuffer says otherwise.
const DefaultBuffer = 64

func defaultOptions() options {
	return options{logger: zap.NewNop(), buffer: DefaultBuffer}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...))
}

func parseOptions(opts []Option) options {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithBuffer sets n, how many messages a Stream takes from the socket at once (in one
// crossing into libzmq) and may hold in Go: C's channel has capacity n, and All and
// the Observable's producer keep at most n taken messages they have not yet handed
// over (Undelivered returns them if the Stream stops). Go holds at most n + 1
// messages; everything beyond stays in libzmq under the socket's RCVHWM. With n = 0
// messages are taken one at a time, only when the consumer asks. Default:
// DefaultBuffer (64). n must be ≥ 0. Tap has a buffer per tap instead.
func WithBuffer(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			o.fail("WithBuffer(%d): buffer must be >= 0", n)
			return
		}
		o.buffer = n
	})
}

// WithLimit ends the Stream after it has taken n messages (pending ones count): it
// never receives the message after the nth, so that one stays in the socket, and its
// consumer completes as at any end without an error (C is closed, All ends, the
// Observable completes). It is the lossless way to take a bounded number of messages:
// rxgo's Take reads one item more than it passes on, and that one is lost. n must be
// ≥ 0; 0, the default, is no limit.
func WithLimit(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			o.fail("WithLimit(%d): limit must be >= 0", n)
			return
		}
		o.limit = n
	})
}

// WithLogger sets the logger. The stream logs under the name "zmqstream", at debug
// level for its lifecycle (consumer attached, stopped, closed) and at warn level for
// the error that ends it and for misuse (a second consumer). Nothing is logged per
// message. Default: zap.NewNop(); a nil logger is the default. The stream never calls
// Sync.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithCloseSocket says whether Stream.Close closes the socket. Default: false, the
// socket stays the caller's: closing a Stream (or breaking out of All) leaves it open,
// with every message the Stream did not take still queued in libzmq, so a new Stream
// (or a plain Recv) can go on from there. With true, Close closes the socket after
// stopping the stream. Monitor refuses the option: an EventStream always owns its
// monitor socket.
func WithCloseSocket(on bool) Option {
	return optionFunc(func(o *options) {
		o.closeSocket = on
		o.closeSet = true
	})
}

// WithPending gives the stream messages to deliver before anything it receives, in
// order: typically the Undelivered messages of an earlier Stream on the same socket,
// so that a consumer can stop and a successor resume without losing or reordering a
// message:
//
//	next, err := zmqstream.New(sock, zmqstream.WithPending(prev.Undelivered()...))
//
// The frames are not copied. Default: none. Only New accepts it.
func WithPending(msgs ...[][]byte) Option {
	return optionFunc(func(o *options) {
		o.pending = append(o.pending, msgs...)
		o.pendingSet = true
	})
}
