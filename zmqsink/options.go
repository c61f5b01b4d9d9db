package zmqsink

import (
	"fmt"

	"go.uber.org/zap"
)

// DefaultQueue is the length of the Go-side queue unless WithQueue says otherwise.
const DefaultQueue = 64

// An Option configures a Sink. Invalid values are errors from New, never panics.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	queue       int
	logger      *zap.Logger
	closeSocket bool
	trackPeers  bool
	errs        []error
}

func defaultOptions() options {
	return options{queue: DefaultQueue, logger: zap.NewNop()}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("zmqsink: "+format, args...))
}

// WithQueue sets n, the number of slots of the sink: at most n messages are accepted
// (or reserved by a Permit) and not yet handed to libzmq at any time. Beyond that,
// libzmq buffers up to SNDHWM messages per peer (and the peer up to its RCVHWM), so the
// most a sender can have in flight is n + SNDHWM per peer. n must be ≥ 1. Default:
// DefaultQueue (64). A larger queue absorbs longer stalls of the socket without
// blocking senders; its buffer grows as it fills, to one slice header per slot.
func WithQueue(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithQueue(%d): the queue needs at least one slot", n)
			return
		}
		o.queue = n
	})
}

// WithLogger sets the logger. The sink logs under the name "zmqsink": lifecycle events
// at debug level and the transport error that makes it fail at warn level. Messages
// that libzmq dropped or refused one by one are logged one line per batch (their
// count and the first one's cause): at warn level for the first such line after the
// last Flush or Close that reported drops, at debug level for the later ones until
// the next report, so that a stream of drops (a ROUTER_MANDATORY sink addressing
// unknown peers, say) does not flood the log; Stats.Dropped and the next Flush or
// Close account for every one. Default: zap.NewNop(); a nil logger is the default.
// The sink never calls Sync.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithCloseSocket says whether Shutdown and Close close the socket. Default: false, as
// in zmqstream: the socket stays the caller's, open after the sink ends (for example
// to keep receiving on an XPUB or ROUTER), and the caller closes it. With true the
// sink closes it as it ends.
func WithCloseSocket(on bool) Option {
	return optionFunc(func(o *options) { o.closeSocket = on })
}

// WithPeerTracking makes a PUB or XPUB sink count the messages it sends while the
// socket has no connected peer in Stats.Dropped (libzmq drops them without telling).
// It subscribes to the socket's monitor (zmqevented.Socket.Monitor, which other
// watchers share); see "Drops" in the package documentation for what it sees and what
// it cannot (inproc peers, connections made before the socket's monitor started).
// Default: off. On other socket types New fails.
func WithPeerTracking(on bool) Option {
	return optionFunc(func(o *options) { o.trackPeers = on })
}
