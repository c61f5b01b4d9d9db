package zmqstream_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/reactivex/rxgo/v2"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/zmqstream"
)

type pair2 struct {
	v   any
	err error
}

func collectValues[T any](ctx context.Context, obs rxgo.Observable) (vs []T, errs []error) {
	for v, err := range zmqstream.Values[T](ctx, obs) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vs = append(vs, v)
	}
	return vs, errs
}

func TestValues(t *testing.T) {
	t.Run("typed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			vs, errs := collectValues[int](t.Context(), rxgo.Just(1, 2, 3)())
			require.Equal(t, []int{1, 2, 3}, vs)
			require.Empty(t, errs)
		})
	})

	t.Run("wrong type and error items go on", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			boom := errors.New("boom")
			vs, errs := collectValues[int](t.Context(), rxgo.Just(1, "two", boom, 4)())
			require.Equal(t, []int{1, 4}, vs)
			require.Len(t, errs, 2)
			require.ErrorIs(t, errs[0], zmqstream.ErrItemType)
			require.EqualError(t, errs[0], "zmqstream: item has the wrong type: got string, want int")
			require.ErrorIs(t, errs[1], boom)
		})
	})

	t.Run("nil is the zero value of nilable types", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ch := make(chan rxgo.Item, 2)
			ch <- rxgo.Of(nil)
			ch <- rxgo.Of(nil)
			close(ch)
			var got []pair2
			for v, err := range zmqstream.Values[[][]byte](t.Context(), rxgo.FromChannel(ch)) {
				got = append(got, pair2{v, err})
			}
			require.Len(t, got, 2)
			require.Nil(t, got[0].v)
			require.NoError(t, got[0].err)

			ch2 := make(chan rxgo.Item, 1)
			ch2 <- rxgo.Of(nil)
			close(ch2)
			_, errs := collectValues[int](t.Context(), rxgo.FromChannel(ch2))
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], zmqstream.ErrItemType)
		})
	})

	// rxgo trap: FromChannel ignores the context given to Observe. Values still ends
	// when its ctx is done, and says so, rather than hanging on the source.
	t.Run("ctx done on a source that ignores it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := make(chan rxgo.Item) // never sends, never closes
			ctx, cancel := context.WithCancelCause(t.Context())
			cause := errors.New("enough")
			done := make(chan []error)
			go func() {
				_, errs := collectValues[int](ctx, rxgo.FromChannel(src))
				done <- errs
			}()
			synctest.Wait()
			cancel(cause)
			errs := <-done
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], cause)
		})
	})

	// rxgo trap: ForEach reports completion when its context is cancelled, so a
	// cancelled consumer cannot tell it from the end of the sequence. Values reports
	// the cancellation as an error.
	t.Run("cancellation is not completion", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// The trap itself, for the record.
			ctx, cancel := context.WithCancel(t.Context())
			completed := 0
			disposed := rxgo.FromChannel(make(chan rxgo.Item), rxgo.WithContext(ctx)).
				ForEach(func(any) {}, func(error) {}, func() { completed++ })
			cancel()
			<-disposed
			require.Equal(t, 1, completed, "rxgo's ForEach reports a cancellation as completion")

			ctx, cancel = context.WithCancel(t.Context())
			done := make(chan []error)
			go func() {
				_, errs := collectValues[int](ctx, rxgo.FromChannel(make(chan rxgo.Item), rxgo.WithContext(ctx)))
				done <- errs
			}()
			synctest.Wait()
			cancel()
			errs := <-done
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], context.Canceled)
		})
	})

	t.Run("already cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, errs := collectValues[int](ctx, rxgo.Just(1)())
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], context.Canceled)
		})
	})

	// Leaving the loop cancels the observation: rxgo's stages stop (the bubble fails
	// if any goroutine is left).
	t.Run("break stops the pipeline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			obs := rxgo.Range(0, 1_000_000).
				Map(func(_ context.Context, v any) (any, error) { return v, nil }).
				Filter(func(any) bool { return true })
			n := 0
			for v, err := range zmqstream.Values[int](t.Context(), obs) {
				require.NoError(t, err)
				require.Equal(t, n, v)
				n++
				if n == 3 {
					break
				}
			}
			synctest.Wait()
		})
	})
}
