package zmqsink_test

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

// seqObservable emits n 8-byte sequence frames, as []byte items, and stops when its
// context is cancelled.
func seqObservable(n int) rxgo.Observable {
	return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for i := range n {
			if !rxgo.Of(seq(uint64(i))).SendContext(ctx, next) {
				return
			}
		}
	}})
}

// TestZeroLossUnderBackpressure forwards many messages from an Observable into a PUSH
// with SNDHWM=100 whose PULL consumer keeps pausing. Every message arrives, once and in
// order; the sink's queue fills during each pause (backpressure reaches it) but never
// beyond its bound; and the heap stays bounded, because nothing upstream runs ahead of
// the consumer.
func TestZeroLossUnderBackpressure(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const (
		slots   = 64
		every   = 50_000 // the consumer pauses after this many messages
		pause   = 20 * time.Millisecond
		maxHeap = 32 << 20
	)
	c := zmqtest.NewContext(t)
	// inproc, so that the HWMs are the only buffers: over tcp the kernel's socket
	// buffers would absorb a pause's worth of small messages on their own.
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name(), zmqevented.WithRecvHWM(100))
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep, zmqevented.WithSendHWM(100))
	k := newSink(t, push, zmqsink.WithQueue(slots))
	ctx := zmqtest.Ctx(t, 120*time.Second)

	var fwdErr error
	var wg sync.WaitGroup
	wg.Go(func() { fwdErr = zmqsink.Forward(ctx, seqObservable(n), k) })

	var ms runtime.MemStats
	var peakHeap uint64
	peakQueued := 0
	sample := func() {
		runtime.ReadMemStats(&ms)
		peakHeap = max(peakHeap, ms.HeapInuse)
		peakQueued = max(peakQueued, k.Stats().Queued)
	}
	start := time.Now()
	for i := range n {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		if len(m) != 1 || len(m[0]) != 8 || unseq(t, m[0]) != uint64(i) {
			t.Fatalf("message %d: got %q", i, m)
		}
		if i%10_000 == 0 {
			sample()
		}
		if i%every == every-1 && i < n-every/2 { // (enough left to fill the sink)
			time.Sleep(pause)
			// Backpressure reaches the sink: its queue fills while the consumer rests.
			eventually(t, 10*time.Second, func() bool { return k.Stats().Queued == slots }, "the sink's queue to fill")
			sample()
		}
	}
	wg.Wait()
	require.NoError(t, fwdErr)
	require.NoError(t, k.Flush(ctx))
	_, err := pull.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "nothing beyond the last message")
	require.Equal(t, zmqsink.Stats{Accepted: uint64(n), Sent: uint64(n), Peers: -1}, k.Stats())
	require.Equal(t, slots, peakQueued, "the queue never holds more than its slots")
	require.Less(t, peakHeap, uint64(maxHeap), "heap in use peaked at %d MiB", peakHeap>>20)
	t.Logf("%d messages in %v; heap in use peaked at %.1f MiB", n, time.Since(start), float64(peakHeap)/(1<<20))
}

// TestForwardItems: Forward sends [][]byte, []byte and string items, stops at an error
// item and at an item of another type.
func TestForwardItems(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name())
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	items := func(vs ...any) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			for _, v := range vs {
				it := rxgo.Of(v)
				if err, ok := v.(error); ok {
					it = rxgo.Error(err)
				}
				if !it.SendContext(ctx, next) {
					return
				}
			}
		}})
	}
	boom := errors.New("boom")
	require.NoError(t, zmqsink.Forward(ctx, items([][]byte{[]byte("a"), []byte("b")}, []byte("c"), "d"), k))
	require.ErrorIs(t, zmqsink.Forward(ctx, items("e", boom, "never"), k), boom)
	err := zmqsink.Forward(ctx, items("f", 42, "never"), k)
	require.ErrorIs(t, err, zmqsink.ErrItemType)
	require.ErrorContains(t, err, "int")
	require.ErrorIs(t, zmqsink.Forward(ctx, items([][]byte{}), k), zmqevented.ErrNoFrames)

	for _, want := range [][]string{{"a", "b"}, {"c"}, {"d"}, {"e"}, {"f"}} {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, strs(m))
	}
	require.NoError(t, k.Flush(ctx))
	require.Equal(t, uint64(5), k.Stats().Accepted)
}

