package reqrep_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
)

func ExampleRecv() {
	ctx := context.Background()
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	pull, _ := zctx.NewSocket(zmq4.PULL)
	_ = pull.Bind("inproc://example-recv")
	push, _ := zctx.NewSocket(zmq4.PUSH)
	_ = push.Connect("inproc://example-recv")

	// Nothing is queued yet: the future waits in a goroutine of its own.
	msg := reqrep.Recv(ctx, pull)
	text := zmqfuture.Map(msg, func(m [][]byte) (string, error) { return string(bytes.Join(m, []byte(" "))), nil })

	_ = push.SendMessage(ctx, "hello", "world")
	fmt.Println(text.Await(ctx))
	// Output: hello world <nil>
}

func ExampleCall() {
	ctx := context.Background()
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	rep, _ := zctx.NewSocket(zmq4.REP)
	_ = rep.Bind("inproc://example-request")
	req, _ := zctx.NewSocket(zmq4.REQ)
	_ = req.Connect("inproc://example-request")

	served := make(chan struct{})
	go func() { // a REP server answering one request
		defer close(served)
		m, _ := rep.Recv(ctx)
		_ = rep.Send(ctx, bytes.ToUpper(m[0]))
	}()

	reply, err := reqrep.Call(ctx, req, []byte("ping")).Await(ctx)
	fmt.Println(string(reply[0]), err)
	<-served
	// Output: PING <nil>
}

func ExampleRequester() {
	ctx := context.Background()
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()

	// The server, in any language: a ROUTER gets [peer, correlation, "",
	// body…] and answers by echoing the envelope (every frame up to and
	// including the empty one), then its reply. This one answers out of
	// order: it collects three requests and replies last first.
	router, _ := zctx.NewSocket(zmq4.ROUTER)
	_ = router.Bind("inproc://example-requester")
	served := make(chan struct{})
	go func() {
		defer close(served)
		var batch [][][]byte
		for len(batch) < 3 {
			m, err := router.Recv(ctx)
			if err != nil {
				return
			}
			batch = append(batch, m)
		}
		for _, m := range slices.Backward(batch) {
			_ = router.Send(ctx, m[0], m[1], m[2], bytes.ToUpper(m[3]))
		}
	}()

	dealer, _ := zctx.NewSocket(zmq4.DEALER)
	_ = dealer.Connect("inproc://example-requester")
	r, err := reqrep.NewRequester(dealer) // r owns dealer now
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	var fs []*zmqfuture.Future[[][]byte]
	for _, word := range []string{"alpha", "beta", "gamma"} {
		fs = append(fs, r.Request(ctx, []byte(word))) // three requests in flight
	}
	replies, err := zmqfuture.All(ctx, fs...).Await(ctx) // each reply reaches its own future
	for _, m := range replies {
		fmt.Println(string(m[0]))
	}
	fmt.Println(err, r.Stats().Replied)
	<-served
	// Output:
	// ALPHA
	// BETA
	// GAMMA
	// <nil> 3
}

func ExampleRequester_peerLost() {
	ctx := context.Background()
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()

	dealer, _ := zctx.NewSocket(zmq4.DEALER)
	_ = dealer.Bind("tcp://127.0.0.1:*")
	endpoint, _ := dealer.LastEndpoint()
	r, err := reqrep.NewRequester(dealer)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	// A server that takes the request and goes away without answering.
	server, _ := zctx.NewSocket(zmq4.ROUTER)
	_ = server.Connect(endpoint)
	f := r.Request(ctx, []byte("work"))
	_, _ = server.Recv(ctx)
	_ = server.Close()

	// The future fails as soon as the connection is gone: no ctx deadline
	// is needed for it not to wait forever.
	_, err = f.Await(ctx)
	fmt.Println(errors.Is(err, reqrep.ErrPeerLost), r.Stats().Lost)
	// Output: true 1
}

func ExampleServer() {
	ctx := context.Background()
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()

	router, _ := zctx.NewSocket(zmq4.ROUTER)
	_ = router.Bind("inproc://example-server")
	server, err := reqrep.NewServer(router, func(_ context.Context, req *reqrep.Request) ([][]byte, error) {
		if string(req.Body[0]) == "divide by zero" {
			return nil, errors.New("cannot")
		}
		return [][]byte{bytes.ToUpper(req.Body[0])}, nil
	}, reqrep.WithMaxInFlight(16))
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx) }()

	// A Requester and a REQ socket share the server.
	dealer, _ := zctx.NewSocket(zmq4.DEALER)
	_ = dealer.Connect("inproc://example-server")
	r, _ := reqrep.NewRequester(dealer)
	defer r.Close()
	reply, err := r.Request(ctx, []byte("hello")).Await(ctx)
	fmt.Println(string(reply[0]), err)
	_, err = r.Request(ctx, []byte("divide by zero")).Await(ctx)
	fmt.Println(err)

	req, _ := zctx.NewSocket(zmq4.REQ)
	_ = req.Connect("inproc://example-server")
	reply, err = reqrep.Call(ctx, req, []byte("world")).Await(ctx)
	fmt.Println(string(reply[0]), err)

	fmt.Println(server.Shutdown(ctx), errors.Is(<-served, reqrep.ErrClosed), server.Stats().Served)
	// Output:
	// HELLO <nil>
	// reqrep: remote error: cannot
	// WORLD <nil>
	// <nil> true 2
}
