package zmqevented

import (
	"fmt"
	"math"
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

// WithHeartbeatInterval sets ZMQ_HEARTBEAT_IVL: every d, each connection sends a ZMTP
// PING, and a peer that answers nothing within WithHeartbeatTimeout is disconnected
// (EVENT_DISCONNECTED), long before TCP would notice. Default: 0, no heartbeats. d must
// be 0 or at least 1 ms; it is rounded down to the millisecond.
func WithHeartbeatInterval(d time.Duration) Option {
	return durationOption("WithHeartbeatInterval", "HEARTBEAT_IVL", d, true, time.Millisecond, (*zmq4.Socket).SetHeartbeatIvl)
}

// WithHeartbeatTimeout sets ZMQ_HEARTBEAT_TIMEOUT: how long after a PING a connection
// that has received nothing is dropped. Default: the heartbeat interval. d must be at
// least 1 ms; it is rounded down to the millisecond.
func WithHeartbeatTimeout(d time.Duration) Option {
	return durationOption("WithHeartbeatTimeout", "HEARTBEAT_TIMEOUT", d, false, time.Millisecond, (*zmq4.Socket).SetHeartbeatTimeout)
}

// WithHeartbeatTTL sets ZMQ_HEARTBEAT_TTL, sent in each PING: the peer drops the
// connection when it has received nothing for d. Default: 0, none. d must be 0 or
// between 100 ms and 6553.5 s; libzmq counts it in tenths of a second, rounded down.
func WithHeartbeatTTL(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > math.MaxUint16*100*time.Millisecond {
			o.fail("WithHeartbeatTTL(%v): HEARTBEAT_TTL must be at most 6553.5s", d)
			return
		}
		durationOption("WithHeartbeatTTL", "HEARTBEAT_TTL", d, true, 100*time.Millisecond, (*zmq4.Socket).SetHeartbeatTtl).apply(o)
	})
}

// WithReconnectInterval sets ZMQ_RECONNECT_IVL: how long a connecting socket waits
// before it tries again after a failed or lost connection. Default: 100 ms. d must be
// at least 1 ms; it is rounded down to the millisecond.
func WithReconnectInterval(d time.Duration) Option {
	return durationOption("WithReconnectInterval", "RECONNECT_IVL", d, false, time.Millisecond, (*zmq4.Socket).SetReconnectIvl)
}

// WithReconnectIntervalMax sets ZMQ_RECONNECT_IVL_MAX: the reconnect interval doubles
// after each failed attempt up to d. Default: 0, no doubling (libzmq also ignores a d
// below the reconnect interval). d must be 0 or at least 1 ms, rounded down to the
// millisecond.
func WithReconnectIntervalMax(d time.Duration) Option {
	return durationOption("WithReconnectIntervalMax", "RECONNECT_IVL_MAX", d, true, time.Millisecond, (*zmq4.Socket).SetReconnectIvlMax)
}

// WithConnectTimeout sets ZMQ_CONNECT_TIMEOUT: a TCP connect that has not completed
// after d fails (and is retried after the reconnect interval). Default: 0, the
// operating system's timeout (minutes). d must be 0 or at least 1 ms, rounded down to
// the millisecond.
func WithConnectTimeout(d time.Duration) Option {
	return durationOption("WithConnectTimeout", "CONNECT_TIMEOUT", d, true, time.Millisecond, (*zmq4.Socket).SetConnectTimeout)
}

// WithHandshakeInterval sets ZMQ_HANDSHAKE_IVL: a connection whose ZMTP handshake
// (security included) takes longer than d is dropped. Default: 30 s; 0 means no limit.
// d must be 0 or at least 1 ms, rounded down to the millisecond.
func WithHandshakeInterval(d time.Duration) Option {
	return durationOption("WithHandshakeInterval", "HANDSHAKE_IVL", d, true, time.Millisecond, (*zmq4.Socket).SetHandshakeIvl)
}

// WithTCPKeepalive sets ZMQ_TCP_KEEPALIVE: SO_KEEPALIVE on (true) or off (false) for
// the socket's TCP connections. Default: the operating system's (off on Linux).
func WithTCPKeepalive(on bool) Option {
	v := 0
	if on {
		v = 1
	}
	return WithSockopt("TCP_KEEPALIVE", func(s *zmq4.Socket) error { return s.SetTcpKeepalive(v) })
}

// WithTCPKeepaliveIdle sets ZMQ_TCP_KEEPALIVE_IDLE (TCP_KEEPIDLE): how long a
// connection is idle before the first keepalive probe. Default: the operating system's
// (2 h on Linux). d must be a whole number of seconds, at least 1 s.
func WithTCPKeepaliveIdle(d time.Duration) Option {
	return secondsOption("WithTCPKeepaliveIdle", "TCP_KEEPALIVE_IDLE", d, (*zmq4.Socket).SetTcpKeepaliveIdle)
}

