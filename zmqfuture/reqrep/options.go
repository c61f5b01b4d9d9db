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
	props       []string // WithRequestMetadata
	errs        []error
}

func defaultOptions() options {
	return options{logger: zap.NewNop(), maxInFlight: DefaultMaxInFlight}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("reqrep: "+format, args...))
}

// WithLogger sets the logger; Requesters and Servers log under the name "reqrep":
// malformed messages at warn level, disconnects at info level, late or dropped
// replies and handshakes at debug level. Default: zap.NewNop(); nil is the default.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithMaxInFlight bounds a Requester's requests sent and not yet settled (a further
// Request waits for a slot, bounded by its ctx), and a Server's handlers running at
// once (at the limit it stops receiving). Keep a Requester's n below a hand-written
// ROUTER server's SNDHWM unless it sets ROUTER_MANDATORY (see "Wire format" in the
// package documentation). Default: DefaultMaxInFlight (256). n must be ≥ 1.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			o.fail("WithMaxInFlight(%d): need room for at least one request", n)
			return
		}
		o.maxInFlight = n
	})
}

// WithRequestTimeout gives every request a time limit. For a Requester it counts from
// the call to Request and covers the wait for a slot, the send and the reply; the
// future then fails with zmqfuture.ErrTimeout (which matches
// context.DeadlineExceeded). For a Server it ends each handler's ctx with that cause.
// Default: 0, no limit besides ctx. d must be ≥ 0.
func WithRequestTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d < 0 {
			o.fail("WithRequestTimeout(%v): timeout must be >= 0", d)
			return
		}
		o.timeout = d
	})
}

// WithRetryOnDisconnect makes a Requester send the requests pending at a peer's
// disconnect again, each up to n times over its life, instead of failing them with
// ErrPeerLost; a request lost again after n resends fails with ErrPeerLost. A lost
// request is sent again, with its correlation ID, once a peer completes a handshake
// after the disconnect or 100 ms after it, oldest first; ctx and WithRequestTimeout
// still bound it. This is at-least-once: the server may see a request twice (a
// duplicate reply is dropped), so only idempotent requests should use it. It copies
// each request's frames and runs one more goroutine. Default: 0. n must be ≥ 0.
func WithRetryOnDisconnect(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			o.fail("WithRetryOnDisconnect(%d): the number of resends must be >= 0", n)
			return
		}
		o.retries = n
	})
}

// WithRequestMetadata names the application properties (set by clients with
// zmqevented.WithMetadata, "X-…") a Server reads into each Request's Metadata, beside
// the standard ones it always reads. NewRequester refuses it.
func WithRequestMetadata(names ...string) Option {
	return optionFunc(func(o *options) { o.props = append(o.props, names...) })
}
