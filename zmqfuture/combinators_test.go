package zmqfuture

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

var errOther = errors.New("other")

// promises returns n pending promises and their futures.
func promises[T any](n int) ([]*Promise[T], []*Future[T]) {
	ps := make([]*Promise[T], n)
	fs := make([]*Future[T], n)
	for i := range n {
		ps[i] = NewPromise[T]()
		fs[i] = ps[i].Future()
	}
	return ps, fs
}

// requireCanceledWith asserts that p's future was cancelled with a cause
// matching each of want, and that its producer learned of it.
func requireCanceledWith[T any](t *testing.T, p *Promise[T], want ...error) {
	t.Helper()
	r, ok := p.Future().Result()
	require.True(t, ok, "input still pending")
	requireClosed(t, p.Context().Done())
	for _, w := range want {
		require.ErrorIs(t, r.Err, w)
		require.ErrorIs(t, context.Cause(p.Context()), w)
	}
}

// requirePending asserts that f has not settled.
func requirePending[T any](t *testing.T, f *Future[T]) {
	t.Helper()
	_, ok := f.Result()
	require.False(t, ok, "future settled")
}

func inc(v int) (int, error) { return v + 1, nil }

func TestMap(t *testing.T) {
	tests := []struct {
		name     string
		settle   func(p *Promise[int])
		fn       func(int) (string, error)
		want     string
		wantErr  error
		wantCall bool
	}{
		{
			name:     "Value",
			settle:   func(p *Promise[int]) { p.Resolve(4) },
			fn:       func(v int) (string, error) { return strconv.Itoa(v * 2), nil },
			want:     "8",
			wantCall: true,
		},
		{
			name:     "FnError",
			settle:   func(p *Promise[int]) { p.Resolve(4) },
			fn:       func(int) (string, error) { return "", errBoom },
			wantErr:  errBoom,
			wantCall: true,
		},
		{
			name:    "SourceErrorPassesThrough",
			settle:  func(p *Promise[int]) { p.Reject(errBoom) },
			fn:      func(int) (string, error) { return "x", nil },
			wantErr: errBoom,
		},
	}
	for _, tt := range tests {
		for _, already := range []bool{false, true} {
			t.Run(tt.name+"/SettledBefore="+strconv.FormatBool(already), func(t *testing.T) {
				p := NewPromise[int]()
				called := false
				fn := func(v int) (string, error) { called = true; return tt.fn(v) }
				if already {
					tt.settle(p)
				}
				m := Map(p.Future(), fn)
				if !already {
					requirePending(t, m)
					require.False(t, called)
					tt.settle(p)
				}
				// Settled synchronously, by the goroutine that settled the source
				// or by Map itself.
				r, ok := m.Result()
				require.True(t, ok)
				require.Equal(t, tt.wantCall, called)
				require.Equal(t, tt.want, r.Value)
				if tt.wantErr == nil {
					require.NoError(t, r.Err)
				} else {
					require.ErrorIs(t, r.Err, tt.wantErr)
				}
			})
		}
	}
}

func TestRecover(t *testing.T) {
	tests := []struct {
		name     string
		settle   func(p *Promise[int])
		fn       func(error) (int, error)
		want     int
		wantErr  error
		wantCall bool
	}{
		{
			name:   "ValuePassesThrough",
			settle: func(p *Promise[int]) { p.Resolve(4) },
			fn:     func(error) (int, error) { return -1, nil },
			want:   4,
		},
		{
			name:     "Recovered",
			settle:   func(p *Promise[int]) { p.Reject(errBoom) },
			fn:       func(err error) (int, error) { require.ErrorIs(t, err, errBoom); return -1, nil },
			want:     -1,
			wantCall: true,
		},
		{
			name:     "Replaced",
			settle:   func(p *Promise[int]) { p.Reject(errBoom) },
			fn:       func(err error) (int, error) { return 0, errors.Join(errOther, err) },
			wantErr:  errOther,
			wantCall: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPromise[int]()
			called := false
			f := Recover(p.Future(), func(err error) (int, error) { called = true; return tt.fn(err) })
			requirePending(t, f)
			tt.settle(p)
			r, ok := f.Result()
			require.True(t, ok)
			require.Equal(t, tt.wantCall, called)
			require.Equal(t, tt.want, r.Value)
			if tt.wantErr == nil {
				require.NoError(t, r.Err)
			} else {
				require.ErrorIs(t, r.Err, tt.wantErr)
			}
		})
	}
}

