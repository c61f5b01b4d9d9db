package zmqfuture

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

var errBoom = errors.New("boom")

// requireClosed fails unless ch is closed (without waiting).
func requireClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	default:
		require.FailNow(t, "channel not closed")
	}
}

// requireOpen fails if ch is closed.
func requireOpen(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
		require.FailNow(t, "channel closed")
	default:
	}
}

// stackDepth is the number of frames on the calling goroutine's stack, up
// to 512 (enough to tell constant depth from one frame per link).
func stackDepth() int {
	var pcs [512]uintptr
	return runtime.Callers(1, pcs[:])
}

func TestSettledConstructors(t *testing.T) {
	tests := []struct {
		name    string
		f       *Future[int]
		want    int
		wantErr error
	}{
		{name: "Ready", f: Ready(7), want: 7},
		{name: "Failed", f: Failed[int](errBoom), wantErr: errBoom},
		{name: "FailedNil", f: Failed[int](nil), wantErr: ErrNilError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireClosed(t, tt.f.Done())
			require.Equal(t, tt.f.Done(), tt.f.Done())
			r, ok := tt.f.Result()
			require.True(t, ok)
			require.Equal(t, tt.want, r.Value)
			require.ErrorIs(t, r.Err, tt.wantErr)

			tt.f.Cancel(errors.New("ignored"))
			v, err := tt.f.Await(t.Context())
			require.Equal(t, tt.want, v)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
		})
	}
}

func TestPromiseWriteOnce(t *testing.T) {
	tests := []struct {
		name    string
		first   func(p *Promise[int]) bool
		want    int
		wantErr error
	}{
		{name: "Resolve", first: func(p *Promise[int]) bool { return p.Resolve(1) }, want: 1},
		{name: "Reject", first: func(p *Promise[int]) bool { return p.Reject(errBoom) }, wantErr: errBoom},
		{name: "RejectNil", first: func(p *Promise[int]) bool { return p.Reject(nil) }, wantErr: ErrNilError},
		{name: "Cancel", first: func(p *Promise[int]) bool { p.Future().Cancel(errBoom); return true }, wantErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPromise[int]()
			f := p.Future()
			require.Same(t, f, p.Future())
			_, ok := f.Result()
			require.False(t, ok, "pending future reports a result")

			require.True(t, tt.first(p))
			require.False(t, p.Resolve(2))
			require.False(t, p.Reject(errors.New("late")))
			require.False(t, p.Reject(nil))
			f.Cancel(errors.New("late cancel"))

			r, ok := f.Result()
			require.True(t, ok)
			require.Equal(t, tt.want, r.Value)
			if tt.wantErr == nil {
				require.NoError(t, r.Err)
			} else {
				require.ErrorIs(t, r.Err, tt.wantErr)
			}
		})
	}
}

func TestDoneIsOneChannel(t *testing.T) {
	t.Run("AskedWhilePending", func(t *testing.T) {
		p := NewPromise[string]()
		d := p.Future().Done()
		requireOpen(t, d)
		require.Equal(t, d, p.Future().Done())
		p.Resolve("x")
		requireClosed(t, d)
		require.Equal(t, d, p.Future().Done())
	})
	t.Run("AskedAfterSettle", func(t *testing.T) {
		p := NewPromise[string]()
		p.Resolve("x")
		d := p.Future().Done()
		requireClosed(t, d)
		require.Equal(t, d, p.Future().Done())
	})
}

