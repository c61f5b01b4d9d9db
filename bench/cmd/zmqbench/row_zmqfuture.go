package main

import (
	"context"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// The zmqfuture rows. Like every layered row they change one end of the raw baseline's
// loop and keep the other (see package rigs): the receiving rows (here and in
// row_zmqstream.go) receive from rawRow's sender, the sending rows (row_zmqsink.go) send
// to rawRow's receiver, and the Requester talks to rawRow's REP echo server. So a ratio
// to raw pebbe is the cost of the one layer under test. The Server row layers both
// ends: a Requester against a reqrep.Server.

// futureRecvRow receives each message through a reqrep.Recv future.
type futureRecvRow struct{}

// requesterRow is reqrep.Requester with spec.InFlight requests outstanding.
type requesterRow struct{}

// serverRow is reqrep.Server, the server half of the layer, answering a Requester
// with spec.InFlight requests outstanding.
type serverRow struct{}

func init() {
	register(futureRecvRow{})
	register(requesterRow{})
	register(serverRow{})
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
	return measure(ctx, sp, false, rigs.FutureRecv)
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
	return measure(ctx, sp, false, rigs.Requester)
}

func (serverRow) Key() string  { return keyServer }
func (serverRow) Name() string { return "reqrep.Server + Requester" }
func (serverRow) About() string {
	return "Both halves of the layer, in one zmqevented.Context with linger 0: a reqrep.NewServer on a ROUTER, " +
		"default options (ROUTER_MANDATORY, up to reqrep.DefaultMaxInFlight handlers at once), whose handler " +
		"echoes each request's body, serving on a goroutine; and the Requester row's client, reqrep.NewRequester " +
		"on a DEALER connected to it keeping spec.InFlight (64) requests of spec.Size (16) bytes outstanding, " +
		"timed as in that row. Rate only; the ratio is to raw REQ/REP sequential round trips."
}

// Rate: a Requester with sp.InFlight requests outstanding against a reqrep.Server.
func (serverRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, rigs.ServerRequests)
}
