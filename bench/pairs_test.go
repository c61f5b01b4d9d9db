package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Shared helpers of the microbenchmarks. Other files of this package may use them:
// newRawPair and newEvPair make connected socket pairs that clean up after
// themselves (rawConnect is the raw one's setup for rigs that clean up on their own),
// newSendingPair is a raw PUSH → PULL pair whose PUSH keeps sending, for the suites
// that time a receiving layer, benchRawPushPull and benchRawReqRep are the raw pebbe
// twins a layered benchmark runs beside itself, and a file adds its layer to
// BenchmarkPushPull or BenchmarkReqRep by registering it in init:
//
//	func init() { pushPullLayers["zmqsink"] = benchSinkPushPull }

// benchTransports and benchSizes are what BenchmarkPushPull covers, benchRTTSizes the
// sizes of BenchmarkReqRep and benchLayerSizes those of the zmqsink and zmqstream
// suites (over benchTransports too).
var (
	benchTransports = []string{"inproc", "tcp"}
	benchSizes      = []int{16, 256, 4 << 10, 64 << 10}
	benchRTTSizes   = []int{16, 4 << 10}
	benchLayerSizes = []int{16, 4 << 10}
)

// A layer benchmark moves messages of size bytes over transport, one message (or round
// trip) per b.Loop iteration.
type layerBench func(b *testing.B, transport string, size int)

// pushPullLayers and reqRepLayers are the layers BenchmarkPushPull and BenchmarkReqRep
// run side by side, by name; "raw" is the twin every layer is read against.
var (
	pushPullLayers = map[string]layerBench{}
	reqRepLayers   = map[string]layerBench{}
)

// layerNames lists a layer map's names: raw first, then raw-msg, then the rest sorted.
func layerNames(m map[string]layerBench) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	rank := func(n string) int {
		switch n {
		case "raw":
			return 0
		case "raw-msg":
			return 1
		}
		return 2
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return names
}

// runLayers runs every layer of m for each transport and size, layers adjacent.
func runLayers(b *testing.B, m map[string]layerBench, transports []string, sizes []int) {
	for _, tr := range transports {
		for _, n := range sizes {
			for _, name := range layerNames(m) {
				b.Run(fmt.Sprintf("%s/%s/%s", tr, sizeName(n), name), func(b *testing.B) { m[name](b, tr, n) })
			}
		}
	}
}

// sizeName is a size for benchmark names: "16B", "4KiB".
func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

var benchEndpointSeq atomic.Int64

// benchEndpoint is a fresh endpoint to bind: inproc gets a unique name, tcp an
// ephemeral port on loopback.
func benchEndpoint(tb testing.TB, transport string) string {
	switch transport {
	case "inproc":
		return fmt.Sprintf("inproc://bench-%d", benchEndpointSeq.Add(1))
	case "tcp":
		return "tcp://127.0.0.1:*"
	}
	tb.Fatalf("bench: no endpoint for transport %q", transport)
	return ""
}

// rawPair is a raw pebbe/zmq4 context with a bound and a connected socket, both with
// linger 0. The benchmark goroutine uses one socket; a peer goroutine started with
// goPeer may own the other.
type rawPair struct {
	ctx         *zmq4.Context
	bound, conn *zmq4.Socket
	peer        *zmq4.Socket  // the socket goPeer's goroutine owns
	peerDone    chan struct{} // closed when that goroutine has returned
	once        sync.Once
}

// rawConnect makes a raw pebbe context with a socket of type bt bound over transport
// and one of type ct connected to it, both with linger 0. The caller closes the sockets
// and terminates the context; on failure rawConnect does, then fails tb.
func rawConnect(tb testing.TB, transport string, bt, ct zmq4.Type) (zc *zmq4.Context, bound, conn *zmq4.Socket) {
	tb.Helper()
	endpoint := benchEndpoint(tb, transport)
	zc, err := zmq4.NewContext()
	if err != nil {
		tb.Fatal(err)
	}
	var made []*zmq4.Socket
	fatal := func(err error) {
		for _, s := range made {
			_ = s.Close()
		}
		_ = zc.Term()
		tb.Fatal(err)
	}
	mk := func(t zmq4.Type) *zmq4.Socket {
		s, err := zc.NewSocket(t)
		if err != nil {
			fatal(err)
		}
		made = append(made, s)
		if err := s.SetLinger(0); err != nil {
			fatal(err)
		}
		return s
	}
	bound = mk(bt)
	if err := bound.Bind(endpoint); err != nil {
		fatal(err)
	}
	ep, err := bound.GetLastEndpoint()
	if err != nil {
		fatal(err)
	}
	conn = mk(ct)
	if err := conn.Connect(ep); err != nil {
		fatal(err)
	}
	return zc, bound, conn
}

