// Package reqrep is request/reply over zmqevented sockets: the pipelined [Requester]
// (the client half, futures of replies), the [Server] (the server half, handlers on a
// ROUTER), the one correlation wire format they speak, and socket futures ([Recv],
// [Send], [Call]).
//
//	server, _ := reqrep.NewServer(router, func(ctx context.Context, req *reqrep.Request) ([][]byte, error) {
//		return price(ctx, req.Body)
//	})
//	go server.Serve(ctx)
//
//	r, _ := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(64))
//	defer r.Close()
//	reply, err := r.Request(ctx, []byte("price?")).Await(ctx)
//
// # Socket futures
//
// [Recv], [Send] and [Call] turn one operation on a [zmqevented.Socket] into a
// future. When the operation can complete at once (a message is queued, libzmq takes
// the message) the future is settled before the call returns and no goroutine is
// started; otherwise one goroutine owned by the future makes the blocking call with a
// context that [zmqfuture.Future.Cancel] cancels, and ends when the call returns. A
// cancelled Recv or Send has taken or sent nothing. A REQ socket alternates strictly
// between send and receive, so a Call cancelled while it awaits its reply leaves
// the socket awaiting it; use a [Requester], or a fresh socket per abandoned request.
//
// # Lifecycle
//
// A [Requester] owns its DEALER socket from [NewRequester] until [Requester.Close],
// which fails the requests in flight with [ErrClosed], closes the socket and waits
// for the Requester's goroutines: one receives the replies, one watches the socket's
// connections, and with [WithRetryOnDisconnect] one sends lost requests again.
//
// # Peer loss
//
// A Requester watches its socket's connections through zmqevented's monitor, so that
// no request waits for a reply from a peer that is gone. When a peer's connection
// goes away, the replies that had already arrived are delivered, then every request
// still pending fails at once with [ErrPeerLost] (all of them: a DEALER cannot tell
// which peer holds which request). The server may have done the work; a request libzmq
// still held for the peer reaches it when it reconnects (its reply is then dropped).
// With [WithRetryOnDisconnect] the pending requests are sent again once a peer is
// connected, up to a limit: at-least-once delivery. Later requests wait for a peer as
// usual, libzmq reconnecting by itself.
//
// What it cannot see: a peer that vanishes without closing its connection is noticed
// only through ZMTP heartbeats or TCP keepalives; inproc connections report no
// disconnects; and a DEALER that binds (or has ZMQ_IMMEDIATE) discards the queue of a
// lost connection, so a request sent in the instant of the disconnect can vanish
// without an event. ctx and [WithRequestTimeout] remain the last bound on every
// request.
//
// # Wire format
//
// ZeroMQ's request-reply envelope with a correlation frame in it, the layout libzmq's
// ZMQ_REQ_CORRELATE uses, so a server in any language can answer:
//
//	DEALER sends     [correlation, "", body…]
//	ROUTER receives  [peer, correlation, "", body…]
//	ROUTER replies   [peer, correlation, "", reply…]
//	DEALER receives  [correlation, "", reply…]  → the future's value is [reply…]
//
// The correlation frame is 9 bytes: 0x5A (the format's magic and version), then the
// request's ID as a big-endian uint64. IDs are consecutive from a random start for each
// Requester and never reused by it. "" is the empty delimiter; the body has at least
// one frame, the reply may have none. A server echoes the envelope, every frame up to
// and including the first empty one, then appends its reply, as every ROUTER server
// following the ZeroMQ guide does; a REP socket does it by itself, and ROUTER-DEALER
// proxies pass the format through. Replies may come in any order.
//
// A hand-written ROUTER server must set ROUTER_MANDATORY: without it libzmq silently
// drops a reply to a peer whose pipe is full, and a Requester keeping more than about
// half a ROUTER's SNDHWM in flight then loses replies (they end as timeouts). This is
// why [DefaultMaxInFlight] stays below the default SNDHWM. The [Server] sets it.
//
// An error reply carries a handler's error: its correlation frame starts with 0x5B
// instead of 0x5A, and its body is two frames, "reqrep.error" and the error's text. A
// Requester fails the request's future with a [*RemoteError]; a REQ client (which has
// no correlation frame) receives the same two body frames.
//
// A reply not in this format (fewer than two frames, a correlation frame of another
// length or magic, a non-empty second frame) is dropped, counted in [Stats].Malformed
// and logged at warn level. A well-formed reply whose request is no longer pending
// (cancelled, timed out, lost, already answered, or never sent by this Requester) is
// dropped and counted in [Stats].Dropped; it never reaches another request.
//
// # Server
//
// A [Server] serves a [Handler] on a ROUTER socket, for Requesters and REQ clients at
// once: it tells their envelopes apart per message (everything up to the empty
// delimiter is echoed; a Requester's correlation frame sits just before it). It runs
// up to [WithMaxInFlight] handlers at once and stops receiving at that limit, so the
// pressure lands on the socket's RCVHWM and then on the clients. Replies are sent with
// ROUTER_MANDATORY: a reply to a peer at its HWM waits, bounded by the request's ctx; a
// reply to a peer that is gone is dropped and counted ([ServerStats].Dropped). A
// handler's ctx ends when its time is up ([WithRequestTimeout]), when its peer's tcp
// or ipc connection goes away (cause [ErrPeerGone]; the Server matches each request to
// its connection, and the socket's monitor reports the loss) and on Close. A
// [Request] carries its envelope, its body and its connection's metadata. Messages that are not requests (no
// delimiter, a short correlation frame, no body) are dropped and counted.
// [Server.Serve] runs until its ctx ends or Close; [Server.Shutdown] stops receiving
// and lets the running handlers finish and their replies go out; [Server.Close]
// cancels them. The socket stays the caller's.
//
// # Concurrency
//
// Every function and method is safe for concurrent use. The continuations of a
// Requester's futures run on its receiving goroutine and delay every other reply while
// they run: they must be short, must not block, and must not call Request or Close
// (start those from another goroutine, for instance inside [zmqfuture.Go]).
//
// # Errors
//
// Socket futures report the socket's errors unchanged ([zmqevented.ErrClosed],
// *zmqevented.OpError, …) and the cause of their context. A Requester's requests fail
// with [ErrClosed] after Close (it matches zmqevented.ErrClosed), with the socket's
// error if the socket fails, with [zmqfuture.ErrTimeout] when [WithRequestTimeout]
// runs out, and with an error matching [ErrPeerLost] (naming the endpoint) when their
// peer's connection went away. The wrong socket type is [ErrSocketType]. Sentinel
// messages start with "reqrep: " and are frozen; compare with [errors.Is].
package reqrep
