package zmqstream

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactivex/rxgo/v2"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// The stream machinery over a fake socket, deterministically: in synctest bubbles,
// where synctest.Wait lets every goroutine settle and the bubble fails if any
// goroutine is left behind.

// fakeSocket is a source of ints: the queue stands for libzmq's, so len(queue) is what
// the stream has not taken.
type fakeSocket struct {
	queue chan int
	fail  chan error // an error here makes the next take fail
}

func newFakeSocket(n int) *fakeSocket {
	return &fakeSocket{queue: make(chan int, n), fail: make(chan error, 1)}
}

func (f *fakeSocket) feed(vs ...int) {
	for _, v := range vs {
		f.queue <- v
	}
}

func (f *fakeSocket) take(ctx context.Context, dst []int, n int) ([]int, error) {
	if ctx.Err() != nil { // as zmqevented's RecvMany: a done ctx takes nothing
		return dst, context.Cause(ctx)
	}
	select {
	case v := <-f.queue: // what is queued comes before a failure
		dst = append(dst, v)
	default:
		select {
		case v := <-f.queue:
			dst = append(dst, v)
		case err := <-f.fail:
			return dst, err
		case <-ctx.Done():
			return dst, context.Cause(ctx)
		}
	}
	for len(dst) < n { // then what else is queued, up to n, without waiting
		select {
		case v := <-f.queue:
			dst = append(dst, v)
		default:
			return dst, nil
		}
	}
	return dst, nil
}

// newTestCore makes a core over f; unless opts say otherwise it takes one item at a
// time (WithBuffer(0)), the form whose bounds are exact.
func newTestCore(t *testing.T, f *fakeSocket, opts ...Option) *core[int] {
	opts = append([]Option{WithLogger(zaptest.NewLogger(t)), WithBuffer(0)}, opts...)
	o := parseOptions(opts)
	require.NoError(t, errors.Join(o.errs...))
	c := newCore(f.take, o, nil)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func asInt(v any) int {
	n, _ := v.(int)
	return n
}

func seqInts(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// readN reads n items from ch, each of which must be ready once every goroutine of
// the bubble has settled.
func readN[T any](t *testing.T, ch <-chan T, n int) []T {
	t.Helper()
	var out []T
	for range n {
		synctest.Wait()
		select {
		case v, ok := <-ch:
			require.True(t, ok, "channel closed after %d items", len(out))
			out = append(out, v)
		default:
			t.Fatalf("only %d of %d items ready", len(out), n)
		}
	}
	return out
}

func requireEmpty[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, ok := <-ch:
		t.Fatalf("unexpected item %v (open %v)", v, ok)
	default:
	}
}

func requireClosed[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, ok := <-ch:
		require.False(t, ok, "item %v instead of the end", v)
	default:
		t.Fatal("channel still open")
	}
}

func TestCHoldsAtMostBufferPlusOne(t *testing.T) {
	for _, buffer := range []int{0, 1, 3} {
		t.Run("buffer"+string(rune('0'+buffer)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSocket(10)
				f.feed(seqInts(0, 10)...)
				c := newTestCore(t, f, WithBuffer(buffer))
				ch := c.C()
				synctest.Wait()
				require.Equal(t, 10-buffer-1, len(f.queue), "taken beyond buffer + 1")
				require.Equal(t, seqInts(0, 2), readN(t, ch, 2))
				synctest.Wait()
				require.Equal(t, 10-buffer-3, len(f.queue))

				require.NoError(t, c.Close())
				// C keeps its buffer until read; the held item is Undelivered.
				require.Equal(t, seqInts(2, 2+buffer), readN(t, ch, buffer))
				requireClosed(t, ch)
				synctest.Wait()
				requireClosed(t, c.Done())
				require.Equal(t, []int{2 + buffer}, c.Undelivered())
				require.NoError(t, c.Err())
				require.Equal(t, ch, c.C(), "C returns the same channel")
			})
		})
	}
}

func TestPendingFirstThenUndelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(10)
		f.feed(10, 11, 12)
		o := parseOptions(nil)
		c := newCore(f.take, o, nil)
		c.setPending([]int{7, 8, 9})
		var got []int
		for v, err := range c.All(t.Context()) {
			require.NoError(t, err)
			got = append(got, v)
			if len(got) == 2 {
				break
			}
		}
		require.Equal(t, []int{7, 8}, got)
		requireClosed(t, c.Done())
		require.Equal(t, []int{9}, c.Undelivered(), "pending items not reached")
		require.Equal(t, 3, len(f.queue), "All took beyond what the loop asked")
		require.NoError(t, c.Close())
	})
}

func TestSourceFailure(t *testing.T) {
	boom := errors.New("boom")
	t.Run("C", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(1)
			c := newTestCore(t, f)
			ch := c.C()
			synctest.Wait()
			f.fail <- boom
			require.Equal(t, []int{1}, readN(t, ch, 1))
			synctest.Wait()
			requireClosed(t, ch)
			requireClosed(t, c.Done())
			require.ErrorIs(t, c.Err(), boom)
			require.NoError(t, c.Context().Err(), "only Close cancels the lifetime context")
		})
	})
	t.Run("All", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(1)
			f.fail <- boom
			c := newTestCore(t, f)
			var got []int
			var errs []error
			for v, err := range c.All(t.Context()) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				got = append(got, v)
			}
			require.Equal(t, []int{1}, got)
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], boom)
			require.ErrorIs(t, c.Err(), boom)
		})
	})
	t.Run("Observable", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(1)
			f.fail <- boom
			c := newTestCore(t, f)
			// The error travels through a stage before the end.
			obs := c.observable(nil).Map(func(_ context.Context, v any) (any, error) { return asInt(v) * 10, nil })
			var items []rxgo.Item
			for it := range obs.Observe() {
				items = append(items, it)
			}
			require.Len(t, items, 2)
			require.Equal(t, 10, items[0].V)
			require.ErrorIs(t, items[1].E, boom)
			require.ErrorIs(t, c.Err(), boom)
		})
	})
	t.Run("Tap", func(t *testing.T) {
		// The subscribers' contexts never end: the failure alone must close their
		// channels, after what their buffers hold.
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			block := c.subscribe(t.Context(), 2, Block)
			drop := c.subscribe(t.Context(), 1, DropNewest)
			f.feed(1, 2)
			synctest.Wait()
			f.fail <- boom
			synctest.Wait()
			require.Equal(t, []int{1, 2}, collectChan(block.ch))
			require.Equal(t, []int{1}, collectChan(drop.ch))
			require.Equal(t, uint64(1), drop.dropped.Load())
			requireClosed(t, c.Done())
			require.ErrorIs(t, c.Err(), boom)
			require.Zero(t, c.subscribers(), "the stream keeps ended subscribers")
			requireClosed(t, c.subscribe(t.Context(), 1, Block).ch)
		})
	})
	t.Run("end of sequence", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(1)
			f.fail <- errEnd
			c := newTestCore(t, f)
			require.Equal(t, []int{1}, collectChan(c.C()))
			require.NoError(t, c.Err())
		})
	})
}

func collectChan[T any](ch <-chan T) []T {
	var out []T
	for v := range ch {
		out = append(out, v)
	}
	return out
}