func TestAwait(t *testing.T) {
	errCause := errors.New("caller gave up")
	tests := []struct {
		name   string
		ctx    func(t *testing.T) context.Context
		wantIs []error
	}{
		{
			name: "Canceled",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			wantIs: []error{context.Canceled},
		},
		{
			name: "DeadlineExceeded",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), -time.Second)
				t.Cleanup(cancel)
				return ctx
			},
			wantIs: []error{context.DeadlineExceeded},
		},
		{
			name: "CanceledWithCause",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancelCause(t.Context())
				cancel(errCause)
				return ctx
			},
			wantIs: []error{context.Canceled, errCause},
		},
		{
			name: "DeadlineWithCause",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeoutCause(t.Context(), -time.Second, errCause)
				t.Cleanup(cancel)
				return ctx
			},
			wantIs: []error{context.DeadlineExceeded, errCause},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/Pending", func(t *testing.T) {
			p := NewPromise[int]()
			v, err := p.Future().Await(tt.ctx(t))
			require.Zero(t, v)
			for _, want := range tt.wantIs {
				require.ErrorIs(t, err, want)
			}
			// The future is untouched: still pending, still completable.
			_, ok := p.Future().Result()
			require.False(t, ok)
			require.True(t, p.Resolve(3))
			v, err = p.Future().Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 3, v)
		})
		t.Run(tt.name+"/ResultWins", func(t *testing.T) {
			p := NewPromise[int]()
			_ = p.Future().Done() // take the slow path in Await
			p.Resolve(5)
			v, err := p.Future().Await(tt.ctx(t))
			require.NoError(t, err)
			require.Equal(t, 5, v)
		})
	}

	t.Run("CanceledWhileWaiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewPromise[int]()
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			_, err := p.Future().Await(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Equal(t, time.Second, time.Since(start))
			_, ok := p.Future().Result()
			require.False(t, ok)
		})
	})
	t.Run("WakesOnResolve", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewPromise[int]()
			go func() {
				time.Sleep(time.Millisecond)
				p.Resolve(9)
			}()
			v, err := p.Future().Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 9, v)
		})
	})
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	const readers, writers = 16, 8
	for range 50 {
		p := NewPromise[int]()
		f := p.Future()
		var wins atomic.Int32
		got := make([]Result[int], readers)
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				if i%2 == 0 {
					<-f.Done()
					got[i], _ = f.Result()
					return
				}
				v, err := f.Await(context.Background())
				got[i] = Result[int]{Value: v, Err: err}
			})
		}
		for i := range writers {
			wg.Go(func() {
				if p.Resolve(100 + i) {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load())
		r, ok := f.Result()
		require.True(t, ok)
		require.NoError(t, r.Err)
		require.GreaterOrEqual(t, r.Value, 100)
		for _, g := range got {
			require.Equal(t, r, g)
		}
	}
}

func TestGo(t *testing.T) {
	t.Run("Value", func(t *testing.T) {
		f := Go(t.Context(), func(context.Context) (string, error) { return "ok", nil })
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, "ok", v)
	})
	t.Run("Error", func(t *testing.T) {
		f := Go(t.Context(), func(context.Context) (string, error) { return "", errBoom })
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
	})
	t.Run("CancelReachesFnAndFutureSettlesWithItsResult", func(t *testing.T) {
		tests := []struct {
			name      string
			cause     error
			wantCause error
		}{
			{name: "Cause", cause: errBoom, wantCause: errBoom},
			{name: "NilCause", cause: nil, wantCause: ErrCanceled},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					started := make(chan struct{})
					var fnErr error
					f := Go(t.Context(), func(ctx context.Context) (int, error) {
						close(started)
						<-ctx.Done()
						fnErr = ctx.Err()
						time.Sleep(time.Second) // clean-up takes a while
						return 42, context.Cause(ctx)
					})
					<-started
					f.Cancel(tt.cause)
					synctest.Wait()
					_, ok := f.Result()
					require.False(t, ok, "a Go future settles only when fn returns")
					v, err := f.Await(t.Context())
					require.Equal(t, 42, v)
					require.ErrorIs(t, err, tt.wantCause)
					require.ErrorIs(t, fnErr, context.Canceled)
				})
			})
		}
	})
	t.Run("ParentCtxReachesFn", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		f := Go(ctx, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, context.Cause(ctx)
		})
		cancel(errBoom)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
	})
	t.Run("FnCtxEndsWhenFnReturns", func(t *testing.T) {
		var fnCtx context.Context
		f := Go(t.Context(), func(ctx context.Context) (int, error) {
			fnCtx = ctx
			return 1, nil
		})
		_, err := f.Await(t.Context())
		require.NoError(t, err)
		requireClosed(t, fnCtx.Done())
		f.Cancel(errBoom) // no-op once settled
		r, _ := f.Result()
		require.Equal(t, Result[int]{Value: 1}, r)
	})
	t.Run("ContinuationsRunAfterFn", func(t *testing.T) {
		var order []string
		var mu sync.Mutex
		note := func(s string) {
			mu.Lock()
			order = append(order, s)
			mu.Unlock()
		}
		p := NewPromise[struct{}]()
		src := Go(t.Context(), func(ctx context.Context) (int, error) {
			_, _ = p.Future().Await(ctx)
			note("fn")
			return 1, nil
		})
		m := Map(src, func(v int) (int, error) { note("map"); return v + 1, nil })
		p.Resolve(struct{}{})
		v, err := m.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 2, v)
		require.Equal(t, []string{"fn", "map"}, order)
	})
}

