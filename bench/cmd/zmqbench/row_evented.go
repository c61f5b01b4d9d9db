package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// eventedRow is zmqevented on both ends of every loop.
type eventedRow struct{}

func init() { register(eventedRow{}) }

func (eventedRow) Key() string  { return keyEvented }
func (eventedRow) Name() string { return "zmqevented Send/Recv" }
func (eventedRow) About() string {
	return "zmqevented on both ends, in one zmqevented.Context with linger 0: throughput is a goroutine " +
		"calling Send(ctx, b) and the timing goroutine calling Recv(ctx) (a whole message: RecvBytes plus a " +
		"ZMQ_RCVMORE query; waits park in the netpoller); REQ/REP is an echo goroutine (Recv, Send) and the timing " +
		"goroutine's Send + Recv per round trip (rate: the same, untimed per trip). Pairs: 100 such pairs, two " +
		"goroutines each. Idle: sockets in connected inproc PUSH/PULL pairs, then one goroutine parked in Recv " +
		"per PULL."
}

// Throughput: a sender goroutine, the timed receiver on the calling goroutine.
func (eventedRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, rigs.EventedThroughput)
}

// Latency: an echo goroutine on REP, each timed round trip on REQ.
func (eventedRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, true, rigs.EventedReqRep)
}

// Rate: the same REQ/REP loop without timing each round trip.
func (eventedRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	return measure(ctx, sp, false, rigs.EventedReqRep)
}

// Pairs: sp.Pairs PUSH/PULL pairs in one context, a goroutine per socket, all released
// at once after every pair's warm-up message has arrived.
func (eventedRow) Pairs(ctx context.Context, sp Spec) (Sample, error) {
	zc, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return Sample{}, err
	}
	pulls := make([]*zmqevented.Socket, sp.Pairs)
	pushes := make([]*zmqevented.Socket, sp.Pairs)
	for i := range sp.Pairs {
		pulls[i], pushes[i], err = rigs.EvConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return Sample{}, errors.Join(err, zc.Close())
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
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
			err := rigs.EvSend(runCtx, push, msg, 1)
			if err == nil {
				<-start
				err = rigs.EvSend(runCtx, push, msg, sp.Count)
			}
			if err != nil {
				errs <- err
				cancel()
			}
		}()
		go func() {
			defer done.Done()
			_, err := pull.Recv(runCtx)
			ready.Done()
			if err != nil {
				errs <- err
				cancel()
				return
			}
			<-start
			for range sp.Count {
				if _, err := pull.Recv(runCtx); err != nil {
					errs <- err
					cancel()
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
	return s, errors.Join(<-errs, zc.Close())
}

// Idle: sp.Count sockets in connected inproc PUSH/PULL pairs; then one goroutine
// parked in Recv on every PULL.
func (eventedRow) Idle(ctx context.Context, sp Spec) (IdleSample, error) {
	before := snapshot()
	t0 := time.Now()
	zc, err := zmqevented.NewContext(zmqevented.WithLinger(0), zmqevented.WithMaxSockets(sp.Count+64))
	if err != nil {
		return IdleSample{}, err
	}
	pulls := make([]*zmqevented.Socket, 0, sp.Count/2)
	for i := range sp.Count / 2 {
		pull, _, err := rigs.EvConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return IdleSample{}, errors.Join(fmt.Errorf("socket %d: %w", 2*i, err), zc.Close())
		}
		pulls = append(pulls, pull)
	}
	create := time.Since(t0)
	idle := snapshot()
	is := idleSample(2*len(pulls), create, before, idle)

	waitCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, pull := range pulls {
		wg.Go(func() { _, _ = pull.Recv(waitCtx) })
	}
	// Every waiter is parked once the goroutines exist and have had time to reach
	// the poller; Recv on an empty PULL returns only by cancellation.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() < idle.Goroutines+len(pulls) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	waiting := snapshot()
	cancel()
	wg.Wait()
	is.Waiters = len(pulls)
	is.WaitGoroutines = waiting.Goroutines - idle.Goroutines
	is.WaitHeapBytes = waiting.HeapBytes - idle.HeapBytes
	is.WaitRSSBytes = waiting.RSSBytes - idle.RSSBytes
	return is, zc.Close()
}