func TestSecondConsumer(t *testing.T) {
	first := map[string]func(c *core[int]){
		"C":          func(c *core[int]) { _ = c.C() },
		"Observable": func(c *core[int]) { _ = c.observable(nil) },
		"Tap":        func(c *core[int]) { _ = c.subscribe(context.Background(), 0, Block) },
		"All": func(c *core[int]) {
			go func() {
				for _, err := range c.All(context.Background()) {
					_ = err // consumes until Close
				}
			}()
			synctest.Wait()
		},
	}
	for name, start := range first {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestCore(t, newFakeSocket(1))
				start(c)
				if name != "C" {
					requireClosed(t, c.C())
					require.ErrorIs(t, c.Err(), ErrConsumed)
					c.err = nil
				}
				if name != "Tap" {
					requireClosed(t, c.subscribe(t.Context(), 1, DropOldest).ch)
					require.ErrorIs(t, c.Err(), ErrConsumed)
					c.err = nil
				}
				if name != "All" {
					var errs []error
					for _, err := range c.All(t.Context()) {
						errs = append(errs, err)
					}
					require.Len(t, errs, 1)
					require.ErrorIs(t, errs[0], ErrConsumed)
				}
				if name != "Observable" {
					items := collectChan(c.observable(nil).Observe())
					require.Len(t, items, 1)
					require.ErrorIs(t, items[0].E, ErrConsumed)
				}
				require.NoError(t, c.Close())
			})
		})
	}

	t.Run("second observation", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(5)
			f.feed(1, 2)
			c := newTestCore(t, f)
			obs := c.observable(nil)
			items := obs.Observe()
			it := <-items
			require.Equal(t, 1, it.V)
			second := collectChan(obs.Observe())
			require.Len(t, second, 1)
			require.ErrorIs(t, second[0].E, ErrConsumed)
			require.NoError(t, c.Close())
			require.Empty(t, collectChan(items))
			require.Equal(t, []int{2}, c.Undelivered())
		})
	})

	t.Run("closed before consumed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCore(t, newFakeSocket(1))
			require.NoError(t, c.Close())
			requireClosed(t, c.C())
			require.NoError(t, c.Err(), "not a misuse")
			require.Empty(t, collectChan(c.observable(nil).Observe()))
		})
	})
}

