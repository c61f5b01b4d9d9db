// Broker is the ZeroMQ guide's request-reply broker without a poll loop: -clients
// REQ clients send requests to a ROUTER (the frontend), the broker passes them to a
// DEALER (the backend), which spreads them over -workers REP workers, and passes
// the replies back, with one goroutine per direction on the same two zmqevented
// sockets (any number of goroutines may use one at once). Every client checks every
// reply; the program prints how many requests each worker served and exits with
// status 1 if a reply is wrong or missing.
//
//	go run ./examples/broker
//	go run ./examples/broker -clients=10 -workers=2 -requests=100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

var (
	clients  = flag.Int("clients", 5, "number of clients")
	workers  = flag.Int("workers", 3, "number of workers")
	requests = flag.Int("requests", 50, "requests per client")
	timeout  = flag.Duration("timeout", 10*time.Second, "give up after this long")
)

const frontendEndpoint, backendEndpoint = "inproc://frontend", "inproc://backend"

func main() { program.Run("broker", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	zctx, err := zmqevented.NewContext()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	frontend, err := zctx.NewSocket(zmq4.ROUTER)
	if err != nil {
		return err
	}
	backend, err := zctx.NewSocket(zmq4.DEALER)
	if err != nil {
		return err
	}
	if err := errors.Join(frontend.Bind(frontendEndpoint), backend.Bind(backendEndpoint)); err != nil {
		return err
	}

	// The broker and the workers serve until the clients are done.
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	var servers errgroup.Group
	servers.Go(func() error { return forward(serveCtx, frontend, backend) }) // requests
	servers.Go(func() error { return forward(serveCtx, backend, frontend) }) // replies
	served := make([]int, *workers)
	for w := range *workers {
		servers.Go(func() error { return work(serveCtx, zctx, w+1, &served[w]) })
	}

	var users errgroup.Group
	for c := range *clients {
		users.Go(func() error { return client(ctx, zctx, c+1) })
	}
	err = users.Wait()
	stopServing()
	if err := errors.Join(err, servers.Wait()); err != nil {
		return err
	}
	fmt.Printf("%d clients got %d replies, each checked\n", *clients, *clients**requests)

	total := 0
	for w, n := range served {
		fmt.Printf("worker %d served %d requests\n", w+1, n)
		total += n
	}
	if total != *clients**requests {
		return fmt.Errorf("workers served %d requests, clients sent %d", total, *clients**requests)
	}
	return nil
}

// forward passes every message from one socket to the other, frames unchanged (the
// ROUTER adds the client's identity to a request and takes it off the reply), until
// ctx is done.
func forward(ctx context.Context, from, to *zmqevented.Socket) error {
	for {
		msg, err := from.Recv(ctx)
		if err != nil {
			return unlessStopped(ctx, err)
		}
		if err := to.Send(ctx, msg...); err != nil {
			return unlessStopped(ctx, err)
		}
	}
}

// unlessStopped returns err, or nil if it comes from ctx being done: stopping is no
// failure.
func unlessStopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// work answers requests with [request, "worker <id>"] until ctx is done, counting
// them in *served.
func work(ctx context.Context, zctx *zmqevented.Context, id int, served *int) (err error) {
	rep, err := zctx.NewSocket(zmq4.REP)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, rep.Close()) }()
	if err := rep.Connect(backendEndpoint); err != nil {
		return err
	}
	for {
		req, err := rep.Recv(ctx)
		if err != nil {
			return unlessStopped(ctx, err)
		}
		if err := rep.Send(ctx, req[0], fmt.Appendf(nil, "worker %d", id)); err != nil {
			return unlessStopped(ctx, err)
		}
		*served++
	}
}

// client sends its requests one after the other and checks that each reply carries
// its request back.
func client(ctx context.Context, zctx *zmqevented.Context, id int) (err error) {
	req, err := zctx.NewSocket(zmq4.REQ)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, req.Close()) }()
	if err := req.Connect(frontendEndpoint); err != nil {
		return err
	}
	for i := 1; i <= *requests; i++ {
		body := fmt.Sprintf("client %d request %d", id, i)
		reply, err := reqrep.Call(ctx, req, []byte(body)).Await(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", body, err)
		}
		if len(reply) != 2 || string(reply[0]) != body {
			return fmt.Errorf("%s: wrong reply %q", body, reply)
		}
	}
	return nil
}
