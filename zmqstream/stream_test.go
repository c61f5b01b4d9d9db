package zmqstream_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// fillUntilBlocked sends seq(from), seq(from+1), … on s until a Send has waited for
// 100 ms, and returns how many it sent.
func fillUntilBlocked(t *testing.T, s *zmqevented.Socket, from int) int {
	t.Helper()
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := s.Send(ctx, seq(from+n))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return n
		}
		require.NoError(t, err)
		n++
		require.Less(t, n, 100_000, "Send never blocked: no backpressure")
	}
}

// consumerForm starts consuming st one way and returns a function that takes the next
// message. held is how many messages that form may hold in Go while its consumer
// pauses.
type consumerForm struct {
	name   string
	buffer int
	held   int
	start  func(ctx context.Context, t *testing.T, st *zmqstream.Stream) (next func() [][]byte, stop func())
}

var consumerForms = []consumerForm{
	{name: "C", held: 1, start: startC},
	{name: "C/buffer4", buffer: 4, held: 5, start: startC},
	{name: "All", held: 0, start: startAll}, // receives only when asked
	{name: "Observable", held: 1, start: startObservable},
	{name: "Observable/rxgo-buffer4", held: 5, start: startObservableBuffered},
	{name: "C/default", buffer: zmqstream.DefaultBuffer, held: zmqstream.DefaultBuffer + 1, start: startC},
	{name: "All/default", buffer: zmqstream.DefaultBuffer, held: zmqstream.DefaultBuffer, start: startAll},
	{name: "Observable/default", buffer: zmqstream.DefaultBuffer, held: zmqstream.DefaultBuffer + 1, start: startObservable},
}

func startC(_ context.Context, t *testing.T, st *zmqstream.Stream) (func() [][]byte, func()) {
	ch := st.C()
	return func() [][]byte {
		m, ok := recvChan(t, ch, 10*time.Second)
		require.True(t, ok, "C closed early: %v", st.Err())
		return m
	}, nil
}

func startAll(ctx context.Context, t *testing.T, st *zmqstream.Stream) (func() [][]byte, func()) {
	next, stop := iter.Pull2(st.All(ctx))
	t.Cleanup(stop)
	return func() [][]byte {
		m, err, ok := next()
		require.True(t, ok)
		require.NoError(t, err)
		return m
	}, stop
}

func startObservable(ctx context.Context, t *testing.T, st *zmqstream.Stream) (func() [][]byte, func()) {
	return observeNext(t, st.Observable().Observe(rxgo.WithContext(ctx))), nil
}

func startObservableBuffered(ctx context.Context, t *testing.T, st *zmqstream.Stream) (func() [][]byte, func()) {
	return observeNext(t, st.Observable(rxgo.WithBufferedChannel(4)).Observe(rxgo.WithContext(ctx))), nil
}

func observeNext(t *testing.T, items <-chan rxgo.Item) func() [][]byte {
	return func() [][]byte {
		it, ok := recvChan(t, items, 10*time.Second)
		require.True(t, ok)
		require.NoError(t, it.E)
		return asMsg(t, it.V)
	}
}

