// Package zmqevented joins libzmq sockets to the Go runtime's netpoller: a
// goroutine-safe Socket whose Send and Recv take a context.Context and, when they must
// wait, park the goroutine instead of blocking an OS thread inside libzmq.
//
// It is the readiness layer of zmqasync, the role mio plays for tokio. Each socket's
// ZMQ_FD (an edge-triggered doorbell that rings when libzmq has commands for the socket,
// not when a message arrives) is duplicated and registered with the runtime poller; a
// waiting call asks ZMQ_EVENTS, the only truth about readiness, before every park, so no
// wake-up is lost. The hot path is one mutex plus one non-blocking cgo call per message
// (see Performance); nothing runs for a socket nobody waits on.
//
//	ctx, _ := zmqevented.NewContext()
//	defer ctx.Close()
//	pull, _ := ctx.NewSocket(zmq4.PULL)
//	_ = pull.Bind("tcp://127.0.0.1:5555")
//	msg, err := pull.Recv(reqCtx) // [][]byte, one whole multipart message
//
// # Lifecycle
//
// A Context owns its own libzmq context (never pebbe/zmq4's default one) and every Socket
// made from it. Socket.Close is abrupt: pending calls return ErrClosed at once and libzmq
// keeps delivering what is queued for the socket's linger (DefaultLinger, 1 s, unless
// WithLinger says otherwise) in the background. Context.Close closes every socket and
// then waits for libzmq to terminate, at most the longest linger. ZeroMQ does not promise
// that messages queued when a socket closes reach the peer (libzmq #4660): a sender that
// must know waits for an application-level acknowledgement before closing.
//
// Wrap adopts a *zmq4.Socket made elsewhere; its context stays the caller's to terminate.
//
// # Concurrency
//
// Every method of Context and Socket is safe for concurrent use. Any number of goroutines
// may Send and Recv on one Socket at once: each call moves one whole multipart message
// (SendMany and RecvMany a batch of whole messages), every message is received exactly
// once, and one goroutine's messages are sent in the order it sent them. Waiting
// goroutines hold no OS thread. At most one goroutine per socket sits in the poller (the
// leader); the others wait on a channel, and no goroutine runs for an idle socket. With
// runs a function with exclusive access to the underlying zmq4.Socket and must not call
// back into the Socket.
//
// A socket has one monitor and one owner of its messages at most. Monitor subscribes
// to the one libzmq monitor, which fans its events out to any number of subscribers.
// Claim gives one owner (a reqrep.Requester or Server) the socket's sends and
// receives: anyone else's fail with ErrClaimed instead of stealing its messages.
//
// Cancellation never loses a message: a call cancelled by its context has taken nothing
// from libzmq (a cancelled Recv leaves the message for the next Recv; a cancelled Send
// sent nothing, and a Send that returned nil sent the whole message; a cancelled
// SendMany returns how many messages it sent).
//
// # Errors
//
// Calls cancelled by their context return context.Cause(ctx), so
// errors.Is(err, context.Canceled) or context.DeadlineExceeded holds. Calls on a closed
// socket or context return ErrClosed; TrySend and TryRecv return ErrWouldBlock, which
// matches syscall.EAGAIN. libzmq failures are *OpError values naming the operation and
// endpoint; errors.Is sees through them to the errno (syscall.EADDRINUSE,
// syscall.EPROTONOSUPPORT, zmq4.EFSM, …). Invalid options are errors from NewContext,
// NewSocket and Wrap, never panics.
//
// Linux is supported. Elsewhere the package builds, and NewContext and Wrap return
// ErrUnsupportedPlatform.
//
// # Peers and liveness
//
// A socket's monitor (Socket.Monitor) tells of its connections: with PeerEventMask, of
// peers coming and going; WaitConnected waits for the first connection.
// The monitor sees connections made after it started only. TCP notices a peer that
// vanished (a cable pulled, a host down) only after minutes; ZMTP heartbeats
// (WithHeartbeatInterval, WithHeartbeatTimeout, WithHeartbeatTTL) drop such a
// connection within the timeout, which shows as EVENT_DISCONNECTED, and a connecting
// socket then reconnects (WithReconnectInterval, WithReconnectIntervalMax,
// WithConnectTimeout). Options that take a time.Duration count what libzmq counts
// (milliseconds, seconds for the TCP keepalive ones) and reject what would round to 0.
//
// Socket.RecvMessage returns a message with its connection's metadata: the peer's
// socket type, address and routing ID, the user the ZAP handler let in (WithAuth) and
// the application properties the peer set with WithMetadata. Its Conn is the
// connection's file descriptor, the Value of the monitor's events for that connection,
// so that a server can drop the work of a peer once its DISCONNECTED event comes (the
// number is reused by later connections). Over inproc there is neither. On
// pebbe/zmq4's calls (see Performance) Conn is -1, and WithMetadata, which pebbe/zmq4
// cannot set, fails.
//
// # Multicast
//
// PUB and XPUB publish, SUB and XSUB subscribe, over multicast endpoints, if libzmq was
// built with OpenPGM and NORM (zmq4.HasPgm, zmq4.HasNorm; Debian's is):
//
//	epgm://10.0.0.1;239.192.1.1:5555      PGM over UDP: interface address;group:port
//	pgm://10.0.0.1;239.192.1.1:5555       PGM over raw IP (needs CAP_NET_RAW)
//	norm://7,eth0;239.192.1.1:5555        NORM: [node ID,][interface;]group:port
//
// Every end Connects (Bind does the same) to the group. For PGM, give the interface's
// address: OpenPGM looks a name up as a host name first, and when no DNS server
// answers it fails and Connect returns EINVAL. PGM does not deliver to receivers on
// the sending host (libzmq turns multicast loop off); NORM does, to other processes
// (two NORM sockets of one process did not always reach each other in our tests). No
// subscriptions go upstream: every topic reaches every subscribing host, and its SUB
// filters; an XPUB receives no subscriptions and the monitor reports no connections.
// A sender sends at most WithMulticastRate (ZMQ_RATE, default 100 kbit/s); what it
// cannot send yet waits in SNDHWM, beyond which a PUB drops (an XPUB with
// WithXPubNoDrop waits). A PGM sender keeps what it sent for WithRecoveryInterval
// (ZMQ_RECOVERY_IVL, 10 s), so that receivers can have lost packets again;
// WithMulticastHops (1) is the TTL. libzmq 4.3.4's PGM receiver aborts the process
// ("Resource temporarily unavailable (src/pgm_receiver.cpp:131)") when multipart
// messages find the SUB at its RCVHWM: over pgm and epgm, send single-frame messages
// or give the SUB WithRecvHWM(0).
//
// # Performance
//
// pebbe/zmq4 makes several cgo calls per frame. Send, Recv, RecvMessage, TrySend and
// TryRecv instead move a whole message in one cgo call, and SendMany and RecvMany a
// batch of messages, through the package's own cgo code on the libzmq socket inside the
// zmq4.Socket.
// pebbe/zmq4 keeps that handle private: each socket reads it and checks that ZMQ_TYPE
// and ZMQ_FD read through it equal pebbe/zmq4's answers, and otherwise (a pebbe/zmq4
// with another layout) keeps to pebbe/zmq4's calls, which behave the same, only slower;
// the debug log says which. With runs on the zmq4.Socket either way.
//
// The frames that one receive takes share one allocation of at most 64 KiB (a larger
// frame has its own): keeping any of them keeps that whole block alive, so copy out the
// frames that are kept long. A send copies frames of up to 4 KiB and passes larger ones
// to libzmq in place.
package zmqevented
