package zmqstream

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/reactivex/rxgo/v2"
)

// pipeline is the rxgo.Observable a stream hands out: rxgo's own, whose every operator
// runs under the stream's lifetime context unless a context is given.
//
// rxgo v2.5.0 gives each operator stage a goroutine that stops when its input
// completes or its context is done. A stage whose consumer stops reading, with a
// context nobody cancels (context.Background, which rxgo uses when none is given),
// blocks forever: one leaked goroutine per stage. pipeline therefore prepends
// rxgo.WithContext(lifetime) to the options of every operator that builds a stage, and
// wraps the Observables they return, so Stream.Close cancels the whole pipeline. A
// context given by the caller — to an operator, or to Observe, which rxgo propagates
// upstream to every stage — comes later and wins, as in rxgo; the stages then stop
// when that context is done (or when their input completes).
//
// Methods that only consume (Observe, ForEach, Run, ToSlice, …) are rxgo's, unchanged:
// they read until the stages complete, which Close guarantees.
type pipeline struct {
	rxgo.Observable
	ctx context.Context // the stream's lifetime context (Context), never a per-call one
}

var _ rxgo.Observable = (*pipeline)(nil)

func newPipeline(ctx context.Context, o rxgo.Observable) *pipeline {
	return &pipeline{Observable: o, ctx: ctx}
}

func (p *pipeline) with(opts []rxgo.Option) []rxgo.Option {
	return append([]rxgo.Option{rxgo.WithContext(p.ctx)}, opts...)
}

func (p *pipeline) wrap(o rxgo.Observable) rxgo.Observable {
	return &pipeline{Observable: o, ctx: p.ctx}
}

// The operators that build stages, in the order of rxgo.Observable's declaration.

func (p *pipeline) All(predicate rxgo.Predicate, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.All(predicate, p.with(opts)...)
}

func (p *pipeline) AverageFloat32(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageFloat32(p.with(opts)...)
}

func (p *pipeline) AverageFloat64(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageFloat64(p.with(opts)...)
}

func (p *pipeline) AverageInt(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageInt(p.with(opts)...)
}

func (p *pipeline) AverageInt8(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageInt8(p.with(opts)...)
}

func (p *pipeline) AverageInt16(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageInt16(p.with(opts)...)
}

func (p *pipeline) AverageInt32(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageInt32(p.with(opts)...)
}

func (p *pipeline) AverageInt64(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.AverageInt64(p.with(opts)...)
}

func (p *pipeline) BackOffRetry(backOffCfg backoff.BackOff, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.BackOffRetry(backOffCfg, p.with(opts)...))
}

func (p *pipeline) BufferWithCount(count int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.BufferWithCount(count, p.with(opts)...))
}

func (p *pipeline) BufferWithTime(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.BufferWithTime(timespan, p.with(opts)...))
}

func (p *pipeline) BufferWithTimeOrCount(timespan rxgo.Duration, count int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.BufferWithTimeOrCount(timespan, count, p.with(opts)...))
}

func (p *pipeline) Contains(equal rxgo.Predicate, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.Contains(equal, p.with(opts)...)
}

func (p *pipeline) Count(opts ...rxgo.Option) rxgo.Single {
	return p.Observable.Count(p.with(opts)...)
}

func (p *pipeline) Debounce(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Debounce(timespan, p.with(opts)...))
}

func (p *pipeline) DefaultIfEmpty(defaultValue any, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.DefaultIfEmpty(defaultValue, p.with(opts)...))
}

func (p *pipeline) Distinct(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Distinct(apply, p.with(opts)...))
}

func (p *pipeline) DistinctUntilChanged(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.DistinctUntilChanged(apply, p.with(opts)...))
}

func (p *pipeline) ElementAt(index uint, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.ElementAt(index, p.with(opts)...)
}

func (p *pipeline) Filter(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Filter(apply, p.with(opts)...))
}

func (p *pipeline) Find(find rxgo.Predicate, opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.Find(find, p.with(opts)...)
}

func (p *pipeline) First(opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.First(p.with(opts)...)
}

func (p *pipeline) FirstOrDefault(defaultValue any, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.FirstOrDefault(defaultValue, p.with(opts)...)
}

func (p *pipeline) FlatMap(apply rxgo.ItemToObservable, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.FlatMap(apply, p.with(opts)...))
}

func (p *pipeline) GroupBy(length int, distribution func(rxgo.Item) int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.GroupBy(length, distribution, p.with(opts)...))
}

func (p *pipeline) GroupByDynamic(distribution func(rxgo.Item) string, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.GroupByDynamic(distribution, p.with(opts)...))
}

func (p *pipeline) IgnoreElements(opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.IgnoreElements(p.with(opts)...))
}

