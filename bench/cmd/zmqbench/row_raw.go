package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pebbe/zmq4"
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
func (r rawRow) Throughput(_ context.Context, sp Spec) (Sample, error) {
	zc, pull, push, err := newRawPair(sp.Endpoint, zmq4.PULL, zmq4.PUSH)
	if err != nil {
		return Sample{}, err
	}
	msg := make([]byte, sp.Size)
	sent := make(chan error, 1)
	go func() { sent <- rawSend(push, msg, sp.Count+1) }()

	fail := func(err error) (Sample, error) {
		serr := rawAbort(zc, []*zmq4.Socket{pull}, sent, []*zmq4.Socket{push})
		return Sample{}, errors.Join(fmt.Errorf("raw recv: %w", err), serr)
	}
	if _, err := pull.RecvBytes(0); err != nil { // warm-up: the connection is up
		return fail(err)
	}
	var m *meter
	if r.whole {
		m = startMeter()
		for range sp.Count {
			if _, err := pull.RecvMessageBytes(0); err != nil {
				return fail(err)
			}
		}
	} else {
		m = startMeter()
		for range sp.Count {
			if _, err := pull.RecvBytes(0); err != nil {
				return fail(err)
			}
		}
	}
	s := m.stop(sp.Count)
	serr := <-sent
	return s, rawClose(zc, serr, push, pull)
}

// Latency: an echo goroutine on REP, each timed round trip on REQ.
func (r rawRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	return r.reqRep(ctx, sp, true)
}

// Rate: the same REQ/REP loop without timing each round trip.
func (r rawRow) Rate(ctx context.Context, sp Spec) (Sample, error) {
	return r.reqRep(ctx, sp, false)
}

func (r rawRow) reqRep(_ context.Context, sp Spec, each bool) (Sample, error) {
	zc, rep, req, err := newRawPair(sp.Endpoint, zmq4.REP, zmq4.REQ)
	if err != nil {
		return Sample{}, err
	}
	echo := func() error {
		if r.whole {
			m, err := rep.RecvMessageBytes(0)
			if err != nil {
				return err
			}
			return rawSendFrames(rep, m)
		}
		b, err := rep.RecvBytes(0)
		if err != nil {
			return err
		}
		_, err = rep.SendBytes(b, 0)
		return err
	}
	echoed := make(chan error, 1)
	go func() {
		for range sp.Count + 1 {
			if err := echo(); err != nil {
				echoed <- err
				return
			}
		}
		echoed <- nil
	}()
	msg := make([]byte, sp.Size)
	roundTrip := func() error {
		if _, err := req.SendBytes(msg, 0); err != nil {
			return err
		}
		if r.whole {
			_, err := req.RecvMessageBytes(0)
			return err
		}
		_, err := req.RecvBytes(0)
		return err
	}
	fail := func(err error) (Sample, error) {
		eerr := rawAbort(zc, []*zmq4.Socket{req}, echoed, []*zmq4.Socket{rep})
		return Sample{}, errors.Join(fmt.Errorf("raw round trip: %w", err), eerr)
	}
	s, err := timeRoundTrips(sp.Count, each, roundTrip)
	if err != nil {
		return fail(err)
	}
	eerr := <-echoed
	return s, rawClose(zc, eerr, req, rep)
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
		pulls[i], pushes[i], err = rawConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return Sample{}, rawClose(zc, err, socks...)
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
			if err := rawSend(push, msg, 1); err != nil {
				errs <- err
				return
			}
			<-start
			if err := rawSend(push, msg, sp.Count); err != nil {
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
	return s, rawClose(zc, <-errs, socks...)
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
		return IdleSample{}, rawClose(zc, fmt.Errorf("set MAX_SOCKETS: %w", err))
	}
	socks := make([]*zmq4.Socket, 0, sp.Count)
	for i := range sp.Count / 2 {
		pull, push, err := rawConnect(zc, zmq4.PULL, zmq4.PUSH, sp.EndpointN(i))
		if err != nil {
			return IdleSample{}, rawClose(zc, fmt.Errorf("socket %d: %w", len(socks), err), socks...)
		}
		socks = append(socks, pull, push)
	}
	create := time.Since(t0)
	is := idleSample(len(socks), create, before, snapshot())
	return is, rawClose(zc, nil, socks...)
}

