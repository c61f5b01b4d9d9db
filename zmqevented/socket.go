package zmqevented

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented/internal/zmqc"
)

// Socket is a goroutine-safe libzmq socket whose blocking calls take a context and wait
// in the Go runtime's netpoller instead of an OS thread.
//
// Every libzmq call on the socket runs under one mutex, non-blocking (ZMQ_DONTWAIT). A
// call that would block parks its goroutine; the socket's ZMQ_FD (a doorbell, not a data
// channel) wakes it. No goroutine runs for a socket that nobody waits on.
type Socket struct {
	typ  zmq4.Type
	ctx  *Context // nil for a wrapped socket
	log  *zap.Logger
	file *os.File        // a dup of ZMQ_FD, registered with the runtime poller
	rc   syscall.RawConn // file's raw conn; only the leader waits on it

	leaderFn func(uintptr) bool // s.leaderCheck, bound once

	stopOnce sync.Once // runs beforeClose once

	// closing is closed by Close; waiters that are not the leader select on it.
	closing chan struct{}

	mu     sync.Mutex // guards raw and everything below
	raw    *zmq4.Socket
	hot    *zmqc.Socket // raw's hot path (hotpath.go); nil: pebbe/zmq4's calls
	closed bool
	w      waitState

	// beforeClose runs (once) at the start of Close: a monitor's receiving socket stops
	// the monitor it receives from.
	beforeClose func()

	claim atomic.Pointer[Claim] // the owner that claimed the socket's sends and receives

	monMu     sync.Mutex // guards mon and monClosed; never held with mu by Monitor
	mon       *monitor   // the socket's monitor, started by the first Monitor call
	monClosed bool       // Close began: no monitor starts any more
}

var _ io.Closer = (*Socket)(nil)

// Wrap adopts a socket made elsewhere (for example from another zmq4.Context) and takes
// ownership, whether it succeeds or not: from now on only the returned Socket may touch
// raw and Socket.Close closes it, and on failure Wrap has closed raw already. Options
// apply as for NewSocket. The caller stays responsible for terminating raw's context
// after closing the Socket.
func Wrap(raw *zmq4.Socket, opts ...Option) (*Socket, error) {
	if raw == nil {
		return nil, errors.New("zmqevented: Wrap: nil socket")
	}
	fail := func(err error) (*Socket, error) { return nil, discard(raw, err) }
	if err := platformSupported(); err != nil {
		return fail(err)
	}
	o := defaultOptions().with(opts)
	if o.ioThreads != 0 || o.maxSockets != 0 || o.auth != nil {
		o.fail("WithIOThreads, WithMaxSockets and WithAuth are Context options, not Socket options")
	}
	if err := errors.Join(o.errs...); err != nil {
		return fail(err)
	}
	t, err := raw.GetType()
	if err != nil {
		return fail(opError("get TYPE", "", err))
	}
	return newSocket(raw, t, o, nil)
}

// discard closes a raw socket that could not be set up, dropping anything queued, and
// returns err.
func discard(raw *zmq4.Socket, err error) error {
	_ = raw.SetLinger(0)
	_ = raw.Close()
	return err
}

// newSocket configures raw and joins its ZMQ_FD to the poller. On failure it closes raw.
func newSocket(raw *zmq4.Socket, t zmq4.Type, o options, c *Context) (*Socket, error) {
	fail := func(err error) (*Socket, error) { return nil, discard(raw, err) }
	if err := raw.SetLinger(o.linger); err != nil {
		return fail(opError("set LINGER", "", err))
	}
	for _, so := range o.sockopts {
		if err := so.set(raw); err != nil {
			return fail(sockError(t, "set "+so.name, "", err))
		}
	}
	file, err := pollFile(raw, t.String())
	if err != nil {
		return fail(err)
	}
	rc, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return fail(err)
	}
	s := &Socket{
		typ:     t,
		ctx:     c,
		log:     o.logger.Named("zmqevented").With(zap.Stringer("type", t)),
		file:    file,
		rc:      rc,
		closing: make(chan struct{}),
		raw:     raw,
	}
	s.leaderFn = s.leaderCheck
	s.hot = openHotPath(raw, s.log)
	s.log.Debug("socket opened", zap.Bool("hotpath", s.hot != nil))
	return s, nil
}

