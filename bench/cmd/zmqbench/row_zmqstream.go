package main

import (
	"context"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// streamRow consumes a zmqstream.Stream on the PULL end of the raw baseline's loop:
// through C() or, with observable set, through Observable().
type streamRow struct{ observable bool }

func init() {
	register(streamRow{})
	register(streamRow{observable: true})
}

func (r streamRow) Key() string {
	if r.observable {
		return keyStreamObservable
	}
	return keyStreamC
}

func (r streamRow) Name() string {
	if r.observable {
		return "zmqstream Observable()"
	}
	return "zmqstream C()"
}

func (r streamRow) About() string {
	const common = "The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and a " +
		"zmqstream.New(pull) Stream, default options, on the PULL handed to zmqevented (zmqevented.Wrap, same " +
		"pebbe context); "
	if r.observable {
		return common + "the timing goroutine ranges over st.Observable().Observe(rxgo.WithContext(ctx)), taking " +
			"item.V of each item; the Stream's producer runs on the goroutine rxgo starts for the observation " +
			"and receives each message once the previous one was taken. Timed at the consumer, as raw. 16 B and 4 KiB."
	}
	return common + "the timing goroutine takes each message from st.C() (unbuffered: the Stream's goroutine " +
		"receives the next message once the channel took the previous one). Timed at the consumer, as raw. " +
		"16 B and 4 KiB."
}

// Supports keeps the Stream rows to the sizes their bars name, on every transport.
func (streamRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: raw sender; the timing goroutine consumes the Stream.
func (r streamRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	if r.observable {
		return measure(ctx, sp, false, func(ctx context.Context, l rigs.Looper, sp rigs.Spec) error {
			return rigs.StreamObservable(ctx, l, sp)
		})
	}
	return measure(ctx, sp, false, func(ctx context.Context, l rigs.Looper, sp rigs.Spec) error {
		return rigs.StreamC(ctx, l, sp)
	})
}
