package zmqevented

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// ErrProxyRunning is returned by Proxy.Run when another Run of the same Proxy has not
// returned yet.
var ErrProxyRunning = errors.New("zmqevented: proxy already running")

// errPaused ends the calls in flight when a Proxy pauses; they are retried on resume.
var errPaused = errors.New("zmqevented: proxy paused")

// Proxy forwards whole messages between two Sockets, as libzmq's zmq_proxy_steerable
// does, with goroutines parked in the netpoller instead of a thread in zmq_poll. It
// forwards from the frontend to the backend when the frontend can receive and the
// backend send (PULL→PUSH, SUB→PUB, ROUTER→DEALER), and back too when the backend can
// receive and the frontend send (replies to a ROUTER, subscriptions from an XPUB to an
// XSUB). Each direction holds at most one message: a slow receiver slows the sender
// through libzmq's HWMs, and nothing queues in Go.
//
// A Proxy does not own its sockets, and no other goroutine should receive from them
// while it runs. Its methods are safe for concurrent use; Run runs once at a time.
type Proxy struct {
	front, back *Socket
	capture     *Socket // nil without WithCapture
	control     *Socket // nil without WithControl
	log         *zap.Logger
	dirs        []*direction

	stats [8]atomic.Uint64 // in libzmq's STATISTICS order, see ProxyStats.frames

	pauseMu sync.Mutex // serializes Pause and Resume, held while Pause waits

	mu      sync.Mutex // guards the fields below
	running bool
	paused  bool
	resumed chan struct{} // closed by Resume; replaced by Pause
	ep      *epoch        // the current run of forwarding; nil while paused or stopped
}

// epoch is one stretch of forwarding between a Run's start or a Resume and the next
// Pause or the end of the Run. Pause cancels it and waits for the directions using it.
type epoch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	users  sync.WaitGroup
}

// direction is one way through the proxy and the message it holds between receiving
// and sending, kept across pauses and Runs so that nothing is lost.
type direction struct {
	from, to         *Socket
	fromName, toName string
	in, out          int // indexes into Proxy.stats of the from side's in and to side's out counters

	held     [][]byte // received, not yet sent; nil if none
	captured bool     // held has gone to the capture socket
}

// Counter indexes in libzmq's STATISTICS order.
const (
	statFrontIn = iota * 2
	statFrontOut
	statBackIn
	statBackOut
)

// ProxyStats are a Proxy's counters since NewProxy, those libzmq's STATISTICS command
// reports. A multipart message counts once and its bytes are the sum of its frames'
// sizes, as in libzmq 4.3.4 (later versions count frames).
type ProxyStats struct {
	Frontend, Backend ProxyCounts
}

// ProxyCounts count what a Proxy received from and sent to one of its sockets.
type ProxyCounts struct {
	MessagesIn, BytesIn   uint64 // received from the socket
	MessagesOut, BytesOut uint64 // sent to the socket, after libzmq took it
}

// frames returns the reply to STATISTICS: eight uint64 frames in native byte order,
// frontend in, frontend out, backend in, backend out, each as messages then bytes.
func (s ProxyStats) frames() [][]byte {
	v := [8]uint64{
		s.Frontend.MessagesIn, s.Frontend.BytesIn, s.Frontend.MessagesOut, s.Frontend.BytesOut,
		s.Backend.MessagesIn, s.Backend.BytesIn, s.Backend.MessagesOut, s.Backend.BytesOut,
	}
	buf := make([]byte, 8*len(v))
	frames := make([][]byte, len(v))
	for i, x := range v {
		frames[i] = binary.NativeEndian.AppendUint64(buf[8*i:8*i], x)
	}
	return frames
}

// proxyOptions are the settings of NewProxy.
type proxyOptions struct {
	capture, control *Socket
}

// proxyOption is an Option that only NewProxy takes; given to NewContext, NewSocket or
// Wrap it is an error.
type proxyOption struct {
	name string
	set  func(*proxyOptions)
}

func (p proxyOption) apply(o *options) {
	o.fail("%s is an option of NewProxy, not of a Context or Socket", p.name)
}

