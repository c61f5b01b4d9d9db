// Package ctxerr builds the error a wait bounded by a done context returns, shared by
// the packages whose waits end on a context.
package ctxerr

import (
	"context"
	"errors"
	"fmt"
)

// Of returns the error of a wait that ended because ctx is done: context.Cause(ctx)
// when it matches ctx.Err() (always so without a custom cause), otherwise an error
// wrapping both, so that errors.Is finds context.Canceled or context.DeadlineExceeded
// and the cause alike.
func Of(ctx context.Context) error {
	err := ctx.Err()
	cause := context.Cause(ctx)
	if cause == nil || err == nil || errors.Is(cause, err) {
		if cause == nil {
			return err
		}
		return cause
	}
	return fmt.Errorf("%w: %w", err, cause)
}
