package rigs

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"
)

// RawThroughput is the baseline of every throughput loop: raw blocking pebbe/zmq4 in
// one context, the far end sending with SendBytes(b, 0) and the timed end receiving
// with RecvBytes(0), one frame per call, the fastest raw loop.
func RawThroughput(ctx context.Context, l Looper, sp Spec) error {
	return rawThroughput(ctx, l, sp, false)
}

// RawMessageThroughput is RawThroughput receiving with RecvMessageBytes(0), which asks
// ZMQ_RCVMORE after each frame: the work zmqevented's Recv does to return whole
// messages.
func RawMessageThroughput(ctx context.Context, l Looper, sp Spec) error {
	return rawThroughput(ctx, l, sp, true)
}

func rawThroughput(ctx context.Context, l Looper, sp Spec, whole bool) error {
	e, pull, push, err := newRawEnds(ctx, sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return err
	}
	msg := make([]byte, sp.Size)
	e.goFar(func(context.Context) error { return RawSend(push, msg, sp.far()) },
		func(context.Context) error { return push.Close() })
	return e.stop(wrapErr("raw recv", rawRecvLoop(l, pull, whole)), pull.Close)
}

// rawRecvLoop is the raw baseline's timed receiver: one untimed RecvBytes(0), then one
// RecvBytes(0) (with whole, RecvMessageBytes(0)) per l.Loop().
func rawRecvLoop(l Looper, pull *zmq4.Socket, whole bool) error {
	if _, err := pull.RecvBytes(0); err != nil { // warm-up: the connection is up
		return err
	}
	if whole {
		for l.Loop() {
			if _, err := pull.RecvMessageBytes(0); err != nil {
				return err
			}
		}
		return nil
	}
	for l.Loop() {
		if _, err := pull.RecvBytes(0); err != nil {
			return err
		}
	}
	return nil
}

// RawReqRep is the baseline of every REQ/REP loop: raw blocking pebbe/zmq4 in one
// context, an echo on REP (RecvBytes, SendBytes) as the far end and the timed end's
// SendBytes + RecvBytes per round trip on REQ.
func RawReqRep(ctx context.Context, l Looper, sp Spec) error {
	return rawReqRep(ctx, l, sp, false)
}

// RawMessageReqRep is RawReqRep receiving with RecvMessageBytes(0) on both ends (the
// echo sends the frames back as it got them).
func RawMessageReqRep(ctx context.Context, l Looper, sp Spec) error {
	return rawReqRep(ctx, l, sp, true)
}

func rawReqRep(ctx context.Context, l Looper, sp Spec, whole bool) error {
	e, rep, req, err := newRawEnds(ctx, sp.Endpoint, zmq4.REP, zmq4.REQ)
	if err != nil {
		return err
	}
	e.goFar(func(context.Context) error { return rawEcho(rep, sp.far(), whole) },
		func(context.Context) error { return rep.Close() })
	msg := make([]byte, sp.Size)
	err = warmLoop(l, func() error {
		if _, err := req.SendBytes(msg, 0); err != nil {
			return err
		}
		if whole {
			_, err := req.RecvMessageBytes(0)
			return err
		}
		_, err := req.RecvBytes(0)
		return err
	})
	return e.stop(wrapErr("raw round trip", err), req.Close)
}

// rawEcho answers n requests on rep (0: until a call fails), each with what it
// received: RecvBytes and SendBytes, or with whole RecvMessageBytes and the frames
// sent back.
func rawEcho(rep *zmq4.Socket, n int, whole bool) error {
	for i := 0; n == 0 || i < n; i++ {
		var err error
		if whole {
			var m [][]byte
			if m, err = rep.RecvMessageBytes(0); err == nil {
				err = RawSendFrames(rep, m)
			}
		} else {
			var b []byte
			if b, err = rep.RecvBytes(0); err == nil {
				_, err = rep.SendBytes(b, 0)
			}
		}
		if err != nil {
			return fmt.Errorf("raw echo: %w", err)
		}
	}
	return nil
}

// RawSocket makes a pebbe socket with linger 0.
func RawSocket(zc *zmq4.Context, t zmq4.Type) (*zmq4.Socket, error) {
	s, err := zc.NewSocket(t)
	if err != nil {
		return nil, err
	}
	if err := s.SetLinger(0); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// NewRawPair makes a pebbe context with a socket of type bt bound to endpoint and one
// of type ct connected to it (RawConnect). On failure nothing is left open.
func NewRawPair(endpoint string, bt, ct zmq4.Type) (zc *zmq4.Context, bound, conn *zmq4.Socket, err error) {
	zc, err = zmq4.NewContext()
	if err != nil {
		return nil, nil, nil, err
	}
	if bound, conn, err = RawConnect(zc, bt, ct, endpoint); err != nil {
		return nil, nil, nil, errors.Join(err, zc.Term())
	}
	return zc, bound, conn, nil
}

// RawConnect binds a socket of type bt to endpoint and connects one of type ct to the
// endpoint it resolved to, both with linger 0. On failure nothing is left open.
func RawConnect(zc *zmq4.Context, bt, ct zmq4.Type, endpoint string) (bound, conn *zmq4.Socket, err error) {
	bound, err = RawSocket(zc, bt)
	if err != nil {
		return nil, nil, err
	}
	if err := bound.Bind(endpoint); err != nil {
		_ = bound.Close()
		return nil, nil, fmt.Errorf("bind %s: %w", endpoint, err)
	}
	ep, err := bound.GetLastEndpoint()
	if err == nil {
		conn, err = RawSocket(zc, ct)
	}
	if err == nil {
		if err = conn.Connect(ep); err != nil {
			_ = conn.Close()
			err = fmt.Errorf("connect %s: %w", ep, err)
		}
	}
	if err != nil {
		_ = bound.Close()
		return nil, nil, err
	}
	return bound, conn, nil
}

// RawSend sends msg n times (0: until a send fails), blocking.
func RawSend(s *zmq4.Socket, msg []byte, n int) error {
	for i := 0; n == 0 || i < n; i++ {
		if _, err := s.SendBytes(msg, 0); err != nil {
			return fmt.Errorf("raw send: %w", err)
		}
	}
	return nil
}

// RawSendFrames sends one multipart message, blocking.
func RawSendFrames(s *zmq4.Socket, frames [][]byte) error {
	for i, f := range frames {
		flag := zmq4.SNDMORE
		if i == len(frames)-1 {
			flag = 0
		}
		if _, err := s.SendBytes(f, flag); err != nil {
			return err
		}
	}
	return nil
}

// RawClose closes socks and terminates zc, returning err or the first failure.
func RawClose(zc *zmq4.Context, err error, socks ...*zmq4.Socket) error {
	for _, s := range socks {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if terr := zc.Term(); terr != nil && err == nil {
		err = terr
	}
	return err
}