// Backpressure: with the consumer paused, the sender blocks after SNDHWM + RCVHWM
// (libzmq's inproc pipe) plus what the form may hold in Go; once the consumer
// resumes, every message arrives, in order.
func TestBackpressure(t *testing.T) {
	const hwm, total = 10, 300
	for _, form := range consumerForms {
		t.Run(form.name, func(t *testing.T) {
			noLeaks(t)
			c := zmqtest.NewContext(t)
			pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH,
				[]zmqevented.Option{zmqevented.WithRecvHWM(hwm)}, []zmqevented.Option{zmqevented.WithSendHWM(hwm)})
			ctx := zmqtest.Ctx(t, time.Minute)
			st := newStream(t, pull, zmqstream.WithBuffer(form.buffer))
			next, stop := form.start(ctx, t, st)
			held := form.held

			sent := fillUntilBlocked(t, push, 0)
			time.Sleep(50 * time.Millisecond) // let the stream take all it will
			sent += fillUntilBlocked(t, push, sent)
			t.Logf("sender blocked after %d messages (libzmq %d, Go at most %d)", sent, 2*hwm, held)
			require.GreaterOrEqual(t, sent, 2*hwm)
			require.LessOrEqual(t, sent, 2*hwm+held)

			senderDone := make(chan error, 1)
			go func() {
				for i := sent; i < total; i++ {
					if err := push.Send(ctx, seq(i)); err != nil {
						senderDone <- err
						return
					}
				}
				senderDone <- nil
			}()
			for i := range total {
				require.Equal(t, i, unseq(t, next()))
			}
			require.NoError(t, <-senderDone)
			require.NoError(t, st.Close())
			if stop != nil {
				stop() // an All loop ends at its next step
			}
			waitClosed(t, st.Done(), 5*time.Second, "Done")
			require.NoError(t, st.Err())
		})
	}
}

// A SUB stream (default buffer) whose consumer stalls: libzmq drops at the HWMs, the
// messages that arrive are in order, and Go's heap does not grow with what was
// published (320 MiB and 200 MiB).
func TestSlowSubscriberDropsWithBoundedMemory(t *testing.T) {
	for _, tc := range []struct{ n, size int }{{20_000, 16 << 10}, {200_000, 1 << 10}} {
		t.Run(fmt.Sprintf("%dx%dB", tc.n, tc.size), func(t *testing.T) { slowSubscriber(t, tc.n, tc.size) })
	}
}