// newRawPair binds a socket of type bt and connects one of type ct to it over
// transport. tb.Cleanup closes everything.
func newRawPair(tb testing.TB, transport string, bt, ct zmq4.Type) *rawPair {
	tb.Helper()
	p := &rawPair{}
	p.ctx, p.bound, p.conn = rawConnect(tb, transport, bt, ct)
	tb.Cleanup(func() { p.close(tb) })
	return p
}

// goPeer runs fn with s (p.bound or p.conn) on a goroutine that owns s from now on. fn
// must return once a call on s fails: close terminates the context to make it so.
func (p *rawPair) goPeer(s *zmq4.Socket, fn func(s *zmq4.Socket)) {
	p.peer, p.peerDone = s, make(chan struct{})
	go func() {
		defer close(p.peerDone)
		fn(s)
	}()
}

// close closes the benchmark's socket, terminates the context (a peer blocked in
// libzmq gets ETERM), waits for the peer goroutine, then closes its socket, which
// lets the termination finish. Idempotent.
func (p *rawPair) close(tb testing.TB) {
	p.once.Do(func() {
		for _, s := range []*zmq4.Socket{p.bound, p.conn} {
			if s != nil && s != p.peer {
				_ = s.Close()
			}
		}
		termed := make(chan error, 1)
		go func() { termed <- p.ctx.Term() }()
		if p.peerDone != nil {
			<-p.peerDone
			_ = p.peer.Close()
		}
		if err := <-termed; err != nil {
			tb.Errorf("bench: terminate raw context: %v", err)
		}
	})
}

// sendingPair is a raw pebbe context with a bound PULL and a connected PUSH on which a
// goroutine sends messages of one size as fast as libzmq takes them (HWMs of 1000 each
// side) until stop: the sender of the suites that time a receiving layer (zmqstream,
// reqrep.Recv) against a raw PULL loop, the same in every variant, so that only the
// receiving end differs. The PUSH's send timeout of 10 ms makes a send blocked on a
// full pipe give up now and then, so that the sender sees stop once the receiver has
// stopped.
type sendingPair struct {
	ctx    *zmq4.Context
	pull   *zmq4.Socket
	push   *zmq4.Socket
	quit   atomic.Bool
	sender sync.WaitGroup
	err    error // the sender's failure, read after sender.Wait
}

// newSendingPair makes the pair over transport and starts its sender of size-byte
// messages. The benchmark calls stop.
func newSendingPair(b *testing.B, transport string, size int) *sendingPair {
	b.Helper()
	p := &sendingPair{}
	p.ctx, p.pull, p.push = rawConnect(b, transport, zmq4.PULL, zmq4.PUSH)
	if err := p.push.SetSndtimeo(10 * time.Millisecond); err != nil {
		_ = p.pull.Close()
		_ = p.push.Close()
		_ = p.ctx.Term()
		b.Fatal(err)
	}
	msg := make([]byte, size)
	p.sender.Go(func() {
		for !p.quit.Load() {
			if _, err := p.push.SendBytes(msg, 0); err != nil && zmq4.AsErrno(err) != zmq4.Errno(syscall.EAGAIN) {
				p.err = err
				return
			}
		}
	})
	return p
}

// stop ends the sender, closes the PULL with closePull (the raw socket's Close, or
// that of the zmqevented Socket that owns it), closes the PUSH and terminates the
// context, reporting every failure with b.Error.
func (p *sendingPair) stop(b *testing.B, closePull func() error) {
	b.Helper()
	p.quit.Store(true)
	p.sender.Wait()
	if p.err != nil {
		b.Error(p.err)
	}
	if err := closePull(); err != nil {
		b.Error(err)
	}
	_ = p.push.Close()
	if err := p.ctx.Term(); err != nil {
		b.Error(err)
	}
}

