package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// rawRow is raw blocking pebbe/zmq4: each end of a loop on its own goroutine in
// blocking calls (an OS thread each while blocked), in its own zmq4.Context. With whole
// unset it is the baseline: RecvBytes(0), one frame per call, the fastest raw loop.
// With whole set it receives with RecvMessageBytes(0), which asks ZMQ_RCVMORE after
// each frame: the same work zmqevented's Recv does to return whole messages.
type rawRow struct{ whole bool }

func init() {
	register(rawRow{})
	register(rawRow{whole: true})
}

func (r rawRow) Key() string {
	if r.whole {
		return keyRawMessage
	}
	return keyRaw
}

func (r rawRow) Name() string {
	if r.whole {
		return "raw pebbe RecvMessageBytes"
	}
	return "raw pebbe RecvBytes"
}

func (r rawRow) About() string {
	if r.whole {
		return "Raw blocking pebbe/zmq4 as the baseline, but every receive is RecvMessageBytes(0) " +
			"(RecvBytes plus a ZMQ_RCVMORE query per frame): the work zmqevented's Recv does to return whole messages. " +
			"Throughput and REQ/REP latency only."
	}
	return "The baseline (ratio 1.00). Raw blocking pebbe/zmq4 in one process: throughput is a goroutine " +
		"sending with SendBytes(b, 0) and the timing goroutine receiving with RecvBytes(0) (one frame per call, " +
		"the fastest raw loop); REQ/REP is an echo goroutine (RecvBytes, SendBytes) and the timing goroutine's " +
		"SendBytes + RecvBytes per round trip. Pairs: 100 such PUSH/PULL pairs, two goroutines each. " +
		"Idle: pebbe sockets in connected inproc PUSH/PULL pairs."
}

// Supports keeps the RecvMessageBytes row to the scenarios where it explains a ratio.
func (r rawRow) Supports(k Kind, _ Spec) bool {
	return !r.whole || k == KindThroughput || k == KindLatency
}

// Throughput: a sender goroutine, the timed receiver on the calling goroutine.
func (r rawRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	if r.whole {
		return measure(ctx, sp, false, rigs.RawMessageThroughput)
	}
	return measure(ctx, sp, false, rigs.RawThroughput)
}

// Latency: an echo goroutine on REP, each timed round trip on REQ.
func (r rawRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, true, r.reqRep())
}

// Rate: the same REQ/REP loop without timing each round trip.
func (r rawRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, r.reqRep())
}

func (r rawRow) reqRep() rigs.Func {
	if r.whole {
		return rigs.RawMessageReqRep
	}
	return rigs.RawReqRep
}

// Pairs: sp.Pairs PUSH/PULL pairs in one context, a goroutine per socket, all released
// at once after every pair's warm-up message has arrived.
func (rawRow) Pairs(_ context.Context, sp Spec) (Sample, error) {
	zc, err := zmq4.NewContext()
	if err != nil {
		return Sample{}, err
	}
	var socks []*zmq4.Socket
	pulls := make([]*zmq4.Socket, sp.Pairs)
	pushes := make([]*zmq4.Socket, sp.Pairs)
	for i := range sp.Pairs {
		pulls[i], pushes[i], err = rigs.RawConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return Sample{}, rigs.RawClose(zc, err, socks...)
		}
		socks = append(socks, pulls[i], pushes[i])
	}
	msg := make([]byte, sp.Size)
	start := make(chan struct{})
	errs := make(chan error, 2*sp.Pairs)
	var ready, done sync.WaitGroup
	for i := range sp.Pairs {
		push, pull := pushes[i], pulls[i]
		ready.Add(1)
		done.Add(2)
		go func() {
			defer done.Done()
			if err := rigs.RawSend(push, msg, 1); err != nil {
				errs <- err
				return
			}
			<-start
			if err := rigs.RawSend(push, msg, sp.Count); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer done.Done()
			_, err := pull.RecvBytes(0)
			ready.Done()
			if err != nil {
				errs <- err
				return
			}
			<-start
			for range sp.Count {
				if _, err := pull.RecvBytes(0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	ready.Wait()
	m := startMeter()
	close(start)
	done.Wait()
	s := m.stop(sp.Pairs * sp.Count)
	close(errs)
	return s, rigs.RawClose(zc, <-errs, socks...)
}

// Idle: sp.Count pebbe sockets in connected inproc PUSH/PULL pairs.
func (rawRow) Idle(_ context.Context, sp Spec) (IdleSample, error) {
	before := snapshot()
	t0 := time.Now()
	zc, err := zmq4.NewContext()
	if err != nil {
		return IdleSample{}, err
	}
	if err := zc.SetMaxSockets(sp.Count + 64); err != nil {
		return IdleSample{}, rigs.RawClose(zc, fmt.Errorf("set MAX_SOCKETS: %w", err))
	}
	socks := make([]*zmq4.Socket, 0, sp.Count)
	for i := range sp.Count / 2 {
		pull, push, err := rigs.RawConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return IdleSample{}, rigs.RawClose(zc, fmt.Errorf("socket %d: %w", len(socks), err), socks...)
		}
		socks = append(socks, pull, push)
	}
	create := time.Since(t0)
	is := idleSample(len(socks), create, before, snapshot())
	return is, rigs.RawClose(zc, nil, socks...)
}
