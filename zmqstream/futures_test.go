package zmqstream_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqstream"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
)

// calls records FlatMapFuture's calls of fn: one promise per input, in call order.
type calls struct {
	mu       sync.Mutex
	promises []*zmqfuture.Promise[string]
	inputs   []int
}

func (c *calls) fn(_ context.Context, v int) *zmqfuture.Future[string] {
	p := zmqfuture.NewPromise[string]()
	c.mu.Lock()
	c.promises = append(c.promises, p)
	c.inputs = append(c.inputs, v)
	c.mu.Unlock()
	return p.Future()
}

func (c *calls) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.promises)
}

func (c *calls) promise(i int) *zmqfuture.Promise[string] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.promises[i]
}

func TestFlatMapFuture(t *testing.T) {
	t.Run("order and concurrency bound", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const n, concurrency = 10, 3
			var c calls
			obs := zmqstream.FlatMapFuture(rxgo.Range(0, n), c.fn, concurrency)
			results := make(chan rxgo.Item)
			go func() {
				defer close(results)
				for it := range obs.Observe() {
					results <- it
				}
			}()
			synctest.Wait()
			require.Equal(t, concurrency, c.count(), "futures in flight")
			// Settle them backwards: nothing can be emitted before the first.
			c.promise(2).Resolve("r2")
			c.promise(1).Resolve("r1")
			synctest.Wait()
			require.Equal(t, concurrency, c.count())
			select {
			case it := <-results:
				t.Fatalf("emitted %v before the first result", it)
			default:
			}
			c.promise(0).Resolve("r0")
			for i := range n {
				if i >= 3 {
					synctest.Wait()
					// Each result taken downstream made room for one more call.
					require.Equal(t, min(n, i+concurrency), c.count())
					c.promise(i).Resolve("r" + string(rune('0'+i)))
				}
				it := <-results
				require.NoError(t, it.E)
				require.Equal(t, "r"+string(rune('0'+i)), it.V)
			}
			_, ok := <-results
			require.False(t, ok)
			require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, c.inputs)
		})
	})

	t.Run("errors take their place and do not stop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			boom := errors.New("boom")
			fn := func(_ context.Context, v int) *zmqfuture.Future[int] {
				switch v {
				case 1:
					return zmqfuture.Failed[int](boom)
				case 2:
					return nil
				}
				return zmqfuture.Ready(v * 10)
			}
			obs := zmqstream.FlatMapFuture(rxgo.Just(0, 1, 2, "three", errors.New("item"), 5)(), fn, 2)
			var got []pair2
			for v, err := range zmqstream.Values[int](t.Context(), obs) {
				got = append(got, pair2{v, err})
			}
			require.Len(t, got, 6)
			require.Equal(t, pair2{0, nil}, got[0])
			require.ErrorIs(t, got[1].err, boom)
			require.ErrorIs(t, got[2].err, zmqstream.ErrNilFuture)
			require.ErrorIs(t, got[3].err, zmqstream.ErrItemType)
			require.EqualError(t, got[4].err, "item")
			require.Equal(t, pair2{50, nil}, got[5])
		})
	})

	t.Run("leaving cancels the futures in flight", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var c calls
			obs := zmqstream.FlatMapFuture(rxgo.Range(0, 100), c.fn, 4)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for _, err := range zmqstream.Values[string](t.Context(), obs) {
					require.NoError(t, err)
					break
				}
			}()
			synctest.Wait()
			require.Equal(t, 4, c.count())
			c.promise(0).Resolve("r0")
			<-done
			synctest.Wait()
			n := c.count()
			require.Contains(t, []int{4, 5}, n, "at most one more call after the first result")
			for i := 1; i < n; i++ {
				require.Error(t, c.promise(i).Context().Err(), "future %d not cancelled", i)
				_, err := c.promise(i).Future().Await(t.Context())
				require.ErrorIs(t, err, context.Canceled)
			}
		})
	})

	t.Run("a blocking fn holds back the next items and returns with its ctx", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			gate := make(chan struct{})
			var called atomic.Int32
			fn := func(ctx context.Context, v int) *zmqfuture.Future[int] {
				called.Add(1)
				var wait <-chan struct{}
				switch v {
				case 1:
					wait = gate // until the test opens it
				case 5:
					wait = nil // until the observation ends
				default:
					return zmqfuture.Ready(v)
				}
				select {
				case <-wait:
					return zmqfuture.Ready(v)
				case <-ctx.Done():
					return zmqfuture.Failed[int](context.Cause(ctx))
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			results := make(chan pair2, 10)
			go func() {
				defer close(results)
				for v, err := range zmqstream.Values[int](ctx, zmqstream.FlatMapFuture(rxgo.Range(0, 10), fn, 4)) {
					results <- pair2{v, err}
				}
			}()
			synctest.Wait()
			require.Equal(t, int32(2), called.Load(), "items observed while fn blocked")
			require.LessOrEqual(t, len(results), 1, "results emitted while fn blocked")
			close(gate)
			synctest.Wait()
			require.Equal(t, int32(6), called.Load())
			cancel() // fn(5) returns; the observation and every goroutine end
			var got []pair2
			for r := range results {
				got = append(got, r)
			}
			require.NotEmpty(t, got)
			last := got[len(got)-1]
			require.ErrorIs(t, last.err, context.Canceled)
			for i, r := range got[:len(got)-1] {
				require.Equal(t, pair2{i, nil}, r)
			}
			require.LessOrEqual(t, len(got)-1, 5, "a result after the blocked item")
		})
	})

	t.Run("invalid concurrency", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var c calls
			_, errs := collectValues[string](t.Context(), zmqstream.FlatMapFuture(rxgo.Just(1)(), c.fn, 0))
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], zmqstream.ErrInvalidArgument)
		})
	})
}

