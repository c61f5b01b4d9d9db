package reqrep

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
)

// Handler serves one request: it returns the reply's body frames (possibly none),
// or an error, which the Server sends back as an error reply (see "Wire format"). ctx
// ends when the request's time is up (WithRequestTimeout), when its peer disconnects,
// and when the Server is closed; a handler must return soon after. Handlers run
// concurrently, up to the Server's limit; panics in them are not recovered.
type Handler func(ctx context.Context, req *Request) ([][]byte, error)

// Request is one request a Server received. A handler may keep it and its frames.
type Request struct {
	// Envelope is the routing envelope: every frame up to and including the empty
	// delimiter, the requesting peer's routing ID first, then the IDs of any proxies
	// in between, then a Requester's correlation frame. The reply echoes it.
	Envelope [][]byte
	// Body is the request's frames after the envelope: at least one.
	Body [][]byte
	// Metadata holds the connection's properties, as zmqevented.Message.Metadata:
	// Peer-Address, Socket-Type, User-Id (from the ZAP handler) and the properties
	// named in WithRequestMetadata. Never nil.
	Metadata map[string]string

	fd int // the connection the request came on (for disconnects), or -1
}

// Peer returns the routing ID of the peer the request came from.
func (r *Request) Peer() []byte { return r.Envelope[0] }

// RemoteError is the error of a request whose server-side handler failed: the text
// of the handler's error, as carried back by an error reply.
type RemoteError struct {
	Message string
}

func (e *RemoteError) Error() string { return "reqrep: remote error: " + e.Message }

// remoteError turns the body of an error reply into the request's error.
func remoteError(body [][]byte) error {
	if len(body) == 2 && string(body[0]) == errorFrame {
		return &RemoteError{Message: string(body[1])}
	}
	return &RemoteError{Message: "malformed error reply"}
}

// ServerStats are a Server's counters.
type ServerStats struct {
	// Received counts the well-formed requests taken from the socket.
	Received uint64
	// Served counts the requests whose handler returned a reply, Failed those whose
	// handler returned an error (sent back as an error reply).
	Served, Failed uint64
	// Malformed counts the messages dropped for not being requests (no empty
	// delimiter, a short correlation frame, no body).
	Malformed uint64
	// Dropped counts the replies that could not be sent: their peer was gone
	// (ROUTER_MANDATORY's EHOSTUNREACH) or stayed at its HWM for the request's time.
	Dropped uint64
	// InFlight is the number of handlers running at the time of the call.
	InFlight int
}

// Server serves requests on a ROUTER socket, from Requesters and REQ clients alike
// (see "Server" in the package documentation). Its methods are goroutine-safe.
type Server struct {
	s       *zmqevented.Socket
	h       Handler
	log     *zap.Logger
	timeout time.Duration
	props   []string      // WithRequestMetadata
	slots   chan struct{} // one per running handler: WithMaxInFlight

	life     context.Context // the handlers' parent: cancelled by Close
	abort    context.CancelCauseFunc
	recv     context.Context // the receive loop's: cancelled by Shutdown and Close
	stopRecv context.CancelCauseFunc
	claim    *zmqevented.Claim // s's sends and receives are the Server's until it ends
	handlers sync.WaitGroup
	loopDone chan struct{}  // closed when Serve's loop has returned (or never ran)
	watcher  sync.WaitGroup // watchPeers
	finished sync.Once

	mu      sync.Mutex
	serving bool
	closed  bool
	peers   map[int]map[*handling]struct{} // running handlers by connection
	mon     *zmqevented.Monitor

	received, served, failed, malformed, dropped atomic.Uint64
	inFlight                                     atomic.Int64
}

// handling is one running handler: its request and the cancel of its ctx.
type handling struct {
	req    *Request
	cancel context.CancelCauseFunc
}

// ErrPeerGone is the cause of a handler's ctx when the requesting peer disconnected.
var ErrPeerGone = errors.New("reqrep: requesting peer disconnected")

