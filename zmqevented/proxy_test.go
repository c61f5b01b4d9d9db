package zmqevented_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// runProxy runs p until the returned stop is called or the test ends; stop cancels
// Run's context and returns how long Run took to return, and Run's error. done
// delivers Run's error when Run returns by itself.
func runProxy(t *testing.T, p *zmqevented.Proxy) (stop func() (time.Duration, error), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var result error
	finished := make(chan struct{})
	out := make(chan error, 1)
	go func() {
		result = p.Run(ctx)
		out <- result
		close(finished)
	}()
	stop = func() (time.Duration, error) {
		start := time.Now()
		cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5 s of its context ending")
		}
		return time.Since(start), result
	}
	t.Cleanup(func() { _, _ = stop() })
	return stop, out
}

// pipeline is PUSH → [PULL frontend | proxy | PUSH backend] → PULL over inproc.
type pipeline struct {
	in, front, back, out *zmqevented.Socket
}

func newPipeline(t *testing.T, c *zmqevented.Context, opts ...zmqevented.Option) pipeline {
	t.Helper()
	eps := zmqtest.Endpoints(t)
	front, in := zmqtest.Pair(t, c, eps["inproc"]+"/front", zmq4.PULL, zmq4.PUSH, opts, opts)
	back, out := zmqtest.Pair(t, c, eps["inproc"]+"/back", zmq4.PUSH, zmq4.PULL, opts, opts)
	return pipeline{in: in, front: front, back: back, out: out}
}

func newProxy(t *testing.T, front, back *zmqevented.Socket, opts ...zmqevented.Option) *zmqevented.Proxy {
	t.Helper()
	opts = append([]zmqevented.Option{zmqevented.WithLogger(zaptest.NewLogger(t))}, opts...)
	p, err := zmqevented.NewProxy(front, back, opts...)
	require.NoError(t, err)
	return p
}

// heapBytes is the memory the Go heap's objects occupy, live or not yet collected.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestProxyMillionInOrder: a million small messages through the proxy arrive in order,
// none lost or repeated, while the consumer stops now and then. Backpressure holds: the
// messages between the producer and the consumer never exceed what the HWMs and the
// proxy's one message in hand allow, and the Go heap stays small.
func TestProxyMillionInOrder(t *testing.T) {
	const (
		n         = 1_000_000
		hwm       = 100
		pauseEach = 100_000
		pauseFor  = 30 * time.Millisecond
		// Four inproc queues of at most 2×HWM each (libzmq's inproc pipe holds the sum
		// of both ends' HWMs), rounded up for libzmq's batched credit, plus the message
		// the proxy holds.
		maxLag  = 4*2*hwm*2 + 1
		maxHeap = 32 << 20
	)
	c := zmqtest.NewContext(t)
	hwmOpts := []zmqevented.Option{zmqevented.WithSendHWM(hwm), zmqevented.WithRecvHWM(hwm)}
	pl := newPipeline(t, c, hwmOpts...)
	p := newProxy(t, pl.front, pl.back)
	stop, _ := runProxy(t, p)
	ctx := zmqtest.Ctx(t, 60*time.Second)

	runtime.GC()
	var sent atomic.Int64
	sendErr := make(chan error, 1)
	go func() {
		var buf [8]byte
		for i := range n {
			binary.LittleEndian.PutUint64(buf[:], uint64(i))
			if err := pl.in.Send(ctx, buf[:]); err != nil {
				sendErr <- err
				return
			}
			sent.Add(1)
		}
		sendErr <- nil
	}()

	var peakHeap atomic.Uint64
	sampled := make(chan struct{})
	sampling, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapBytes(); h > peakHeap.Load() {
				peakHeap.Store(h)
			}
			select {
			case <-tick.C:
			case <-sampling.Done():
				return
			}
		}
	}()

	start := time.Now()
	peakLag := int64(0)
	for i := range n {
		if i%pauseEach == pauseEach/2 {
			time.Sleep(pauseFor) // a slow consumer: the pipeline fills up behind it
			lag := sent.Load() - int64(i)
			peakLag = max(peakLag, lag)
			require.LessOrEqual(t, lag, int64(maxLag), "messages piled up between producer and consumer")
		}
		m, err := pl.out.Recv(ctx)
		require.NoError(t, err)
		if len(m) != 1 || len(m[0]) != 8 || binary.LittleEndian.Uint64(m[0]) != uint64(i) {
			t.Fatalf("message %d: got %x", i, m)
		}
	}
	elapsed := time.Since(start)
	stopSampling()
	<-sampled
	require.NoError(t, <-sendErr)
	_, err := pl.out.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "a message arrived twice")
	require.Greater(t, peakLag, int64(hwm), "the consumer's stops never filled the pipeline")
	require.Less(t, peakHeap.Load(), uint64(maxHeap), "the Go heap grew")

	_, err = stop()
	require.ErrorIs(t, err, context.Canceled)
	st := p.Stats()
	require.Equal(t, zmqevented.ProxyCounts{MessagesIn: n, BytesIn: 8 * n}, st.Frontend)
	require.Equal(t, zmqevented.ProxyCounts{MessagesOut: n, BytesOut: 8 * n}, st.Backend)
	t.Logf("%d messages in %v (%.0f/s); peak lag %d messages, peak heap %.1f MiB",
		n, elapsed.Round(time.Millisecond), n/elapsed.Seconds(), peakLag, float64(peakHeap.Load())/(1<<20))
}

