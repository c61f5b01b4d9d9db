package zmqevented_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// The quick start of the README: a REP server and a REQ client in one process.
func Example() {
	zctx, err := zmqevented.NewContext()
	if err != nil {
		panic(err)
	}
	defer zctx.Close()

	server, _ := zctx.NewSocket(zmq4.REP)
	_ = server.Bind("tcp://127.0.0.1:*")
	endpoint, _ := server.LastEndpoint()

	client, _ := zctx.NewSocket(zmq4.REQ)
	_ = client.Connect(endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	go func() {
		req, err := server.Recv(ctx) // parks in the netpoller, not in libzmq
		if err != nil {
			return
		}
		_ = server.Send(ctx, []byte("world"), req[0])
	}()

	_ = client.Send(ctx, []byte("hello"))
	reply, err := client.Recv(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s\n", reply[1], reply[0])
	// Output: hello world
}

// Recv honours its context: a cancelled receive takes nothing, so the message waits for
// the next one.
func ExampleSocket_Recv() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	pull, _ := zctx.NewSocket(zmq4.PULL)
	_ = pull.Bind("inproc://example-recv")
	push, _ := zctx.NewSocket(zmq4.PUSH)
	_ = push.Connect("inproc://example-recv")

	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := pull.Recv(short)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))

	_ = push.SendMessage(context.Background(), "frame one", []string{"two", "three"})
	msg, _ := pull.Recv(context.Background())
	fmt.Printf("%d frames: %q\n", len(msg), msg)
	// Output:
	// true
	// 3 frames: ["frame one" "two" "three"]
}

// TrySend and TryRecv never wait; ErrWouldBlock matches syscall.EAGAIN.
func ExampleSocket_TryRecv() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	pull, _ := zctx.NewSocket(zmq4.PULL)
	_ = pull.Bind("inproc://example-try")

	_, err := pull.TryRecv()
	fmt.Println(err)
	// Output: zmqevented: would block: resource temporarily unavailable
}

// Errors name the operation and the endpoint; errors.Is sees the errno.
func ExampleOpError() {
	zctx, _ := zmqevented.NewContext()
	defer zctx.Close()
	s, _ := zctx.NewSocket(zmq4.PUSH)
	err := s.Bind("carrier-pigeon://loft")
	var op *zmqevented.OpError
	fmt.Println(errors.As(err, &op), op.Op, op.Endpoint)
	fmt.Println(err)
	// Output:
	// true bind carrier-pigeon://loft
	// zmqevented: bind carrier-pigeon://loft: protocol not supported
}

// Close is abrupt: a call waiting on the socket returns ErrClosed.
func ExampleSocket_Close() {
	zctx, _ := zmqevented.NewContext()
	defer zctx.Close()
	s, _ := zctx.NewSocket(zmq4.PULL)

	done := make(chan error)
	go func() {
		_, err := s.Recv(context.Background())
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	_ = s.Close()
	fmt.Println(<-done)
	fmt.Println(errors.Is(s.Close(), zmqevented.ErrClosed))
	// Output:
	// zmqevented: closed
	// true
}

// With gives exclusive access to the pebbe/zmq4 socket for options this package does not
// wrap.
func ExampleSocket_With() {
	zctx, _ := zmqevented.NewContext()
	defer zctx.Close()
	s, _ := zctx.NewSocket(zmq4.PUSH)
	_ = s.With(func(raw *zmq4.Socket) error { return raw.SetSndhwm(10) })
	var hwm int
	_ = s.With(func(raw *zmq4.Socket) (err error) {
		hwm, err = raw.GetSndhwm()
		return err
	})
	fmt.Println(hwm)
	// Output: 10
}

// A proxy between a PULL and a PUSH socket: it forwards whole messages until its
// context ends, and counts them.
func ExampleProxy() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	frontend, _ := zctx.NewSocket(zmq4.PULL)
	_ = frontend.Bind("inproc://example-proxy-frontend")
	backend, _ := zctx.NewSocket(zmq4.PUSH)
	_ = backend.Bind("inproc://example-proxy-backend")
	producer, _ := zctx.NewSocket(zmq4.PUSH)
	_ = producer.Connect("inproc://example-proxy-frontend")
	consumer, _ := zctx.NewSocket(zmq4.PULL)
	_ = consumer.Connect("inproc://example-proxy-backend")

	proxy, err := zmqevented.NewProxy(frontend, backend)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	running, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- proxy.Run(running) }()

	_ = producer.Send(ctx, []byte("hello"), []byte("world"))
	msg, _ := consumer.Recv(ctx)
	fmt.Printf("%s %s\n", msg[0], msg[1])

	stop()
	fmt.Println(<-done)
	st := proxy.Stats()
	fmt.Println(st.Frontend.MessagesIn, "message,", st.Backend.BytesOut, "bytes")
	// Output:
	// hello world
	// context canceled
	// 1 message, 10 bytes
}