// WithCapture makes the proxy send a copy of every message it forwards to capture,
// before forwarding it, in the order each direction forwards them. capture must be able
// to send (PUB, PUSH, PAIR, DEALER, …; not REQ or REP); one that cannot take a message
// slows the proxy as a slow backend does, unless it drops at its HWM as PUB does.
// Default: none. Only valid for NewProxy.
func WithCapture(capture *Socket) Option {
	return proxyOption{name: "WithCapture", set: func(o *proxyOptions) { o.capture = capture }}
}

// WithControl makes the proxy obey libzmq's control protocol (zmq_proxy_steerable(3))
// on control, a REP, PAIR or SUB socket: the one-frame commands "PAUSE", "RESUME",
// "TERMINATE" (Run returns nil) and "STATISTICS", answered with the eight counters of
// ProxyStats as eight uint64 frames in native byte order. A REP socket answers every
// other command with an empty frame, as libzmq 4.3.5 does; a SUB socket cannot answer
// STATISTICS. Unknown commands are logged and ignored. Default: none. Only valid for
// NewProxy.
func WithControl(control *Socket) Option {
	return proxyOption{name: "WithControl", set: func(o *proxyOptions) { o.control = control }}
}

// proxyRecv and proxySend hold the socket types a proxy may receive from and send to.
// REQ and REP are left out: their lockstep needs the one-socket poll loop of
// zmq_proxy, not a goroutine per direction; put ROUTER and DEALER in front of them.
var (
	proxyRecv = map[zmq4.Type]bool{
		zmq4.PAIR: true, zmq4.SUB: true, zmq4.XSUB: true, zmq4.XPUB: true,
		zmq4.DEALER: true, zmq4.ROUTER: true, zmq4.PULL: true, zmq4.STREAM: true,
	}
	proxySend = map[zmq4.Type]bool{
		zmq4.PAIR: true, zmq4.PUB: true, zmq4.XPUB: true, zmq4.XSUB: true,
		zmq4.DEALER: true, zmq4.ROUTER: true, zmq4.PUSH: true, zmq4.STREAM: true,
	}
)