// TestForwardStops: Forward returns when its context ends or the sink fails while it
// waits for the next item, and cancels the Observable's producer (goleak checks that
// no goroutine is left behind).
func TestForwardStops(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name())
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	// A source that emits one item and then waits for its context.
	stalled := func(stopped chan<- struct{}) rxgo.Observable {
		return rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
			defer close(stopped)
			rxgo.Of("first").SendContext(ctx, next)
			<-ctx.Done()
		}})
	}

	t.Run("context", func(t *testing.T) {
		stopped := make(chan struct{})
		cause := errors.New("enough")
		fctx, cancel := context.WithCancelCause(ctx)
		go func() {
			m, err := pull.Recv(ctx)
			if err == nil && string(m[0]) == "first" {
				cancel(cause)
			}
		}()
		require.ErrorIs(t, zmqsink.Forward(fctx, stalled(stopped), k), cause)
		<-stopped // the producer saw its context end
	})
	t.Run("operator chain", func(t *testing.T) {
		// Operators run goroutines of their own; cancelling Forward's context stops them.
		stopped := make(chan struct{})
		dctx, cancel := context.WithCancel(ctx)
		go func() {
			m, err := pull.Recv(ctx)
			if err == nil && string(m[0]) == "FIRST" {
				cancel()
			}
		}()
		upper := func(_ context.Context, v any) (any, error) { s, _ := v.(string); return strings.ToUpper(s), nil }
		obs := stalled(stopped).Map(upper).Filter(func(any) bool { return true })
		require.ErrorIs(t, zmqsink.Forward(dctx, obs, k), context.Canceled)
		<-stopped
	})
	t.Run("sink fails", func(t *testing.T) {
		stopped := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- zmqsink.Forward(ctx, stalled(stopped), k) }()
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "first", string(m[0]))
		require.NoError(t, push.Close()) // the sink fails at its next send...
		require.ErrorIs(t, k.Send(ctx, []byte("x")), zmqevented.ErrClosed)
		require.ErrorIs(t, <-done, zmqevented.ErrClosed) // ...and Forward, waiting, sees it
		<-stopped
		require.ErrorIs(t, k.Shutdown(ctx), zmqevented.ErrClosed)
	})
}

// TestForwardChan covers ForwardChan: it sends until the channel closes, and returns
// on its context and on a failed sink.
func TestForwardChan(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name())
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	src := make(chan [][]byte, 3)
	src <- [][]byte{[]byte("a")}
	src <- [][]byte{[]byte("b"), []byte("c")}
	close(src)
	require.NoError(t, zmqsink.ForwardChan(ctx, src, k))
	for _, want := range [][]string{{"a"}, {"b", "c"}} {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, strs(m))
	}

	open := make(chan [][]byte)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, zmqsink.ForwardChan(dctx, open, k), context.DeadlineExceeded)

	require.NoError(t, k.Shutdown(ctx))
	require.ErrorIs(t, zmqsink.ForwardChan(ctx, open, k), zmqsink.ErrClosed)
}

// TestForwardSeq covers ForwardSeq: it sends until the iterator ends, returns its
// error, and stops the iteration when the sink refuses.
func TestForwardSeq(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PULL, "inproc://"+t.Name())
	push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
	k := newSink(t, push)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	boom := errors.New("boom")
	yielded := 0
	src := func(msgs []string, err error) iter.Seq2[[][]byte, error] {
		return func(yield func([][]byte, error) bool) {
			for _, s := range msgs {
				yielded++
				if !yield([][]byte{[]byte(s)}, nil) {
					return
				}
			}
			if err != nil {
				yield(nil, err)
			}
		}
	}
	require.NoError(t, zmqsink.ForwardSeq(ctx, src([]string{"a", "b"}, nil), k))
	require.ErrorIs(t, zmqsink.ForwardSeq(ctx, src([]string{"c"}, boom), k), boom)
	for _, want := range []string{"a", "b", "c"} {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{want}, strs(m))
	}
	require.NoError(t, k.Shutdown(ctx))
	yielded = 0
	require.ErrorIs(t, zmqsink.ForwardSeq(ctx, src([]string{"x", "y", "z"}, nil), k), zmqsink.ErrClosed)
	require.Equal(t, 1, yielded, "iteration stops at the first refusal")
}

func strs(m [][]byte) []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out
}

