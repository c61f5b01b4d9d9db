package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/pebbe/zmq4"

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
	zc, pull, push, err := newEvPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return Sample{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	msg := make([]byte, sp.Size)
	sent := make(chan error, 1)
	go func() { sent <- evSend(runCtx, push, msg, sp.Count+1) }()
	fail := func(err error) (Sample, error) {
		return Sample{}, errors.Join(fmt.Errorf("zmqevented recv: %w", err), evAbort(cancel, sent, zc))
	}
	if _, err := pull.Recv(ctx); err != nil { // warm-up: the connection is up
		return fail(err)
	}
	m := startMeter()
	for range sp.Count {
		if _, err := pull.Recv(ctx); err != nil {
			return fail(err)
		}
	}
	s := m.stop(sp.Count)
	return s, errors.Join(<-sent, zc.Close())
}

// Latency: an echo goroutine on REP, each timed round trip on REQ.
func (r eventedRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return r.reqRep(ctx, sp, true)
}

// Rate: the same REQ/REP loop without timing each round trip.
func (r eventedRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	return r.reqRep(ctx, sp, false)
}

func (eventedRow) reqRep(ctx context.Context, sp Spec, each bool) (Sample, error) {
	zc, rep, req, err := newEvPair(sp.Endpoint, zmq4.REP, zmq4.REQ)
	if err != nil {
		return Sample{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	echoed := make(chan error, 1)
	go func() {
		for range sp.Count + 1 {
			m, err := rep.Recv(runCtx)
			if err == nil {
				err = rep.Send(runCtx, m...)
			}
			if err != nil {
				echoed <- fmt.Errorf("zmqevented echo: %w", err)
				return
			}
		}
		echoed <- nil
	}()
	msg := make([]byte, sp.Size)
	roundTrip := func() error {
		if err := req.Send(ctx, msg); err != nil {
			return err
		}
		_, err := req.Recv(ctx)
		return err
	}
	fail := func(err error) (Sample, error) {
		return Sample{}, errors.Join(fmt.Errorf("zmqevented round trip: %w", err), evAbort(cancel, echoed, zc))
	}
	s, err := timeRoundTrips(sp.Count, each, roundTrip)
	if err != nil {
		return fail(err)
	}
	return s, errors.Join(<-echoed, zc.Close())
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
		pulls[i], pushes[i], err = evConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
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
			err := evSend(runCtx, push, msg, 1)
			if err == nil {
				<-start
				err = evSend(runCtx, push, msg, sp.Count)
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
		pull, _, err := evConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
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

// newEvPair makes a zmqevented.Context with linger 0, a socket of type bt bound to
// endpoint and one of type ct connected to it (evConnect). On failure the context is
// closed.
func newEvPair(endpoint string, bt, ct zmq4.Type) (zc *zmqevented.Context, bound, conn *zmqevented.Socket, err error) {
	zc, err = zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return nil, nil, nil, err
	}
	if bound, conn, err = evConnect(zc, bt, ct, endpoint); err != nil {
		return nil, nil, nil, errors.Join(err, zc.Close())
	}
	return zc, bound, conn, nil
}

// evConnect binds a socket of type bt to endpoint and connects one of type ct to the
// endpoint it resolved to. The context closes them.
func evConnect(zc *zmqevented.Context, bt, ct zmq4.Type, endpoint string) (bound, conn *zmqevented.Socket, err error) {
	bound, err = zc.NewSocket(bt)
	if err != nil {
		return nil, nil, err
	}
	if err := bound.Bind(endpoint); err != nil {
		return nil, nil, err
	}
	ep, err := bound.LastEndpoint()
	if err != nil {
		return nil, nil, err
	}
	conn, err = zc.NewSocket(ct)
	if err != nil {
		return nil, nil, err
	}
	if err := conn.Connect(ep); err != nil {
		return nil, nil, err
	}
	return bound, conn, nil
}

// evAbort cleans up after the timed end of a loop failed while the other end's goroutine
// may still be waiting in a call that takes the loop's context: it cancels that context
// with cancel, waits for the goroutine to report on done (a cancellation it caused is no
// failure) and closes zc. It returns what the goroutine reported and the failure to
// close zc; rawAbort is its raw pebbe counterpart.
func evAbort(cancel context.CancelFunc, done <-chan error, zc *zmqevented.Context) error {
	cancel()
	err := <-done
	if errors.Is(err, context.Canceled) {
		err = nil // stopped by the cancel above
	}
	return errors.Join(err, zc.Close())
}

// evSend sends msg n times.
func evSend(ctx context.Context, s *zmqevented.Socket, msg []byte, n int) error {
	for range n {
		if err := s.Send(ctx, msg); err != nil {
			return fmt.Errorf("zmqevented send: %w", err)
		}
	}
	return nil
}
