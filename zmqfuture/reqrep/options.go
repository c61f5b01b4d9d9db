package reqrep

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// DefaultMaxInFlight is the number of requests a [Requester] keeps in flight
// at most unless [WithMaxInFlight] says otherwise. It stays well below a
// ROUTER server's default SNDHWM (1000): see WithMaxInFlight.
const DefaultMaxInFlight = 256

// An Option configures a [Requester]. Options are applied in order; an
// invalid value is an error from [NewRequester], never a panic.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	logger      *zap.Logger
	maxInFlight int
	timeout     time.Duration
	retries     int
	errs        []error
}

func defaultOptions() options {
	return options{logger: zap.NewNop(), maxInFlight: DefaultMaxInFlight}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("reqrep: "+format, args...))
}

// WithLogger sets the logger. The Requester logs under the name "reqrep":
// dropped malformed replies and an unexpected end of its socket monitor at
// warn level, peer disconnects (with the number of requests failed or sent
// again) at info level, late replies (for requests no longer pending),
// connections that failed their handshake and peers connecting at debug
// level. The socket monitor's PAIR socket logs with it too. Default:
// zap.NewNop(). A nil logger is the default.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithMaxInFlight bounds the number of requests a Requester has sent and not
// yet settled: a further [Requester.Request] waits for one of them to settle
// (bounded by its ctx). This bounds the Requester's memory and the load it
// puts on servers. Default: [DefaultMaxInFlight] (256). n must be ≥ 1.
//
// Keep n well below the server's ROUTER SNDHWM (1000 by default): a ROUTER
// without ROUTER_MANDATORY silently drops a reply to a peer whose pipe it
// thinks full, and libzmq's count of what the peer has read lags by up to
// half the HWM, so about HWM/2 replies in flight can already lose some. A
// dropped reply leaves its request waiting until its ctx or
// [WithRequestTimeout] ends it: servers should set ROUTER_MANDATORY (then
// they wait instead of dropping), and callers should bound their requests.
// libzmq queues at most SNDHWM messages (1000 by default) per peer on the
// DEALER before Request waits there too; n above that adds no buffering.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithMaxInFlight(%d): need room for at least one request", n)
			return
		}
		o.maxInFlight = n
	})
}

// WithRequestTimeout gives every request a time limit, counted from the call
// to [Requester.Request] and covering the wait for a slot, the send and the
// reply: when it runs out, the request's future fails with [zmqfuture.ErrTimeout]
// (which matches [context.DeadlineExceeded]) and a reply arriving later is
// dropped. A ctx given to Request with an earlier deadline still wins.
// Default: 0, no limit besides ctx. d must be ≥ 0. Cost when set: one timer
// per request.
func WithRequestTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d < 0 {
			o.fail("WithRequestTimeout(%v): timeout must be >= 0", d)
			return
		}
		o.timeout = d
	})
}

// WithRetryOnDisconnect makes a [Requester] keep its pending requests when
// the connection to a peer goes away and send each of them again, at most n
// times over its life, instead of failing them with [ErrPeerLost]; a
// request lost again after n resends fails with ErrPeerLost. Default: 0,
// every request pending at a disconnect fails at once. n must be ≥ 0.
//
// A lost request is sent again, with its original correlation ID, once a
// peer completes a handshake after the disconnect, or 100 ms after the
// disconnect if none does (another peer is still connected, say), whichever
// comes first. The delay is there because libzmq drops the queue of a lost
// connection only after a moment, and a message routed into it then would
// vanish. From there libzmq holds the request until a peer takes it: a
// DEALER that connects keeps, unless ZMQ_IMMEDIATE is set, the queue of the
// peer it is reconnecting to; otherwise the request goes to another
// connected peer or waits for the next one. With several peers, the lost
// requests are spread over them like new ones. The wait stays bounded by
// the request's ctx and [WithRequestTimeout], which are not reset. Lost
// requests are sent again one at a time, oldest first; one that settles
// meanwhile (its ctx ended, it timed out or was cancelled) is not sent
// again, and if it is already waiting in the send, the send gives up, so it
// does not hold up the requests behind it.
//
// This gives at-least-once semantics: the server may see a request twice
// (the lost peer may have done the work before it went away, and a request
// that was still queued for the peer is delivered and also sent again). The
// first reply that comes completes the future; any other reply with the
// same correlation ID finds the request no longer pending and is dropped
// and counted in [Stats].Dropped, so a duplicate is harmless to the
// Requester. Only idempotent requests, or servers that deduplicate by the
// correlation frame, should use it.
//
// Cost when n > 0: [Requester.Request] copies the body frames to be able to
// send them again (three allocations: the frames, their bytes and the
// bookkeeping), and the Requester runs one more goroutine, which sends the
// requests again.
func WithRetryOnDisconnect(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			o.fail("WithRetryOnDisconnect(%d): the number of resends must be >= 0", n)
			return
		}
		o.retries = n
	})
}