// WithTCPKeepaliveInterval sets ZMQ_TCP_KEEPALIVE_INTVL (TCP_KEEPINTVL): the time
// between keepalive probes. Default: the operating system's (75 s on Linux). d must be
// a whole number of seconds, at least 1 s.
func WithTCPKeepaliveInterval(d time.Duration) Option {
	return secondsOption("WithTCPKeepaliveInterval", "TCP_KEEPALIVE_INTVL", d, (*zmq4.Socket).SetTcpKeepaliveIntvl)
}

// WithTCPKeepaliveCount sets ZMQ_TCP_KEEPALIVE_CNT (TCP_KEEPCNT): how many unanswered
// probes drop the connection. Default: the operating system's (9 on Linux). n must be
// at least 1.
func WithTCPKeepaliveCount(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithTCPKeepaliveCount(%d): TCP_KEEPALIVE_CNT must be >= 1", n)
			return
		}
		o.set("TCP_KEEPALIVE_CNT", func(s *zmq4.Socket) error { return s.SetTcpKeepaliveCnt(n) })
	})
}

// WithMulticastRate sets ZMQ_RATE, the most a PGM or NORM sender sends, in kilobits
// per second; messages beyond it wait in SNDHWM (see Multicast). Default: 100; it
// must be at least 1.
func WithMulticastRate(kbitPerSecond int) Option {
	return optionFunc(func(o *options) {
		if kbitPerSecond < 1 {
			o.fail("WithMulticastRate(%d): RATE must be >= 1 kbit/s", kbitPerSecond)
			return
		}
		o.set("RATE", func(s *zmq4.Socket) error { return s.SetRate(kbitPerSecond) })
	})
}

// WithRecoveryInterval sets ZMQ_RECOVERY_IVL: how long a PGM sender keeps what it sent
// so that receivers may ask for lost packets again; a receiver further behind loses
// data. Default: 10 s. d must be 0 or at least 1 ms, rounded down to the millisecond.
func WithRecoveryInterval(d time.Duration) Option {
	return durationOption("WithRecoveryInterval", "RECOVERY_IVL", d, true, time.Millisecond, (*zmq4.Socket).SetRecoveryIvl)
}

// WithMulticastHops sets ZMQ_MULTICAST_HOPS, the time-to-live of outgoing multicast
// packets: how many routers they may cross. Default: 1, the local network only. n must
// be at least 1.
func WithMulticastHops(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithMulticastHops(%d): MULTICAST_HOPS must be >= 1", n)
			return
		}
		o.set("MULTICAST_HOPS", func(s *zmq4.Socket) error { return s.SetMulticastHops(n) })
	})
}

// maxDurationOption is the longest duration that a libzmq option counted in
// milliseconds holds (a C int).
const maxDurationOption = math.MaxInt32 * time.Millisecond

// durationOption is the Option fn(d) that sets libzmq's option name, counted in
// steps of unit (rounded down): d must be 0 (when zeroOK) or between one unit and
// maxDurationOption, else the constructor fails naming fn and name.
func durationOption(fn, name string, d time.Duration, zeroOK bool, unit time.Duration, set func(*zmq4.Socket, time.Duration) error) Option {
	return optionFunc(func(o *options) {
		switch {
		case d < 0:
			o.fail("%s(%v): %s must be >= 0", fn, d, name)
		case d == 0 && !zeroOK:
			o.fail("%s(%v): %s must be at least %v", fn, d, name, unit)
		case d > 0 && d < unit:
			o.fail("%s(%v): %s counts in steps of %v: it would be 0", fn, d, name, unit)
		case d > maxDurationOption:
			o.fail("%s(%v): %s must be at most %v", fn, d, name, maxDurationOption)
		default:
			d = d.Truncate(unit)
			o.set(name, func(s *zmq4.Socket) error { return set(s, d) })
		}
	})
}

// secondsOption is the Option fn(d) that sets libzmq's option name, counted in whole
// seconds (at least one).
func secondsOption(fn, name string, d time.Duration, set func(*zmq4.Socket, int) error) Option {
	return optionFunc(func(o *options) {
		if d < time.Second || d%time.Second != 0 || d > math.MaxInt32*time.Second {
			o.fail("%s(%v): %s counts whole seconds, at least 1s", fn, d, name)
			return
		}
		n := int(d / time.Second)
		o.set(name, func(s *zmq4.Socket) error { return set(s, n) })
	})
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
