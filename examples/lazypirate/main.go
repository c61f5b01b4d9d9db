// Lazypirate is the ZeroMQ guide's "lazy pirate" pattern, reliable request-reply on
// the client side: the client sends each request on a REQ socket and stops waiting
// after -timeout (zmqfuture.WithTimeout); then, since a REQ socket that sent a
// request must receive its reply before it can send again, it closes the socket,
// opens a fresh one and sends the request again, up to -retries attempts in all.
// The server drops requests at random (-drop, drawn from a fixed -seed, so that a run
// is repeatable). The program exits with status 0 once every request got its reply;
// as in the guide, it gives up with status 1 ("server seems to be offline") when a
// request has had -retries attempts without one.
//
// The server binds -endpoint and the client connects to it. With -server=false the
// client alone runs, against a server already at -endpoint whose replies start with
// the request, such as examples/broker's frontend.
//
//	go run ./examples/lazypirate
//	go run ./examples/lazypirate -drop=0.5 -retries=5 -seed=7
//	go run ./examples/lazypirate -server=false -endpoint=tcp://127.0.0.1:5555
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

var (
	requests = flag.Int("n", 10, "number of requests")
	retries  = flag.Int("retries", 3, "attempts per request before giving up")
	timeout  = flag.Duration("timeout", 250*time.Millisecond, "how long to wait for a reply")
	drop     = flag.Float64("drop", 0.3, "probability that the server drops a request")
	seed     = flag.Uint64("seed", 5, "seed of the server's random drops")
	endpoint = flag.String("endpoint", "tcp://127.0.0.1:*", "where the server binds and the client connects")
	server   = flag.Bool("server", true, "run the server in this process (false: connect to one at -endpoint)")
)

func main() { program.Run("lazypirate", run) }

func run(ctx context.Context) (err error) {

	// Linger 0: a request abandoned on a closed socket is thrown away at once.
	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	if !*server {
		if strings.Contains(*endpoint, "*") {
			return errors.New("-server=false needs the server's -endpoint")
		}
		return client(ctx, zctx, *endpoint)
	}

	router, err := zctx.NewSocket(zmq4.ROUTER)
	if err != nil {
		return err
	}
	if err := router.Bind(*endpoint); err != nil {
		return err
	}
	bound, err := router.LastEndpoint()
	if err != nil {
		return err
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	var serving errgroup.Group
	serving.Go(func() error { return serve(serveCtx, router) })

	err = client(ctx, zctx, bound)
	stopServing()
	return errors.Join(err, serving.Wait())
}

// serve echoes each request, except the ones it drops, until ctx is done. It is a
// ROUTER, which, unlike REP, may leave a request unanswered and take the next one.
func serve(ctx context.Context, router *zmqevented.Socket) error {
	rng := rand.New(rand.NewPCG(*seed, 0))
	received, dropped := 0, 0
	for {
		msg, err := router.Recv(ctx) // [client identity, "", request]
		if err != nil {
			if ctx.Err() != nil {
				fmt.Printf("server: dropped %d of %d requests\n", dropped, received)
				return nil // stopped
			}
			return err
		}
		received++
		if rng.Float64() < *drop {
			dropped++
			fmt.Printf("server: dropping %q\n", msg[len(msg)-1])
			continue
		}
		if err := router.Send(ctx, msg...); err != nil && ctx.Err() == nil {
			return err
		}
	}
}

// client sends the requests one by one, each until it gets its reply or has used up
// its attempts.
func client(ctx context.Context, zctx *zmqevented.Context, endpoint string) error {
	connect := func() (*zmqevented.Socket, error) {
		req, err := zctx.NewSocket(zmq4.REQ)
		if err != nil {
			return nil, err
		}
		return req, req.Connect(endpoint)
	}
	// Each socket is closed when it is replaced; the last one by zctx.Close.
	req, err := connect()
	if err != nil {
		return err
	}

	retried := 0
	for i := 1; i <= *requests; i++ {
		request := fmt.Sprintf("request %d", i)
		for attempt := 1; ; attempt++ {
			reply, err := zmqfuture.WithTimeout(reqrep.Call(ctx, req, []byte(request)), *timeout).Await(ctx)
			if err == nil {
				if string(reply[0]) != request {
					return fmt.Errorf("%s: wrong reply %q", request, reply[0])
				}
				fmt.Printf("client: %s: replied (attempt %d)\n", request, attempt)
				break
			}
			if !errors.Is(err, zmqfuture.ErrTimeout) {
				return err
			}
			if attempt == *retries {
				return fmt.Errorf("%s: no reply after %d attempts: server seems to be offline, abandoning", request, attempt)
			}
			// The REQ socket still waits for the lost reply: replace it.
			fmt.Printf("client: %s: no reply within %v, retrying on a fresh socket\n", request, *timeout)
			retried++
			if err := req.Close(); err != nil {
				return err
			}
			if req, err = connect(); err != nil {
				return err
			}
		}
	}
	fmt.Printf("client: %d replies, %d retries\n", *requests, retried)
	return nil
}
