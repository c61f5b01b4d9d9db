package reqrep

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// ErrSocketType is the error (wrapped, naming both types) of [Call] on a
// socket that is not a REQ, and of [NewRequester] given a socket that is not
// a DEALER.
var ErrSocketType = errors.New("reqrep: wrong socket type")

// Recv returns a future of the next whole message received on s (see "Socket
// futures" in the package documentation): settled at once if one is queued, else
// waited for by a goroutine the future owns. ctx and Cancel end the wait, taking
// nothing; errors are s.Recv's.
func Recv(ctx context.Context, s *zmqevented.Socket) *zmqfuture.Future[[][]byte] {
	if ctx.Err() != nil {
		return zmqfuture.Failed[[][]byte](context.Cause(ctx))
	}
	msg, err := s.TryRecv()
	if err == nil {
		return zmqfuture.Ready(msg)
	}
	if !errors.Is(err, zmqevented.ErrWouldBlock) {
		return zmqfuture.Failed[[][]byte](err)
	}
	return zmqfuture.Go(ctx, s.Recv)
}

// Send returns a future of sending frames on s as one message, settled once libzmq
// has taken it (not delivery): at once if it can, else by a goroutine the future owns,
// in which case the frames must not change until it settles. ctx and Cancel end the
// wait, sending nothing; errors are s.Send's.
func Send(ctx context.Context, s *zmqevented.Socket, frames ...[]byte) *zmqfuture.Future[struct{}] {
	if len(frames) == 0 {
		return zmqfuture.Failed[struct{}](zmqevented.ErrNoFrames)
	}
	if ctx.Err() != nil {
		return zmqfuture.Failed[struct{}](context.Cause(ctx))
	}
	err := s.TrySend(frames...)
	if err == nil {
		return zmqfuture.Ready(struct{}{})
	}
	if !errors.Is(err, zmqevented.ErrWouldBlock) {
		return zmqfuture.Failed[struct{}](err)
	}
	return zmqfuture.Go(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Send(ctx, frames...)
	})
}

// Call returns a future of a round trip on the REQ socket s: frames sent as one
// request, the reply as the future's value; what can be done at once is, the rest by a
// goroutine the future owns. Cancelled after the send, it leaves s awaiting the reply
// (REQ alternates strictly), so a following Call fails with zmq4.EFSM until that reply
// is taken: for requests that may be abandoned use a Requester, or a fresh socket per
// request (the guide's lazy pirate). On another socket type it fails with
// ErrSocketType.
func Call(ctx context.Context, s *zmqevented.Socket, frames ...[]byte) *zmqfuture.Future[[][]byte] {
	if t := s.Type(); t != zmq4.REQ {
		return zmqfuture.Failed[[][]byte](fmt.Errorf("%w: Call needs a REQ socket, got %v", ErrSocketType, t))
	}
	if len(frames) == 0 {
		return zmqfuture.Failed[[][]byte](zmqevented.ErrNoFrames)
	}
	if ctx.Err() != nil {
		return zmqfuture.Failed[[][]byte](context.Cause(ctx))
	}
	err := s.TrySend(frames...)
	if err == nil {
		// Sent: the reply is normally not there yet, but Recv looks once.
		return Recv(ctx, s)
	}
	if !errors.Is(err, zmqevented.ErrWouldBlock) {
		return zmqfuture.Failed[[][]byte](err)
	}
	return zmqfuture.Go(ctx, func(ctx context.Context) ([][]byte, error) {
		if err := s.Send(ctx, frames...); err != nil {
			return nil, err
		}
		return s.Recv(ctx)
	})
}
