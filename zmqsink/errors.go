package zmqsink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Sentinel errors. Their messages are frozen; compare with errors.Is.
var (
	// ErrClosed is returned by every call on a Sink after Close began, by Reserve calls
	// that were waiting when it began, and by a second Close. It wraps
	// zmqevented.ErrClosed, so errors.Is(err, zmqevented.ErrClosed) holds as well.
	ErrClosed = fmt.Errorf("zmqsink: closed: %w", zmqevented.ErrClosed)

	// ErrFull is returned by TryReserve when every slot of the queue is taken. It wraps
	// zmqevented.ErrWouldBlock, so errors.Is(err, syscall.EAGAIN) holds.
	ErrFull = fmt.Errorf("zmqsink: queue full: %w", zmqevented.ErrWouldBlock)

	// ErrPermitUsed is returned by Permit.Send on a permit that was already sent or
	// released. A permit carries one message.
	ErrPermitUsed = errors.New("zmqsink: permit already used")

	// ErrItemType is wrapped by the error Forward returns for an item that is not a
	// [][]byte, []byte or string.
	ErrItemType = errors.New("zmqsink: unsupported item type")
)

// SendError hands back messages that did not reach libzmq, frames and all, so that
// none is lost silently; the caller may send them again. Shutdown, Close and Flush
// return it for accepted messages (in acceptance order) with Err matching each cause:
// the sink's transport error, ctx's cause, zmqevented.ErrMessageDropped or
// syscall.EHOSTUNREACH (joined). Forward and its twins return it for the one message
// Send refused, with Send's error.
type SendError struct {
	// Err is the cause; see the type's documentation.
	Err error
	// Messages are the messages, each one as its frames, oldest first.
	Messages [][][]byte
	// Omitted counts messages that failed the same way but were not kept, because
	// more than the queue length (WithQueue) of per-message failures piled up between
	// two calls to Flush or Close. They are counted in Stats as well.
	Omitted int
}

// Error returns "zmqsink: <n> message(s) not sent: <cause>".
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("zmqsink: ")
	b.WriteString(strconv.Itoa(len(e.Messages) + e.Omitted))
	b.WriteString(" message(s) not sent")
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *SendError) Unwrap() error { return e.Err }

// joinDistinct joins the non-nil errors of errs, skipping those whose message repeats
// an earlier one (a thousand identical drops give one cause, not a thousand).
func joinDistinct(errs []error) error {
	var out []error
	seen := make(map[string]bool, len(errs))
	for _, err := range errs {
		if err == nil || seen[err.Error()] {
			continue
		}
		seen[err.Error()] = true
		out = append(out, err)
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}
