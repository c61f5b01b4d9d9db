package rigs

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// EventedThroughput is zmqevented on both ends, in one zmqevented.Context with linger
// 0: the far end calling Send(ctx, b), the timed end Recv(ctx) (a whole message).
func EventedThroughput(ctx context.Context, l Looper, sp Spec) error {
	e, pull, push, err := newEvEnds(ctx, sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return err
	}
	msg := make([]byte, sp.Size)
	e.goFar(func(ctx context.Context) error { return EvSend(ctx, push, msg, sp.far()) }, nil)
	return e.stop(wrapErr("zmqevented recv", evRecvLoop(e.Ctx, l, pull)), nil)
}

// EventedRecv is zmqevented's Recv(ctx) on the receiving end of the raw baseline's loop
// (RawThroughput's sender, the PULL handed to zmqevented.Wrap): the layer below every
// receiving layer, alone.
func EventedRecv(ctx context.Context, l Looper, sp Spec) error {
	e, pull, err := newPushRig(ctx, sp)
	if err != nil {
		return err
	}
	return e.stop(wrapErr("zmqevented recv", evRecvLoop(e.Ctx, l, pull)), pull.Close)
}

// RecvManyBatch is the limit EventedRecvMany passes to RecvMany: the most messages one
// call (one cgo crossing) takes.
const RecvManyBatch = 64

// EventedRecvMany is zmqevented's RecvMany(ctx, dst, RecvManyBatch) on the receiving
// end of the raw baseline's loop (RawThroughput's sender, the PULL handed to
// zmqevented.Wrap): each call takes what libzmq has queued, up to the batch, into a
// dst reused from call to call, and each l.Loop() consumes one message of the batch,
// calling RecvMany again once the batch is used up. With sp.Count set the sender sends
// exactly the messages counted, so the loop never takes one beyond them.
func EventedRecvMany(ctx context.Context, l Looper, sp Spec) error {
	e, pull, err := newPushRig(ctx, sp)
	if err != nil {
		return err
	}
	return e.stop(wrapErr("zmqevented recvmany", evRecvManyLoop(e.Ctx, l, pull)), pull.Close)
}

// evRecvManyLoop is EventedRecvMany's timed receiver: one untimed RecvMany of the
// warm-up message alone, then one message of the current batch per l.Loop().
func evRecvManyLoop(ctx context.Context, l Looper, pull *zmqevented.Socket) error {
	batch, err := pull.RecvMany(ctx, make([][][]byte, 0, RecvManyBatch), 1) // warm-up: the connection is up
	if err != nil {
		return err
	}
	next := len(batch)
	for l.Loop() {
		if next == len(batch) {
			if batch, err = pull.RecvMany(ctx, batch[:0], RecvManyBatch); err != nil {
				return err
			}
			next = 0
		}
		next++
	}
	return nil
}

// evRecvLoop is the timed receiver of the zmqevented loops: one untimed Recv(ctx),
// then one per l.Loop().
func evRecvLoop(ctx context.Context, l Looper, pull *zmqevented.Socket) error {
	if _, err := pull.Recv(ctx); err != nil { // warm-up: the connection is up
		return err
	}
	for l.Loop() {
		if _, err := pull.Recv(ctx); err != nil {
			return err
		}
	}
	return nil
}

// EventedReqRep is zmqevented on both ends, in one zmqevented.Context with linger 0: an
// echo on REP (Recv, Send) as the far end and the timed end's Send + Recv per round
// trip on REQ.
func EventedReqRep(ctx context.Context, l Looper, sp Spec) error {
	e, rep, req, err := newEvEnds(ctx, sp.Endpoint, zmq4.REP, zmq4.REQ)
	if err != nil {
		return err
	}
	e.goFar(func(ctx context.Context) error {
		for i, n := 0, sp.far(); n == 0 || i < n; i++ {
			m, err := rep.Recv(ctx)
			if err == nil {
				err = rep.Send(ctx, m...)
			}
			if err != nil {
				return fmt.Errorf("zmqevented echo: %w", err)
			}
		}
		return nil
	}, nil)
	msg := make([]byte, sp.Size)
	err = warmLoop(l, func() error {
		if err := req.Send(e.Ctx, msg); err != nil {
			return err
		}
		_, err := req.Recv(e.Ctx)
		return err
	})
	return e.stop(wrapErr("zmqevented round trip", err), nil)
}

// NewEvPair makes a zmqevented.Context with linger 0, a socket of type bt bound to
// endpoint and one of type ct connected to it (EvConnect). On failure the context is
// closed.
func NewEvPair(endpoint string, bt, ct zmq4.Type) (zc *zmqevented.Context, bound, conn *zmqevented.Socket, err error) {
	zc, err = zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return nil, nil, nil, err
	}
	if bound, conn, err = EvConnect(zc, bt, ct, endpoint); err != nil {
		return nil, nil, nil, errors.Join(err, zc.Close())
	}
	return zc, bound, conn, nil
}

// EvConnect binds a socket of type bt to endpoint and connects one of type ct to the
// endpoint it resolved to. The context closes them.
func EvConnect(zc *zmqevented.Context, bt, ct zmq4.Type, endpoint string) (bound, conn *zmqevented.Socket, err error) {
	bound, err = zc.NewSocket(bt)
	if err != nil {
		return nil, nil, err
	}
	if err := bound.Bind(endpoint); err != nil {
		return nil, nil, err
	}
	ep, err := bound.LastEndpoint()
	if err != nil {
		return nil, nil, err
	}
	conn, err = zc.NewSocket(ct)
	if err != nil {
		return nil, nil, err
	}
	if err := conn.Connect(ep); err != nil {
		return nil, nil, err
	}
	return bound, conn, nil
}

// EvSend sends msg n times (0: until a send fails, as when ctx is done).
func EvSend(ctx context.Context, s *zmqevented.Socket, msg []byte, n int) error {
	for i := 0; n == 0 || i < n; i++ {
		if err := s.Send(ctx, msg); err != nil {
			return fmt.Errorf("zmqevented send: %w", err)
		}
	}
	return nil
}
