// Broker is the ZeroMQ guide's request-reply broker without a poll loop: -clients
// REQ clients send requests to a ROUTER (the frontend), a zmqevented.Proxy passes them
// to a DEALER (the backend), which spreads them over -workers REP workers, and passes
// the replies back. Every client checks every reply; the program prints how many
// requests each worker served and what the proxy forwarded, and exits with status 1
// if a reply is wrong or missing.
//
// The broker binds -frontend and -backend, so it can sit between outside peers too:
// with -clients=0 it serves until interrupted, -timeout passes, or TERMINATE arrives
// on -control, a REP socket that speaks libzmq's proxy control protocol (PAUSE,
// RESUME, STATISTICS, TERMINATE; see zmq_proxy_steerable(3)).
//
//	go run ./examples/broker
//	go run ./examples/broker -clients=10 -workers=2 -requests=100
//	go run ./examples/broker -clients=0 -frontend=tcp://127.0.0.1:5555 -control=tcp://127.0.0.1:5557 -timeout=0
//	go run ./examples/lazypirate -server=false -endpoint=tcp://127.0.0.1:5555
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
	clients  = flag.Int("clients", 5, "number of clients in this process (0: serve outside clients until stopped)")
	workers  = flag.Int("workers", 3, "number of workers in this process (0: outside workers only)")
	requests = flag.Int("requests", 50, "requests per client")
	frontend = flag.String("frontend", "inproc://frontend", "where the broker binds for clients (ROUTER)")
	backend  = flag.String("backend", "inproc://backend", "where the broker binds for workers (DEALER)")
	control  = flag.String("control", "", "where the broker binds its proxy control socket (REP); empty: none")
	timeout  = flag.Duration("timeout", 10*time.Second, "give up after this long (0: never)")
)

func main() { program.Run("broker", run) }

func run(ctx context.Context) (err error) {
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	zctx, err := zmqevented.NewContext()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	front, frontEndpoint, err := listen(zctx, zmq4.ROUTER, *frontend)
	if err != nil {
		return err
	}
	back, backEndpoint, err := listen(zctx, zmq4.DEALER, *backend)
	if err != nil {
		return err
	}
	fmt.Printf("broker: clients connect to %s, workers to %s\n", frontEndpoint, backEndpoint)
	var opts []zmqevented.Option
	if *control != "" {
		rep, endpoint, err := listen(zctx, zmq4.REP, *control)
		if err != nil {
			return err
		}
		fmt.Printf("broker: control at %s\n", endpoint)
		opts = append(opts, zmqevented.WithControl(rep))
	}
	proxy, err := zmqevented.NewProxy(front, back, opts...)
	if err != nil {
		return err
	}

	// The proxy and the workers serve until the clients are done (or, without clients,
	// until ctx is done or TERMINATE ends the proxy).
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	var servers errgroup.Group
	proxied := make(chan struct{})
	servers.Go(func() error {
		defer close(proxied)
		return unlessStopped(serveCtx, proxy.Run(serveCtx))
	})
	served := make([]int, *workers)
	for w := range *workers {
		servers.Go(func() error { return work(serveCtx, zctx, backEndpoint, w+1, &served[w]) })
	}

	if *clients > 0 {
		var users errgroup.Group
		for c := range *clients {
			users.Go(func() error { return client(ctx, zctx, frontEndpoint, c+1) })
		}
		err = users.Wait()
	} else {
		select {
		case <-proxied:
		case <-ctx.Done():
		}
	}
	stopServing()
	if err := errors.Join(err, servers.Wait()); err != nil {
		return err
	}
	st := proxy.Stats()
	fmt.Printf("proxy forwarded %d requests and %d replies\n", st.Frontend.MessagesIn, st.Frontend.MessagesOut)
	for w, n := range served {
		fmt.Printf("worker %d served %d requests\n", w+1, n)
	}
	if *clients == 0 {
		return nil
	}
	fmt.Printf("%d clients got %d replies, each checked\n", *clients, *clients**requests)
	if want := uint64(*clients * *requests); st.Frontend.MessagesIn != want || st.Frontend.MessagesOut != want {
		return fmt.Errorf("the proxy forwarded %d requests and %d replies, clients sent %d", st.Frontend.MessagesIn, st.Frontend.MessagesOut, want)
	}
	return nil
}

// listen makes a socket of type t bound to endpoint and returns it with the endpoint to
// connect to (the port chosen for "tcp://127.0.0.1:*").
func listen(zctx *zmqevented.Context, t zmq4.Type, endpoint string) (*zmqevented.Socket, string, error) {
	s, err := zctx.NewSocket(t)
	if err != nil {
		return nil, "", err
	}
	if err := s.Bind(endpoint); err != nil {
		return nil, "", err
	}
	ep, err := s.LastEndpoint()
	return s, ep, err
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
func work(ctx context.Context, zctx *zmqevented.Context, endpoint string, id int, served *int) (err error) {
	rep, err := zctx.NewSocket(zmq4.REP)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, rep.Close()) }()
	if err := rep.Connect(endpoint); err != nil {
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
func client(ctx context.Context, zctx *zmqevented.Context, endpoint string, id int) (err error) {
	req, err := zctx.NewSocket(zmq4.REQ)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, req.Close()) }()
	if err := req.Connect(endpoint); err != nil {
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