// TestProxyPause: nothing is forwarded while the proxy is paused, including the message
// it held when it paused, and everything is after Resume, in order; a proxy paused
// before Run starts paused.
func TestProxyPause(t *testing.T) {
	const hwm = 10
	c := zmqtest.NewContext(t)
	hwmOpts := []zmqevented.Option{zmqevented.WithSendHWM(hwm), zmqevented.WithRecvHWM(hwm)}
	pl := newPipeline(t, c, hwmOpts...)
	p := newProxy(t, pl.front, pl.back)
	ctx := zmqtest.Ctx(t, 20*time.Second)

	p.Pause()
	require.True(t, p.Paused())
	runProxy(t, p)
	const first = 5
	for i := range first {
		require.NoError(t, pl.in.Send(ctx, seqFrame(i)))
	}
	requireNothing(t, pl.out, 100*time.Millisecond)
	require.Zero(t, p.Stats().Frontend.MessagesIn, "the paused proxy took a message")

	p.Resume()
	require.False(t, p.Paused())
	next := 0
	expect := func(upTo int) {
		t.Helper()
		for ; next < upTo; next++ {
			m, err := pl.out.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, [][]byte{seqFrame(next)}, m)
		}
	}
	expect(first)

	// Fill the pipeline past the backend's HWM so that the proxy holds a message it
	// cannot send, then pause, then take what was forwarded before the pause.
	const total = 200
	sendDone := make(chan error, 1)
	go func() {
		for i := first; i < total; i++ {
			if err := pl.in.Send(ctx, seqFrame(i)); err != nil {
				sendDone <- err
				return
			}
		}
		sendDone <- nil
	}()
	waitBlocked(t, p)
	p.Pause()
	forwarded := int(p.Stats().Backend.MessagesOut)
	expect(forwarded)
	requireNothing(t, pl.out, 100*time.Millisecond)
	require.Equal(t, forwarded, int(p.Stats().Backend.MessagesOut), "forwarded while paused")

	p.Resume()
	expect(total)
	require.NoError(t, <-sendDone)
	requireNothing(t, pl.out, 10*time.Millisecond)
}

// waitBlocked waits until p holds a message its backend does not take: it has
// received one more than it has sent, and its counters stand still.
func waitBlocked(t *testing.T, p *zmqevented.Proxy) {
	t.Helper()
	require.Eventually(t, func() bool {
		before := p.Stats()
		time.Sleep(10 * time.Millisecond)
		return p.Stats() == before && before.Frontend.MessagesIn == before.Backend.MessagesOut+1
	}, 5*time.Second, time.Millisecond, "the proxy never blocked on its backend")
}

// requireNothing fails the test if s receives a message within d.
func requireNothing(t *testing.T, s *zmqevented.Socket, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "got %q", m)
}