func TestDerivedCancel(t *testing.T) {
	tests := []struct {
		name   string
		derive func(f *Future[int], called *bool) *Future[int]
	}{
		{
			name: "Map",
			derive: func(f *Future[int], called *bool) *Future[int] {
				return Map(f, func(v int) (int, error) { *called = true; return v, nil })
			},
		},
		{
			name: "Recover",
			derive: func(f *Future[int], called *bool) *Future[int] {
				return Recover(f, func(error) (int, error) { *called = true; return 0, nil })
			},
		},
		{
			name: "Then",
			derive: func(f *Future[int], called *bool) *Future[int] {
				return Then(f, func(_ context.Context, v int) *Future[int] { *called = true; return Ready(v) })
			},
		},
		{
			name: "WithTimeout",
			derive: func(f *Future[int], _ *bool) *Future[int] {
				return WithTimeout(f, time.Hour)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/PromiseSource", func(t *testing.T) {
			p := NewPromise[int]()
			called := false
			d := tt.derive(p.Future(), &called)
			sibling := Map(p.Future(), func(v int) (int, error) { return v, nil })

			d.Cancel(errBoom)
			r, ok := d.Result()
			require.True(t, ok, "a derived future settles at once on Cancel")
			require.ErrorIs(t, r.Err, errBoom)
			requireCanceledWith(t, p, errBoom)
			r, ok = sibling.Result()
			require.True(t, ok)
			require.ErrorIs(t, r.Err, errBoom, "the shared source's other dependants see the cancellation")
			require.False(t, called, "the user function runs after a cancellation")
			require.False(t, p.Resolve(1))
		})
		t.Run(tt.name+"/GoSource", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var cause error
				src := Go(t.Context(), func(ctx context.Context) (int, error) {
					<-ctx.Done()
					cause = context.Cause(ctx)
					return 7, nil // the work finishes anyway
				})
				called := false
				d := tt.derive(src, &called)
				d.Cancel(nil)
				_, err := d.Await(t.Context())
				require.ErrorIs(t, err, ErrCanceled)
				v, err := src.Await(t.Context())
				require.NoError(t, err)
				require.Equal(t, 7, v)
				require.ErrorIs(t, cause, ErrCanceled)
				require.False(t, called)
			})
		})
		t.Run(tt.name+"/AfterSettleIsNoop", func(t *testing.T) {
			p := NewPromise[int]()
			called := false
			d := tt.derive(p.Future(), &called)
			p.Resolve(3)
			d.Cancel(errBoom)
			v, err := d.Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 3, v)
		})
	}
}