func slowSubscriber(t *testing.T, n, size int) {
	noLeaks(t)
	const (
		hwm     = 50
		heapCap = 32 << 20 // far below what is published
	)
	c := zmqtest.NewContext(t)
	pub, sub := zmqtest.Pair(t, c, inproc(t), zmq4.PUB, zmq4.SUB,
		[]zmqevented.Option{zmqevented.WithSendHWM(hwm)},
		[]zmqevented.Option{zmqevented.WithRecvHWM(hwm), zmqevented.WithSubscribe("")})
	ctx := zmqtest.Ctx(t, time.Minute)
	st := newStream(t, sub)

	payload := make([]byte, size)
	msg := func(kind byte, i int) []byte {
		payload[0] = kind
		copy(payload[1:9], seq(i))
		return payload
	}
	stall := make(chan struct{})
	resume := make(chan struct{})
	type result struct {
		data []int
		err  error
	}
	results := make(chan result, 1)
	go func() {
		var r result
		stalled := false
		for m, err := range st.All(ctx) {
			if err != nil {
				r.err = err
				break
			}
			switch m[0][0] {
			case 'w': // warm-up: the subscription is through
				if !stalled {
					stalled = true
					close(stall)
					<-resume
				}
				continue
			case 'e':
			default:
				r.data = append(r.data, int(binary64(m[0][1:9])))
				continue
			}
			break
		}
		results <- r
	}()

	// Warm up until the subscriber has a message (PUB drops until the subscription
	// reaches it), then publish n messages into the stalled subscriber.
	for i := 0; ; i++ {
		require.NoError(t, pub.Send(ctx, msg('w', i)))
		select {
		case <-stall:
		case <-time.After(time.Millisecond):
			continue
		}
		break
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		require.NoError(t, pub.Send(ctx, msg('d', i)))
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d bytes while %d MiB were published", grown, n*size>>20)
	require.Less(t, grown, int64(heapCap))

	close(resume)
	// The end marker can be dropped too: repeat it until the consumer is done.
	var r result
	for done := false; !done; {
		require.NoError(t, pub.Send(ctx, msg('e', 0)))
		select {
		case r = <-results:
			done = true
		case <-time.After(5 * time.Millisecond):
		}
	}
	require.NoError(t, r.err)
	t.Logf("received %d of %d", len(r.data), n)
	require.Less(t, len(r.data), n, "nothing was dropped")
	require.LessOrEqual(t, len(r.data), 2*hwm+1)
	for i := 1; i < len(r.data); i++ {
		require.Less(t, r.data[i-1], r.data[i], "out of order")
	}
}

func binary64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// manyCount is the number of messages of TestObservableMapManyInOrder: 1,000,000,
// or 100,000 with -short. The full run takes about 8 s under -race on two busy cores.
func manyCount() int {
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// A million messages through Observable().Map(…) arrive exactly once, in order.
func TestObservableMapManyInOrder(t *testing.T) {
	noLeaks(t)
	n := manyCount()
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
	ctx := zmqtest.Ctx(t, 5*time.Minute)
	st := newStream(t, pull)

	senderDone := make(chan error, 1)
	go func() {
		for i := range n {
			if err := push.Send(ctx, seq(i)); err != nil {
				senderDone <- err
				return
			}
		}
		senderDone <- nil
	}()
	obs := st.Observable().Map(func(_ context.Context, v any) (any, error) {
		m, _ := v.([][]byte)
		return int(binary64(m[0])), nil
	})
	want := 0
	for v, err := range zmqstream.Values[int](ctx, obs) {
		require.NoError(t, err)
		if v != want {
			require.Equal(t, want, v, "message out of order or lost")
		}
		want++
		if want == n {
			break
		}
	}
	require.Equal(t, n, want)
	require.NoError(t, <-senderDone)
	waitClosed(t, st.Done(), 5*time.Second, "Done after the loop ended")
	require.NoError(t, st.Err())
	require.Empty(t, drain(t, pull), "more messages than sent")
}

// drain returns whatever is queued on s now (after a short settle).
func drain(t *testing.T, s *zmqevented.Socket) [][][]byte {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
	var out [][][]byte
	for {
		m, err := s.TryRecv()
		if errors.Is(err, zmqevented.ErrWouldBlock) {
			return out
		}
		require.NoError(t, err)
		out = append(out, m)
	}
}

// Close while the consumer is blocked, while a receive is blocked, and twice in a
// row: every goroutine ends and nothing that reached Go is lost.
func TestClose(t *testing.T) {
	t.Run("blocked consumer", func(t *testing.T) {
		for _, form := range []string{"C", "Observable", "Tap"} {
			t.Run(form, func(t *testing.T) {
				noLeaks(t)
				c := zmqtest.NewContext(t)
				pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
				ctx := zmqtest.Ctx(t, time.Minute)
				st := newStream(t, pull)
				sendSeq(ctx, t, push, 0, 5)
				var first [][]byte
				var rest func() [][][]byte // what the consumer can still read after Close
				switch form {
				case "C":
					ch := st.C()
					first, _ = recvChan(t, ch, 5*time.Second)
					rest = func() [][][]byte { return collect(ch) }
				case "Observable":
					items := st.Observable().Observe()
					it, _ := recvChan(t, items, 5*time.Second)
					first = asMsg(t, it.V)
					rest = func() [][][]byte {
						var out [][][]byte
						for it := range items {
							out = append(out, asMsg(t, it.V))
						}
						return out
					}
				case "Tap":
					sub := st.Tap(ctx, 0, zmqstream.Block).C()
					first, _ = recvChan(t, sub, 5*time.Second)
					rest = func() [][][]byte { return collect(sub) }
				}
				require.Equal(t, 0, unseq(t, first))
				time.Sleep(50 * time.Millisecond) // the stream takes message 1 and waits
				require.NoError(t, st.Close())
				waitClosed(t, st.Done(), 5*time.Second, "Done")
				require.NoError(t, st.Err())
				after := rest() // ends: the channel is closed, after what its buffer held
				und := st.Undelivered()
				require.LessOrEqual(t, len(after)+len(und), zmqstream.DefaultBuffer+1, "more than the stream may hold")
				all := append(append(after, und...), drain(t, pull)...)
				require.Len(t, all, 4)
				for i, m := range all {
					require.Equal(t, i+1, unseq(t, m))
				}
			})
		}
	})

	t.Run("blocked receive", func(t *testing.T) {
		for _, form := range []string{"C", "All", "Observable", "Tap"} {
			t.Run(form, func(t *testing.T) {
				noLeaks(t)
				c := zmqtest.NewContext(t)
				pull, _ := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
				ctx := zmqtest.Ctx(t, time.Minute)
				st := newStream(t, pull)
				var ended <-chan struct{}
				switch form {
				case "C":
					ended = chanDone(st.C())
				case "All":
					done := make(chan struct{})
					go func() {
						defer close(done)
						for _, err := range st.All(ctx) {
							require.NoError(t, err)
							t.Error("a message from nowhere")
						}
					}()
					ended = done
				case "Observable":
					ended = chanDone(st.Observable().Observe())
				case "Tap":
					ended = chanDone(st.Tap(ctx, 1, zmqstream.DropOldest).C())
				}
				time.Sleep(20 * time.Millisecond) // let the receive block
				require.NoError(t, st.Close())
				waitClosed(t, ended, 5*time.Second, "consumer")
				waitClosed(t, st.Done(), 5*time.Second, "Done")
				require.NoError(t, st.Err())
				require.Empty(t, st.Undelivered())
			})
		}
	})

	t.Run("twice", func(t *testing.T) {
		noLeaks(t)
		c := zmqtest.NewContext(t)
		pull, _ := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
		st := newStream(t, pull)
		_ = st.C()
		require.NoError(t, st.Close())
		err := st.Close()
		require.ErrorIs(t, err, zmqstream.ErrClosed)
		require.ErrorIs(t, err, zmqevented.ErrClosed, "ErrClosed matches zmqevented's")
		require.ErrorIs(t, context.Cause(st.Context()), zmqstream.ErrClosed)
		require.ErrorIs(t, context.Cause(st.Context()), zmqevented.ErrClosed)
		// The socket is still the caller's, and open.
		_, err = pull.TryRecv()
		require.ErrorIs(t, err, zmqevented.ErrWouldBlock)
	})

	t.Run("concurrently", func(t *testing.T) {
		noLeaks(t)
		c := zmqtest.NewContext(t)
		pull, _ := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
		st := newStream(t, pull)
		_ = st.Tap(t.Context(), 0, zmqstream.Block)
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- st.Close() }()
		}
		nils := 0
		for range 4 {
			if err := <-errs; err == nil {
				nils++
			} else {
				require.ErrorIs(t, err, zmqstream.ErrClosed)
			}
		}
		require.Equal(t, 1, nils)
	})

	t.Run("from inside the consumer", func(t *testing.T) {
		noLeaks(t)
		c := zmqtest.NewContext(t)
		pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
		ctx := zmqtest.Ctx(t, time.Minute)
		sendSeq(ctx, t, push, 0, 3)
		st := newStream(t, pull)
		got := 0
		for m, err := range st.All(ctx) {
			require.NoError(t, err)
			require.Equal(t, got, unseq(t, m))
			got++
			require.NoError(t, st.Close())
		}
		require.Equal(t, 1, got)
		waitClosed(t, st.Done(), time.Second, "Done")
		rest := append(st.Undelivered(), drain(t, pull)...)
		require.Len(t, rest, 2)
		require.Equal(t, 1, unseq(t, rest[0]))
	})

	t.Run("owned socket", func(t *testing.T) {
		noLeaks(t)
		c := zmqtest.NewContext(t)
		pull, _ := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
		st := newStream(t, pull, zmqstream.WithCloseSocket(true))
		_ = st.C()
		require.NoError(t, st.Close())
		_, err := pull.TryRecv()
		require.ErrorIs(t, err, zmqevented.ErrClosed)
	})
}