func TestFirst(t *testing.T) {
	t.Run("value, read twice", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := zmqstream.First[int](t.Context(), rxgo.Just(7, 8)())
			for range 2 { // rxgo's lazy Single would panic on the second read
				v, err := f.Await(t.Context())
				require.NoError(t, err)
				require.Equal(t, 7, v)
			}
		})
	})
	t.Run("empty", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, err := zmqstream.First[int](t.Context(), rxgo.Empty()).Await(t.Context())
			require.ErrorIs(t, err, zmqstream.ErrNoItems)
		})
	})
	t.Run("error item and wrong type", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			boom := errors.New("boom")
			_, err := zmqstream.First[int](t.Context(), rxgo.Thrown(boom)).Await(t.Context())
			require.ErrorIs(t, err, boom)
			_, err = zmqstream.First[int](t.Context(), rxgo.Just("x")()).Await(t.Context())
			require.ErrorIs(t, err, zmqstream.ErrItemType)
		})
	})
	t.Run("cancel stops observing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			stopped := make(chan error, 1)
			never := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, _ chan<- rxgo.Item) {
				<-ctx.Done()
				stopped <- ctx.Err()
			}})
			f := zmqstream.First[int](t.Context(), never)
			synctest.Wait()
			cause := errors.New("not needed")
			f.Cancel(cause)
			require.ErrorIs(t, <-stopped, context.Canceled)
			_, err := f.Await(t.Context())
			require.ErrorIs(t, err, cause)
		})
	})
	t.Run("ctx done", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			never := rxgo.Defer([]rxgo.Producer{func(ctx context.Context, _ chan<- rxgo.Item) { <-ctx.Done() }})
			_, err := zmqstream.First[int](ctx, never).Await(t.Context())
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})
	})
}

// FlatMapFuture over a Stream's Observable: a ROUTER's requests answered through a
// future each; closing the Stream stops everything, even with futures pending.
func TestFlatMapFutureOnStream(t *testing.T) {
	noLeaks(t)
	c := zmqtest.NewContext(t)
	ctx := zmqtest.Ctx(t, time.Minute)
	router, dealer := zmqtest.Pair(t, c, inproc(t), zmq4.ROUTER, zmq4.DEALER, nil, nil)
	st := newStream(t, router)
	pending := zmqfuture.NewPromise[[][]byte]() // request "hold" never gets an answer
	replies := zmqstream.FlatMapFuture(st.Observable(), func(_ context.Context, req [][]byte) *zmqfuture.Future[[][]byte] {
		if string(req[1]) == "hold" {
			return pending.Future()
		}
		return zmqfuture.Ready([][]byte{req[0], append([]byte("re:"), req[1]...)})
	}, 8)
	served := make(chan struct{})
	var serveErrs []error
	go func() {
		defer close(served)
		for rep, err := range zmqstream.Values[[][]byte](ctx, replies) {
			if err == nil {
				err = router.Send(ctx, rep...)
			}
			if err != nil {
				serveErrs = append(serveErrs, err)
			}
		}
	}()
	for _, body := range []string{"a", "b", "c"} {
		require.NoError(t, dealer.Send(ctx, []byte(body)))
		rep, err := dealer.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte("re:" + body)}, rep)
	}
	require.NoError(t, dealer.Send(ctx, []byte("hold")))
	require.NoError(t, dealer.Send(ctx, []byte("after")))
	time.Sleep(20 * time.Millisecond) // "after" waits behind "hold"
	require.NoError(t, st.Close())
	waitClosed(t, served, 5*time.Second, "the serving loop")
	require.Empty(t, serveErrs)
	require.Error(t, pending.Context().Err(), "the pending future was cancelled")
}
