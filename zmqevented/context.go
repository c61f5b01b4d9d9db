package zmqevented

import (
	"errors"
	"io"
	"sync"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// Context owns a libzmq context (its own zmq4.Context, never pebbe's default one) and
// every Socket made from it.
type Context struct {
	raw  *zmq4.Context
	opts options
	log  *zap.Logger

	mu      sync.Mutex
	closed  bool
	sockets map[*Socket]struct{}

	authDone chan struct{} // closed when the ZAP handler's goroutine ends; nil without one
}

var _ io.Closer = (*Context)(nil)

// NewContext makes a libzmq context. Options given here are defaults for every socket
// the context makes; WithIOThreads, WithMaxSockets and WithAuth configure the context
// itself (WithAuth starts the ZAP handler's goroutine, which Close stops). It does not
// block. It fails with ErrUnsupportedPlatform off Linux, and with an error naming the
// option for an invalid option; nothing is left running after a failure. The returned
// Context is safe for concurrent use.
func NewContext(opts ...Option) (*Context, error) {
	if err := platformSupported(); err != nil {
		return nil, err
	}
	o := defaultOptions().with(opts)
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	raw, err := zmq4.NewContext()
	if err != nil {
		return nil, opError("new context", "", err)
	}
	if o.ioThreads > 0 {
		if err := raw.SetIoThreads(o.ioThreads); err != nil {
			_ = raw.Term()
			return nil, opError("set IO_THREADS", "", err)
		}
	}
	if o.maxSockets > 0 {
		if err := raw.SetMaxSockets(o.maxSockets); err != nil {
			_ = raw.Term()
			return nil, opError("set MAX_SOCKETS", "", err)
		}
	}
	auth := o.auth
	o.auth = nil // the handler belongs to the context, not to each socket
	c := &Context{raw: raw, opts: o, log: o.logger.Named("zmqevented"), sockets: make(map[*Socket]struct{})}
	if auth != nil {
		if err := c.startAuth(auth); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	c.log.Debug("context opened")
	return c, nil
}

// NewSocket makes a socket of type t (zmq4.PUSH, zmq4.SUB, …) with the context's options
// overridden by opts. Every type that has a ZMQ_FD works: PAIR, PUB, SUB, REQ, REP,
// DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM. The socket belongs to c until it is
// closed; Context.Close closes it. Goroutine-safe. On failure nothing is left open.
func (c *Context) NewSocket(t zmq4.Type, opts ...Option) (*Socket, error) {
	o := c.opts.with(opts)
	if o.ioThreads != c.opts.ioThreads || o.maxSockets != c.opts.maxSockets || o.auth != nil {
		o.fail("WithIOThreads, WithMaxSockets and WithAuth are Context options, not Socket options")
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	raw, err := c.raw.NewSocket(t)
	if err != nil {
		return nil, opError("new socket "+t.String(), "", err)
	}
	s, err := newSocket(raw, t, o, c)
	if err != nil {
		return nil, err
	}
	c.sockets[s] = struct{}{}
	return s, nil
}

// forget drops s from the context's set; Socket.Close calls it.
func (c *Context) forget(s *Socket) {
	c.mu.Lock()
	delete(c.sockets, s)
	c.mu.Unlock()
}

// Close closes every socket of the context (waking their pending calls with ErrClosed)
// and terminates the libzmq context. It blocks until libzmq has finished, which takes at
// most the longest linger of the sockets (DefaultLinger unless set): messages still
// queued after that are dropped. Safe to call concurrently; a second call returns an
// error matching ErrClosed.
func (c *Context) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	socks := make([]*Socket, 0, len(c.sockets))
	for s := range c.sockets {
		socks = append(socks, s)
	}
	c.mu.Unlock()

	var errs []error
	for _, s := range socks {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	if c.authDone != nil {
		<-c.authDone // its socket was among those just closed
	}
	if err := c.raw.Term(); err != nil {
		errs = append(errs, opError("terminate context", "", err))
	}
	c.log.Debug("context closed", zap.Int("sockets", len(socks)))
	return errors.Join(errs...)
}