// TestProxyStopsPromptly: Run returns within 100 ms of its context ending, whether the
// proxy is moving multipart messages or waiting on a backend at its HWM; every message
// arrives whole; a second Run goes on where the first stopped, the message the first
// one held included, so nothing is lost or repeated.
func TestProxyStopsPromptly(t *testing.T) {
	const (
		parts = 5
		hwm   = 50
	)
	c := zmqtest.NewContext(t)
	hwmOpts := []zmqevented.Option{zmqevented.WithSendHWM(hwm), zmqevented.WithRecvHWM(hwm)}
	pl := newPipeline(t, c, hwmOpts...)
	p := newProxy(t, pl.front, pl.back)
	ctx := zmqtest.Ctx(t, 20*time.Second)

	message := func(i int) [][]byte {
		m := make([][]byte, parts)
		for j := range m {
			m[j] = fmt.Appendf(nil, "%08d/%d of %d", i, j+1, parts)
		}
		return m
	}
	var sent atomic.Int64
	sending, stopSending := context.WithCancel(ctx)
	sendDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := pl.in.Send(sending, message(i)...); err != nil {
				if sending.Err() != nil {
					err = nil
				}
				sendDone <- err
				return
			}
			sent.Add(1)
		}
	}()
	next := 0
	receive := func(upTo int) {
		t.Helper()
		for ; next < upTo; next++ {
			m, err := pl.out.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, message(next), m, "message %d is not whole or out of order", next)
		}
	}

	// While messages flow.
	for range 3 {
		stop, _ := runProxy(t, p)
		receive(next + 1000)
		took, err := stop()
		require.ErrorIs(t, err, context.Canceled)
		require.Less(t, took, 100*time.Millisecond, "Run returned %v after its context ended", took)
	}

	// While the backend is full: the consumer does not read.
	stop, _ := runProxy(t, p)
	waitBlocked(t, p)
	took, err := stop()
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, took, 100*time.Millisecond, "Run returned %v after its context ended", took)

	// The held message goes first when Run runs again.
	runProxy(t, p)
	stopSending()
	require.NoError(t, <-sendDone)
	receive(int(sent.Load()))
	requireNothing(t, pl.out, 20*time.Millisecond)
}

// TestProxyStats: the counters are exact in both directions, multipart messages counting
// once with the sum of their frames' sizes, and STATISTICS on a REP control socket
// answers them as eight uint64 frames in native byte order.
func TestProxyStats(t *testing.T) {
	c := zmqtest.NewContext(t)
	eps := zmqtest.Endpoints(t)
	front, a := zmqtest.Pair(t, c, eps["inproc"]+"/front", zmq4.PAIR, zmq4.PAIR, nil, nil)
	back, b := zmqtest.Pair(t, c, eps["inproc"]+"/back", zmq4.PAIR, zmq4.PAIR, nil, nil)
	control, req := zmqtest.Pair(t, c, eps["inproc"]+"/control", zmq4.REP, zmq4.REQ, nil, nil)
	p := newProxy(t, front, back, zmqevented.WithControl(control))
	runProxy(t, p)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	var want zmqevented.ProxyStats
	message := func(i int) [][]byte {
		m := make([][]byte, 1+i%3)
		for j := range m {
			m[j] = make([]byte, (i*7+j)%50)
		}
		return m
	}
	size := func(m [][]byte) uint64 {
		n := 0
		for _, f := range m {
			n += len(f)
		}
		return uint64(n)
	}
	for i := range 100 {
		m := message(i)
		require.NoError(t, a.Send(ctx, m...))
		got, err := b.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, m, got)
		want.Frontend.MessagesIn++
		want.Frontend.BytesIn += size(m)
		want.Backend.MessagesOut++
		want.Backend.BytesOut += size(m)
		if i%4 == 0 {
			m := message(i + 1)
			require.NoError(t, b.Send(ctx, m...))
			got, err := a.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, m, got)
			want.Backend.MessagesIn++
			want.Backend.BytesIn += size(m)
			want.Frontend.MessagesOut++
			want.Frontend.BytesOut += size(m)
		}
	}
	require.Eventually(t, func() bool { return p.Stats() == want }, 5*time.Second, time.Millisecond,
		"counters %+v, want %+v", p.Stats(), want)

	require.NoError(t, req.Send(ctx, []byte("STATISTICS")))
	reply, err := req.Recv(ctx)
	require.NoError(t, err)
	require.Len(t, reply, 8)
	var got [8]uint64
	for i, f := range reply {
		require.Len(t, f, 8)
		got[i] = binary.NativeEndian.Uint64(f)
	}
	require.Equal(t, [8]uint64{
		want.Frontend.MessagesIn, want.Frontend.BytesIn, want.Frontend.MessagesOut, want.Frontend.BytesOut,
		want.Backend.MessagesIn, want.Backend.BytesIn, want.Backend.MessagesOut, want.Backend.BytesOut,
	}, got)
}