func TestPromiseContext(t *testing.T) {
	t.Run("CancelRejectsAtOnceAndReachesProducer", func(t *testing.T) {
		p := NewPromise[int]()
		ctx := p.Context()
		require.Same(t, ctx, p.Context())
		requireOpen(t, ctx.Done())

		p.Future().Cancel(errBoom)
		requireClosed(t, ctx.Done())
		require.ErrorIs(t, context.Cause(ctx), errBoom)
		_, err := p.Future().Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.False(t, p.Resolve(1), "the producer's late Resolve reports the loss")
	})
	t.Run("CancelNilCause", func(t *testing.T) {
		p := NewPromise[int]()
		p.Future().Cancel(nil)
		_, err := p.Future().Await(t.Context())
		require.ErrorIs(t, err, ErrCanceled)
		require.ErrorIs(t, err, context.Canceled)
		require.EqualError(t, err, "zmqfuture: canceled")
		require.ErrorIs(t, context.Cause(p.Context()), ErrCanceled)
	})
	t.Run("AskedAfterCancel", func(t *testing.T) {
		p := NewPromise[int]()
		p.Future().Cancel(errBoom)
		ctx := p.Context()
		requireClosed(t, ctx.Done())
		require.ErrorIs(t, context.Cause(ctx), errBoom)
	})
	t.Run("ResolveEndsIt", func(t *testing.T) {
		p := NewPromise[int]()
		ctx := p.Context()
		p.Resolve(1)
		requireClosed(t, ctx.Done())
		require.ErrorIs(t, context.Cause(ctx), context.Canceled)
		require.NotErrorIs(t, context.Cause(ctx), ErrCanceled)
	})
	t.Run("AskedAfterReject", func(t *testing.T) {
		p := NewPromise[int]()
		p.Reject(errBoom)
		ctx := p.Context()
		requireClosed(t, ctx.Done())
		require.ErrorIs(t, context.Cause(ctx), context.Canceled)
		require.NotErrorIs(t, context.Cause(ctx), errBoom)
	})
}

func TestPendingChainsCostNoGoroutines(t *testing.T) {
	const n = 10_000
	before := runtime.NumGoroutine()
	ps := make([]*Promise[int], n)
	outs := make([]*Future[int], n)
	for i := range n {
		ps[i] = NewPromise[int]()
		m := Map(ps[i].Future(), func(v int) (int, error) { return v * 2, nil })
		th := Then(m, func(_ context.Context, v int) *Future[int] { return Ready(v + 1) })
		outs[i] = Recover(th, func(err error) (int, error) { return 0, err })
	}
	after := runtime.NumGoroutine()
	require.LessOrEqual(t, after, before, "pending chains started goroutines")

	for i, p := range ps {
		require.True(t, p.Resolve(i))
	}
	for i, f := range outs {
		r, ok := f.Result()
		require.True(t, ok)
		require.NoError(t, r.Err)
		require.Equal(t, 2*i+1, r.Value)
	}
}

func TestLongChainRunsAtConstantDepth(t *testing.T) {
	const n = 10_000
	tests := []struct {
		name  string
		chain func(f *Future[int], last func(int)) *Future[int]
	}{
		{
			name: "Map",
			chain: func(f *Future[int], last func(int)) *Future[int] {
				for range n {
					f = Map(f, func(v int) (int, error) { last(v); return v + 1, nil })
				}
				return f
			},
		},
		{
			name: "Then",
			chain: func(f *Future[int], last func(int)) *Future[int] {
				for range n {
					f = Then(f, func(_ context.Context, v int) *Future[int] { last(v); return Ready(v + 1) })
				}
				return f
			},
		},
		{
			name: "Recover",
			chain: func(f *Future[int], last func(int)) *Future[int] {
				for range n {
					f = Recover(f, func(err error) (int, error) { last(0); return 0, err })
				}
				return f
			},
		},
		{
			name: "WithTimeout",
			chain: func(f *Future[int], last func(int)) *Future[int] {
				for range n {
					f = WithTimeout(f, time.Hour)
				}
				return Map(f, func(v int) (int, error) { last(v); return v, nil })
			},
		},
		{
			name: "All",
			chain: func(f *Future[int], last func(int)) *Future[int] {
				for range n {
					f = Map(All(context.Background(), f), func(vs []int) (int, error) { last(vs[0]); return vs[0] + 1, nil })
				}
				return f
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPromise[int]()
			maxDepth := 0
			end := tt.chain(p.Future(), func(int) { maxDepth = max(maxDepth, stackDepth()) })
			base := stackDepth()
			if tt.name == "Recover" {
				require.True(t, p.Reject(errBoom))
			} else {
				require.True(t, p.Resolve(0))
			}
			r, ok := end.Result()
			require.True(t, ok)
			switch tt.name {
			case "Recover":
				require.ErrorIs(t, r.Err, errBoom)
			case "WithTimeout":
				require.Equal(t, 0, r.Value)
			default:
				require.Equal(t, n, r.Value)
			}
			require.Positive(t, maxDepth)
			require.Less(t, maxDepth-base, 40, "continuations recurse once per link")
		})
	}
}

