package main

import (
	"context"
	"fmt"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// recvManyRow is zmqevented's batched receive, RecvMany with a batch of 64 into a
// reused dst, on the PULL end of the raw baseline's loop.
type recvManyRow struct{}

func init() { register(recvManyRow{}) }

func (recvManyRow) Key() string { return keyRecvMany }
func (recvManyRow) Name() string {
	return fmt.Sprintf("zmqevented RecvMany (batch %d)", rigs.RecvManyBatch)
}

func (recvManyRow) About() string {
	return fmt.Sprintf("The raw baseline's sender (a goroutine calling pebbe SendBytes(b, 0), blocking) and, on "+
		"the timing goroutine, zmqevented's RecvMany(ctx, dst, %d) on the PULL handed to zmqevented "+
		"(zmqevented.Wrap, same pebbe context, default options): each call waits like Recv until a message "+
		"is queued, then takes what libzmq has queued, up to %d whole messages, in one cgo crossing, into a "+
		"dst reused from call to call; the loop counts the messages of each batch and calls again when it "+
		"is used up. Timed at the receiver, as raw.", rigs.RecvManyBatch, rigs.RecvManyBatch)
}

// Throughput: raw sender; the timing goroutine receives in batches.
func (recvManyRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, rigs.EventedRecvMany)
}
