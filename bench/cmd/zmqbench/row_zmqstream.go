package main

import (
	"context"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// streamRow consumes a zmqstream.Stream, default options, on the PULL end of the raw
// baseline's loop: through C(), Observable() or All(ctx).
type streamRow struct{ consumer streamConsumer }

// streamConsumer is how a streamRow consumes its Stream.
type streamConsumer int

const (
	streamC streamConsumer = iota
	streamObservable
	streamAll
)

func init() {
	register(streamRow{streamC})
	register(streamRow{streamObservable})
	register(streamRow{streamAll})
}

func (r streamRow) Key() string {
	switch r.consumer {
	case streamObservable:
		return keyStreamObservable
	case streamAll:
		return keyStreamAll
	}
	return keyStreamC
}

func (r streamRow) Name() string {
	switch r.consumer {
	case streamObservable:
		return "zmqstream Observable()"
	case streamAll:
		return "zmqstream All(ctx)"
	}
	return "zmqstream C()"
}

func (r streamRow) About() string {
	const common = "The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and a " +
		"zmqstream.New(pull) Stream, default options (WithBuffer's default, 64: the Stream takes up to 64 " +
		"messages per crossing into libzmq with RecvMany), on the PULL handed to zmqevented (zmqevented.Wrap, " +
		"same pebbe context); "
	const tail = " Timed at the consumer, as raw. 16 B and 4 KiB."
	switch r.consumer {
	case streamObservable:
		return common + "the timing goroutine ranges over st.Observable().Observe(rxgo.WithContext(ctx)), taking " +
			"item.V of each item; the Stream's producer runs on the goroutine rxgo starts for the observation " +
			"and emits the messages of each batch it took." + tail
	case streamAll:
		return common + "the timing goroutine ranges over st.All(ctx), which takes the batches on the " +
			"consumer's goroutine and yields their messages one by one (no goroutine of the Stream's)." + tail
	}
	return common + "the timing goroutine takes each message from st.C() (capacity 64: the Stream's goroutine " +
		"queues the messages of each batch on the channel)." + tail
}

// Supports keeps the Stream rows to the sizes their bars name, on every transport.
func (streamRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: raw sender; the timing goroutine consumes the Stream.
func (r streamRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	loop := rigs.StreamC
	switch r.consumer {
	case streamObservable:
		loop = rigs.StreamObservable
	case streamAll:
		loop = rigs.StreamAll
	}
	return measure(ctx, sp, false, func(ctx context.Context, l rigs.Looper, sp rigs.Spec) error {
		return loop(ctx, l, sp)
	})
}
