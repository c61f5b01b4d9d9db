package zmqstream

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/reactivex/rxgo/v2"
)

// Values observes obs and returns its items as an iterator of T: each value item as
// (v, nil), each error item as (zero, err), and a value of another type as (zero, err)
// with err wrapping ErrItemType. Errors do not end the iteration; obs's completion
// does (with rxgo's default error strategy, an operator completes right after its
// first error).
//
// Values observes obs when the loop starts, with rxgo.WithContext of a context derived
// from ctx, and cancels that context when the loop ends, so the stages of obs stop
// whatever ends the loop (rxgo propagates the context upstream; a stage given its own
// context keeps it). When ctx is done Values yields (zero, context.Cause(ctx)) once and
// ends, without waiting for obs: this also holds for a source that ignores the
// observation's context, such as rxgo.FromChannel. It does not report a completion
// caused by a cancellation as an end of the sequence (unlike rxgo's ForEach).
//
// The iterator may be ranged over as often as obs may be observed. It starts no
// goroutine of its own; the cost per item is one channel receive and one type
// assertion.
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
