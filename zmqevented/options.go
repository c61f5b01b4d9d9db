package zmqevented

import (
	"fmt"
	"time"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// DefaultLinger is the ZMQ_LINGER every socket gets unless WithLinger says otherwise.
// libzmq's own default is infinite, which lets a context with unsent messages hang its
// termination forever; a finite linger bounds Socket.Close and Context.Close.
const DefaultLinger = time.Second

// An Option configures a Context or a Socket. Options given to NewContext are defaults
// for every socket the context makes; options given to NewSocket or Wrap override them.
// An option that makes no sense where it is given (WithIOThreads on a socket) or an
// invalid value is an error from the constructor, never a panic.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// sockopt is one socket option to set on a raw socket, named for error messages.
type sockopt struct {
	name string
	set  func(*zmq4.Socket) error
}

type options struct {
	logger     *zap.Logger
	linger     time.Duration
	ioThreads  int         // 0: libzmq's default; context only
	maxSockets int         // 0: libzmq's default; context only
	auth       *authorizer // nil: no ZAP handler; context only
	sockopts   []sockopt
	errs       []error
}

func defaultOptions() options {
	return options{logger: zap.NewNop(), linger: DefaultLinger}
}

// with returns a copy of o with opts applied after o's own settings.
func (o options) with(opts []Option) options {
	o.sockopts = append([]sockopt(nil), o.sockopts...)
	o.errs = append([]error(nil), o.errs...)
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("zmqevented: "+format, args...))
}

func (o *options) set(name string, fn func(*zmq4.Socket) error) {
	o.sockopts = append(o.sockopts, sockopt{name: name, set: fn})
}

// WithLogger sets the logger; the package logs under the name "zmqevented" at debug
// level for lifecycle events (socket opened, bound, closed) and at warn level for
// failures it cannot return to a caller. Default: zap.NewNop(). A nil logger is the
// default.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithLinger sets ZMQ_LINGER: how long Close lets libzmq keep trying to deliver queued
// messages. Default: DefaultLinger (1 s). Must be ≥ 0 (an infinite linger would let
// Context.Close hang). Precision is one millisecond.
func WithLinger(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d < 0 {
			o.fail("WithLinger(%v): linger must be >= 0", d)
			return
		}
		o.linger = d
	})
}

// WithIOThreads sets the number of libzmq I/O threads of a Context (ZMQ_IO_THREADS).
// Default: libzmq's (1). Only valid for NewContext; n must be ≥ 1.
func WithIOThreads(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithIOThreads(%d): need at least one I/O thread", n)
			return
		}
		o.ioThreads = n
	})
}

// WithMaxSockets sets the most sockets a Context may hold at once (ZMQ_MAX_SOCKETS).
// Default: libzmq's (1023). Only valid for NewContext; n must be ≥ 1. Each Socket uses
// two file descriptors (libzmq's ZMQ_FD and this package's dup of it), so RLIMIT_NOFILE
// must allow twice as many.
func WithMaxSockets(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithMaxSockets(%d): need room for at least one socket", n)
			return
		}
		o.maxSockets = n
	})
}

// WithSendHWM sets ZMQ_SNDHWM, the number of messages libzmq queues per peer before a
// send waits (or drops, for PUB/XPUB/ROUTER). 0 means no limit. Default: libzmq's (1000).
func WithSendHWM(n int) Option {
	return WithSockopt("SNDHWM", func(s *zmq4.Socket) error { return s.SetSndhwm(n) })
}

// WithRecvHWM sets ZMQ_RCVHWM, the number of messages libzmq queues per peer on the
// receiving side. 0 means no limit. Default: libzmq's (1000).
func WithRecvHWM(n int) Option {
	return WithSockopt("RCVHWM", func(s *zmq4.Socket) error { return s.SetRcvhwm(n) })
}

// WithSubscribe subscribes a SUB socket to a topic prefix ("" for everything). It may be
// given several times. On other socket types the constructor fails.
func WithSubscribe(prefix string) Option {
	return WithSockopt("SUBSCRIBE", func(s *zmq4.Socket) error { return s.SetSubscribe(prefix) })
}

// WithRoutingID sets ZMQ_ROUTING_ID (the identity a ROUTER peer sees). Default: libzmq
// picks one.
func WithRoutingID(id string) Option {
	return WithSockopt("ROUTING_ID", func(s *zmq4.Socket) error { return s.SetIdentity(id) })
}

// WithMaxMsgSize sets ZMQ_MAXMSGSIZE: a peer sending a larger message is disconnected.
// -1 (libzmq's default) means no limit.
func WithMaxMsgSize(n int64) Option {
	return WithSockopt("MAXMSGSIZE", func(s *zmq4.Socket) error { return s.SetMaxmsgsize(n) })
}

// WithImmediate sets ZMQ_IMMEDIATE: queue messages only to completed connections.
// Default: false.
func WithImmediate(on bool) Option {
	return WithSockopt("IMMEDIATE", func(s *zmq4.Socket) error { return s.SetImmediate(on) })
}

// WithXPubNoDrop sets ZMQ_XPUB_NODROP on an XPUB socket: at a subscriber's HWM, Send
// waits instead of dropping. libzmq keeps reporting the socket writable meanwhile, so the
// wait is a bounded back-off (up to 5 ms between attempts), not a spin.
func WithXPubNoDrop(on bool) Option {
	return WithSockopt("XPUB_NODROP", func(s *zmq4.Socket) error { return s.SetXpubNodrop(on) })
}

// WithRouterMandatory sets ZMQ_ROUTER_MANDATORY on a ROUTER socket: a message for an
// unknown peer fails with EHOSTUNREACH instead of being dropped, and at a peer's HWM Send
// waits (with the same bounded back-off as WithXPubNoDrop) instead of dropping.
func WithRouterMandatory(on bool) Option {
	v := 0
	if on {
		v = 1
	}
	return WithSockopt("ROUTER_MANDATORY", func(s *zmq4.Socket) error { return s.SetRouterMandatory(v) })
}

// WithSockopt sets any libzmq option through pebbe/zmq4 when the socket is made; name
// is used in the error if set fails. Example:
//
//	zmqevented.WithSockopt("CONFLATE", func(s *zmq4.Socket) error { return s.SetConflate(true) })
func WithSockopt(name string, set func(*zmq4.Socket) error) Option {
	return optionFunc(func(o *options) {
		if set == nil {
			o.fail("WithSockopt(%q): nil setter", name)
			return
		}
		o.set(name, set)
	})
}
