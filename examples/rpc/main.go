// Rpc compares two clients making -n requests to the same ROUTER server over TCP:
// a reqrep.Requester, which keeps up to -inflight requests in flight on one
// DEALER socket and matches each reply to its request's future whatever order the
// replies come in, and a REQ socket that waits for each reply before sending the
// next request. The server is -handlers goroutines on one ROUTER socket, so replies
// come out of order; like any ROUTER server it echoes each request's envelope
// (every frame up to the first empty one) and appends its reply, the square of the
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
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sync/errgroup"

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

	// A ROUTER silently drops a reply for a peer whose queue it sees full: SNDHWM,
	// 1000 by default, and libzmq's count lags, so it can see it full with half as
	// many queued. With many requests in flight (-inflight) that can happen, and those
	// requests would wait forever; ROUTER_MANDATORY makes Send wait instead.
	router, err := zctx.NewSocket(zmq4.ROUTER, zmqevented.WithRouterMandatory(true))
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

	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	var server errgroup.Group
	for range *handlers {
		server.Go(func() error { return serve(serveCtx, router) })
	}

	fmt.Printf("rpc: %d requests each way to %s, answered by %d goroutines on one ROUTER\n", *requests, endpoint, *handlers)
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
	stopServing()
	return errors.Join(err, server.Wait())
}

// serve answers requests [envelope…, "", number] with [envelope…, "", number²] until
// ctx is done.
func serve(ctx context.Context, router *zmqevented.Socket) error {
	for {
		msg, err := router.Recv(ctx)
		if err != nil {
			return unlessStopped(ctx, err)
		}
		// The envelope: the peer's identity, and for a Requester its correlation
		// frame, up to and including the first empty frame.
		body := slices.IndexFunc(msg, func(f []byte) bool { return len(f) == 0 }) + 1
		if body == 0 || body == len(msg) {
			continue // not a request: drop it
		}
		n, err := strconv.Atoi(string(msg[body]))
		if err != nil {
			continue
		}
		msg = append(msg[:body], strconv.AppendInt(nil, int64(n)*int64(n), 10))
		err = router.Send(ctx, msg...)
		if errors.Is(err, syscall.EHOSTUNREACH) {
			continue // the client has gone (ROUTER_MANDATORY says so): nobody to answer
		}
		if err != nil {
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
		reply, err := reqrep.Request(ctx, req, []byte(strconv.Itoa(i))).Await(ctx)
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