func (p *pipeline) Join(joiner rxgo.Func2, right rxgo.Observable, timeExtractor func(any) time.Time, window rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Join(joiner, right, timeExtractor, window, p.with(opts)...))
}

func (p *pipeline) Last(opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.Last(p.with(opts)...)
}

func (p *pipeline) LastOrDefault(defaultValue any, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.LastOrDefault(defaultValue, p.with(opts)...)
}

func (p *pipeline) Map(apply rxgo.Func, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Map(apply, p.with(opts)...))
}

func (p *pipeline) Marshal(marshaller rxgo.Marshaller, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Marshal(marshaller, p.with(opts)...))
}

func (p *pipeline) Max(comparator rxgo.Comparator, opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.Max(comparator, p.with(opts)...)
}

func (p *pipeline) Min(comparator rxgo.Comparator, opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.Min(comparator, p.with(opts)...)
}

func (p *pipeline) OnErrorResumeNext(resumeSequence rxgo.ErrorToObservable, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.OnErrorResumeNext(resumeSequence, p.with(opts)...))
}

func (p *pipeline) OnErrorReturn(resumeFunc rxgo.ErrorFunc, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.OnErrorReturn(resumeFunc, p.with(opts)...))
}

func (p *pipeline) OnErrorReturnItem(resume any, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.OnErrorReturnItem(resume, p.with(opts)...))
}

func (p *pipeline) Reduce(apply rxgo.Func2, opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.Reduce(apply, p.with(opts)...)
}

func (p *pipeline) Repeat(count int64, frequency rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Repeat(count, frequency, p.with(opts)...))
}

func (p *pipeline) Retry(count int, shouldRetry func(error) bool, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Retry(count, shouldRetry, p.with(opts)...))
}

func (p *pipeline) Sample(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Sample(iterable, p.with(opts)...))
}

func (p *pipeline) Scan(apply rxgo.Func2, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Scan(apply, p.with(opts)...))
}

func (p *pipeline) SequenceEqual(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.SequenceEqual(iterable, p.with(opts)...)
}

func (p *pipeline) Serialize(from int, identifier func(any) int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Serialize(from, identifier, p.with(opts)...))
}

func (p *pipeline) Skip(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Skip(nth, p.with(opts)...))
}

func (p *pipeline) SkipLast(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.SkipLast(nth, p.with(opts)...))
}

func (p *pipeline) SkipWhile(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.SkipWhile(apply, p.with(opts)...))
}

func (p *pipeline) StartWith(iterable rxgo.Iterable, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.StartWith(iterable, p.with(opts)...))
}

func (p *pipeline) SumFloat32(opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.SumFloat32(p.with(opts)...)
}

func (p *pipeline) SumFloat64(opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.SumFloat64(p.with(opts)...)
}

func (p *pipeline) SumInt64(opts ...rxgo.Option) rxgo.OptionalSingle {
	return p.Observable.SumInt64(p.with(opts)...)
}

func (p *pipeline) Take(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Take(nth, p.with(opts)...))
}

func (p *pipeline) TakeLast(nth uint, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.TakeLast(nth, p.with(opts)...))
}

func (p *pipeline) TakeUntil(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.TakeUntil(apply, p.with(opts)...))
}

func (p *pipeline) TakeWhile(apply rxgo.Predicate, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.TakeWhile(apply, p.with(opts)...))
}

func (p *pipeline) TimeInterval(opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.TimeInterval(p.with(opts)...))
}

func (p *pipeline) Timestamp(opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Timestamp(p.with(opts)...))
}

func (p *pipeline) ToMap(keySelector rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.ToMap(keySelector, p.with(opts)...)
}

func (p *pipeline) ToMapWithValueSelector(keySelector, valueSelector rxgo.Func, opts ...rxgo.Option) rxgo.Single {
	return p.Observable.ToMapWithValueSelector(keySelector, valueSelector, p.with(opts)...)
}

func (p *pipeline) Unmarshal(unmarshaller rxgo.Unmarshaller, factory func() any, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.Unmarshal(unmarshaller, factory, p.with(opts)...))
}

func (p *pipeline) WindowWithCount(count int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.WindowWithCount(count, p.with(opts)...))
}

func (p *pipeline) WindowWithTime(timespan rxgo.Duration, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.WindowWithTime(timespan, p.with(opts)...))
}

func (p *pipeline) WindowWithTimeOrCount(timespan rxgo.Duration, count int, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.WindowWithTimeOrCount(timespan, count, p.with(opts)...))
}

func (p *pipeline) ZipFromIterable(iterable rxgo.Iterable, zipper rxgo.Func2, opts ...rxgo.Option) rxgo.Observable {
	return p.wrap(p.Observable.ZipFromIterable(iterable, zipper, p.with(opts)...))
}
