package main

import (
	"context"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// sinkRow sends through a zmqsink.Sink on the PUSH end of the raw baseline's loop: with
// Sink.Send or, with forward set, with zmqsink.Forward from an rxgo Observable.
type sinkRow struct{ forward bool }

// pipelineRow is the whole stream world end to end: an rxgo Observable forwarded into a
// Sink on a PUSH, and the PULL's messages consumed as a Stream's Observable.
type pipelineRow struct{}

func init() {
	register(sinkRow{})
	register(sinkRow{forward: true})
	register(pipelineRow{})
}

func (r sinkRow) Key() string {
	if r.forward {
		return keySinkForward
	}
	return keySinkSend
}

func (r sinkRow) Name() string {
	if r.forward {
		return "zmqsink Forward"
	}
	return "zmqsink Sink.Send"
}

func (r sinkRow) About() string {
	const common = "The raw baseline's receiver (the timing goroutine calling pebbe RecvBytes(0), blocking, on " +
		"the bound PULL) and a zmqsink.New(push) Sink, default options (64 slots; its writer hands libzmq each " +
		"batch with SendMany, one cgo crossing per batch), on the PUSH handed to zmqevented (zmqevented.Wrap, " +
		"same pebbe context); "
	const tail = "the sender then calls Flush. Timed at the receiver, exactly as raw: the same loop, only the " +
		"sending end differs. 16 B and 4 KiB."
	if r.forward {
		return common + "a goroutine calls zmqsink.Forward(ctx, src, sink) with src an rxgo.Defer Observable whose " +
			"producer emits spec.Count+1 items rxgo.Of(b) (b a []byte) on rxgo's default unbuffered channel, " +
			"selecting on its ctx; " + tail
	}
	return common + "a goroutine calls sink.Send(ctx, b) for spec.Count+1 messages (libzmq takes the message " +
		"inline while nothing is queued, else the Sink's writer goroutine sends it with the rest of its batch); " + tail
}

// Supports keeps the Sink rows to the sizes their bars name, on every transport.
func (sinkRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: the layered sender on a goroutine, the raw receiver timed.
func (r sinkRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	if r.forward {
		return measure(ctx, sp, false, rigs.SinkForward)
	}
	return measure(ctx, sp, false, rigs.SinkSend)
}

func (pipelineRow) Key() string  { return keyPipeline }
func (pipelineRow) Name() string { return "rxgo → Sink → Stream → rxgo" }
func (pipelineRow) About() string {
	return "The full pipeline, both ends layered, in one zmqevented.Context (linger 0): a goroutine calls " +
		"zmqsink.Forward(ctx, src, sink) from the rxgo.Defer Observable of the Forward row (spec.Count+1 items " +
		"rxgo.Of(b)) into a zmqsink.New(push) Sink, then Flush; on the PULL, a zmqstream.New(pull) Stream whose " +
		"Observable the timing goroutine ranges over, as in the Observable() row. Timed at the consumer after " +
		"one warm-up message. No bar: it shows what the layers cost together. 16 B and 4 KiB."
}

// Supports runs the pipeline where the Sink and Stream rows run.
func (pipelineRow) Supports(k Kind, sp Spec) bool { return streamLayerSupports(k, sp) }

// Throughput: Forward into a Sink on a goroutine; the Stream's Observable consumed and timed.
func (pipelineRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, rigs.Pipeline)
}
