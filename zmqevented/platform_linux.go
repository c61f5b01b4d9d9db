package zmqevented

import (
	"os"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sys/unix"
)

func platformSupported() error { return nil }

// pollFile returns a dup of raw's ZMQ_FD as an *os.File registered with the runtime
// poller. libzmq owns the original descriptor (an eventfd, already non-blocking): it is
// never read, written, closed or changed here; closing the file closes only the dup.
func pollFile(raw *zmq4.Socket, name string) (*os.File, error) {
	fd, err := raw.GetFd()
	if err != nil {
		return nil, opError("get FD", "", err)
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &OpError{Op: "dup FD", Err: err}
	}
	f := os.NewFile(uintptr(dup), "zmq-fd-"+name)
	// A file the poller refused is in blocking mode and has no deadlines.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		_ = f.Close()
		return nil, &OpError{Op: "register FD with the runtime poller", Err: err}
	}
	return f, nil
}