// TestForwardReturnsRefusedItem: when the sink refuses the item a forwarder has
// already taken from its source (Close began, or the sink failed, while Send waited
// for room), the error carries exactly that item in a *SendError matching the cause;
// the item accepted before it comes back from the sink, and none is lost.
func TestForwardReturnsRefusedItem(t *testing.T) {
	// Each forwarder feeds the sink "a", "b", "c" and closes took once it has handed
	// "b" over (after "a" was accepted).
	forwarders := []struct {
		name string
		run  func(ctx context.Context, k *zmqsink.Sink, took chan<- struct{}) error
	}{
		{"Forward", func(ctx context.Context, k *zmqsink.Sink, took chan<- struct{}) error {
			src := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
				for _, s := range []string{"a", "b", "c"} {
					if !rxgo.Of(s).SendContext(ctx, next) { // in Forward's channel
						return
					}
					if s == "b" {
						close(took)
					}
				}
			}})
			return zmqsink.Forward(ctx, src, k)
		}},
		{"ForwardChan", func(ctx context.Context, k *zmqsink.Sink, took chan<- struct{}) error {
			src := make(chan [][]byte)
			fctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			defer wg.Wait()
			defer cancel()
			wg.Go(func() {
				for _, s := range []string{"a", "b", "c"} {
					select {
					case src <- [][]byte{[]byte(s)}:
					case <-fctx.Done():
						return
					}
					if s == "b" {
						close(took)
					}
				}
			})
			return zmqsink.ForwardChan(ctx, src, k)
		}},
		{"ForwardSeq", func(ctx context.Context, k *zmqsink.Sink, took chan<- struct{}) error {
			src := func(yield func([][]byte, error) bool) {
				for _, s := range []string{"a", "b", "c"} {
					if s == "b" {
						close(took) // ForwardSeq holds "b" from here on
					}
					if !yield([][]byte{[]byte(s)}, nil) {
						return
					}
				}
			}
			return zmqsink.ForwardSeq(ctx, src, k)
		}},
	}
	refusals := []struct {
		name  string
		cause error
		// refuse makes k refuse further messages and returns what the sink reports
		// for the message it had accepted.
		refuse func(t *testing.T, ctx context.Context, k *zmqsink.Sink, push *zmqevented.Socket) error
	}{
		{"closed", zmqsink.ErrClosed, func(t *testing.T, ctx context.Context, k *zmqsink.Sink, _ *zmqevented.Socket) error {
			expired, cancel := context.WithCancel(ctx)
			cancel()
			return k.Shutdown(expired)
		}},
		{"failed", zmqevented.ErrClosed, func(t *testing.T, ctx context.Context, k *zmqsink.Sink, push *zmqevented.Socket) error {
			require.NoError(t, push.Close()) // under the sink's feet: it fails
			err := k.Flush(ctx)
			require.ErrorIs(t, k.Shutdown(ctx), zmqevented.ErrClosed)
			return err
		}},
	}
	for _, f := range forwarders {
		for _, r := range refusals {
			t.Run(f.name+"/"+r.name, func(t *testing.T) {
				c := zmqtest.NewContext(t)
				// No peer: the PUSH takes nothing, so "a" fills the only slot and
				// the forwarder waits in Send with "b".
				push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
				k := newSink(t, push, zmqsink.WithQueue(1))
				ctx := zmqtest.Ctx(t, 10*time.Second)

				took := make(chan struct{})
				errc := make(chan error, 1)
				go func() { errc <- f.run(ctx, k, took) }()
				select {
				case <-took:
				case <-ctx.Done():
					t.Fatal("the forwarder did not take the second item")
				}
				eventually(t, 5*time.Second, func() bool { return k.Stats().Accepted == 1 }, "the first item accepted")
				report := r.refuse(t, ctx, k, push)

				var err error
				select {
				case err = <-errc:
				case <-ctx.Done():
					t.Fatal("the forwarder did not return after the sink refused")
				}
				var se *zmqsink.SendError
				require.ErrorAs(t, err, &se, "the refused item comes back: %v", err)
				want := [][][]byte{{[]byte("b")}}
				if f.name == "Forward" && len(se.Messages) == 2 {
					// "c" was in Forward's buffered channel already: it comes back too.
					want = append(want, [][]byte{[]byte("c")})
				}
				require.Equal(t, want, se.Messages)
				require.Zero(t, se.Omitted)
				require.ErrorIs(t, err, r.cause)

				require.ErrorAs(t, report, &se)
				require.Equal(t, [][][]byte{{[]byte("a")}}, se.Messages, "the accepted item comes back from the sink")
				require.Equal(t, uint64(1), k.Stats().Accepted)
			})
		}
	}
}

// TestForwardReturnsBuffered: Forward observes its source through a buffered channel;
// when it stops early, what that channel holds comes back in the *SendError, so every
// item the source emitted is accepted or returned.
func TestForwardReturnsBuffered(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name()) // no peer: nothing leaves
	k := newSink(t, push, zmqsink.WithQueue(2))
	ctx := zmqtest.Ctx(t, 10*time.Second)
	var emitted atomic.Int64
	src := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, next chan<- rxgo.Item) {
		for i := range 50 {
			if !rxgo.Of(seq(uint64(i))).SendContext(ctx, next) {
				return
			}
			emitted.Add(1)
		}
	}})
	fctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- zmqsink.Forward(fctx, src, k) }()
	eventually(t, 5*time.Second, func() bool { return emitted.Load() >= 20 }, "the source ran ahead into the buffer")
	cancel()
	err := <-errc
	var se *zmqsink.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, context.Canceled)
	accepted := k.Stats().Accepted
	require.Equal(t, uint64(2), accepted)
	require.Equal(t, emitted.Load(), int64(accepted)+int64(len(se.Messages)), "an emitted item was lost")
	for i, m := range se.Messages {
		require.Equal(t, [][]byte{seq(uint64(int(accepted) + i))}, m, "order")
	}
	require.ErrorAs(t, k.Close(), &se, "no peer: the accepted ones come back too")
	require.Len(t, se.Messages, 2)
}