// TestProxyCapture: the capture socket gets a copy of every message the proxy forwards,
// both ways through ROUTER/DEALER, in the order each direction forwards them.
func TestProxyCapture(t *testing.T) {
	const n = 500
	c := zmqtest.NewContext(t)
	eps := zmqtest.Endpoints(t)
	front, client := zmqtest.Pair(t, c, eps["inproc"]+"/front", zmq4.ROUTER, zmq4.DEALER,
		nil, []zmqevented.Option{zmqevented.WithRoutingID("client")})
	back, worker := zmqtest.Pair(t, c, eps["inproc"]+"/back", zmq4.DEALER, zmq4.DEALER, nil, nil)
	tap, capture := zmqtest.Pair(t, c, eps["inproc"]+"/capture", zmq4.PULL, zmq4.PUSH,
		[]zmqevented.Option{zmqevented.WithRecvHWM(0)}, []zmqevented.Option{zmqevented.WithSendHWM(0)})
	p := newProxy(t, front, back, zmqevented.WithCapture(capture))
	runProxy(t, p)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	workDone := make(chan error, 1)
	go func() {
		for range n {
			req, err := worker.Recv(ctx) // [client, request i]
			if err != nil {
				workDone <- err
				return
			}
			if err := worker.Send(ctx, req[0], append([]byte("reply "), req[1]...)); err != nil {
				workDone <- err
				return
			}
		}
		workDone <- nil
	}()
	for i := range n {
		require.NoError(t, client.Send(ctx, fmt.Appendf(nil, "%d", i)))
	}
	for i := range n {
		m, err := client.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, [][]byte{fmt.Appendf(nil, "reply %d", i)}, m)
	}
	require.NoError(t, <-workDone)

	requests, replies := 0, 0
	for range 2 * n {
		m, err := tap.Recv(ctx)
		require.NoError(t, err)
		require.Len(t, m, 2)
		require.Equal(t, "client", string(m[0]))
		if body := string(m[1]); strings.HasPrefix(body, "reply ") {
			require.Equal(t, fmt.Sprintf("reply %d", replies), body)
			replies++
		} else {
			require.Equal(t, strconv.Itoa(requests), body)
			requests++
		}
	}
	requireNothing(t, tap, 20*time.Millisecond)
}

// TestProxyXSubXPub: subscriptions flow back from the XPUB backend to the XSUB frontend,
// and only what a subscriber asked for reaches it.
func TestProxyXSubXPub(t *testing.T) {
	c := zmqtest.NewContext(t)
	eps := zmqtest.Endpoints(t)
	front, pub := zmqtest.Pair(t, c, eps["inproc"]+"/front", zmq4.XSUB, zmq4.PUB, nil, nil)
	back, sub := zmqtest.Pair(t, c, eps["inproc"]+"/back", zmq4.XPUB, zmq4.SUB,
		nil, []zmqevented.Option{zmqevented.WithSubscribe("weather")})
	p := newProxy(t, front, back)
	runProxy(t, p)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	publishing, stopPublishing := context.WithCancel(ctx)
	defer stopPublishing()
	pubDone := make(chan error, 1)
	go func() {
		for i := 0; publishing.Err() == nil; i++ {
			_ = pub.Send(publishing, []byte("sports"), []byte("ignored"))
			_ = pub.Send(publishing, []byte("weather"), []byte(strconv.Itoa(i)))
			time.Sleep(time.Millisecond)
		}
		pubDone <- nil
	}()
	for range 20 {
		m, err := sub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "weather", string(m[0]))
	}
	stopPublishing()
	require.NoError(t, <-pubDone)
	st := p.Stats()
	require.Equal(t, uint64(1), st.Backend.MessagesIn, "the subscription did not go through the proxy once")
	require.Equal(t, uint64(len("\x01weather")), st.Backend.BytesIn)
}