func TestCancellationReachesSourcesBeforeSettling(t *testing.T) {
	// A continuation on the cancelled (or lost, or timed-out) future checks
	// that the inputs had already been cancelled when it settled.
	tests := []struct {
		name   string
		inputs int // how many of the three promises build uses
		build  func(t *testing.T, ps []*Promise[int]) (f *Future[int], trigger func())
	}{
		{
			name:   "MapChain",
			inputs: 1,
			build: func(_ *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				f := Map(Map(ps[0].Future(), inc), inc)
				return f, func() { f.Cancel(errBoom) }
			},
		},
		{
			name:   "Then",
			inputs: 1,
			build: func(_ *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				f := Then(ps[0].Future(), func(context.Context, int) *Future[int] { return Ready(1) })
				return f, func() { f.Cancel(errBoom) }
			},
		},
		{
			name:   "Race",
			inputs: 3,
			build: func(t *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				winner := NewPromise[int]()
				f := Race(t.Context(), append([]*Future[int]{winner.Future()}, futures(ps)...)...)
				return f, func() { winner.Resolve(1) }
			},
		},
		{
			name:   "Any",
			inputs: 3,
			build: func(t *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				winner := NewPromise[int]()
				f := Any(t.Context(), append(futures(ps), winner.Future())...)
				return f, func() { winner.Resolve(1) }
			},
		},
		{
			name:   "AllFailure",
			inputs: 3,
			build: func(t *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				loser := NewPromise[int]()
				all := All(t.Context(), append(futures(ps), loser.Future())...)
				f := Map(all, func([]int) (int, error) { return 0, nil })
				return f, func() { loser.Reject(errOther) }
			},
		},
		{
			name:   "GroupCancel",
			inputs: 3,
			build: func(t *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				f := AllSettled(t.Context(), futures(ps)...)
				return Map(f, func([]Result[int]) (int, error) { return 0, nil }), func() { f.Cancel(errBoom) }
			},
		},
		{
			name:   "GroupCtx",
			inputs: 3,
			build: func(_ *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				ctx := newCountingCtx()
				return Race(ctx, futures(ps)...), ctx.fire
			},
		},
		{
			name:   "WithTimeout",
			inputs: 1,
			build: func(_ *testing.T, ps []*Promise[int]) (*Future[int], func()) {
				return WithTimeout(ps[0].Future(), time.Millisecond), func() {}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, _ := promises[int](3)
			f, trigger := tt.build(t, ps)
			var pendingAtSettle []int
			observe := func() {
				for i, p := range ps[:tt.inputs] {
					if _, ok := p.Future().Result(); !ok {
						pendingAtSettle = append(pendingAtSettle, i)
					}
				}
			}
			// Observe on whichever path f settles.
			seen := Recover(
				Map(f, func(v int) (int, error) { observe(); return v, nil }),
				func(err error) (int, error) { observe(); return 0, err },
			)
			trigger()
			_, _ = seen.Await(t.Context())
			_, ok := seen.Result()
			require.True(t, ok)
			require.Empty(t, pendingAtSettle, "inputs still pending when the future settled")
			for _, p := range ps[:tt.inputs] {
				requireClosed(t, p.Context().Done())
			}
		})
	}
}

func futures[T any](ps []*Promise[T]) []*Future[T] {
	fs := make([]*Future[T], len(ps))
	for i, p := range ps {
		fs[i] = p.Future()
	}
	return fs
}