// NewServer returns a Server for handler h on s, which must be a ROUTER socket. It
// sets ROUTER_MANDATORY on s, so that a reply to a peer at its HWM waits instead of
// vanishing, and subscribes to s's monitor to learn of disconnects; nothing runs
// until Serve. Options: WithMaxInFlight (handlers running at once, default
// DefaultMaxInFlight), WithRequestTimeout (each handler's time, default none),
// WithRequestMetadata and WithLogger. The socket stays the caller's: close it after the Server ends. It fails
// with an error matching ErrSocketType for another socket type, naming the option for
// an invalid or inapplicable one, or with the socket's error. It does not block.
func NewServer(s *zmqevented.Socket, h Handler, opts ...Option) (*Server, error) {
	if s == nil || h == nil {
		return nil, errors.New("reqrep: NewServer: nil socket or handler")
	}
	if t := s.Type(); t != zmq4.ROUTER {
		return nil, fmt.Errorf("%w: NewServer needs a ROUTER socket, got %v", ErrSocketType, t)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.retries != 0 {
		o.fail("WithRetryOnDisconnect applies to NewRequester only")
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	if err := s.With(func(raw *zmq4.Socket) error { return raw.SetRouterMandatory(1) }); err != nil {
		return nil, fmt.Errorf("reqrep: NewServer: set ROUTER_MANDATORY: %w", err)
	}
	claim, err := s.Claim("a reqrep.Server")
	if err != nil {
		return nil, fmt.Errorf("reqrep: NewServer: %w", err)
	}
	sv := &Server{
		s:        s,
		h:        h,
		log:      o.logger.Named("reqrep"),
		timeout:  o.timeout,
		props:    o.props,
		slots:    make(chan struct{}, o.maxInFlight),
		loopDone: make(chan struct{}),
		peers:    make(map[int]map[*handling]struct{}),
		claim:    claim,
	}
	sv.life, sv.abort = context.WithCancelCause(context.Background())
	sv.recv, sv.stopRecv = context.WithCancelCause(sv.life)
	sv.recv = claim.Context(sv.recv)
	mon, err := s.Monitor(sv.life, zmq4.EVENT_DISCONNECTED, monitorQueue)
	if err != nil {
		sv.abort(err)
		claim.Release()
		return nil, err
	}
	sv.mon = mon
	sv.watcher.Go(sv.watchPeers)
	return sv, nil
}

// Serve receives requests and runs the handler on each, up to WithMaxInFlight at
// once: at the limit it stops receiving, so the pressure lands on the socket's RCVHWM
// and then on the clients. It blocks until ctx ends (it then does what Close does and
// returns ctx's cause), until Shutdown or Close (it returns ErrClosed once the
// handlers are done), or until the socket fails (its error). Only one Serve may run;
// a second returns an error.
func (sv *Server) Serve(ctx context.Context) error {
	sv.mu.Lock()
	switch {
	case sv.closed:
		sv.mu.Unlock()
		return ErrClosed
	case sv.serving:
		sv.mu.Unlock()
		return errors.New("reqrep: Serve: already serving")
	}
	sv.serving = true
	sv.mu.Unlock()
	defer close(sv.loopDone)

	stop := context.AfterFunc(ctx, func() { sv.abort(context.Cause(ctx)) })
	defer stop()
	err := sv.loop()
	sv.handlers.Wait()
	if ctx.Err() != nil {
		sv.markClosed()
		sv.finish()
		return context.Cause(ctx)
	}
	return err
}

// loop is Serve's receive loop; it returns when receiving stops.
func (sv *Server) loop() error {
	for {
		select {
		case sv.slots <- struct{}{}:
		case <-sv.recv.Done():
			return ErrClosed
		}
		msg, err := sv.s.RecvMessage(sv.recv, sv.props...)
		if err != nil {
			<-sv.slots
			if sv.recv.Err() != nil {
				return ErrClosed
			}
			sv.log.Warn("server stopped: socket failed", zap.Error(err))
			sv.abort(err)
			return err
		}
		req, reason := parseRequest(msg.Frames)
		if reason != "" {
			<-sv.slots
			sv.malformed.Add(1)
			if ce := sv.log.Check(zap.WarnLevel, "malformed request dropped"); ce != nil {
				ce.Write(zap.String("reason", reason), zap.Int("frames", len(msg.Frames)))
			}
			continue
		}
		req.Metadata, req.fd = msg.Metadata, msg.Conn
		sv.received.Add(1)
		sv.start(req)
	}
}

// start runs the handler for req on a goroutine of the Server's.
func (sv *Server) start(req *Request) {
	ctx, cancel := context.WithCancelCause(sv.life)
	hd := &handling{req: req, cancel: cancel}
	sv.track(hd, true)
	sv.handlers.Add(1)
	sv.inFlight.Add(1)
	go func() {
		defer sv.handlers.Done()
		defer func() { <-sv.slots }()
		defer sv.inFlight.Add(-1)
		defer sv.track(hd, false)
		defer cancel(nil)
		hctx := ctx
		if sv.timeout > 0 {
			var stop context.CancelFunc
			hctx, stop = context.WithTimeoutCause(ctx, sv.timeout, zmqfuture.ErrTimeout)
			defer stop()
		}
		body, err := sv.h(hctx, req)
		sv.reply(hctx, req, body, err)
	}()
}

// reply sends the handler's reply, or its error as an error reply, to the request's
// peer: bounded by the request's ctx while it lasts, else one try.
func (sv *Server) reply(ctx context.Context, req *Request, body [][]byte, err error) {
	env := req.Envelope
	if err != nil {
		sv.failed.Add(1)
		body = [][]byte{[]byte(errorFrame), []byte(err.Error())}
		if n := len(env); n >= 3 && isCorrelation(env[n-2]) {
			env = append([][]byte(nil), env...)
			env[n-2] = append([]byte{errMagic}, env[n-2][1:]...)
		}
	} else {
		sv.served.Add(1)
	}
	msg := make([][]byte, 0, len(env)+len(body))
	msg = append(append(msg, env...), body...)
	var sendErr error
	switch {
	case sv.life.Err() != nil:
		sendErr = context.Cause(sv.life) // closed: replies are abandoned
	case ctx.Err() == nil:
		sendErr = sv.claim.Send(ctx, msg...)
	default:
		sendErr = sv.claim.TrySend(msg...) // the request's time is up: one try
	}
	if sendErr == nil {
		return
	}
	sv.dropped.Add(1)
	if errors.Is(sendErr, syscall.EHOSTUNREACH) {
		if ce := sv.log.Check(zap.DebugLevel, "reply dropped: peer gone"); ce != nil {
			ce.Write(zap.Binary("peer", req.Peer()))
		}
		return
	}
	if ce := sv.log.Check(zap.DebugLevel, "reply dropped"); ce != nil {
		ce.Write(zap.Binary("peer", req.Peer()), zap.Error(sendErr))
	}
}

// track adds or removes a running handler in the table by connection.
func (sv *Server) track(hd *handling, add bool) {
	if hd.req.fd < 0 {
		return
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	set := sv.peers[hd.req.fd]
	if add {
		if set == nil {
			set = make(map[*handling]struct{})
			sv.peers[hd.req.fd] = set
		}
		set[hd] = struct{}{}
		return
	}
	delete(set, hd)
	if len(set) == 0 {
		delete(sv.peers, hd.req.fd)
	}
}

// watchPeers cancels the handlers of a connection that went away.
func (sv *Server) watchPeers() {
	for ev := range sv.mon.C() {
		if ev.Event != zmq4.EVENT_DISCONNECTED {
			continue
		}
		sv.mu.Lock()
		set := sv.peers[int(ev.Value)]
		delete(sv.peers, int(ev.Value))
		sv.mu.Unlock()
		for hd := range set {
			hd.cancel(ErrPeerGone)
		}
	}
}

// Shutdown stops receiving, lets the running handlers finish and their replies go
// out, bounded by ctx, then returns nil; if ctx ends first it does what Close does and
// returns ctx's cause. Requests still queued in the socket stay there. A second call,
// or one after Close, returns ErrClosed.
func (sv *Server) Shutdown(ctx context.Context) error {
	if !sv.markClosed() {
		return ErrClosed
	}
	sv.stopRecv(ErrClosed)
	done := make(chan struct{})
	go func() {
		sv.wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		sv.abort(ErrClosed)
		<-done
		return context.Cause(ctx)
	}
}

// Close stops receiving and cancels every running handler's ctx (their replies are
// abandoned), and waits for them. A second call, or one after Shutdown, returns
// ErrClosed.
func (sv *Server) Close() error {
	if !sv.markClosed() {
		return ErrClosed
	}
	sv.abort(ErrClosed)
	sv.wait()
	return nil
}

func (sv *Server) markClosed() bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.closed {
		return false
	}
	sv.closed = true
	if !sv.serving {
		close(sv.loopDone) // Serve never ran and never will
	}
	return true
}

// wait waits for the receive loop and the handlers, then finishes.
func (sv *Server) wait() {
	<-sv.loopDone
	sv.handlers.Wait()
	sv.finish()
}

// finish ends the monitor subscription and waits for the peer watcher, once.
func (sv *Server) finish() {
	sv.finished.Do(func() {
		_ = sv.mon.Close()
		sv.watcher.Wait()
		sv.claim.Release()
		sv.abort(ErrClosed)
		sv.log.Debug("server stopped")
	})
}

// Stats returns the Server's counters. It does not block.
func (sv *Server) Stats() ServerStats {
	return ServerStats{
		Received:  sv.received.Load(),
		Served:    sv.served.Load(),
		Failed:    sv.failed.Load(),
		Malformed: sv.malformed.Load(),
		Dropped:   sv.dropped.Load(),
		InFlight:  int(sv.inFlight.Load()),
	}
}

// parseRequest splits a message received on the ROUTER into envelope and body.
// reason is empty for a request, else why it is not one.
func parseRequest(msg [][]byte) (*Request, string) {
	for i, f := range msg {
		if len(f) != 0 {
			continue
		}
		switch {
		case i == 0:
			return nil, "no routing ID before the delimiter"
		case i+1 == len(msg):
			return nil, "no body after the delimiter"
		case i >= 2 && msg[i-1][0] == corrMagic && len(msg[i-1]) != corrLen:
			return nil, reasonCorrLen
		}
		return &Request{Envelope: msg[: i+1 : i+1], Body: msg[i+1:], fd: -1}, ""
	}
	return nil, "no empty delimiter"
}