// TestProxyControl: the control commands on each socket type the proxy accepts.
func TestProxyControl(t *testing.T) {
	for _, tc := range []struct {
		typ, peer zmq4.Type
		replies   bool // answers PAUSE, RESUME and TERMINATE (REP)
		stats     bool // answers STATISTICS
	}{
		{zmq4.REP, zmq4.REQ, true, true},
		{zmq4.PAIR, zmq4.PAIR, false, true},
		{zmq4.SUB, zmq4.PUB, false, false},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pl := newPipeline(t, c)
			var opts []zmqevented.Option
			if tc.typ == zmq4.SUB {
				opts = append(opts, zmqevented.WithSubscribe(""))
			}
			control, peer := zmqtest.Pair(t, c, zmqtest.Endpoints(t)["inproc"]+"/control", tc.typ, tc.peer, opts, nil)
			p := newProxy(t, pl.front, pl.back, zmqevented.WithControl(control))
			_, done := runProxy(t, p)
			ctx := zmqtest.Ctx(t, 10*time.Second)

			command := func(cmd string, wantPaused bool) {
				t.Helper()
				if tc.typ == zmq4.SUB { // a SUB may miss what is sent before it has joined
					require.Eventually(t, func() bool {
						require.NoError(t, peer.Send(ctx, []byte(cmd)))
						return p.Paused() == wantPaused
					}, 5*time.Second, 10*time.Millisecond)
					return
				}
				require.NoError(t, peer.Send(ctx, []byte(cmd)))
				if tc.replies {
					reply, err := peer.Recv(ctx)
					require.NoError(t, err)
					require.Equal(t, [][]byte{{}}, reply)
				}
				require.Eventually(t, func() bool { return p.Paused() == wantPaused }, 5*time.Second, time.Millisecond)
			}
			command("PAUSE", true)
			require.NoError(t, pl.in.Send(ctx, []byte("held back")))
			requireNothing(t, pl.out, 50*time.Millisecond)
			command("RESUME", false)
			m, err := pl.out.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, [][]byte{[]byte("held back")}, m)
			command("NONSENSE", false) // ignored

			if tc.stats {
				require.Eventually(t, func() bool { return p.Stats().Backend.MessagesOut == 1 }, 5*time.Second, time.Millisecond)
				require.NoError(t, peer.Send(ctx, []byte("STATISTICS")))
				reply, err := peer.Recv(ctx)
				require.NoError(t, err)
				require.Len(t, reply, 8)
				require.Equal(t, uint64(1), binary.NativeEndian.Uint64(reply[0]))
				require.Equal(t, uint64(len("held back")), binary.NativeEndian.Uint64(reply[7]))
			}

			require.NoError(t, peer.Send(ctx, []byte("TERMINATE")))
			if tc.replies {
				reply, err := peer.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, [][]byte{{}}, reply)
			}
			select {
			case err := <-done:
				require.NoError(t, err, "Run after TERMINATE")
			case <-ctx.Done():
				t.Fatal("TERMINATE did not end Run")
			}
		})
	}
}