func TestThen(t *testing.T) {
	t.Run("Chains", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := Go(t.Context(), func(context.Context) (int, error) {
				time.Sleep(time.Second)
				return 2, nil
			})
			f := Then(src, func(ctx context.Context, v int) *Future[string] {
				return Go(ctx, func(context.Context) (string, error) {
					time.Sleep(time.Second)
					return strconv.Itoa(v * 21), nil
				})
			})
			start := time.Now()
			v, err := f.Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, "42", v)
			require.Equal(t, 2*time.Second, time.Since(start))
		})
	})
	t.Run("SourceErrorSkipsFn", func(t *testing.T) {
		called := false
		f := Then(Failed[int](errBoom), func(context.Context, int) *Future[int] { called = true; return Ready(1) })
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.False(t, called)
	})
	t.Run("InnerError", func(t *testing.T) {
		f := Then(Ready(1), func(context.Context, int) *Future[int] { return Failed[int](errOther) })
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errOther)
	})
	t.Run("NilFuture", func(t *testing.T) {
		f := Then(Ready(1), func(context.Context, int) *Future[int] { return nil })
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, ErrNilFuture)
	})
	t.Run("FnCtxEndsWithFuture", func(t *testing.T) {
		var fnCtx context.Context
		inner := NewPromise[int]()
		f := Then(Ready(1), func(ctx context.Context, _ int) *Future[int] {
			fnCtx = ctx
			return inner.Future()
		})
		requireOpen(t, fnCtx.Done())
		inner.Resolve(5)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 5, v)
		requireClosed(t, fnCtx.Done())
	})
	t.Run("CancelReachesInner", func(t *testing.T) {
		var fnCtx context.Context
		inner := NewPromise[int]()
		src := NewPromise[int]()
		f := Then(src.Future(), func(ctx context.Context, _ int) *Future[int] {
			fnCtx = ctx
			return inner.Future()
		})
		src.Resolve(1)
		f.Cancel(errBoom)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.ErrorIs(t, context.Cause(fnCtx), errBoom)
		requireCanceledWith(t, inner, errBoom)
		r, _ := src.Future().Result()
		require.Equal(t, Result[int]{Value: 1}, r, "a settled source is left alone")
	})
	t.Run("CancelWhileFnRuns", func(t *testing.T) {
		inner := NewPromise[int]()
		src := NewPromise[int]()
		var f *Future[int]
		var fnCtxErr error
		f = Then(src.Future(), func(ctx context.Context, _ int) *Future[int] {
			f.Cancel(errBoom)
			fnCtxErr = context.Cause(ctx)
			return inner.Future()
		})
		src.Resolve(1)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.ErrorIs(t, fnCtxErr, errBoom)
		requireCanceledWith(t, inner, errBoom)
	})
}

// countingCtx is a context whose AfterFunc registrations are counted, to
// check that combinators do not leave theirs behind. It never matches a
// standard cancelCtx, so context.AfterFunc goes through its AfterFunc.
type countingCtx struct {
	done chan struct{}

	mu         sync.Mutex
	registered int
	stopped    int
	funcs      []func()
}

func newCountingCtx() *countingCtx { return &countingCtx{done: make(chan struct{})} }

func (c *countingCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *countingCtx) Done() <-chan struct{}       { return c.done }
func (c *countingCtx) Value(any) any               { return nil }

func (c *countingCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func (c *countingCtx) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.registered++
	c.funcs = append(c.funcs, f)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.stopped++
		return true
	}
}

// fire cancels the context and runs every registered function.
func (c *countingCtx) fire() {
	c.mu.Lock()
	close(c.done)
	fs := c.funcs
	c.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

func (c *countingCtx) counts() (registered, stopped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registered, c.stopped
}

// group runs one of All, AllSettled, Race, Any over fs and returns the
// result as a Future[any] for table tests.
type groupFn func(ctx context.Context, fs ...*Future[int]) *Future[any]

func asAny[T any](f *Future[T]) *Future[any] {
	return Map(f, func(v T) (any, error) { return v, nil })
}

var groups = []struct {
	name string
	fn   groupFn
}{
	{"All", func(ctx context.Context, fs ...*Future[int]) *Future[any] { return asAny(All(ctx, fs...)) }},
	{"AllSettled", func(ctx context.Context, fs ...*Future[int]) *Future[any] { return asAny(AllSettled(ctx, fs...)) }},
	{"Race", func(ctx context.Context, fs ...*Future[int]) *Future[any] { return asAny(Race(ctx, fs...)) }},
	{"Any", func(ctx context.Context, fs ...*Future[int]) *Future[any] { return asAny(Any(ctx, fs...)) }},
}

func TestAll(t *testing.T) {
	t.Run("ValuesInInputOrder", func(t *testing.T) {
		ps, fs := promises[int](5)
		f := All(t.Context(), fs...)
		for _, i := range []int{3, 0, 4, 1} {
			ps[i].Resolve(i * 10)
			requirePending(t, f)
		}
		ps[2].Resolve(20)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, []int{0, 10, 20, 30, 40}, v)
	})
	t.Run("Empty", func(t *testing.T) {
		v, err := All[int](t.Context()).Await(t.Context())
		require.NoError(t, err)
		require.NotNil(t, v)
		require.Empty(t, v)
	})
	t.Run("FirstFailureCancelsRest", func(t *testing.T) {
		ps, fs := promises[int](4)
		f := All(t.Context(), fs...)
		ps[0].Resolve(1)
		ps[2].Reject(errBoom)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		requireCanceledWith(t, ps[1], ErrCanceled, context.Canceled, errBoom)
		requireCanceledWith(t, ps[3], ErrCanceled, errBoom)
		r, _ := fs[0].Result()
		require.Equal(t, Result[int]{Value: 1}, r)
		ps[3].Reject(errOther) // too late to matter
		_, err = f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.NotErrorIs(t, err, errOther)
	})
	t.Run("AlreadyFailedInput", func(t *testing.T) {
		ps, fs := promises[int](2)
		f := All(t.Context(), fs[0], Failed[int](errBoom), fs[1])
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		requireCanceledWith(t, ps[0], errBoom)
		requireCanceledWith(t, ps[1], errBoom)
	})
	t.Run("SameFutureTwice", func(t *testing.T) {
		p := NewPromise[int]()
		f := All(t.Context(), p.Future(), Ready(2), p.Future())
		p.Resolve(1)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, []int{1, 2, 1}, v)
	})
	t.Run("GoInputs", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			fs := make([]*Future[int], 8)
			for i := range fs {
				fs[i] = Go(t.Context(), func(context.Context) (int, error) {
					time.Sleep(time.Duration(8-i) * time.Millisecond)
					return i, nil
				})
			}
			v, err := All(t.Context(), fs...).Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, v)
		})
	})
}