func TestTapPolicies(t *testing.T) {
	t.Run("Block holds back the fan-out and the socket", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			a := c.subscribe(t.Context(), 1, Block)
			b := c.subscribe(t.Context(), 3, Block)
			f.feed(seqInts(0, 10)...)
			synctest.Wait()
			// a has 0 in its buffer, and the fan-out holds 1 until a has room.
			require.Equal(t, 8, len(f.queue))
			require.Equal(t, []int{0}, readN(t, a.ch, 1))
			synctest.Wait()
			require.Equal(t, 7, len(f.queue))
			require.Equal(t, []int{0, 1}, readN(t, b.ch, 2))
			requireEmpty(t, b.ch)
			require.Equal(t, []int{1}, readN(t, a.ch, 1))
			synctest.Wait()
			// a has 2 in its buffer, b has 2, and the fan-out holds 3 until a has room.
			require.Equal(t, []int{2}, readN(t, a.ch, 1))
			synctest.Wait()
			require.Equal(t, []int{2, 3}, readN(t, b.ch, 2))
			require.Zero(t, a.dropped.Load())
			require.NoError(t, c.Close())
			require.Equal(t, []int{3}, collectChan(a.ch))
			require.Empty(t, collectChan(b.ch))
			require.Equal(t, []int{4}, c.Undelivered(), "the item a had no room for")
		})
	})

	t.Run("DropNewest keeps the first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			s := c.subscribe(t.Context(), 2, DropNewest)
			f.feed(seqInts(0, 5)...)
			synctest.Wait()
			require.Zero(t, len(f.queue), "drop policies never hold back")
			require.Equal(t, []int{0, 1}, readN(t, s.ch, 2))
			requireEmpty(t, s.ch)
			require.Equal(t, uint64(3), s.dropped.Load())
		})
	})

	t.Run("DropOldest keeps the latest", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			s := c.subscribe(t.Context(), 2, DropOldest)
			f.feed(seqInts(0, 5)...)
			synctest.Wait()
			require.Equal(t, []int{3, 4}, readN(t, s.ch, 2))
			require.Equal(t, uint64(3), s.dropped.Load())
		})
	})

	t.Run("drop with no buffer", func(t *testing.T) {
		for _, policy := range []Overflow{DropNewest, DropOldest} {
			t.Run(policy.String(), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFakeSocket(10)
					c := newTestCore(t, f)
					s := c.subscribe(t.Context(), 0, policy)
					f.feed(0, 1)
					synctest.Wait()
					require.Equal(t, uint64(2), s.dropped.Load(), "nobody was waiting")
					got := make(chan int)
					go func() { got <- <-s.ch }()
					synctest.Wait() // the subscriber waits now
					f.feed(2)
					require.Equal(t, 2, <-got)
					require.Equal(t, uint64(2), s.dropped.Load())
				})
			})
		}
	})

	t.Run("a slow drop subscriber does not stall a Block one", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const n = 50
			f := newFakeSocket(n)
			c := newTestCore(t, f)
			slow := c.subscribe(t.Context(), 4, DropNewest)
			fast := c.subscribe(t.Context(), 0, Block)
			f.feed(seqInts(0, n)...)
			var got []int
			for v := range fast.ch {
				got = append(got, v)
				if len(got) == n {
					break
				}
			}
			require.Equal(t, seqInts(0, n), got)
			require.Equal(t, seqInts(0, 4), readN(t, slow.ch, 4))
			require.Equal(t, uint64(n-4), slow.dropped.Load())
		})
	})

	t.Run("leaving", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			ctx, cancel := context.WithCancel(t.Context())
			a := c.subscribe(ctx, 0, Block)
			f.feed(0)
			synctest.Wait() // the fan-out holds 0 for a
			cancel()
			synctest.Wait()
			requireClosed(t, a.ch)
			require.Zero(t, len(f.queue))
			// 0 found nobody: the next subscriber gets it first.
			b := c.subscribe(t.Context(), 2, Block)
			f.feed(1)
			synctest.Wait()
			require.Equal(t, []int{0, 1}, readN(t, b.ch, 2))
			require.NoError(t, c.Close())
			requireClosed(t, b.ch)
		})
	})

	t.Run("no subscriber takes nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			ctx, cancel := context.WithCancel(t.Context())
			s := c.subscribe(ctx, 0, Block)
			cancel()
			synctest.Wait()
			requireClosed(t, s.ch)
			f.feed(0, 1)
			synctest.Wait()
			require.Equal(t, 2, len(f.queue))
		})
	})

	t.Run("invalid", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newTestCore(t, newFakeSocket(1))
			requireClosed(t, c.subscribe(t.Context(), -1, Block).ch)
			require.ErrorIs(t, c.Err(), ErrInvalidArgument)
			c.err = nil
			requireClosed(t, c.subscribe(t.Context(), 1, Overflow(9)).ch)
			require.ErrorIs(t, c.Err(), ErrInvalidArgument)
			require.Equal(t, "overflow(9)", Overflow(9).String())
		})
	})
}

// Subscribing and leaving many times on a long-lived stream: the stream forgets each
// subscription as it ends, so neither its bookkeeping nor the heap grows with the
// churn (each subscription's buffer holds 1,024 ints: retained, 10,000 of them would
// hold about 80 MiB).
func TestSubscriptionChurnDoesNotGrow(t *testing.T) {
	const rounds, buffer, heapCap = 10_000, 1024, 16 << 20
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(2)
		c := newTestCore(t, f)
		var ended []*subscriber[int] // the callers keep the handles; the stream must not
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range rounds {
			ctx, cancel := context.WithCancel(t.Context())
			s := c.subscribe(ctx, buffer, DropOldest)
			if i%1000 == 0 {
				ended = append(ended, s)
			}
			cancel()
			if i%100 == 99 {
				synctest.Wait()
				require.Zero(t, c.subscribers(), "after %d subscriptions", i+1)
			}
		}
		synctest.Wait()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		t.Logf("heap grew by %d bytes over %d subscriptions", grown, rounds)
		require.Less(t, grown, int64(heapCap))
		for _, s := range ended {
			requireClosed(t, s.ch)
		}

		// The stream still serves a new subscriber.
		s := c.subscribe(t.Context(), 1, Block)
		f.feed(7)
		require.Equal(t, []int{7}, readN(t, s.ch, 1))
		require.Equal(t, 1, c.subscribers())
		require.NoError(t, c.Close())
		requireClosed(t, s.ch)
		require.Zero(t, c.subscribers())
	})
}