// rawSocket makes a pebbe socket with linger 0.
func rawSocket(zc *zmq4.Context, t zmq4.Type) (*zmq4.Socket, error) {
	s, err := zc.NewSocket(t)
	if err != nil {
		return nil, err
	}
	if err := s.SetLinger(0); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// newRawPair makes a pebbe context with a socket of type bt bound to endpoint and one of
// type ct connected to it (rawConnect). On failure nothing is left open.
func newRawPair(endpoint string, bt, ct zmq4.Type) (zc *zmq4.Context, bound, conn *zmq4.Socket, err error) {
	zc, err = zmq4.NewContext()
	if err != nil {
		return nil, nil, nil, err
	}
	if bound, conn, err = rawConnect(zc, bt, ct, endpoint); err != nil {
		return nil, nil, nil, errors.Join(err, zc.Term())
	}
	return zc, bound, conn, nil
}

// rawConnect binds a socket of type bt to endpoint and connects one of type ct to the
// endpoint it resolved to. On failure nothing is left open.
func rawConnect(zc *zmq4.Context, bt, ct zmq4.Type, endpoint string) (bound, conn *zmq4.Socket, err error) {
	bound, err = rawSocket(zc, bt)
	if err != nil {
		return nil, nil, err
	}
	if err := bound.Bind(endpoint); err != nil {
		_ = bound.Close()
		return nil, nil, fmt.Errorf("bind %s: %w", endpoint, err)
	}
	ep, err := bound.GetLastEndpoint()
	if err == nil {
		conn, err = rawSocket(zc, ct)
	}
	if err == nil {
		if err = conn.Connect(ep); err != nil {
			_ = conn.Close()
			err = fmt.Errorf("connect %s: %w", ep, err)
		}
	}
	if err != nil {
		_ = bound.Close()
		return nil, nil, err
	}
	return bound, conn, nil
}

// rawSend sends msg n times, blocking.
func rawSend(s *zmq4.Socket, msg []byte, n int) error {
	for range n {
		if _, err := s.SendBytes(msg, 0); err != nil {
			return fmt.Errorf("raw send: %w", err)
		}
	}
	return nil
}

// rawSendFrames sends one multipart message, blocking.
func rawSendFrames(s *zmq4.Socket, frames [][]byte) error {
	for i, f := range frames {
		flag := zmq4.SNDMORE
		if i == len(frames)-1 {
			flag = 0
		}
		if _, err := s.SendBytes(f, flag); err != nil {
			return err
		}
	}
	return nil
}

// rawClose closes socks and terminates zc, returning err or the first failure.
func rawClose(zc *zmq4.Context, err error, socks ...*zmq4.Socket) error {
	for _, s := range socks {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if terr := zc.Term(); terr != nil && err == nil {
		err = terr
	}
	return err
}

// rawAbort cleans up after a failure while another goroutine may be blocked on one of
// theirs: it closes mine, terminates zc (so the blocked call returns ETERM), waits for
// that goroutine to report on done, then closes theirs, which lets the termination end.
// It returns what the goroutine reported.
func rawAbort(zc *zmq4.Context, mine []*zmq4.Socket, done <-chan error, theirs []*zmq4.Socket) error {
	for _, s := range mine {
		_ = s.Close()
	}
	termed := make(chan struct{})
	go func() {
		defer close(termed)
		_ = zc.Term()
	}()
	err := <-done
	for _, s := range theirs {
		_ = s.Close()
	}
	<-termed
	return err
}
