package rigs

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

// FutureRecv is reqrep.Recv(ctx, pull).Await(ctx) per message, one future per message,
// on the receiving end of the raw baseline's loop (RawThroughput's sender, the PULL
// handed to zmqevented.Wrap in the same pebbe context).
func FutureRecv(ctx context.Context, l Looper, sp Spec) error {
	e, pull, err := newPushRig(ctx, sp)
	if err != nil {
		return err
	}
	ctx = e.Ctx
	err = warmLoop(l, func() error {
		_, err := reqrep.Recv(ctx, pull).Await(ctx)
		return err
	})
	return e.stop(wrapErr("zmqfuture recv", err), pull.Close)
}

// Requester is reqrep.NewRequester on a DEALER (a pebbe socket handed to zmqevented)
// keeping sp.InFlight requests of sp.Size bytes outstanding, against the raw
// baseline's REP echo (RawReqRep's far end, which answers the Requester's correlation
// envelope by itself) in the same pebbe context. Each l.Loop() tops the window up and
// awaits the oldest request; with sp.Count set the loop issues exactly sp.Count
// requests, so the timed part covers exactly the counted requests, each answered, and
// otherwise awaits the ones still in flight after the timed part.
func Requester(ctx context.Context, l Looper, sp Spec) error {
	window := max(sp.InFlight, 1)
	zc, rep, rawDealer, err := NewRawPair(sp.Endpoint, zmq4.REP, zmq4.DEALER)
	if err != nil {
		return err
	}
	dealer, err := zmqevented.Wrap(rawDealer, zmqevented.WithLinger(0))
	if err != nil {
		return errors.Join(err, RawClose(zc, nil, rep)) // Wrap closed rawDealer
	}
	r, err := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(window))
	if err != nil {
		return errors.Join(err, dealer.Close(), RawClose(zc, nil, rep))
	}
	e := newTwoEnds(ctx, zc.Term, true)
	e.goFar(func(context.Context) error { return rawEcho(rep, sp.far(), false) },
		func(context.Context) error { return rep.Close() })
	err = requests(e.Ctx, l, r, sp, window)
	if st := r.Stats(); err == nil && (st.Dropped != 0 || st.Malformed != 0) {
		err = fmt.Errorf("zmqfuture requester: %d replies dropped, %d malformed", st.Dropped, st.Malformed)
	}
	return e.stop(err, r.Close) // r.Close fails the requests in flight and closes the DEALER
}

// ServerRequests is Requester's timed end against the server half of the layer: a
// reqrep.NewServer on a ROUTER, default options, whose handler echoes each request's
// body, serving on the far end until the timed end stops. Both ends layered, in one
// zmqevented.Context with linger 0: the Requester (reqrep.WithMaxInFlight(sp.InFlight))
// on a DEALER connected to the ROUTER keeps sp.InFlight requests of sp.Size bytes
// outstanding, as in Requester.
func ServerRequests(ctx context.Context, l Looper, sp Spec) error {
	window := max(sp.InFlight, 1)
	e, router, dealer, err := newEvEnds(ctx, sp.Endpoint, zmq4.ROUTER, zmq4.DEALER)
	if err != nil {
		return err
	}
	sv, err := reqrep.NewServer(router, echoHandler)
	if err != nil {
		return e.stop(err, nil)
	}
	r, err := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(window))
	if err != nil {
		return e.stop(errors.Join(err, sv.Close()), nil)
	}
	e.goFar(func(ctx context.Context) error {
		if err := sv.Serve(ctx); err != nil && !errors.Is(err, reqrep.ErrClosed) {
			return fmt.Errorf("reqrep server: %w", err)
		}
		return nil
	}, nil)
	err = requests(e.Ctx, l, r, sp, window)
	if st := r.Stats(); err == nil && (st.Dropped != 0 || st.Malformed != 0) {
		err = fmt.Errorf("zmqfuture requester: %d replies dropped, %d malformed", st.Dropped, st.Malformed)
	}
	err = e.stop(err, r.Close) // the far end's Serve returns once stop cancels its ctx
	if st := sv.Stats(); err == nil && (st.Dropped != 0 || st.Malformed != 0 || st.Failed != 0) {
		err = fmt.Errorf("reqrep server: %d replies dropped, %d requests malformed, %d failed", st.Dropped, st.Malformed, st.Failed)
	}
	return err
}

// echoHandler answers a request with its body.
func echoHandler(_ context.Context, req *reqrep.Request) ([][]byte, error) { return req.Body, nil }

// requests is the Requester loop's timed end.
func requests(ctx context.Context, l Looper, r *reqrep.Requester, sp Spec, window int) error {
	msg := make([]byte, sp.Size)
	await := func(f *zmqfuture.Future[[][]byte]) error {
		reply, err := f.Await(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("zmqfuture request: %w", err)
		case len(reply) != 1 || len(reply[0]) != sp.Size:
			return fmt.Errorf("zmqfuture request: reply of %d frames, want one of %d bytes", len(reply), sp.Size)
		}
		return nil
	}
	if err := await(r.Request(ctx, msg)); err != nil { // warm-up: the connection is up
		return err
	}
	ring := make([]*zmqfuture.Future[[][]byte], window)
	issued, answered := 0, 0
	for l.Loop() {
		for issued-answered < window && (sp.Count == 0 || issued < sp.Count) {
			ring[issued%window] = r.Request(ctx, msg)
			issued++
		}
		if err := await(ring[answered%window]); err != nil {
			return err
		}
		answered++
	}
	for ; answered < issued; answered++ { // open-ended: the rest, oldest first, untimed
		if err := await(ring[answered%window]); err != nil {
			return err
		}
	}
	return nil
}
