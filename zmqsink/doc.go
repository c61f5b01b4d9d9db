// Package zmqsink provides backpressured sinks: the sending half of zmqasync's stream
// world, for many goroutines at once, that never buffers more than a bound and never
// loses an accepted message silently.
//
// A Sink sends on one zmqevented.Socket. Its contract is the Rust Sink's (poll_ready,
// start_send, poll_flush, poll_close) made safe for concurrent use with a permit, as
// tokio's Sender::reserve does: Reserve waits for capacity and returns a Permit,
// Permit.Send cannot then fail for lack of it, Flush waits for the hand-off to libzmq
// and Close shuts down. Sink.Send is Reserve plus Permit.Send; Forward, ForwardChan
// and ForwardSeq feed a sink from an rxgo Observable, a channel or an iterator.
//
//	push, _ := zctx.NewSocket(zmq4.PUSH, zmqevented.WithSendHWM(100))
//	_ = push.Connect("tcp://127.0.0.1:5555")
//	k, _ := zmqsink.New(push)
//	err := zmqsink.Forward(ctx, rxgo.Just("a", "b", "c")(), k) // blocks while the peer lags
//	err = k.Shutdown(ctx)                                          // flushes within ctx
//
// # Capacity and backpressure
//
// Capacity is end to end. A sink has WithQueue(n) slots (DefaultQueue, 64): a message
// holds one from its acceptance (or its permit's Reserve) until libzmq has taken it.
// libzmq then buffers up to SNDHWM messages per peer pipe (and the peer up to its
// RCVHWM). So at most n messages wait in Go and n + SNDHWM per peer are in flight from
// the sender's side; when the peers lag, libzmq refuses (EAGAIN), the writer waits in
// the netpoller, the queue fills and Send and Reserve block. Nothing grows without
// bound: the only other memory a sink keeps is the per-message failures it has not yet
// reported, at most n messages (see SendError.Omitted).
//
// Whether a socket type waits at its HWM decides whether there is backpressure at all:
//
//   - PUSH, DEALER and PAIR wait: full backpressure. A PUSH or DEALER with no
//     connected peer waits too, so a sink on one fills up and blocks until a peer
//     connects. (REQ and REP wait as well, but only alternate sends and receives: a
//     second send without a receive fails with EFSM, a transport error that fails the
//     sink.)
//   - PUB and XPUB never wait: libzmq drops a message for every subscriber at its HWM
//     and for no subscriber at all, and tells nobody. The sink never blocks on them
//     and cannot see those drops; WithPeerTracking counts the messages sent while no
//     peer at all is connected (see Drops).
//   - XPUB with zmqevented.WithXPubNoDrop waits at a subscriber's HWM: real
//     backpressure. libzmq keeps reporting the socket writable meanwhile, so
//     zmqevented backs off on a timer (50 µs doubling to 5 ms) instead of spinning; a
//     sink stalled this way costs about 200 wake-ups a second (2–3 % of a core
//     measured here), not a core.
//   - ROUTER drops messages for unknown peers and for peers at their HWM. With
//     zmqevented.WithRouterMandatory it waits at a peer's HWM instead (with the same
//     back-off), and a message for an unknown peer fails with EHOSTUNREACH: the sink
//     counts it in Stats.Dropped and returns it from Flush or Close; the sink stays
//     usable.
//   - PULL and SUB cannot send: New refuses them.
//
// # Ordering
//
// All accepted messages are handed to libzmq in acceptance order, so one goroutine's
// messages keep the order of its Send calls (with permits: of its Permit.Send calls).
// Acceptance and the fast path share one lock: when nothing is queued and the writer
// holds nothing, Send hands the message to libzmq itself (zmqevented's TrySend), and
// queues it only if libzmq cannot take it now; while anything is queued, every new
// message goes behind it. A message that libzmq drops does not stop the ones after it.
//
// # Lifecycle
//
// New starts the writer goroutine; the Sink owns it, and Shutdown or Close stops it
// and waits. The socket stays the caller's unless WithCloseSocket(true).
//
// Shutdown is the graceful end: it stops accepting, flushes within its context, and
// only then stops the writer. Close is abrupt: Shutdown with no time to wait. Both
// return what they could not hand to libzmq in a *SendError: they are the only calls
// that can leave accepted messages unsent, and never silently. A second call of
// either returns ErrClosed. Closing the zmqevented.Context under a sink makes the
// sink fail with zmqevented.ErrClosed at its next send; shut the sink down first.
//
// # Delivery
//
// Flush and Shutdown mean "handed to libzmq", not "received": libzmq sends in the
// background, keeps trying for the socket's linger after it closes, and ZeroMQ drops
// what a peer has not received when the peer goes away or the socket closes under it
// (libzmq #4660, #3774). An application that must know waits for its peer's
// acknowledgement.
//
// # Drops
//
// Stats.Dropped counts the messages the sink knows libzmq dropped: those libzmq
// reports (a peer gone in the middle of a multipart message, zmqevented's
// ErrMessageDropped; no route for a ROUTER with ROUTER_MANDATORY) and, with
// WithPeerTracking on a PUB or XPUB, the messages libzmq took while the monitor counted
// no connected peer. The monitor sees tcp and ipc connections (ACCEPTED and CONNECTED
// up, DISCONNECTED down) but not inproc ones, nor connections made before the socket's
// monitor started (so make the sink before binding or connecting), and it learns of a connection a little after
// libzmq does; a connected peer that has not subscribed yet, or to other topics, counts
// as a peer. So with tracking, Dropped is exact for a PUB with no tcp or ipc peer and
// no inproc connection at all, and approximate around connects and disconnects. What
// no counter can see: a subscriber at its HWM (PUB/XPUB drop silently), a ROUTER
// without ROUTER_MANDATORY addressing an unknown peer, and messages already queued to
// a peer that disconnects.
//
// # Forwarding
//
// Forward, ForwardChan and ForwardSeq feed a sink from an rxgo Observable, a channel
// or an iterator with Sink.Send, so they wait whenever the sink is full and
// backpressure reaches the source. Returning nil means every message was accepted,
// not sent: Flush or Shutdown waits for the hand-off. When they stop early, what was
// accepted stays accepted and what the source has not produced stays with it; the one
// message they held when Send refused it comes back in a *SendError whose Err is
// Send's error (ErrClosed, the transport error, ctx's cause). The sink keeps each
// message's frames until sent, so a producer must not reuse their buffers. Several may
// feed one sink at once; their messages interleave.
//
// # Concurrency
//
// Every method of Sink and Permit is safe for concurrent use, and Forward,
// ForwardChan and ForwardSeq may run concurrently on one sink. Blocked callers park
// (on a channel or, for the writer, in the netpoller): a stalled sink uses no CPU
// beyond zmqevented's XPUB_NODROP/ROUTER_MANDATORY back-off. The sink calls no user
// code except a ForwardSeq iterator, and it does so outside its locks; panics there are
// not recovered. Other goroutines may receive on the socket while the sink sends on it
// (XPUB subscriptions, ROUTER traffic), but sending on it directly bypasses the sink's
// ordering and capacity.
//
// # Errors
//
// A Send or Permit.Send that returns an error did not accept the message it was given.
// Forward, ForwardChan and ForwardSeq stop at such a refusal and hand the message they
// had taken from their source back inside a *SendError, which matches the refusal's
// cause. Waiting calls cancelled by their context return context.Cause(ctx) and change
// nothing. After Close has begun every call returns
// ErrClosed (which also matches zmqevented.ErrClosed). TryReserve returns ErrFull
// (which matches syscall.EAGAIN); a permit used twice returns ErrPermitUsed.
//
// A transport error (anything libzmq reports other than EAGAIN and the per-message
// failures below: a closed socket, EFSM, ETERM, …) is sticky: the sink fails, Err
// returns it, every later Send, Reserve and Permit.Send returns it, and the messages
// still queued come back inside a *SendError from the next Flush or Close, counted in
// Stats.Failed. Failures that concern one message (zmqevented.ErrMessageDropped: the
// peer went away mid-message and libzmq discarded it, never leaving half a message to
// swallow the next one; syscall.EHOSTUNREACH from ROUTER_MANDATORY) are not sticky:
// the sink carries on, counts them in Stats.Dropped and returns the messages inside a
// *SendError from the next Flush or Close. Nothing accepted, and nothing a Forward took
// from its source, is ever lost silently.
package zmqsink
