// Hello is ZeroMQ's "hello world" written with futures: a REQ client sends "Hello N"
// with reqrep.Request (turned into a string by Map, bounded by WithTimeout) and a
// REP server answers "World N". Server and client run in one process over TCP on a
// port the system picks, or as two processes with -role (the server prints its
// endpoint, the client is given it); the server answers -n requests and exits, and
// the client exits with status 1 if a reply is missing or wrong.
//
//	go run ./examples/hello
//	go run ./examples/hello -role=server -endpoint=tcp://127.0.0.1:5555
//	go run ./examples/hello -role=client -endpoint=tcp://127.0.0.1:5555
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	role     = flag.String("role", "both", "both, server or client")
	endpoint = flag.String("endpoint", "tcp://127.0.0.1:*", "where the server binds and the client connects")
	requests = flag.Int("n", 10, "number of requests")
	timeout  = flag.Duration("timeout", 5*time.Second, "how long the client waits for each reply")
)

func main() { program.Run("hello", run) }

func run(ctx context.Context) (err error) {

	zctx, err := zmqevented.NewContext()
	if err != nil {
		return err
	}
	// Context.Close closes every socket made from it, then lets libzmq deliver what is
	// still queued (at most the linger, 1 s by default).
	defer func() { err = errors.Join(err, zctx.Close()) }()

	switch *role {
	case "server":
		ep, err := listen(zctx, *endpoint)
		if err != nil {
			return err
		}
		return serve(ctx, ep)
	case "client":
		if strings.Contains(*endpoint, "*") {
			return errors.New("-role=client needs the server's -endpoint")
		}
		return client(ctx, zctx, *endpoint)
	case "both":
		rep, err := listen(zctx, *endpoint)
		if err != nil {
			return err
		}
		ep, err := rep.LastEndpoint()
		if err != nil {
			return err
		}
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return serve(ctx, rep) })
		g.Go(func() error { return client(ctx, zctx, ep) })
		return g.Wait()
	default:
		return fmt.Errorf("unknown -role %q", *role)
	}
}

// listen makes the server's REP socket and binds it.
func listen(zctx *zmqevented.Context, endpoint string) (*zmqevented.Socket, error) {
	rep, err := zctx.NewSocket(zmq4.REP)
	if err != nil {
		return nil, err
	}
	if err := rep.Bind(endpoint); err != nil {
		return nil, err
	}
	ep, err := rep.LastEndpoint()
	if err != nil {
		return nil, err
	}
	fmt.Println("server: listening on", ep)
	return rep, nil
}

// serve answers -n requests: each Recv parks the goroutine until a request comes.
func serve(ctx context.Context, rep *zmqevented.Socket) error {
	for range *requests {
		req, err := rep.Recv(ctx)
		if err != nil {
			return err
		}
		// "Hello 3" → "World 3"
		reply := strings.Replace(string(req[0]), "Hello", "World", 1)
		if err := rep.Send(ctx, []byte(reply)); err != nil {
			return err
		}
	}
	fmt.Printf("server: answered %d requests\n", *requests)
	return nil
}

// client sends -n requests, one at a time as REQ requires, each a future.
func client(ctx context.Context, zctx *zmqevented.Context, endpoint string) (err error) {
	req, err := zctx.NewSocket(zmq4.REQ)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, req.Close()) }()
	if err := req.Connect(endpoint); err != nil {
		return err
	}
	for i := 1; i <= *requests; i++ {
		hello := fmt.Sprintf("Hello %d", i)
		// Request starts the round trip and returns at once; Map turns the reply into
		// a string; WithTimeout gives up (and cancels the request) after -timeout.
		reply := zmqfuture.Map(reqrep.Call(ctx, req, []byte(hello)),
			func(msg [][]byte) (string, error) { return string(msg[0]), nil })
		world, err := zmqfuture.WithTimeout(reply, *timeout).Await(ctx)
		if err != nil {
			return fmt.Errorf("request %q: %w", hello, err)
		}
		if want := fmt.Sprintf("World %d", i); world != want {
			return fmt.Errorf("request %q: got reply %q, want %q", hello, world, want)
		}
		fmt.Printf("client: %s → %s\n", hello, world)
	}
	fmt.Printf("client: %d replies\n", *requests)
	return nil
}