func asMsg(t *testing.T, v any) [][]byte {
	t.Helper()
	m, ok := v.([][]byte)
	require.True(t, ok, "item %T is not a message", v)
	return m
}

// collect reads ch until it is closed.
func collect[T any](ch <-chan T) []T {
	var out []T
	for v := range ch {
		out = append(out, v)
	}
	return out
}

// chanDone returns a channel closed once ch is closed, draining ch meanwhile.
func chanDone[T any](ch <-chan T) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
			_ = 0 // drain
		}
	}()
	return done
}

// Leaving an All loop stops receiving; the unread messages stay in the socket for a
// new Stream, and together the two see every message exactly once, in order. The same
// holds for the other forms with Undelivered and WithPending.
func TestStopAndResume(t *testing.T) {
	const total, firstPart = 40, 7
	type stopper func(t *testing.T, ctx context.Context, st *zmqstream.Stream) []int
	forms := map[string]stopper{
		"All/break": func(t *testing.T, ctx context.Context, st *zmqstream.Stream) []int {
			var got []int
			for m, err := range st.All(ctx) {
				require.NoError(t, err)
				got = append(got, unseq(t, m))
				if len(got) == firstPart {
					break
				}
			}
			return got
		},
		"All/cancel": func(t *testing.T, ctx context.Context, st *zmqstream.Stream) []int {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var got []int
			for m, err := range st.All(ctx) {
				if err != nil {
					require.ErrorIs(t, err, context.Canceled)
					break
				}
				got = append(got, unseq(t, m))
				if len(got) == firstPart {
					cancel()
				}
			}
			return got
		},
		"C/Close": func(t *testing.T, _ context.Context, st *zmqstream.Stream) []int {
			var got []int
			ch := st.C()
			for len(got) < firstPart {
				m, _ := recvChan(t, ch, 5*time.Second)
				got = append(got, unseq(t, m))
			}
			require.NoError(t, st.Close())
			for m := range ch {
				got = append(got, unseq(t, m))
			}
			return got
		},
		"Observable/break": func(t *testing.T, ctx context.Context, st *zmqstream.Stream) []int {
			var got []int
			for m, err := range zmqstream.Values[[][]byte](ctx, st.Observable()) {
				require.NoError(t, err)
				got = append(got, unseq(t, m))
				if len(got) == firstPart {
					break
				}
			}
			return got
		},
		"First": func(t *testing.T, ctx context.Context, st *zmqstream.Stream) []int {
			m, err := zmqstream.First[[][]byte](ctx, st.Observable()).Await(ctx)
			require.NoError(t, err)
			return []int{unseq(t, m)}
		},
	}
	for name, stop := range forms {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			for _, buffer := range []int{0, 3, zmqstream.DefaultBuffer} {
				c := zmqtest.NewContext(t)
				pull, push := zmqtest.Pair(t, c, "inproc://"+t.Name()+strconv.Itoa(buffer), zmq4.PULL, zmq4.PUSH, nil, nil)
				ctx := zmqtest.Ctx(t, time.Minute)
				sendSeq(ctx, t, push, 0, total)

				st1 := newStream(t, pull, zmqstream.WithBuffer(buffer))
				got := stop(t, ctx, st1)
				waitClosed(t, st1.Done(), 5*time.Second, "first stream's Done")
				require.NoError(t, st1.Err())
				und := st1.Undelivered()
				require.LessOrEqual(t, len(und), max(buffer, 1), "more than a batch held back")

				st2 := newStream(t, pull, zmqstream.WithPending(und...))
				if len(got) == total { // the first stream's C had all the rest
					require.Empty(t, und)
					continue
				}
				for m, err := range st2.All(ctx) {
					require.NoError(t, err)
					got = append(got, unseq(t, m))
					if len(got) == total {
						break
					}
				}
				want := make([]int, total)
				for i := range want {
					want[i] = i
				}
				require.Equal(t, want, got, "buffer %d", buffer)
			}
		})
	}
}

