package main

// ROW MISSING — zmqfuture rows are not written yet, so nothing is registered here and
// the table and the bars say "not measured (row missing)". Whoever lands zmqfuture's
// socket futures and Requester adds them in this file (see "How to add a row" in
// rows.go); until then this file holds no code on purpose: a row that does not
// measure must not exist.
//
// Two rows are expected:
//
//   - keyFutureRecv ("zmqfuture-recv"), a ThroughputRow: the eventedRow throughput
//     loop (evConnect, evSend) with the timed receive done as
//     zmqfuture.Recv(ctx, pull).Await(ctx), one future per message. No bar; the table
//     shows its ratio to raw pebbe.
//
//   - keyRequester ("zmqfuture-requester"), a RateRow: zmqfuture.NewRequester on a
//     DEALER keeping spec.InFlight (64) requests of spec.Size bytes outstanding until
//     spec.Count replies have arrived, against a ROUTER echo server on its own goroutine
//     in the same process (echo the envelope, the correlation frame and the body), over
//     spec.Endpoint. Time only the spec.Count requests after a warm-up request (meter
//     from meter.go). The bar "Requester with 64 in flight ≥ 3× raw REQ/REP rate"
//     (bars.go) compares it with rawRow.Rate, measured alternately in the same run.