// First on a stream's Observable: the first item is delivered and the stream ends.
// The producer has already taken the next item by then; it is not lost but
// Undelivered, and the items after it are still in the source.
func TestFirstLeavesTheNextItemUndelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(10)
		f.feed(seqInts(0, 5)...)
		c := newTestCore(t, f)
		v, err := First[int](t.Context(), c.observable(nil)).Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 0, v)
		synctest.Wait()
		requireClosed(t, c.Done())
		require.NoError(t, c.Err())
		require.Equal(t, seqInts(1, 5), append(c.Undelivered(), collectQueue(f)...), "lost or reordered")
	})
}

// rxgo trap: an operator stage whose consumer stops reading, with a context nobody
// cancels, blocks forever. Close cancels every stage chained on the Observable; the
// bubble fails if any goroutine is left.
func TestCloseStopsAbandonedPipeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(10)
		f.feed(seqInts(0, 10)...)
		c := newTestCore(t, f)
		obs := c.observable(nil).
			Map(func(_ context.Context, v any) (any, error) { return asInt(v) + 1, nil }).
			Filter(func(any) bool { return true }).
			BufferWithCount(1)
		_, ok := obs.(*pipeline)
		require.True(t, ok, "operators keep the stream's context")
		items := obs.Observe()
		it := <-items
		require.Equal(t, []any{1}, it.V)
		synctest.Wait() // every stage now blocks on its consumer
		require.NoError(t, c.Close())
		synctest.Wait()
		requireClosed(t, c.Done())
	})
}

// A context given to Observe reaches the producer (rxgo propagates it upstream
// through every stage): cancelling it ends the observation and the stream, and the
// item the producer held is Undelivered.
func TestObserveContextEndsStream(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 5)...)
			c := newTestCore(t, f)
			ctx, cancel := context.WithCancel(t.Context())
			items := c.observable(nil).Observe(rxgo.WithContext(ctx))
			require.Equal(t, 0, (<-items).V)
			synctest.Wait()
			cancel()
			synctest.Wait()
			requireClosed(t, c.Done())
			require.NoError(t, c.Err())
			require.NoError(t, c.Context().Err())
			require.Equal(t, []int{1}, c.Undelivered())
			require.Equal(t, 3, len(f.queue))
		})
	})
	t.Run("through a stage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 5)...)
			c := newTestCore(t, f)
			ctx, cancel := context.WithCancel(t.Context())
			items := c.observable(nil).Map(func(_ context.Context, v any) (any, error) { return v, nil }).
				Observe(rxgo.WithContext(ctx))
			require.Equal(t, 0, (<-items).V)
			synctest.Wait()
			cancel()
			synctest.Wait()
			requireClosed(t, c.Done())
			// The Map stage held 1 (and may have taken 2 on its way out: rxgo's
			// stages pick at random between a cancelled context and an input).
			und := c.Undelivered()
			require.Len(t, und, 1)
			require.Equal(t, 5-und[0]-1, len(f.queue))
		})
	})
}

