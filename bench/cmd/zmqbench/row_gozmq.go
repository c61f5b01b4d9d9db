package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	gozmq "github.com/go-zeromq/zmq4"
)

// goZMQRow is github.com/go-zeromq/zmq4, ZeroMQ written in pure Go (no libzmq).
type goZMQRow struct{}

func init() { register(goZMQRow{}) }

func (goZMQRow) Key() string  { return keyGoZMQ }
func (goZMQRow) Name() string { return "go-zeromq/zmq4 (pure Go)" }
func (goZMQRow) About() string {
	return "github.com/go-zeromq/zmq4, the pure-Go ZeroMQ (no libzmq), both ends in this process: throughput is " +
		"a goroutine calling push.Send(zmq4.NewMsg(b)) and the timing goroutine calling pull.Recv() (PULL " +
		"listens, PUSH dials; not over inproc, whose go-zeromq transport leaks goroutines after Close); REQ/REP is an echo goroutine " +
		"(rep.Recv, rep.Send) and the timing goroutine's req.Send + req.Recv per round trip."
}

// Skip declines inproc: go-zeromq's inproc conn.read selects only on its data channel
// and deadline, not on close, so every inproc connection leaves two goroutines blocked
// for ever after Close (v0.17.0), and the suite must not leak.
func (goZMQRow) Skip(_ Kind, sp Spec) string {
	if sp.Transport == "inproc" {
		return "not run over inproc: go-zeromq v0.17.0's inproc transport leaves two goroutines blocked per connection after Close"
	}
	return ""
}

// Throughput: a sender goroutine, the timed receiver on the calling goroutine.
func (goZMQRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	pull := gozmq.NewPull(runCtx)
	push := gozmq.NewPush(runCtx)
	closeAll := func() error { return goZMQClose(push, pull) }
	if err := goZMQConnect(pull, push, sp.Endpoint); err != nil {
		return Sample{}, errors.Join(err, closeAll())
	}
	msg := make([]byte, sp.Size)
	sent := make(chan error, 1)
	go func() {
		for range sp.Count + 1 {
			if err := push.Send(gozmq.NewMsg(msg)); err != nil {
				sent <- fmt.Errorf("go-zeromq send: %w", err)
				return
			}
		}
		sent <- nil
	}()
	fail := func(err error) (Sample, error) {
		cancel()
		cerr := closeAll()
		serr := <-sent // the sender fails once the sockets are closed
		return Sample{}, errors.Join(fmt.Errorf("go-zeromq recv: %w", err), serr, cerr)
	}
	if _, err := pull.Recv(); err != nil { // warm-up: the connection is up
		return fail(err)
	}
	m := startMeter()
	for range sp.Count {
		if _, err := pull.Recv(); err != nil {
			return fail(err)
		}
	}
	s := m.stop(sp.Count)
	serr := <-sent
	return s, errors.Join(serr, closeAll())
}

// Latency: an echo goroutine on REP, each timed round trip on REQ.
func (goZMQRow) Latency(ctx context.Context, sp Spec) (Sample, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep := gozmq.NewRep(runCtx)
	req := gozmq.NewReq(runCtx)
	closeAll := func() error { return goZMQClose(req, rep) }
	if err := goZMQConnect(rep, req, sp.Endpoint); err != nil {
		return Sample{}, errors.Join(err, closeAll())
	}
	echoed := make(chan error, 1)
	go func() {
		for range sp.Count + 1 {
			m, err := rep.Recv()
			if err == nil {
				err = rep.Send(m)
			}
			if err != nil {
				echoed <- fmt.Errorf("go-zeromq echo: %w", err)
				return
			}
		}
		echoed <- nil
	}()
	msg := make([]byte, sp.Size)
	roundTrip := func() error {
		if err := req.Send(gozmq.NewMsg(msg)); err != nil {
			return err
		}
		_, err := req.Recv()
		return err
	}
	fail := func(err error) (Sample, error) {
		cancel()
		cerr := closeAll()
		eerr := <-echoed // the echo server fails once the sockets are closed
		return Sample{}, errors.Join(fmt.Errorf("go-zeromq round trip: %w", err), eerr, cerr)
	}
	if err := roundTrip(); err != nil { // warm-up: the connection is up
		return fail(err)
	}
	l := newCountLoop(sp.Count, true)
	for l.Loop() {
		if err := roundTrip(); err != nil {
			return fail(err)
		}
	}
	s, err := l.sample()
	eerr := <-echoed
	return s, errors.Join(err, eerr, closeAll())
}

// goZMQConnect makes bound listen on endpoint (libzmq syntax; go-zeromq wants port 0
// instead of "*") and dials it from conn.
func goZMQConnect(bound, conn gozmq.Socket, endpoint string) error {
	ep := strings.Replace(endpoint, ":*", ":0", 1)
	if err := bound.Listen(ep); err != nil {
		return fmt.Errorf("go-zeromq listen %s: %w", ep, err)
	}
	if strings.HasPrefix(ep, "tcp://") {
		ep = "tcp://" + bound.Addr().String()
	}
	if err := conn.Dial(ep); err != nil {
		return fmt.Errorf("go-zeromq dial %s: %w", ep, err)
	}
	return nil
}

// goZMQClose closes socks. An error saying a connection was already closed (the peer
// socket closed it first) is not a failure.
func goZMQClose(socks ...gozmq.Socket) error {
	var errs []error
	for _, s := range socks {
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
