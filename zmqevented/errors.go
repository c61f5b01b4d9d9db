package zmqevented

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/pebbe/zmq4"
)

var (
	// ErrClosed is returned by every call on a Socket or Context that was closed, and by
	// calls that were waiting when Close ran. A second Close returns an error matching it.
	ErrClosed = errors.New("zmqevented: closed")

	// ErrWouldBlock is returned by TrySend and TryRecv when the operation would have to
	// wait. errors.Is(ErrWouldBlock, syscall.EAGAIN) holds.
	ErrWouldBlock = fmt.Errorf("zmqevented: would block: %w", syscall.EAGAIN)

	// ErrNoFrames is returned by Send and TrySend when they are given no frames: a ZeroMQ
	// message has at least one frame (it may be empty).
	ErrNoFrames = errors.New("zmqevented: message has no frames")

	// ErrMessageDropped is returned (inside an *OpError) by Send when libzmq accepted the
	// first frames of a multipart message and then refused a later one because the peer's
	// pipe went away mid-message. libzmq discards the whole message; the socket stays
	// usable and nothing of the message reaches any peer, so the caller may send it again.
	ErrMessageDropped = errors.New("zmqevented: message dropped: peer went away mid-message")

	// ErrUnsupportedPlatform is returned by NewContext and Wrap on platforms where the
	// libzmq ZMQ_FD cannot be joined to the Go runtime poller (everything but Linux).
	ErrUnsupportedPlatform = errors.New("zmqevented: unsupported platform: ZMQ_FD readiness is implemented for Linux only")
)

// OpError is the error type for libzmq failures. Op names the operation ("bind",
// "connect", "send", "set SNDHWM", …), Endpoint the endpoint when there is one.
// errors.Is sees through it to the translated errno, so
// errors.Is(err, syscall.EADDRINUSE) and errors.Is(err, zmq4.EFSM) work.
type OpError struct {
	Op       string
	Endpoint string
	Err      error
}

// Error returns "zmqevented: <op> [<endpoint>]: <cause>".
func (e *OpError) Error() string {
	s := "zmqevented: " + e.Op
	if e.Endpoint != "" {
		s += " " + e.Endpoint
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// opError wraps a libzmq failure of op on endpoint; it returns nil for nil. It is the
// only place that builds an *OpError from an errno.
func opError(op, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	err = translate(err)
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrWouldBlock) {
		return err
	}
	return &OpError{Op: op, Endpoint: endpoint, Err: err}
}

// hausnumero is ZMQ_HAUSNUMERO: errnos from it upwards are libzmq's own (EFSM, ETERM, …).
const hausnumero = 156384712

// translate maps an error from pebbe/zmq4 to this package's vocabulary, and is the only
// place that does: EAGAIN becomes ErrWouldBlock, ETERM and pebbe's closed-socket errors
// become ErrClosed, other system errnos become syscall.Errno (so errors.Is against the
// syscall constants works) and libzmq's own errnos stay zmq4.Errno.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, zmq4.ErrorSocketClosed) || errors.Is(err, zmq4.ErrorContextClosed) {
		return ErrClosed
	}
	var no zmq4.Errno
	switch e := err.(type) { //nolint:errorlint // pebbe returns these types unwrapped; wrapped errors are already ours
	case zmq4.Errno:
		no = e
	case syscall.Errno:
		no = zmq4.Errno(e)
	default:
		return err
	}
	switch {
	case no == zmq4.Errno(syscall.EAGAIN):
		return ErrWouldBlock
	case no == zmq4.ETERM:
		return ErrClosed
	case no < hausnumero:
		return syscall.Errno(no)
	default:
		return no
	}
}

// isEAGAIN reports whether err, straight from pebbe/zmq4, is EAGAIN. It is the hot-path
// check: one comparison, no allocation.
func isEAGAIN(err error) bool {
	return err == zmq4.Errno(syscall.EAGAIN) //nolint:errorlint // pebbe returns the bare Errno
}