func TestAllSettled(t *testing.T) {
	ps, fs := promises[int](3)
	f := AllSettled(t.Context(), fs...)
	ps[1].Reject(errBoom)
	requirePending(t, f)
	ps[2].Resolve(2)
	requirePending(t, f)
	ps[0].Resolve(0)
	v, err := f.Await(t.Context())
	require.NoError(t, err)
	require.Len(t, v, 3)
	require.Equal(t, Result[int]{Value: 0}, v[0])
	require.ErrorIs(t, v[1].Err, errBoom)
	require.Equal(t, Result[int]{Value: 2}, v[2])

	empty, err := AllSettled[int](t.Context()).Await(t.Context())
	require.NoError(t, err)
	require.NotNil(t, empty)
	require.Empty(t, empty)
}

func TestRace(t *testing.T) {
	tests := []struct {
		name    string
		settle  func(p *Promise[int])
		want    int
		wantErr error
	}{
		{name: "FirstSucceeds", settle: func(p *Promise[int]) { p.Resolve(9) }, want: 9},
		{name: "FirstFails", settle: func(p *Promise[int]) { p.Reject(errBoom) }, wantErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, fs := promises[int](3)
			f := Race(t.Context(), fs...)
			requirePending(t, f)
			tt.settle(ps[1])
			v, err := f.Await(t.Context())
			require.Equal(t, tt.want, v)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			requireCanceledWith(t, ps[0], ErrCanceled)
			requireCanceledWith(t, ps[2], ErrCanceled)
		})
	}
	t.Run("Empty", func(t *testing.T) {
		_, err := Race[int](t.Context()).Await(t.Context())
		require.ErrorIs(t, err, ErrNoFutures)
		require.EqualError(t, err, "zmqfuture: no futures")
	})
	t.Run("AlreadySettledWins", func(t *testing.T) {
		ps, fs := promises[int](1)
		v, err := Race(t.Context(), fs[0], Ready(3)).Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 3, v)
		requireCanceledWith(t, ps[0], ErrCanceled)
	})
	t.Run("GoInputs", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			causes := make([]error, 3)
			fs := make([]*Future[int], 3)
			for i, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
				fs[i] = Go(t.Context(), func(ctx context.Context) (int, error) {
					select {
					case <-time.After(d):
						return i, nil
					case <-ctx.Done():
						causes[i] = context.Cause(ctx)
						return 0, ctx.Err()
					}
				})
			}
			start := time.Now()
			v, err := Race(t.Context(), fs...).Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 1, v)
			require.Equal(t, time.Second, time.Since(start))
			synctest.Wait() // the losers return
			require.ErrorIs(t, causes[0], ErrCanceled)
			require.NoError(t, causes[1])
			require.ErrorIs(t, causes[2], ErrCanceled)
		})
	})
}