// Monitor reports the connection and the disconnection of a real peer over tcp, then
// ends when the monitored socket closes.
func TestMonitorTCP(t *testing.T) {
	noLeaks(t)
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, time.Minute)
	router, err := c.NewSocket(zmq4.ROUTER)
	require.NoError(t, err)
	require.NoError(t, router.Bind("tcp://127.0.0.1:*"))
	ep, err := router.LastEndpoint()
	require.NoError(t, err)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)

	es, err := zmqstream.Monitor(ctx, dealer, zmq4.EVENT_ALL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = es.Close() })
	events := es.C()
	require.NoError(t, dealer.Connect(ep))

	await := func(kind zmq4.Event) zmqevented.MonitorEvent {
		t.Helper()
		for {
			ev, ok := recvChan(t, events, 10*time.Second)
			require.True(t, ok, "events ended before %v: %v", kind, es.Err())
			t.Log(ev)
			if ev.Event == kind {
				return ev
			}
		}
	}
	ev := await(zmq4.EVENT_CONNECTED)
	require.Equal(t, ep, ev.Endpoint)
	require.NotZero(t, ev.Value, "file descriptor")
	require.Equal(t, ep, await(zmq4.EVENT_HANDSHAKE_SUCCEEDED).Endpoint)

	require.NoError(t, router.Close()) // the peer goes away
	require.Equal(t, ep, await(zmq4.EVENT_DISCONNECTED).Endpoint)

	require.NoError(t, dealer.Close())
	await(zmq4.EVENT_MONITOR_STOPPED)
	_, ok := recvChan(t, events, 5*time.Second)
	require.False(t, ok, "events go on after monitor-stopped")
	waitClosed(t, es.Done(), time.Second, "Done")
	require.NoError(t, es.Err())
	require.NoError(t, es.Close())
	require.ErrorIs(t, es.Close(), zmqstream.ErrClosed)
}

