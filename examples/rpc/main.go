// Rpc compares two clients making -n requests to the same ROUTER server over TCP:
// a reqrep.Requester, which keeps up to -inflight requests in flight on one
// DEALER socket and matches each reply to its request's future whatever order the
// replies come in, and a REQ socket that waits for each reply before sending the
// next request. The server is a reqrep.Server on one ROUTER socket running up to
// -handlers handlers at once, so replies come out of order; it answers both clients
// (it tells a Requester's envelope from a REQ's by itself), with the square of the
// number in the request. The program prints the requests per second of each client
// and exits with status 1 if a reply is wrong or missing (it does not judge the
// speeds, which depend on the machine).
//
//	go run ./examples/rpc
//	go run ./examples/rpc -n=100000 -handlers=2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

var (
	requests = flag.Int("n", 2000, "requests per client")
	inFlight = flag.Int("inflight", reqrep.DefaultMaxInFlight, "the Requester's maximum of requests in flight")
	handlers = flag.Int("handlers", 4, "server goroutines")
	timeout  = flag.Duration("timeout", 30*time.Second, "give up after this long")
)

func main() { program.Run("rpc", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	zctx, err := zmqevented.NewContext()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	router, err := zctx.NewSocket(zmq4.ROUTER)
	if err != nil {
		return err
	}
	if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, err := router.LastEndpoint()
	if err != nil {
		return err
	}
	// The Server sets ROUTER_MANDATORY, so a reply to a client at its HWM waits
	// instead of vanishing, and runs up to -handlers handlers at once.
	server, err := reqrep.NewServer(router, square, reqrep.WithMaxInFlight(*handlers))
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx) }()

	fmt.Printf("rpc: %d requests each way to %s, answered by a reqrep.Server running up to %d handlers\n", *requests, endpoint, *handlers)
	pipelined, err := timed(func() error { return pipelinedClient(ctx, zctx, endpoint) })
	if err == nil {
		report("Requester on a DEALER", *inFlight, pipelined)
		var lockstep time.Duration
		lockstep, err = timed(func() error { return reqClient(ctx, zctx, endpoint) })
		if err == nil {
			report("REQ socket", 1, lockstep)
			fmt.Printf("  speed-up: %.1f×\n", lockstep.Seconds()/pipelined.Seconds())
		}
	}
	if serr := server.Shutdown(ctx); serr != nil {
		err = errors.Join(err, serr)
	}
	if serr := <-served; !errors.Is(serr, reqrep.ErrClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// square is the server's handler: the request's number squared.
func square(_ context.Context, req *reqrep.Request) ([][]byte, error) {
	n, err := strconv.Atoi(string(req.Body[0]))
	if err != nil {
		return nil, fmt.Errorf("not a number: %q", req.Body[0])
	}
	return [][]byte{strconv.AppendInt(nil, int64(n)*int64(n), 10)}, nil
}

// pipelinedClient sends every request through a Requester without waiting, then
// waits for all the replies at once.
func pipelinedClient(ctx context.Context, zctx *zmqevented.Context, endpoint string) (err error) {
	dealer, err := zctx.NewSocket(zmq4.DEALER)
	if err != nil {
		return err
	}
	if err := dealer.Connect(endpoint); err != nil {
		return errors.Join(err, dealer.Close())
	}
	r, err := reqrep.NewRequester(dealer, reqrep.WithMaxInFlight(*inFlight))
	if err != nil {
		return errors.Join(err, dealer.Close())
	}
	defer func() { err = errors.Join(err, r.Close()) }() // closes the DEALER too

	replies := make([]*zmqfuture.Future[struct{}], *requests)
	for i := range replies {
		// Request waits only when -inflight requests are pending; Map checks the reply
		// when it comes.
		replies[i] = zmqfuture.Map(r.Request(ctx, []byte(strconv.Itoa(i))), func(reply [][]byte) (struct{}, error) {
			return struct{}{}, checkReply(i, reply)
		})
	}
	_, err = zmqfuture.All(ctx, replies...).Await(ctx)
	if err != nil {
		return err
	}
	if st := r.Stats(); st.Replied != uint64(*requests) {
		return fmt.Errorf("the Requester got %d replies for %d requests", st.Replied, *requests)
	}
	return nil
}

// reqClient sends the requests on a REQ socket, one round trip at a time.
func reqClient(ctx context.Context, zctx *zmqevented.Context, endpoint string) (err error) {
	req, err := zctx.NewSocket(zmq4.REQ)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, req.Close()) }()
	if err := req.Connect(endpoint); err != nil {
		return err
	}
	for i := range *requests {
		reply, err := reqrep.Call(ctx, req, []byte(strconv.Itoa(i))).Await(ctx)
		if err != nil {
			return err
		}
		if err := checkReply(i, reply); err != nil {
			return err
		}
	}
	return nil
}

func checkReply(i int, reply [][]byte) error {
	if len(reply) != 1 || string(reply[0]) != strconv.Itoa(i*i) {
		return fmt.Errorf("request %d: reply %q, want %d", i, reply, i*i)
	}
	return nil
}

func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start).Round(time.Millisecond), err
}

func report(client string, inFlight int, d time.Duration) {
	fmt.Printf("  %-22s %4d in flight: %7v %8.0f requests/s\n", client+",", inFlight, d, float64(*requests)/d.Seconds())
}