func TestAny(t *testing.T) {
	t.Run("FirstSuccessWins", func(t *testing.T) {
		ps, fs := promises[int](3)
		f := Any(t.Context(), fs...)
		ps[0].Reject(errBoom)
		requirePending(t, f)
		ps[2].Resolve(2)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 2, v)
		requireCanceledWith(t, ps[1], ErrCanceled)
		r, _ := fs[0].Result()
		require.ErrorIs(t, r.Err, errBoom)
	})
	t.Run("AllFail", func(t *testing.T) {
		errThird := errors.New("third")
		ps, fs := promises[int](3)
		f := Any(t.Context(), fs...)
		ps[2].Reject(errThird)
		ps[0].Reject(errBoom)
		requirePending(t, f)
		ps[1].Reject(errOther)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.ErrorIs(t, err, errOther)
		require.ErrorIs(t, err, errThird)
		var agg *AggregateError
		require.ErrorAs(t, err, &agg)
		require.Equal(t, []error{errBoom, errOther, errThird}, agg.Errs, "input order")
		require.EqualError(t, err, "zmqfuture: all 3 futures failed: boom; other; third")
	})
	t.Run("Empty", func(t *testing.T) {
		_, err := Any[int](t.Context()).Await(t.Context())
		require.ErrorIs(t, err, ErrNoFutures)
	})
}

func TestGroupContext(t *testing.T) {
	for _, g := range groups {
		t.Run(g.name+"/CancelledWhilePending", func(t *testing.T) {
			ps, fs := promises[int](3)
			ctx, cancel := context.WithCancelCause(t.Context())
			f := g.fn(ctx, fs...)
			requirePending(t, f)
			cancel(errBoom)
			// context.AfterFunc runs in its own goroutine.
			_, err := f.Await(context.Background())
			require.ErrorIs(t, err, context.Canceled)
			require.ErrorIs(t, err, errBoom)
			for _, p := range ps {
				requireCanceledWith(t, p, context.Canceled, errBoom)
			}
		})
		t.Run(g.name+"/AlreadyDone", func(t *testing.T) {
			ps, fs := promises[int](2)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			f := g.fn(ctx, fs...)
			r, ok := f.Result()
			require.True(t, ok, "settles synchronously")
			require.ErrorIs(t, r.Err, context.Canceled)
			requireCanceledWith(t, ps[0], context.Canceled)
			requireCanceledWith(t, ps[1], context.Canceled)
		})
		t.Run(g.name+"/AlreadyDoneButResultReady", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			f := g.fn(ctx, Ready(1), Ready(2))
			r, ok := f.Result()
			require.True(t, ok)
			require.NoError(t, r.Err)
		})
		t.Run(g.name+"/Cancel", func(t *testing.T) {
			ps, fs := promises[int](2)
			f := g.fn(t.Context(), fs...)
			f.Cancel(errBoom)
			r, ok := f.Result()
			require.True(t, ok)
			require.ErrorIs(t, r.Err, errBoom)
			requireCanceledWith(t, ps[0], errBoom)
			requireCanceledWith(t, ps[1], errBoom)
		})
		t.Run(g.name+"/NoRegistrationOutlivesResult", func(t *testing.T) {
			for _, settle := range []string{"inputs", "cancel", "ctx"} {
				t.Run(settle, func(t *testing.T) {
					ctx := newCountingCtx()
					ps, fs := promises[int](2)
					f := g.fn(ctx, fs...)
					reg, stopped := ctx.counts()
					require.Equal(t, 1, reg)
					require.Equal(t, 0, stopped)
					switch settle {
					case "inputs":
						ps[0].Resolve(1)
						ps[1].Resolve(2)
					case "cancel":
						f.Cancel(errBoom)
					case "ctx":
						ctx.fire() // the registration is used up
						_, err := f.Await(t.Context())
						require.ErrorIs(t, err, context.Canceled)
						return
					}
					_, ok := f.Result()
					require.True(t, ok)
					reg, stopped = ctx.counts()
					require.Equal(t, 1, reg)
					require.Equal(t, 1, stopped, "AfterFunc registration not stopped")
				})
			}
		})
	}
	t.Run("CtxLosesRace", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ps, fs := promises[int](2)
		f := All(ctx, fs...)
		g, ok := f.owner.(*group[int, []int])
		require.True(t, ok)
		ps[0].Resolve(1)
		ps[1].Resolve(2)
		// The ctx callback started just before the result came: it must not
		// change the result nor cancel anything.
		cancel()
		g.ctxDone(ctx)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, []int{1, 2}, v)
	})
	t.Run("CtxLosesRaceToRace", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ps, fs := promises[int](2)
		f := Race(ctx, fs...)
		g, ok := f.owner.(*group[int, int])
		require.True(t, ok)
		ps[0].Resolve(1)
		cancel()
		g.ctxDone(ctx)
		v, err := f.Await(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, v)
		requireCanceledWith(t, ps[1], ErrCanceled)
	})
}