// Type returns the socket's type. It does not block and works on a closed socket too.
func (s *Socket) Type() zmq4.Type { return s.typ }

// Bind accepts connections on endpoint ("tcp://127.0.0.1:*", "ipc:///path",
// "inproc://name"); LastEndpoint tells the port chosen for "*". It does not block
// (beyond the socket's lock) and is goroutine-safe. Errors name the endpoint: an
// unknown transport matches syscall.EPROTONOSUPPORT, an address in use
// syscall.EADDRINUSE; after a failure the socket is unchanged. On a closed socket it
// returns ErrClosed. Connect, Unbind and Disconnect behave the same way.
func (s *Socket) Bind(endpoint string) error {
	return s.endpointOp("bind", endpoint, (*zmq4.Socket).Bind)
}

// Connect connects to endpoint. It does not block: libzmq connects (and reconnects) in
// the background, and messages queue meanwhile (unless WithImmediate). Errors and
// goroutine-safety as for Bind.
func (s *Socket) Connect(endpoint string) error {
	return s.endpointOp("connect", endpoint, (*zmq4.Socket).Connect)
}

// Unbind stops accepting connections on endpoint, which must be the exact string Bind
// used or LastEndpoint returned. Connections already made stay up. Errors and
// goroutine-safety as for Bind.
func (s *Socket) Unbind(endpoint string) error {
	return s.endpointOp("unbind", endpoint, (*zmq4.Socket).Unbind)
}

// Disconnect drops the connection made by Connect(endpoint); messages queued for it are
// dropped. Errors and goroutine-safety as for Bind.
func (s *Socket) Disconnect(endpoint string) error {
	return s.endpointOp("disconnect", endpoint, (*zmq4.Socket).Disconnect)
}

func (s *Socket) endpointOp(op, endpoint string, fn func(*zmq4.Socket, string) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if op == "connect" {
		if err := checkConnect(endpoint); err != nil {
			return err
		}
	}
	if err := fn(s.raw, endpoint); err != nil {
		return sockError(s.typ, op, endpoint, err)
	}
	s.log.Debug(op, zap.String("endpoint", endpoint))
	return nil
}

// LastEndpoint returns ZMQ_LAST_ENDPOINT, the endpoint the last Bind resolved (with the
// port chosen for "tcp://127.0.0.1:*"), or "" before any Bind. It does not block and is
// goroutine-safe; on a closed socket it returns ErrClosed.
func (s *Socket) LastEndpoint() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	ep, err := s.raw.GetLastEndpoint()
	return ep, opError("get LAST_ENDPOINT", "", err)
}

// With runs fn with exclusive access to the underlying pebbe/zmq4 socket, for options
// and calls this type does not wrap. fn runs under the socket's lock: it must not call
// methods of s (that would deadlock), must not block, and must not keep raw after it
// returns, close it, or use its ZMQ_FD. Goroutines waiting on the socket re-check its
// readiness afterwards, since an option (a larger HWM, a subscription) can change it.
// Returns ErrClosed on a closed socket, else fn's error.
func (s *Socket) With(fn func(raw *zmq4.Socket) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := fn(s.raw)
	s.checkHotPathLocked()
	s.recheckAllLocked()
	return err
}

// Close closes the socket: calls waiting in Send, Recv or Wait* return ErrClosed at once,
// later calls return ErrClosed, and libzmq keeps trying to deliver what is queued for
// the socket's linger in the background (ZeroMQ promises nothing about that tail, so a
// sender that must know its messages arrived waits for an acknowledgement first).
// Close does not wait for the linger. Safe to call concurrently with every other
// method; a second call returns ErrClosed.
func (s *Socket) Close() error {
	s.stopMonitor()
	s.mu.Lock()
	before := s.beforeClose
	s.mu.Unlock()
	if before != nil {
		s.stopOnce.Do(before)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	close(s.closing)
	s.unwatchLocked()
	s.mu.Unlock()

	// Wakes the leader parked in the poller and waits for it to leave; never done under mu,
	// which the leader's callback takes.
	ferr := s.file.Close()

	s.mu.Lock()
	err := s.raw.Close()
	s.hot = nil // libzmq's handle is gone with raw
	s.mu.Unlock()
	if s.ctx != nil {
		s.ctx.forget(s)
	}
	s.log.Debug("socket closed")
	return errors.Join(opError("close", "", err), ferr)
}