// Whatever the mask, the sequence ends with monitor-stopped when the monitored socket
// closes (zmqevented adds EVENT_MONITOR_STOPPED to every mask): the events asked for,
// then monitor-stopped, then the end, with no error.
func TestMonitorEndsWithStoppedWhateverTheMask(t *testing.T) {
	masks := map[string]zmq4.Event{
		"connected":         zmq4.EVENT_CONNECTED,
		"connected+stopped": zmq4.EVENT_CONNECTED | zmq4.EVENT_MONITOR_STOPPED,
	}
	for name, mask := range masks {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			c := zmqtest.NewContext(t)
			ctx := zmqtest.Ctx(t, time.Minute)
			router, err := c.NewSocket(zmq4.ROUTER)
			require.NoError(t, err)
			require.NoError(t, router.Bind("tcp://127.0.0.1:*"))
			ep, err := router.LastEndpoint()
			require.NoError(t, err)
			dealer, err := c.NewSocket(zmq4.DEALER)
			require.NoError(t, err)

			es, err := zmqstream.Monitor(ctx, dealer, mask)
			require.NoError(t, err)
			t.Cleanup(func() { _ = es.Close() })
			require.NoError(t, dealer.Connect(ep))
			var kinds []zmq4.Event
			for ev, err := range es.All(ctx) {
				require.NoError(t, err)
				kinds = append(kinds, ev.Event)
				if ev.Event == zmq4.EVENT_CONNECTED {
					require.NoError(t, dealer.Close())
				}
			}
			require.Equal(t, []zmq4.Event{zmq4.EVENT_CONNECTED, zmq4.EVENT_MONITOR_STOPPED}, kinds)
			waitClosed(t, es.Done(), time.Second, "Done")
			require.NoError(t, es.Err())
			require.NoError(t, es.Close())
		})
	}
}