func TestWithTimeout(t *testing.T) {
	t.Run("Expires", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewPromise[int]()
			start := time.Now()
			f := WithTimeout(p.Future(), time.Second)
			v, err := f.Await(t.Context())
			require.Zero(t, v)
			require.ErrorIs(t, err, ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.EqualError(t, err, "zmqfuture: timeout")
			require.Equal(t, time.Second, time.Since(start))
			requireCanceledWith(t, p, ErrTimeout, context.DeadlineExceeded)
		})
	})
	t.Run("ExpiresWithGoInput", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var cause error
			src := Go(t.Context(), func(ctx context.Context) (int, error) {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return 0, cause
			})
			_, err := WithTimeout(src, time.Second).Await(t.Context())
			require.ErrorIs(t, err, context.DeadlineExceeded)
			_, err = src.Await(t.Context())
			require.ErrorIs(t, err, ErrTimeout)
			require.ErrorIs(t, cause, ErrTimeout)
		})
	})
	t.Run("InTime", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewPromise[int]()
			f := WithTimeout(p.Future(), time.Second)
			n, ok := f.owner.(*timeoutNode[int])
			require.True(t, ok)
			n.dst.mu.Lock()
			timer := n.timer
			n.dst.mu.Unlock()
			require.NotNil(t, timer)

			time.Sleep(999 * time.Millisecond)
			requirePending(t, f)
			p.Resolve(4)
			v, err := f.Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 4, v)
			require.False(t, timer.Stop(), "the timer was left running")
			time.Sleep(time.Hour)
			r, _ := f.Result()
			require.Equal(t, Result[int]{Value: 4}, r)
		})
	})
	t.Run("InputFails", func(t *testing.T) {
		p := NewPromise[int]()
		f := WithTimeout(p.Future(), time.Hour)
		p.Reject(errBoom)
		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		require.NotErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("AlreadySettledWins", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Second, 0, time.Nanosecond} {
			v, err := WithTimeout(Ready(1), d).Await(t.Context())
			require.NoError(t, err)
			require.Equal(t, 1, v)
		}
	})
	t.Run("NonPositiveExpiresAtOnce", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Second, 0} {
			p := NewPromise[int]()
			f := WithTimeout(p.Future(), d)
			r, ok := f.Result()
			require.True(t, ok)
			require.ErrorIs(t, r.Err, ErrTimeout)
			requireCanceledWith(t, p, ErrTimeout)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewPromise[int]()
			f := WithTimeout(p.Future(), time.Second)
			f.Cancel(errBoom)
			_, err := f.Await(t.Context())
			require.ErrorIs(t, err, errBoom)
			require.NotErrorIs(t, err, ErrTimeout)
			requireCanceledWith(t, p, errBoom)
			time.Sleep(2 * time.Second) // a leftover timer would fire now
			r, _ := f.Result()
			require.ErrorIs(t, r.Err, errBoom)
			require.NotErrorIs(t, r.Err, ErrTimeout)
		})
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		msg     string
		matches []error
	}{
		{"ErrNoFutures", ErrNoFutures, "zmqfuture: no futures", nil},
		{"ErrCanceled", ErrCanceled, "zmqfuture: canceled", []error{context.Canceled}},
		{"ErrTimeout", ErrTimeout, "zmqfuture: timeout", []error{context.DeadlineExceeded}},
		{"ErrNilFuture", ErrNilFuture, "zmqfuture: nil future", nil},
		{"ErrNilError", ErrNilError, "zmqfuture: rejected with nil error", nil},
		{"canceledBy", canceledBy(errBoom), "zmqfuture: canceled: boom", []error{ErrCanceled, context.Canceled, errBoom}},
		{"AggregateEmpty", &AggregateError{}, "zmqfuture: all 0 futures failed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.EqualError(t, tt.err, tt.msg)
			require.ErrorIs(t, tt.err, tt.err)
			for _, m := range tt.matches {
				require.ErrorIs(t, tt.err, m)
			}
		})
	}
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, ErrTimeout, &timeout)
	require.True(t, timeout.Timeout())
}