// TestProxyPyzmqControl: a pyzmq REQ socket steers the proxy through libzmq's control
// protocol, as C and Python tools do (testdata/proxy_control.py).
func TestProxyPyzmqControl(t *testing.T) {
	py := zmqtest.Python(t)
	c := zmqtest.NewContext(t)
	pl := newPipeline(t, c)
	control, endpoint := zmqtest.Bind(t, c, zmq4.REP, "tcp://127.0.0.1:*")
	p := newProxy(t, pl.front, pl.back, zmqevented.WithControl(control))
	_, done := runProxy(t, p)
	ctx := zmqtest.Ctx(t, 20*time.Second)

	cmd := exec.CommandContext(ctx, py, "testdata/proxy_control.py", endpoint)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	steer := func(command string) string {
		t.Helper()
		_, err := io.WriteString(stdin, command+"\n")
		require.NoError(t, err)
		require.True(t, lines.Scan(), "no answer to %s: %v; stderr: %s", command, lines.Err(), stderr.String())
		return lines.Text()
	}
	pass := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			require.NoError(t, pl.in.Send(ctx, seqFrame(i)))
		}
	}
	expect := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			m, err := pl.out.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, [][]byte{seqFrame(i)}, m)
		}
	}

	pass(0, 10)
	expect(0, 10)
	require.Equal(t, `PAUSE ""`, steer("PAUSE"))
	require.True(t, p.Paused())
	pass(10, 15)
	requireNothing(t, pl.out, 100*time.Millisecond)
	require.Equal(t, `RESUME ""`, steer("RESUME"))
	expect(10, 15)

	require.Eventually(t, func() bool { return p.Stats().Backend.MessagesOut == 15 }, 5*time.Second, time.Millisecond)
	st := p.Stats()
	require.Equal(t, fmt.Sprintf("STATISTICS %d %d %d %d %d %d %d %d",
		st.Frontend.MessagesIn, st.Frontend.BytesIn, st.Frontend.MessagesOut, st.Frontend.BytesOut,
		st.Backend.MessagesIn, st.Backend.BytesIn, st.Backend.MessagesOut, st.Backend.BytesOut), steer("STATISTICS"))
	require.Equal(t, "STATISTICS 15 120 0 0 0 0 15 120", steer("STATISTICS"))

	require.Equal(t, `TERMINATE ""`, steer("TERMINATE"))
	select {
	case err := <-done:
		require.NoError(t, err, "Run after TERMINATE")
	case <-ctx.Done():
		t.Fatal("TERMINATE did not end Run")
	}
	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
}

// TestProxyOptions: what NewProxy refuses, and proxy options where they do not belong.
func TestProxyOptions(t *testing.T) {
	c := zmqtest.NewContext(t)
	sock := func(typ zmq4.Type) *zmqevented.Socket {
		s, err := c.NewSocket(typ)
		require.NoError(t, err)
		return s
	}
	pull, push, sub, rep := sock(zmq4.PULL), sock(zmq4.PUSH), sock(zmq4.SUB), sock(zmq4.REP)
	for name, tc := range map[string]struct {
		front, back *zmqevented.Socket
		opts        []zmqevented.Option
		want        string
	}{
		"nothing to forward":  {push, sock(zmq4.PUB), nil, "nothing to forward"},
		"REP frontend":        {rep, push, nil, "nothing to forward"},
		"capture cannot send": {pull, push, []zmqevented.Option{zmqevented.WithCapture(sub)}, "cannot take the copies"},
		"capture is backend":  {pull, push, []zmqevented.Option{zmqevented.WithCapture(push)}, "capture socket is the frontend or backend"},
		"control type":        {pull, push, []zmqevented.Option{zmqevented.WithControl(sock(zmq4.PULL))}, "must be REP, PAIR or SUB"},
		"control is frontend": {sub, sock(zmq4.PUB), []zmqevented.Option{zmqevented.WithControl(sub)}, "another role"},
		"socket option":       {pull, push, []zmqevented.Option{zmqevented.WithSendHWM(5)}, "socket and context options"},
		"nil socket":          {nil, push, nil, "nil frontend or backend"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := zmqevented.NewProxy(tc.front, tc.back, tc.opts...)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := c.NewSocket(zmq4.PUSH, zmqevented.WithCapture(push))
	require.ErrorContains(t, err, "WithCapture is an option of NewProxy")
	_, err = zmqevented.NewContext(zmqevented.WithControl(rep))
	require.ErrorContains(t, err, "WithControl is an option of NewProxy")
}

// TestProxyRunErrors: one Run at a time, and a socket closed under a running proxy ends
// Run with ErrClosed.
func TestProxyRunErrors(t *testing.T) {
	c := zmqtest.NewContext(t)
	pl := newPipeline(t, c)
	p := newProxy(t, pl.front, pl.back)
	_, done := runProxy(t, p)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	require.NoError(t, pl.in.Send(ctx, []byte("through")))
	_, err := pl.out.Recv(ctx) // Run runs
	require.NoError(t, err)
	require.ErrorIs(t, p.Run(ctx), zmqevented.ErrProxyRunning)

	require.NoError(t, pl.front.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, zmqevented.ErrClosed)
		require.ErrorContains(t, err, "proxy recv frontend")
	case <-ctx.Done():
		t.Fatal("Run went on with a closed frontend")
	}
}