// WithLimit: every form delivers exactly the limit, then completes without an error,
// and the item after the limit was never taken.
func TestLimit(t *testing.T) {
	forms := []struct {
		name string
		read func(t *testing.T, c *core[int]) []int // everything until the end
	}{
		{"C", func(_ *testing.T, c *core[int]) []int { return collectChan(c.C()) }},
		{"All", func(t *testing.T, c *core[int]) []int {
			var out []int
			for v, err := range c.All(t.Context()) {
				require.NoError(t, err)
				out = append(out, v)
			}
			return out
		}},
		{"Observable", func(t *testing.T, c *core[int]) []int {
			var out []int
			for it := range c.observable(nil).Observe() {
				require.NoError(t, it.E)
				out = append(out, asInt(it.V))
			}
			return out
		}},
		{"Tap", func(t *testing.T, c *core[int]) []int {
			return collectChan(c.subscribe(t.Context(), 0, Block).ch)
		}},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSocket(10)
				f.feed(seqInts(10, 20)...)
				c := newTestCore(t, f, WithLimit(5))
				c.setPending([]int{0, 1})
				require.Equal(t, []int{0, 1, 10, 11, 12}, form.read(t, c))
				synctest.Wait()
				requireClosed(t, c.Done())
				require.NoError(t, c.Err())
				require.Nil(t, c.Undelivered())
				require.Equal(t, 7, len(f.queue), "taken beyond the limit")
			})
		})
	}
	t.Run("invalid", func(t *testing.T) {
		require.ErrorIs(t, errors.Join(parseOptions([]Option{WithLimit(-1)}).errs...), ErrInvalidArgument)
	})
}

// rxgo's Take reads an item more than it passes on; WithLimit is the lossless form,
// and an item taken back (Close while the pump held it) does not count.
func TestLimitCountsDeliveredOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(10)
		f.feed(seqInts(0, 10)...)
		c := newTestCore(t, f, WithLimit(3))
		ch := c.C()
		require.Equal(t, []int{0}, readN(t, ch, 1))
		synctest.Wait() // the pump holds 1
		require.NoError(t, c.Close())
		require.Equal(t, []int{1}, c.Undelivered())

		next := newTestCore(t, f, WithLimit(3))
		next.setPending(c.Undelivered())
		require.Equal(t, []int{1, 2, 3}, collectChan(next.C()))
		require.Equal(t, 6, len(f.queue))
	})
}

// Shutdown stops taking, lets the consumer take the item held, completes it, and
// returns once it has let go; nothing is lost and nothing more is taken.
func TestShutdown(t *testing.T) {
	t.Run("C hands over the held item", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 5)...)
			c := newTestCore(t, f)
			ch := c.C()
			synctest.Wait() // the pump holds 0
			done := make(chan error, 1)
			go func() { done <- c.Shutdown(t.Context()) }()
			synctest.Wait()
			requireEmpty(t, done) // waits for the consumer
			require.Equal(t, []int{0}, collectChan(ch))
			require.NoError(t, <-done)
			require.NoError(t, c.Err())
			require.Nil(t, c.Undelivered())
			require.Equal(t, 4, len(f.queue))
			require.NoError(t, c.Context().Err(), "Shutdown must not cancel the stages")
			require.ErrorIs(t, c.Close(), ErrClosed)
		})
	})
	t.Run("All waiting for an item ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			c := newTestCore(t, f)
			got := make(chan []int, 1)
			go func() {
				var out []int
				for v, err := range c.All(t.Context()) {
					require.NoError(t, err)
					out = append(out, v)
				}
				got <- out
			}()
			f.feed(1)
			synctest.Wait()
			require.NoError(t, c.Shutdown(t.Context()))
			require.Equal(t, []int{1}, <-got)
			f.feed(2)
			require.Equal(t, 1, len(f.queue))
		})
	})
	t.Run("Observable completes and operators flush", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 5)...)
			c := newTestCore(t, f, WithLimit(0))
			items := c.observable(nil).BufferWithCount(100).Observe()
			synctest.Wait() // the buffer holds 0..4, waiting for more
			require.NoError(t, c.Shutdown(t.Context()))
			var batches [][]any
			for it := range items {
				require.NoError(t, it.E)
				batch, ok := it.V.([]any)
				require.True(t, ok)
				batches = append(batches, batch)
			}
			require.Equal(t, [][]any{{0, 1, 2, 3, 4}}, batches)
		})
	})
	t.Run("Tap", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 3)...)
			c := newTestCore(t, f)
			s := c.subscribe(t.Context(), 1, Block)
			synctest.Wait() // 0 in the buffer, 1 held by the fan-out
			done := make(chan error, 1)
			go func() { done <- c.Shutdown(t.Context()) }()
			synctest.Wait()
			require.Equal(t, []int{0, 1}, collectChan(s.ch))
			require.NoError(t, <-done)
			require.Equal(t, 1, len(f.queue))
		})
	})
	t.Run("ctx ends first: aborts as Close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeSocket(10)
			f.feed(seqInts(0, 5)...)
			c := newTestCore(t, f)
			ch := c.C()
			synctest.Wait() // the pump holds 0; nobody reads
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			require.ErrorIs(t, c.Shutdown(ctx), context.DeadlineExceeded)
			requireClosed(t, c.Done())
			require.ErrorIs(t, c.Context().Err(), context.Canceled)
			require.Empty(t, collectChan(ch))
			require.Equal(t, []int{0}, c.Undelivered())
			require.Equal(t, 4, len(f.queue))
		})
	})
}