func TestGroupConcurrentSettling(t *testing.T) {
	// Inputs settle, the ctx is cancelled and the result is cancelled, all
	// at once from different goroutines: the result is one of the allowed
	// outcomes and every input ends settled.
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for range 200 {
				ps, fs := promises[int](4)
				ctx, cancel := context.WithCancelCause(t.Context())
				f := g.fn(ctx, fs...)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, p := range ps {
					wg.Go(func() {
						<-start
						if i == 3 {
							p.Reject(errOther)
						} else {
							p.Resolve(i)
						}
					})
				}
				wg.Go(func() { <-start; cancel(errBoom) })
				wg.Go(func() { <-start; f.Cancel(ErrCanceled) })
				close(start)
				wg.Wait()

				_, err := f.Await(t.Context())
				switch {
				case err == nil:
				case errors.Is(err, errBoom), errors.Is(err, ErrCanceled), errors.Is(err, errOther):
				default:
					require.FailNow(t, "unexpected error", "%v", err)
				}
				// A cancellation that lost to one under way on another
				// goroutine does not wait for it: inputs settle soon after.
				wait, stop := context.WithTimeout(t.Context(), 10*time.Second)
				for _, in := range fs {
					_, err := in.Await(wait)
					require.NotErrorIs(t, err, context.DeadlineExceeded, "input never settled")
				}
				stop()
			}
		})
	}
}

func TestThenCancelRacesSource(t *testing.T) {
	// Cancel races the source's completion and fn: whatever wins, the
	// future settles, and an inner Go future that only ends on
	// cancellation always ends (goleak checks its goroutine).
	for range 300 {
		p := NewPromise[int]()
		var inner atomic.Pointer[Future[int]]
		f := Then(p.Future(), func(ctx context.Context, v int) *Future[int] {
			g := Go(ctx, func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return v, context.Cause(ctx)
			})
			inner.Store(g)
			return g
		})
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; p.Resolve(1) })
		wg.Go(func() { <-start; f.Cancel(errBoom) })
		close(start)
		wg.Wait()

		_, err := f.Await(t.Context())
		require.ErrorIs(t, err, errBoom)
		if g := inner.Load(); g != nil {
			v, err := g.Await(t.Context())
			require.Equal(t, 1, v)
			require.ErrorIs(t, err, errBoom)
		}
	}
}
