package zmqevented

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/pebbe/zmq4"
)

// hinted is a libzmq failure with the explanation its bare errno text lacks ("operation
// not supported", "invalid argument"). errors.Is and errors.As see the errno through it.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + " (" + h.hint + ")" }

func (h *hinted) Unwrap() error { return h.err }

// sockError is opError for an operation on a socket of type t: it adds the
// explanation for the usual mistakes (a SUB that sends, REQ/REP out of turn, an
// option the type does not have, a malformed endpoint).
func sockError(t zmq4.Type, op, endpoint string, err error) error {
	err = opError(op, endpoint, err)
	oe, ok := err.(*OpError) //nolint:errorlint // opError returns it unwrapped
	if !ok {
		return err
	}
	if h := hint(t, op, endpoint, oe.Err); h != "" {
		oe.Err = &hinted{err: oe.Err, hint: h}
	}
	return oe
}

// hint returns the explanation for err, translated, from op on a socket of type t, or "".
func hint(t zmq4.Type, op, endpoint string, err error) string {
	switch {
	case err == syscall.ENOTSUP && op == "send": //nolint:errorlint // translate returns bare errnos
		return "a " + t.String() + " socket cannot send"
	case err == syscall.ENOTSUP && op == "recv": //nolint:errorlint // translate returns bare errnos
		return "a " + t.String() + " socket cannot receive"
	case err == zmq4.EFSM && (t == zmq4.REQ || t == zmq4.REP): //nolint:errorlint // translate returns bare errnos
		if t == zmq4.REQ {
			return "a REQ socket alternates: one send, then one recv of the reply, then the next send"
		}
		return "a REP socket alternates: one recv, then one send of the reply, then the next recv"
	case err == syscall.EINVAL && (op == "set SUBSCRIBE" || op == "set UNSUBSCRIBE"): //nolint:errorlint // translate returns bare errnos
		return strings.TrimPrefix(op, "set ") + " applies to SUB and XSUB sockets only, not " + t.String()
	case endpoint != "" && !strings.Contains(endpoint, "://"):
		return "an endpoint is transport://address, for example tcp://127.0.0.1:5555 or inproc://name"
	case err == syscall.ENODEV: //nolint:errorlint // translate returns bare errnos
		return "the host is not a local interface or IP address, or the port is not a number or *"
	}
	return ""
}

// checkConnect rejects what libzmq's connect accepts but can never connect to: a tcp
// endpoint whose port is not a number. It returns nil or the error Connect returns.
func checkConnect(endpoint string) error {
	addr, ok := strings.CutPrefix(endpoint, "tcp://")
	if !ok {
		return nil
	}
	if i := strings.LastIndexByte(addr, ';'); i >= 0 {
		addr = addr[i+1:] // after the source address
	}
	i := strings.LastIndexByte(addr, ':')
	port := addr[i+1:]
	if i >= 0 && port != "" && strings.Trim(port, "0123456789") == "" {
		return nil
	}
	return &OpError{Op: "connect", Endpoint: endpoint, Err: &hinted{
		err:  syscall.EINVAL,
		hint: "the port of a tcp endpoint to connect to must be a number, not " + strconv.Quote(port),
	}}
}