// NewProxy makes a Proxy between frontend and backend, which may be the same socket
// (it then forwards from the socket to itself). It takes WithCapture, WithControl and
// WithLogger (the proxy logs under "zmqevented.proxy"); socket options, socket types
// with nothing to forward, a capture or control socket of the wrong type, or one socket
// in two roles are errors. It does not block and starts nothing: Run forwards.
func NewProxy(frontend, backend *Socket, opts ...Option) (*Proxy, error) {
	if frontend == nil || backend == nil {
		return nil, errors.New("zmqevented: NewProxy: nil frontend or backend")
	}
	var po proxyOptions
	o := defaultOptions()
	for _, opt := range opts {
		switch opt := opt.(type) {
		case nil:
		case proxyOption:
			opt.set(&po)
		default:
			opt.apply(&o)
		}
	}
	if o.linger != DefaultLinger || o.ioThreads != 0 || o.maxSockets != 0 || o.auth != nil || len(o.sockopts) > 0 {
		o.fail("NewProxy takes WithLogger, WithCapture and WithControl; socket and context options belong to NewSocket and NewContext")
	}
	ft, bt := frontend.Type(), backend.Type()
	p := &Proxy{
		front:   frontend,
		back:    backend,
		capture: po.capture,
		control: po.control,
		log:     o.logger.Named("zmqevented").Named("proxy"),
		resumed: make(chan struct{}),
	}
	if proxyRecv[ft] && proxySend[bt] {
		p.dirs = append(p.dirs, &direction{from: frontend, to: backend, fromName: "frontend", toName: "backend", in: statFrontIn, out: statBackOut})
	}
	if frontend != backend && proxyRecv[bt] && proxySend[ft] {
		p.dirs = append(p.dirs, &direction{from: backend, to: frontend, fromName: "backend", toName: "frontend", in: statBackIn, out: statFrontOut})
	}
	if len(p.dirs) == 0 {
		o.fail("NewProxy: nothing to forward between a %v frontend and a %v backend (REQ and REP need a ROUTER or DEALER in front)", ft, bt)
	}
	if c := po.capture; c != nil {
		if !proxySend[c.Type()] {
			o.fail("WithCapture: a %v socket cannot take the copies; use PUB, PUSH, PAIR or DEALER", c.Type())
		}
		if c == frontend || c == backend {
			o.fail("WithCapture: the capture socket is the frontend or backend")
		}
	}
	if c := po.control; c != nil {
		if t := c.Type(); t != zmq4.REP && t != zmq4.PAIR && t != zmq4.SUB {
			o.fail("WithControl: the control socket must be REP, PAIR or SUB, not %v", t)
		}
		if c == frontend || c == backend || c == po.capture {
			o.fail("WithControl: the control socket has another role in the proxy")
		}
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Run forwards until ctx is done and then returns context.Cause(ctx) promptly, the
// goroutines it started ended. It returns nil after TERMINATE on the control socket, an
// error matching ErrClosed when one of the proxy's sockets is closed, an *OpError when
// one fails, and ErrProxyRunning while another Run runs. Messages move whole. A message
// held when Run returns goes first on the next Run (lost if there is none); the rest
// wait in libzmq. Pause state and counters carry over from one Run to the next.
func (p *Proxy) Run(ctx context.Context) error {
	mustContext(ctx, "Proxy.Run")
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return ErrProxyRunning
	}
	p.running = true
	p.mu.Unlock()
	if ctx.Err() != nil {
		p.stopped()
		return context.Cause(ctx)
	}
	p.log.Debug("proxy running", zap.Int("directions", len(p.dirs)), zap.Bool("paused", p.Paused()))

	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var (
		wg       sync.WaitGroup
		failOnce sync.Once
		failure  error
	)
	fail := func(err error) {
		failOnce.Do(func() { failure = err })
		stop(err)
	}
	for _, d := range p.dirs {
		wg.Go(func() {
			if err := p.pump(runCtx, d); err != nil {
				fail(err)
			}
		})
	}
	if p.control != nil {
		wg.Go(func() {
			if err := p.serveControl(runCtx, stop); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	p.stopped()

	switch {
	case ctx.Err() != nil:
		p.log.Debug("proxy stopped", zap.Error(context.Cause(ctx)))
		return context.Cause(ctx)
	case failure != nil:
		p.log.Debug("proxy failed", zap.Error(failure))
		return failure
	}
	p.log.Debug("proxy terminated by its control socket")
	return nil
}

// stopped marks Run as returned and drops its epoch.
func (p *Proxy) stopped() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ep != nil {
		p.ep.cancel(nil)
		p.ep = nil
	}
	p.running = false
}

// Pause stops forwarding: once it returns nothing is forwarded until Resume, and
// messages wait in libzmq up to the HWMs. It waits only for the sends and receives in
// flight to give up, which they do at once; a held message stays held. Pausing a paused
// proxy does nothing; a proxy paused while Run is not running starts the next Run paused.
func (p *Proxy) Pause() {
	p.pauseMu.Lock()
	defer p.pauseMu.Unlock()
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		return
	}
	p.paused = true
	p.resumed = make(chan struct{})
	ep := p.ep
	p.ep = nil
	p.mu.Unlock()
	if ep != nil {
		ep.cancel(errPaused)
		ep.users.Wait()
	}
	p.log.Debug("proxy paused")
}

// Resume undoes Pause: the proxy forwards again, starting with the messages it held.
// Resuming a proxy that is not paused does nothing. It does not block.
func (p *Proxy) Resume() {
	p.pauseMu.Lock()
	defer p.pauseMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused {
		return
	}
	p.paused = false
	close(p.resumed)
	p.log.Debug("proxy resumed")
}

// Paused reports whether the proxy is paused.
func (p *Proxy) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// Stats returns the counters since NewProxy. It does not block. While the proxy
// forwards, the counters are read one after the other, not as one snapshot.
func (p *Proxy) Stats() ProxyStats {
	var v [8]uint64
	for i := range v {
		v[i] = p.stats[i].Load()
	}
	return ProxyStats{
		Frontend: ProxyCounts{MessagesIn: v[0], BytesIn: v[1], MessagesOut: v[2], BytesOut: v[3]},
		Backend:  ProxyCounts{MessagesIn: v[4], BytesIn: v[5], MessagesOut: v[6], BytesOut: v[7]},
	}
}

// acquire waits until the proxy is not paused and returns the current epoch, made from
// ctx if there is none, with one more user. It returns an error only when ctx is done.
func (p *Proxy) acquire(ctx context.Context) (*epoch, error) {
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p.mu.Lock()
		if !p.paused {
			if p.ep == nil {
				ep := &epoch{}
				ep.ctx, ep.cancel = context.WithCancelCause(ctx)
				p.ep = ep
			}
			ep := p.ep
			ep.users.Add(1)
			p.mu.Unlock()
			return ep, nil
		}
		resumed := p.resumed
		p.mu.Unlock()
		select {
		case <-resumed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// pump runs direction d until ctx is done (then it returns nil) or a socket fails.
func (p *Proxy) pump(ctx context.Context, d *direction) error {
	for {
		ep, err := p.acquire(ctx)
		if err != nil {
			return nil
		}
		err = p.forward(ep.ctx, d)
		ep.users.Done()
		if ep.ctx.Err() != nil {
			continue // paused, or ctx is done and acquire says so
		}
		return err
	}
}

// forward moves messages one by one along d until ctx is done or a socket fails. It
// counts a message in when it has it and out when libzmq has taken it.
func (p *Proxy) forward(ctx context.Context, d *direction) error {
	for {
		if d.held == nil {
			msg, err := d.from.Recv(ctx)
			if err != nil {
				return proxyError("recv", d.fromName, err)
			}
			d.held, d.captured = msg, p.capture == nil
			p.count(d.in, msg)
		}
		if !d.captured {
			if err := p.capture.Send(ctx, d.held...); err != nil {
				if !dropped(err) {
					return proxyError("send", "capture", err)
				}
				p.log.Warn("proxy: capture dropped a message", zap.Error(err))
			}
			d.captured = true
		}
		if err := d.to.Send(ctx, d.held...); err != nil {
			if !dropped(err) {
				return proxyError("send", d.toName, err)
			}
			p.log.Warn("proxy: message dropped", zap.String("from", d.fromName), zap.String("to", d.toName), zap.Error(err))
		} else {
			p.count(d.out, d.held)
		}
		d.held = nil
	}
}

// count adds msg to the message and byte counters at i and i+1.
func (p *Proxy) count(i int, msg [][]byte) {
	n := 0
	for _, f := range msg {
		n += len(f)
	}
	p.stats[i].Add(1)
	p.stats[i+1].Add(uint64(n))
}

// dropped reports whether a send failed for this message only: libzmq discarded it
// (the peer went away mid-message, or ROUTER_MANDATORY found no such peer) and the
// socket goes on.
func dropped(err error) bool {
	return errors.Is(err, ErrMessageDropped) || errors.Is(err, syscall.EHOSTUNREACH)
}

// proxyError names the proxy's side in err; cancellation passes through unchanged.
func proxyError(op, side string, err error) error {
	var oe *OpError
	if errors.As(err, &oe) {
		return &OpError{Op: "proxy " + oe.Op + " " + side, Endpoint: oe.Endpoint, Err: oe.Err}
	}
	if errors.Is(err, ErrClosed) {
		return &OpError{Op: "proxy " + op + " " + side, Err: err}
	}
	return err
}

// serveControl answers commands on the control socket until ctx is done (then it
// returns nil) or the socket fails; TERMINATE calls terminate.
func (p *Proxy) serveControl(ctx context.Context, terminate context.CancelCauseFunc) error {
	typ := p.control.Type()
	for {
		msg, err := p.control.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return proxyError("recv", "control", err)
		}
		cmd := ""
		if len(msg) == 1 {
			cmd = string(msg[0])
		}
		p.log.Debug("proxy control", zap.String("command", cmd), zap.Int("frames", len(msg)))
		var reply [][]byte
		switch cmd {
		case "PAUSE":
			p.Pause()
		case "RESUME":
			p.Resume()
		case "TERMINATE":
		case "STATISTICS":
			reply = p.Stats().frames()
		default:
			p.log.Warn("proxy: unknown control command ignored", zap.ByteStrings("message", msg))
		}
		if reply == nil && typ == zmq4.REP {
			reply = [][]byte{{}} // a REP socket must answer before it takes the next command
		}
		switch {
		case reply == nil:
		case typ == zmq4.SUB:
			p.log.Warn("proxy: a SUB control socket cannot answer STATISTICS")
		default:
			if err := p.control.Send(ctx, reply...); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if !dropped(err) {
					return proxyError("send", "control", err)
				}
			}
		}
		if cmd == "TERMINATE" {
			terminate(nil)
			return nil
		}
	}
}
