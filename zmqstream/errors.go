package zmqstream

import (
	"errors"
	"fmt"

	"github.com/zmqasync/zmqasync/zmqevented"
)

var (
	// ErrClosed is returned by a second Close of a Stream or EventStream, and is the
	// cause of Context() of a closed one. It wraps zmqevented.ErrClosed, so
	// errors.Is(err, zmqevented.ErrClosed) holds as well; errors.Is(err, ErrClosed)
	// tells a closed Stream from a socket closed under it (which matches
	// zmqevented.ErrClosed only).
	ErrClosed = fmt.Errorf("zmqstream: closed: %w", zmqevented.ErrClosed)

	// ErrConsumed reports a second consumer: a Stream is consumed in exactly one way
	// (C, All, Observable, or any number of Tap calls), and its Observable may be
	// observed once. All yields it, the Observable emits it as an error item, and C and
	// Tap, which return only a channel, return a closed channel and make Err
	// report it.
	ErrConsumed = errors.New("zmqstream: stream already consumed")

	// ErrInvalidArgument is wrapped by the errors of calls given an invalid argument
	// (a negative buffer, an unknown Overflow policy, a concurrency below 1, an
	// option that does not apply).
	ErrInvalidArgument = errors.New("zmqstream: invalid argument")

	// ErrItemType is wrapped by the error Values, First and FlatMapFuture report for
	// an item whose value is not of the requested type; the message names both types.
	ErrItemType = errors.New("zmqstream: item has the wrong type")

	// ErrNoItems is the error of First on an Observable that completed without an item.
	ErrNoItems = errors.New("zmqstream: observable completed without items")

	// ErrNilFuture is emitted by FlatMapFuture, in the item's place, when the function
	// returns a nil future.
	ErrNilFuture = errors.New("zmqstream: nil future")
)