func TestLongChainCancelRunsAtConstantDepth(t *testing.T) {
	const n = 10_000
	p := NewPromise[int]()
	depth := 0
	side := Recover(p.Future(), func(err error) (int, error) { depth = stackDepth(); return 0, err })
	f := p.Future()
	links := make([]*Future[int], n)
	for i := range n {
		f = Map(f, func(v int) (int, error) { return v, nil })
		links[i] = f
	}
	base := stackDepth()
	f.Cancel(errBoom)

	for _, l := range links {
		r, ok := l.Result()
		require.True(t, ok)
		require.ErrorIs(t, r.Err, errBoom)
	}
	_, err := p.Future().Await(t.Context())
	require.ErrorIs(t, err, errBoom, "cancel reaches the root promise")
	_, err = side.Await(t.Context())
	require.ErrorIs(t, err, errBoom, "a sibling branch sees the root's cancellation")
	require.Positive(t, depth)
	require.Less(t, depth-base, 40, "cancellation recurses once per link")
}

func TestBranching(t *testing.T) {
	p := NewPromise[int]()
	var order []string
	a := Map(p.Future(), func(int) (string, error) { order = append(order, "a"); return "a", nil })
	b := Then(p.Future(), func(context.Context, int) *Future[string] { order = append(order, "b"); return Ready("b") })
	c := Map(p.Future(), func(int) (string, error) { order = append(order, "c"); return "c", nil })
	d := Recover(p.Future(), func(error) (int, error) { order = append(order, "d"); return 0, nil })
	aa := Map(a, func(s string) (string, error) { order = append(order, "aa"); return s + s, nil })

	p.Resolve(1)
	for _, tc := range []struct {
		f    *Future[string]
		want string
	}{{a, "a"}, {b, "b"}, {c, "c"}, {aa, "aa"}} {
		v, err := tc.f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, tc.want, v)
	}
	v, err := d.Await(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, v)
	// Registration order per future, each followed by what it settled;
	// Recover's fn is not called on success.
	require.Equal(t, []string{"a", "aa", "b", "c"}, order)

	// A continuation registered after settling runs at once.
	late := Map(p.Future(), func(v int) (int, error) { return v + 10, nil })
	r, ok := late.Result()
	require.True(t, ok)
	require.Equal(t, 11, r.Value)
}

func TestContinuationsRunOutsideLocks(t *testing.T) {
	p := NewPromise[int]()
	src := p.Future()
	var dst *Future[int]
	var inner *Future[int]
	ready := make(chan struct{})
	dst = Map(src, func(v int) (int, error) {
		<-ready
		// Each of these takes a future's lock; under a lock they would deadlock.
		_, ok := src.Result()
		require.True(t, ok)
		requireClosed(t, src.Done())
		inner = Map(src, func(v int) (int, error) { return v * 10, nil })
		_, ok = dst.Result()
		require.False(t, ok)
		_ = dst.Done()
		require.False(t, p.Resolve(9))
		return v + 1, nil
	})
	close(ready)
	p.Resolve(1)
	v, err := dst.Await(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, v)
	v, err = inner.Await(t.Context())
	require.NoError(t, err)
	require.Equal(t, 10, v)
}

func TestCancelRacesResolve(t *testing.T) {
	for range 200 {
		p := NewPromise[int]()
		m := Map(p.Future(), func(v int) (int, error) { return v + 1, nil })
		start := make(chan struct{})
		var resolved atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() { <-start; resolved.Store(p.Resolve(1)) })
		wg.Go(func() { <-start; m.Cancel(errBoom) })
		wg.Go(func() { <-start; _ = Map(m, func(v int) (int, error) { return v, nil }) })
		close(start)
		wg.Wait()

		r, ok := m.Result()
		require.True(t, ok)
		if r.Err != nil {
			require.ErrorIs(t, r.Err, errBoom)
		} else {
			require.True(t, resolved.Load())
			require.Equal(t, 2, r.Value)
		}
		pr, ok := p.Future().Result()
		require.True(t, ok)
		if resolved.Load() {
			require.Equal(t, Result[int]{Value: 1}, pr)
		} else {
			require.ErrorIs(t, pr.Err, errBoom)
		}
	}
}
