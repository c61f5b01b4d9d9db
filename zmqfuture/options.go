package zmqfuture

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// DefaultMaxInFlight is the number of requests a [Requester] keeps in flight
// at most unless [WithMaxInFlight] says otherwise.
const DefaultMaxInFlight = 1024

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
	errs        []error
}

func defaultOptions() options {
	return options{logger: zap.NewNop(), maxInFlight: DefaultMaxInFlight}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("zmqfuture: "+format, args...))
}

// WithLogger sets the logger. The Requester logs under the name "zmqfuture":
// dropped malformed replies at warn level, late replies (for requests no
// longer pending) at debug level. Default: zap.NewNop(). A nil logger is the
// default.
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
// puts on servers. Default: [DefaultMaxInFlight] (1024). n must be ≥ 1.
//
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
// reply: when it runs out, the request's future fails with [ErrTimeout]
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