// evWrap hands raw to zmqevented with linger 0; the zmqevented Socket owns it from now
// on.
func evWrap(tb testing.TB, raw *zmq4.Socket) *zmqevented.Socket {
	tb.Helper()
	s, err := zmqevented.Wrap(raw, zmqevented.WithLinger(0))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// evPair is rawPair for zmqevented: one zmqevented.Context with linger 0, a bound and
// a connected Socket, and peer goroutines that stop when their ctx is cancelled.
type evPair struct {
	ctx         *zmqevented.Context
	bound, conn *zmqevented.Socket
	peerCtx     context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

// newEvPair binds a socket of type bt and connects one of type ct to it over
// transport. tb.Cleanup cancels the peers, waits for them and closes the context.
func newEvPair(tb testing.TB, transport string, bt, ct zmq4.Type) *evPair {
	tb.Helper()
	zc, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		tb.Fatal(err)
	}
	p := &evPair{ctx: zc}
	p.peerCtx, p.cancel = context.WithCancel(context.Background())
	tb.Cleanup(func() {
		p.cancel()
		p.wg.Wait()
		if err := zc.Close(); err != nil {
			tb.Errorf("bench: close zmqevented context: %v", err)
		}
	})
	if p.bound, err = zc.NewSocket(bt); err != nil {
		tb.Fatal(err)
	}
	if err := p.bound.Bind(benchEndpoint(tb, transport)); err != nil {
		tb.Fatal(err)
	}
	ep, err := p.bound.LastEndpoint()
	if err != nil {
		tb.Fatal(err)
	}
	if p.conn, err = zc.NewSocket(ct); err != nil {
		tb.Fatal(err)
	}
	if err := p.conn.Connect(ep); err != nil {
		tb.Fatal(err)
	}
	return p
}

// goPeer runs fn on a goroutine until it returns; fn must return when ctx is done.
func (p *evPair) goPeer(fn func(ctx context.Context)) {
	p.wg.Go(func() { fn(p.peerCtx) })
}

// benchRawPushPull is the raw twin of every PUSH → PULL layer: a peer goroutine
// sending with SendBytes(b, 0) for ever, and one RecvBytes(0) per iteration (with
// whole, RecvMessageBytes(0), which also asks ZMQ_RCVMORE as zmqevented's Recv does).
func benchRawPushPull(b *testing.B, transport string, size int, whole bool) {
	p := newRawPair(b, transport, zmq4.PULL, zmq4.PUSH)
	msg := make([]byte, size)
	p.goPeer(p.conn, func(push *zmq4.Socket) {
		for {
			if _, err := push.SendBytes(msg, 0); err != nil {
				return
			}
		}
	})
	if _, err := p.bound.RecvBytes(0); err != nil { // warm-up: the connection is up
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	if whole {
		for b.Loop() {
			if _, err := p.bound.RecvMessageBytes(0); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	for b.Loop() {
		if _, err := p.bound.RecvBytes(0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRawReqRep is the raw twin of every REQ/REP layer: a peer goroutine echoing on
// REP (RecvBytes, SendBytes) and one SendBytes + RecvBytes round trip per iteration.
func benchRawReqRep(b *testing.B, transport string, size int) {
	p := newRawPair(b, transport, zmq4.REP, zmq4.REQ)
	p.goPeer(p.bound, func(rep *zmq4.Socket) {
		for {
			m, err := rep.RecvBytes(0)
			if err != nil {
				return
			}
			if _, err := rep.SendBytes(m, 0); err != nil {
				return
			}
		}
	})
	msg := make([]byte, size)
	benchRoundTrips(b, size, func() {
		if _, err := p.conn.SendBytes(msg, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := p.conn.RecvBytes(0); err != nil {
			b.Fatal(err)
		}
	})
}

// benchRoundTrips is the timed part of a REQ/REP benchmark: one untimed roundTrip (the
// warm-up: the connection is up), then one per b.Loop iteration, with size bytes per
// iteration for MB/s and allocations reported.
func benchRoundTrips(b *testing.B, size int, roundTrip func()) {
	roundTrip()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		roundTrip()
	}
}