// A consumer that disposes of its ForEach (cancels the context it gave) ends the
// stream: every item was given to the callback, is Undelivered (the one the producer
// held) or is still in the source, in order.
func TestForEachDisposeLeavesHeldItemUndelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSocket(10)
		f.feed(seqInts(0, 6)...)
		c := newTestCore(t, f)
		ctx, dispose := context.WithCancel(t.Context())
		var got []int
		disposed := c.observable(nil).ForEach(func(v any) {
			got = append(got, asInt(v))
			if len(got) == 2 {
				dispose()
			}
		}, func(error) {}, func() {}, rxgo.WithContext(ctx))
		<-disposed
		synctest.Wait()
		requireClosed(t, c.Done())
		// rxgo's ForEach may still hand an item to its callback after the dispose.
		und := c.Undelivered()
		rest := collectQueue(f)
		require.Equal(t, seqInts(0, 6), append(append(got, und...), rest...), "lost or reordered")
		require.LessOrEqual(t, len(und), 1)
	})
}

// collectQueue takes what the fake socket still holds.
func collectQueue(f *fakeSocket) []int {
	var out []int
	for len(f.queue) > 0 {
		out = append(out, <-f.queue)
	}
	return out
}

// With a buffer, every form takes in batches (one source call each), hands the items
// over in order, holds at most buffer + 1 in Go, and when it stops early returns what
// it took and did not hand over in Undelivered: nothing lost, nothing reordered.
func TestBatches(t *testing.T) {
	const buffer = 4
	forms := []struct {
		name string
		// take consumes 3 items and stops the stream early.
		take func(t *testing.T, c *core[int]) []int
	}{
		{"C", func(t *testing.T, c *core[int]) []int {
			ch := c.C()
			got := readN(t, ch, 3)
			synctest.Wait()
			require.LessOrEqual(t, len(ch)+len(c.pending)-c.head, buffer+1, "held in Go")
			require.NoError(t, c.Close())
			return append(got, collectChan(ch)...)
		}},
		{"All", func(t *testing.T, c *core[int]) []int {
			var got []int
			for v, err := range c.All(t.Context()) {
				require.NoError(t, err)
				if got = append(got, v); len(got) == 3 {
					break
				}
			}
			return got
		}},
		{"Observable", func(t *testing.T, c *core[int]) []int {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var got []int
			items := c.observable(nil).Observe(rxgo.WithContext(ctx))
			for len(got) < 3 {
				got = append(got, asInt((<-items).V))
			}
			cancel()
			return got
		}},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSocket(20)
				f.feed(seqInts(0, 20)...)
				c := newTestCore(t, f, WithBuffer(buffer))
				got := form.take(t, c)
				synctest.Wait()
				requireClosed(t, c.Done())
				und := c.Undelivered()
				require.LessOrEqual(t, len(und), buffer, "held back")
				all := append(append(got, und...), collectQueue(f)...)
				require.Equal(t, seqInts(0, 20), all, "lost or reordered")
				require.Less(t, len(f.queue), 20-buffer, "took no batch")
			})
		})
	}
}
