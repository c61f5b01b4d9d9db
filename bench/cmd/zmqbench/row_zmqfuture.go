package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

// The zmqfuture rows. Like every layered row they change one end of the raw baseline's
// loop and keep the other: the receiving rows (here and in row_zmqstream.go) receive
// from rawRow's sender (rawPushRig), the sending rows (row_zmqsink.go) send to rawRow's
// receiver, and the Requester talks to rawRow's REP echo server. So a ratio to raw
// pebbe is the cost of the one layer under test.

// futureRecvRow receives each message through a reqrep.Recv future.
type futureRecvRow struct{}

// requesterRow is reqrep.Requester with spec.InFlight requests outstanding.
type requesterRow struct{}

func init() {
	register(futureRecvRow{})
	register(requesterRow{})
}

func (futureRecvRow) Key() string  { return keyFutureRecv }
func (futureRecvRow) Name() string { return "zmqfuture Recv futures" }
func (futureRecvRow) About() string {
	return "The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and, on the timing " +
		"goroutine, reqrep.Recv(ctx, pull).Await(ctx) for every message, one future per message, on the " +
		"PULL handed to zmqevented (zmqevented.Wrap, same pebbe context): a future settled at once when a " +
		"message is queued, else one goroutine waiting in zmqevented's Recv. Timed at the receiver, as raw."
}

// Throughput: raw sender, one Recv future awaited per message on the timing goroutine.
func (futureRecvRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	g, err := newRawPushRig(ctx, sp)
	if err != nil {
		return Sample{}, err
	}
	ctx, pull := g.Ctx, g.Pull
	s, err := timeLoop(sp.Count, func() error {
		_, err := reqrep.Recv(ctx, pull).Await(ctx)
		return err
	})
	if err != nil {
		return Sample{}, g.finish(fmt.Errorf("zmqfuture recv: %w", err))
	}
	return s, g.finish(nil)
}

func (requesterRow) Key() string  { return keyRequester }
func (requesterRow) Name() string { return "zmqfuture Requester" }
func (requesterRow) About() string {
	return "reqrep.NewRequester on a DEALER (a pebbe socket handed to zmqevented) keeping spec.InFlight (64) " +
		"requests of spec.Size (16) bytes outstanding: the timing goroutine awaits the oldest future and issues the next " +
		"Request, and at the end awaits the ones still in flight, so the time covers exactly the counted " +
		"requests, each answered. The server is the raw baseline's: a goroutine with a pebbe REP echoing " +
		"(RecvBytes, SendBytes), which answers the Requester's correlation envelope by itself, in the same " +
		"pebbe context. Rate only; the ratio is to raw REQ/REP sequential round trips."
}

// Rate: a Requester with sp.InFlight requests outstanding against a raw REP echo goroutine.
func (requesterRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	window := max(sp.InFlight, 1)
	zc, rep, rawDealer, err := newSharedPair(sp.Endpoint, zmq4.REP, zmq4.DEALER)
	if err != nil {
		return Sample{}, err
	}
	dealer, err := zc.wrap(rawDealer, rep)
	if err != nil {
		return Sample{}, err
	}
	r, err := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(window))
	if err != nil {
		return Sample{}, errors.Join(err, dealer.Close(), rawClose(zc.zc, nil, rep))
	}
	e := newTwoEnds(ctx, zc)
	runCtx := e.Ctx
	e.goFar(func(context.Context) error { // a failure cancels runCtx: the client stops waiting for replies
		for range sp.Count + 1 {
			b, err := rep.RecvBytes(0)
			if err == nil {
				_, err = rep.SendBytes(b, 0)
			}
			if err != nil {
				return fmt.Errorf("raw echo: %w", err)
			}
		}
		return nil
	}, func(context.Context) error { return rep.Close() })
	finish := func(cerr error) error {
		return e.stop(cerr, r.Close) // r.Close fails the requests in flight and closes the DEALER
	}
	msg := make([]byte, sp.Size)
	await := func(f *zmqfuture.Future[[][]byte]) error {
		reply, err := f.Await(runCtx)
		switch {
		case err != nil:
			return fmt.Errorf("zmqfuture request: %w", err)
		case len(reply) != 1 || len(reply[0]) != sp.Size:
			return fmt.Errorf("zmqfuture request: reply of %d frames, want one of %d bytes", len(reply), sp.Size)
		}
		return nil
	}
	if err := await(r.Request(runCtx, msg)); err != nil { // warm-up: the connection is up
		return Sample{}, finish(err)
	}
	ring := make([]*zmqfuture.Future[[][]byte], window)
	m := startMeter()
	for i := range sp.Count {
		j := i % window
		if f := ring[j]; f != nil {
			if err := await(f); err != nil {
				return Sample{}, finish(err)
			}
		}
		ring[j] = r.Request(runCtx, msg)
	}
	for i := range window { // the rest, oldest first
		if f := ring[(sp.Count+i)%window]; f != nil {
			if err := await(f); err != nil {
				return Sample{}, finish(err)
			}
		}
	}
	s := m.stop(sp.Count)
	if st := r.Stats(); st.Dropped != 0 || st.Malformed != 0 {
		return Sample{}, finish(fmt.Errorf("zmqfuture requester: %d replies dropped, %d malformed", st.Dropped, st.Malformed))
	}
	return s, finish(nil)
}
