package zmqsink_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
)

// examplePair returns a context with a bound PULL and a PUSH connected to it.
func examplePair(name string) (*zmqevented.Context, *zmqevented.Socket, *zmqevented.Socket) {
	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		panic(err)
	}
	pull, _ := zctx.NewSocket(zmq4.PULL)
	push, _ := zctx.NewSocket(zmq4.PUSH, zmqevented.WithSendHWM(100))
	if err := pull.Bind("inproc://" + name); err != nil {
		panic(err)
	}
	if err := push.Connect("inproc://" + name); err != nil {
		panic(err)
	}
	return zctx, pull, push
}

func Example() {
	ctx := context.Background()
	zctx, pull, push := examplePair("example")
	defer func() { _ = zctx.Close() }()

	k, err := zmqsink.New(push, zmqsink.WithQueue(16))
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"one", "two", "three"} {
		if err := k.Send(ctx, []byte(s)); err != nil { // blocks while the peer lags
			panic(err)
		}
	}
	if err := k.Flush(ctx); err != nil { // handed to libzmq, not yet received
		panic(err)
	}
	for range 3 {
		m, _ := pull.Recv(ctx)
		fmt.Println(string(m[0]))
	}
	fmt.Println(k.Shutdown(ctx), k.Stats().Sent)
	// Output:
	// one
	// two
	// three
	// <nil> 3
}

func ExampleForward() {
	ctx := context.Background()
	zctx, pull, push := examplePair("forward")
	defer func() { _ = zctx.Close() }()
	k, _ := zmqsink.New(push)
	defer func() { _ = k.Shutdown(ctx) }()

	// rxgo.Just flattens slice items, so it suits strings; emit [][]byte or []byte
	// items with rxgo.Defer, rxgo.Create or rxgo.FromChannel.
	err := zmqsink.Forward(ctx, rxgo.Just("alpha", "beta")(), k)
	fmt.Println("forward:", err)
	for range 2 {
		m, _ := pull.Recv(ctx)
		fmt.Println(string(m[0]))
	}
	// Output:
	// forward: <nil>
	// alpha
	// beta
}

func ExampleSink_Reserve() {
	ctx := context.Background()
	zctx, pull, push := examplePair("reserve")
	defer func() { _ = zctx.Close() }()
	k, _ := zmqsink.New(push, zmqsink.WithQueue(1))
	defer func() { _ = k.Shutdown(ctx) }()

	p, err := k.Reserve(ctx) // the only slot
	if err != nil {
		panic(err)
	}
	_, err = k.TryReserve()
	fmt.Println(errors.Is(err, zmqsink.ErrFull))
	fmt.Println(p.Send([]byte("reserved"))) // cannot fail for lack of capacity
	fmt.Println(p.Send([]byte("again")))
	m, _ := pull.Recv(ctx)
	fmt.Println(string(m[0]))
	// Output:
	// true
	// <nil>
	// zmqsink: permit already used
	// reserved
}

func ExampleSink_Close() {
	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		panic(err)
	}
	defer func() { _ = zctx.Close() }()
	push, _ := zctx.NewSocket(zmq4.PUSH) // no peer: nothing can be sent
	k, _ := zmqsink.New(push)
	_ = k.Send(context.Background(), []byte("a"))
	_ = k.Send(context.Background(), []byte("b"), []byte("c"))

	expired, cancel := context.WithCancel(context.Background())
	cancel()
	err = k.Shutdown(expired)
	var se *zmqsink.SendError
	if errors.As(err, &se) {
		fmt.Println(errors.Is(err, context.Canceled), len(se.Messages), k.Stats().Failed)
		fmt.Printf("%q\n", se.Messages[1])
	}
	// Output:
	// true 2 2
	// ["b" "c"]
}
