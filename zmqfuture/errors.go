package zmqfuture

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Their messages are frozen; compare with [errors.Is].
var (
	// ErrNoFutures is the error of a [Race] or [Any] over no futures.
	ErrNoFutures = errors.New("zmqfuture: no futures")

	// ErrCanceled is the cause used by [Future.Cancel] when it is given a
	// nil cause, and the cause with which [Race] and [Any] cancel their
	// losers. errors.Is(ErrCanceled, context.Canceled) is true.
	ErrCanceled error = canceledError{}

	// ErrTimeout is the error of a [WithTimeout] future whose time ran out,
	// and the cause with which it cancels its input.
	// errors.Is(ErrTimeout, context.DeadlineExceeded) is true.
	ErrTimeout error = timeoutError{}

	// ErrNilFuture is the error of a [Then] future whose function returned a
	// nil *Future.
	ErrNilFuture = errors.New("zmqfuture: nil future")

	// ErrNilError is the error of a future that was rejected with a nil
	// error ([Promise.Reject] or [Failed] given nil): a rejection never
	// turns into a success with a zero value.
	ErrNilError = errors.New("zmqfuture: rejected with nil error")
)

type canceledError struct{}

func (canceledError) Error() string { return "zmqfuture: canceled" }
func (canceledError) Unwrap() error { return context.Canceled }

type timeoutError struct{}

func (timeoutError) Error() string { return "zmqfuture: timeout" }
func (timeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, like [os.ErrDeadlineExceeded] does, so code that
// checks for a Timeout method recognises the error.
func (timeoutError) Timeout() bool { return true }

// AggregateError is the error of an [Any] future whose inputs all failed.
// It holds every input's error in input order; [errors.Is] and [errors.As]
// look through each of them. It is never modified after the future settles.
type AggregateError struct {
	// Errs holds one error per input future, in the order the inputs were
	// given to Any.
	Errs []error
}

// Error returns "zmqfuture: all N futures failed: " followed by the inputs'
// messages separated by "; ".
func (e *AggregateError) Error() string {
	var b strings.Builder
	b.WriteString("zmqfuture: all ")
	b.WriteString(strconv.Itoa(len(e.Errs)))
	b.WriteString(" futures failed")
	for i, err := range e.Errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the inputs' errors, so that [errors.Is] and [errors.As]
// find each of them.
func (e *AggregateError) Unwrap() []error { return e.Errs }

// canceledBy is the cause with which the rest of an [All] are cancelled when
// err made it fail: it matches ErrCanceled (and so context.Canceled) and err.
func canceledBy(err error) error {
	return fmt.Errorf("%w: %w", ErrCanceled, err)
}
