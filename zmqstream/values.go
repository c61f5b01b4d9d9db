package zmqstream

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/reactivex/rxgo/v2"
)

// Values observes obs when the loop starts and returns its items as an iterator of T:
// values as (v, nil), error items and values of another type (ErrItemType) as (zero,
// err), without ending the iteration; obs's completion ends it. Ending the loop
// cancels the observation's context, so obs's stages stop. When ctx is done it yields
// (zero, ctx's cause) once and ends, even for a source that ignores its context, and
// it never reports a cancellation as completion (unlike rxgo's ForEach).
func Values[T any](ctx context.Context, obs rxgo.Observable) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if ctx.Err() != nil {
			yield(zero, context.Cause(ctx))
			return
		}
		octx, cancel := context.WithCancel(ctx)
		defer cancel()
		items := obs.Observe(rxgo.WithContext(octx))
		done := ctx.Done()
		for {
			select {
			case <-done:
				yield(zero, context.Cause(ctx))
				return
			case item, ok := <-items:
				if !ok {
					return
				}
				v, err := itemValue[T](item)
				if !yield(v, err) {
					return
				}
			}
		}
	}
}

// itemValue returns an item's value as a T, or its error. A nil value is the zero
// value of a T that can be nil (interface, pointer, slice, map, channel, function).
func itemValue[T any](item rxgo.Item) (T, error) {
	var zero T
	if item.E != nil {
		return zero, item.E
	}
	if v, ok := item.V.(T); ok {
		return v, nil
	}
	t := reflect.TypeFor[T]()
	if item.V == nil {
		switch t.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func:
			return zero, nil
		}
	}
	return zero, fmt.Errorf("%w: got %T, want %v", ErrItemType, item.V, t)
}
