// Package rigs holds the message loops of zmqasync's benchmark suite, one per layer,
// and the socket rigs they run on. The go test microbenchmarks of package bench and the
// rows of cmd/zmqbench both run these loops, so that each exists once and a
// microbenchmark measures exactly what the comparison table reports.
//
// A loop is a Func: it sets up its own context and sockets on sp.Endpoint, sends one
// untimed warm-up message (or round trip) so the connection is up, then runs one
// message (or round trip) per true result of l.Loop(), and tears everything down.
// testing.B is a Looper (b.Loop starts and stops its timer), and so is zmqbench's
// counted, metered loop:
//
//	b.ReportAllocs()
//	b.SetBytes(int64(size))
//	sp := rigs.Spec{Endpoint: rigs.Endpoint("tcp", b.TempDir()), Size: size}
//	if err := rigs.EventedThroughput(b.Context(), b, sp); err != nil {
//		b.Fatal(err)
//	}
//
// A layered loop changes one end of the raw baseline's loop (RawThroughput, RawReqRep)
// and keeps the other exactly as the baseline runs it, so that its ratio to raw is the
// cost of that one layer: the receiving layers (FutureRecv, EventedRecv,
// EventedRecvMany, the Stream loops) receive from the baseline's raw sender, the
// sending layers (SinkSend, SinkForward) send to its raw receiver and the Requester
// talks to its raw REP echo. EventedThroughput, EventedReqRep, ServerRequests (a
// Requester against a reqrep.Server) and Pipeline layer both ends.
//
// # Lifecycle
//
// Every loop makes a fresh context (a pebbe context shared by both ends, or a
// zmqevented.Context) with linger 0 on every socket, and returns only after both ends
// have stopped, every goroutine it started has returned and the context is terminated.
// The far end (the sender or echo server on its own goroutine) serves exactly
// sp.Count+1 messages when sp.Count is set, and otherwise runs until the timed end
// stops it.
//
// # Concurrency
//
// A loop runs its timed end on the calling goroutine and its far end on one goroutine
// it owns (a layer may add its own: a Stream's receiver, a Sink's writer). Loops share
// nothing, but the machine's cores: run one at a time.
//
// # Errors
//
// A loop returns the first failure of either end, without those that only follow from
// it (ETERM from a raw call the other end's failure stopped, the cancellation one end
// passed to the other). A failure cancels the ctx the loop gives to its calls, and a
// raw end blocked in libzmq is stopped by terminating the context, so a failing loop
// returns promptly. ctx's cancellation reaches every call that takes a context; a raw
// pebbe call waits until the other end fails or stops.
package rigs