// The accepting side, through the Observable form; the monitor's ctx closes it.
func TestMonitorAcceptedObservable(t *testing.T) {
	noLeaks(t)
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, time.Minute)
	router, err := c.NewSocket(zmq4.ROUTER)
	require.NoError(t, err)
	require.NoError(t, router.Bind("tcp://127.0.0.1:*"))
	ep, err := router.LastEndpoint()
	require.NoError(t, err)

	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	es, err := zmqstream.Monitor(mctx, router, zmq4.EVENT_ACCEPTED|zmq4.EVENT_DISCONNECTED)
	require.NoError(t, err)
	dealer, err := c.NewSocket(zmq4.DEALER)
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))

	var kinds []zmq4.Event
	for ev, err := range zmqstream.Values[zmqevented.MonitorEvent](ctx, es.Observable()) {
		require.NoError(t, err)
		t.Log(ev)
		require.Contains(t, ev.Endpoint, "tcp://127.0.0.1:")
		kinds = append(kinds, ev.Event)
		if ev.Event == zmq4.EVENT_ACCEPTED {
			require.NoError(t, dealer.Close())
		}
		if ev.Event == zmq4.EVENT_DISCONNECTED {
			cancel() // closes the EventStream: the observation completes
		}
	}
	require.Equal(t, []zmq4.Event{zmq4.EVENT_ACCEPTED, zmq4.EVENT_DISCONNECTED}, kinds)
	waitClosed(t, es.Done(), 5*time.Second, "Done")
	require.ErrorIs(t, context.Cause(es.Context()), zmqstream.ErrClosed)
	require.ErrorIs(t, es.Close(), zmqstream.ErrClosed)
}

// TestShutdownFlushesPipeline: PUB → SUB Stream → Filter/Map/BufferWithTime →
// zmqsink.Forward → PUSH → PULL. Shutting the Stream down right after it received the
// last tick completes the pipeline, so the partial batch the buffer holds is emitted
// and every tick arrives, in order (Close would cancel the stages and lose it).
func TestShutdownFlushesPipeline(t *testing.T) {
	const ticks = 500
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, 30*time.Second)
	pub, ep := zmqtest.Bind(t, c, zmq4.PUB, "inproc://"+t.Name()+"-pub")
	sub := zmqtest.Connect(t, c, zmq4.SUB, ep, zmqevented.WithSubscribe(""))
	pull, ep2 := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name()+"-pipe")
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep2)

	// Wait for the subscription to reach the PUB (the probes are filtered out below).
	for {
		require.NoError(t, pub.Send(ctx, []byte("probe")))
		rctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		_, err := sub.Recv(rctx)
		cancel()
		if err == nil {
			break
		}
	}

	st, err := zmqstream.New(sub)
	require.NoError(t, err)
	k, err := zmqsink.New(push, zmqsink.WithCloseSocket(false))
	require.NoError(t, err)
	var seen int
	all := make(chan struct{})
	obs := st.Observable().
		Filter(func(v any) bool { return string(asMsg(t, v)[0]) != "probe" }).
		Map(func(_ context.Context, v any) (any, error) {
			if seen++; seen == ticks {
				close(all)
			}
			return asMsg(t, v)[0], nil
		}).
		BufferWithTime(rxgo.WithDuration(time.Hour)).
		Map(func(_ context.Context, v any) (any, error) {
			batch, _ := v.([]any)
			frames := make([][]byte, 0, len(batch))
			for _, f := range batch {
				b, _ := f.([]byte)
				frames = append(frames, b)
			}
			return frames, nil
		})
	fwd := make(chan error, 1)
	go func() { fwd <- zmqsink.Forward(ctx, obs, k) }()

	for i := range ticks {
		require.NoError(t, pub.Send(ctx, []byte(strconv.Itoa(i))))
	}
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatal("the stream did not receive every tick")
	}
	require.NoError(t, st.Shutdown(ctx))
	require.NoError(t, <-fwd, "Forward ends when the stream completes")
	require.NoError(t, k.Shutdown(ctx))

	var got []string
	for len(got) < ticks {
		m, err := pull.Recv(ctx)
		require.NoError(t, err, "received %d of %d ticks", len(got), ticks)
		for _, f := range m {
			got = append(got, string(f))
		}
	}
	for i, s := range got {
		require.Equal(t, strconv.Itoa(i), s)
	}
	require.NoError(t, st.Err())
}
