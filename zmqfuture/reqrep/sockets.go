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

// Recv returns a future of the next whole multipart message received on s.
//
// If a message is queued, Recv takes it and returns a settled future without
// starting anything. Otherwise it starts one goroutine, owned by the future,
// that waits in s.Recv with a context derived from ctx and ends when that
// call returns (see [zmqfuture.Go]); Recv itself never blocks.
//
// ctx bounds the receive: if it is done first, the future fails with
// context.Cause(ctx). [zmqfuture.Future.Cancel] with cause stops the wait and the
// future fails with cause. Either way a receive that is cancelled takes
// nothing: the message stays in the socket for the next reader. A message
// that was taken before the cancellation took effect wins: the future then
// succeeds with it, so a cancelled Recv future either fails and took nothing,
// or succeeded and holds its message. On a closed socket the future fails
// with [zmqevented.ErrClosed]; libzmq failures are *zmqevented.OpError.
//
// Goroutine-safe, like s.Recv: concurrent receivers, futures or not, each get
// whole messages, every message exactly once. Cost: one non-blocking receive;
// when it must wait, one goroutine and one cancellable context until the
// message arrives.
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

// Send returns a future of sending frames on s as one whole multipart
// message; it succeeds once libzmq has taken the message (which is not
// delivery, see [zmqevented.Socket.Close]).
//
// If libzmq can take the message at once, Send sends it and returns a settled
// future without starting anything. Otherwise it starts one goroutine, owned
// by the future, that waits in s.Send with a context derived from ctx and
// ends when that call returns (see [zmqfuture.Go]); Send itself never blocks. In that
// case the frames are read until the future settles and must not be modified
// before.
//
// ctx bounds the send: if it is done first, the future fails with
// context.Cause(ctx); [zmqfuture.Future.Cancel] with cause makes it fail with cause. A
// send that fails sent nothing (libzmq takes a multipart message whole); a
// send that completed as the cancellation came wins, and the future
// succeeds. With no frames the future fails with [zmqevented.ErrNoFrames],
// on a closed socket with [zmqevented.ErrClosed]; other errors are those of
// s.Send.
//
// Goroutine-safe, like s.Send. Cost: one non-blocking send; when it must
// wait, one goroutine and one cancellable context until libzmq takes the
// message.
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

// Call returns a future of a request-reply round trip on a REQ socket: it
// sends frames as one message, then receives the reply, which is the
// future's value.
//
// The parts that can be done at once are done on the calling goroutine; if
// the send or the reply must wait, one goroutine owned by the future does
// the rest with a context derived from ctx and ends when it is done (see
// [zmqfuture.Go]). Call never blocks. The frames must not be modified until the
// future settles.
//
// ctx bounds the round trip; if it is done first, the future fails with
// context.Cause(ctx), and [zmqfuture.Future.Cancel] with cause makes it fail with
// cause. What that leaves behind follows REQ's state machine, in which a
// REQ socket alternates strictly between one send and one receive:
//
//   - Cancelled before the request was sent: nothing was sent and the socket
//     can take the next Call.
//   - Cancelled after it was sent (the usual case: the reply is what takes
//     time): the socket still awaits that reply. A following Call fails
//     with an error matching zmq4.EFSM until the reply is received (with
//     [Recv] or s.Recv) and thrown away; if the peer is gone, it never comes.
//
// A caller that gives up on replies should therefore use a [Requester],
// which keeps many requests in flight on a DEALER socket and drops late
// replies, or close the REQ socket and open a fresh one for the next request,
// as the "lazy pirate" pattern of the ZeroMQ guide does. Setting ZMQ_REQ_RELAXED
// and ZMQ_REQ_CORRELATE on the socket (with [zmqevented.WithSockopt]) also
// lets it send again, libzmq discarding the late reply. The future cannot
// tell which of the two cases happened.
//
// On a socket that is not a REQ the future fails with an error matching
// [ErrSocketType]; one REQ socket takes one Call at a time (a second one
// while the first awaits its reply fails with zmq4.EFSM). Other errors are
// those of s.Send and s.Recv. Cost: as [Send] followed by [Recv].
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
