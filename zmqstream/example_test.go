package zmqstream_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"

	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
	"github.com/zmqasync/zmqasync/zmqstream"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// pushPull returns a context with a PULL bound to endpoint and a PUSH connected to it.
func pushPull(endpoint string) (*zmqevented.Context, *zmqevented.Socket, *zmqevented.Socket) {
	zctx := must(zmqevented.NewContext(zmqevented.WithLinger(0)))
	pull := must(zctx.NewSocket(zmq4.PULL))
	check(pull.Bind(endpoint))
	push := must(zctx.NewSocket(zmq4.PUSH))
	check(push.Connect(endpoint))
	return zctx, pull, push
}

// Range over a socket's messages: each is received when the loop asks for it.
func Example() {
	ctx := context.Background()
	zctx, pull, push := pushPull("inproc://example")
	defer zctx.Close()
	for _, w := range []string{"one", "two", "three", "stop"} {
		check(push.Send(ctx, []byte(w)))
	}

	st := must(zmqstream.New(pull))
	defer st.Close()
	for msg, err := range st.All(ctx) {
		check(err)
		if string(msg[0]) == "stop" {
			break // receiving stops here; the socket stays open
		}
		fmt.Println(string(msg[0]))
	}
	// Output:
	// one
	// two
	// three
}

// rxgo operators over a SUB stream: the even ticks, times ten, in batches of three.
func ExampleStream_Observable() {
	ctx := context.Background()
	zctx := must(zmqevented.NewContext(zmqevented.WithLinger(0)))
	defer zctx.Close()
	pub := must(zctx.NewSocket(zmq4.XPUB))
	check(pub.Bind("inproc://example-ticks"))
	sub := must(zctx.NewSocket(zmq4.SUB, zmqevented.WithSubscribe("tick")))
	check(sub.Connect("inproc://example-ticks"))
	_ = must(pub.Recv(ctx)) // the subscription: from now on the subscriber gets what is published
	for i := 1; i <= 12; i++ {
		check(pub.SendMessage(ctx, "tick", strconv.Itoa(i)))
	}

	st := must(zmqstream.New(sub))
	defer st.Close()
	tick := func(v any) int {
		msg, _ := v.([][]byte) // ["tick", "<n>"]
		return must(strconv.Atoi(string(msg[1])))
	}
	batches := st.Observable().
		Filter(func(v any) bool { return tick(v)%2 == 0 }).
		Map(func(_ context.Context, v any) (any, error) { return tick(v) * 10, nil }).
		BufferWithCount(3)
	n := 0
	for batch, err := range zmqstream.Values[[]any](ctx, batches) {
		check(err)
		fmt.Println(batch)
		if n++; n == 2 {
			break
		}
	}
	// Output:
	// [20 40 60]
	// [80 100 120]
}

// A proxy in ten lines: a ROUTER's requests, each forwarded to a backend through a
// reqrep.Requester (many in flight, replies matched), the replies sent back to the
// client that asked.
func ExampleFlatMapFuture() {
	ctx := context.Background()
	zctx := must(zmqevented.NewContext(zmqevented.WithLinger(0)))
	defer zctx.Close()

	backend := must(zctx.NewSocket(zmq4.REP)) // a service: upper-cases
	check(backend.Bind("inproc://example-backend"))
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			req, err := backend.Recv(ctx)
			if err != nil {
				return // closed
			}
			_ = backend.Send(ctx, []byte(strings.ToUpper(string(req[0]))))
		}
	}()
	dealer := must(zctx.NewSocket(zmq4.DEALER))
	check(dealer.Connect("inproc://example-backend"))
	requester := must(reqrep.NewRequester(dealer))
	defer requester.Close()

	frontend := must(zctx.NewSocket(zmq4.ROUTER))
	check(frontend.Bind("inproc://example-frontend"))
	st := must(zmqstream.New(frontend))

	// The proxy.
	replies := zmqstream.FlatMapFuture(st.Observable(), func(ctx context.Context, req [][]byte) *zmqfuture.Future[[][]byte] {
		envelope, body := req[:2], req[2:] // [client identity, ""] from a REQ client
		return zmqfuture.Map(requester.Request(ctx, body...), func(rep [][]byte) ([][]byte, error) {
			return append(slices.Clone(envelope), rep...), nil
		})
	}, 64)
	proxied := make(chan struct{})
	go func() {
		defer close(proxied)
		for rep, err := range zmqstream.Values[[][]byte](ctx, replies) {
			if err == nil {
				err = frontend.Send(ctx, rep...)
			}
			if err != nil {
				fmt.Println("proxy:", err)
			}
		}
	}()

	client := must(zctx.NewSocket(zmq4.REQ))
	check(client.Connect("inproc://example-frontend"))
	for _, w := range []string{"hello", "proxy"} {
		check(client.Send(ctx, []byte(w)))
		fmt.Println(string(must(client.Recv(ctx))[0]))
	}
	check(st.Close()) // ends the proxy loop
	<-proxied
	check(backend.Close())
	<-served
	// Output:
	// HELLO
	// PROXY
}

// Monitor events of a real tcp connection.
func ExampleMonitor() {
	ctx := context.Background()
	zctx := must(zmqevented.NewContext(zmqevented.WithLinger(0)))
	defer zctx.Close()
	router := must(zctx.NewSocket(zmq4.ROUTER))
	check(router.Bind("tcp://127.0.0.1:*"))
	endpoint := must(router.LastEndpoint())
	dealer := must(zctx.NewSocket(zmq4.DEALER))

	events := must(zmqstream.Monitor(ctx, dealer, zmq4.EVENT_CONNECTED|zmq4.EVENT_DISCONNECTED))
	defer events.Close()
	check(dealer.Connect(endpoint))
	for ev, err := range events.All(ctx) {
		check(err)
		fmt.Println(ev.Event, ev.Endpoint == endpoint)
		if ev.Event == zmq4.EVENT_CONNECTED {
			check(router.Close()) // the peer goes away
		}
		if ev.Event == zmq4.EVENT_DISCONNECTED {
			break
		}
	}
	// Output:
	// EVENT_CONNECTED true
	// EVENT_DISCONNECTED true
}

// Several consumers of one stream: an audit log that must see everything (Block), and
// a dashboard that only cares about the latest value (DropOldest).
func ExampleStream_Tap() {
	ctx := context.Background()
	zctx, pull, push := pushPull("inproc://example-subscribe")
	defer zctx.Close()
	st := must(zmqstream.New(pull))
	defer st.Close()

	dashboard := st.Tap(ctx, 1, zmqstream.DropOldest)
	audit := st.Tap(ctx, 0, zmqstream.Block)
	for i := 1; i <= 5; i++ {
		check(push.Send(ctx, []byte(strconv.Itoa(i))))
	}
	var seen []string
	for range 5 {
		seen = append(seen, string((<-audit.C())[0]))
	}
	fmt.Println("audit:", strings.Join(seen, " "))
	fmt.Println("dashboard:", string((<-dashboard.C())[0]), "dropped:", dashboard.Dropped())
	// Output:
	// audit: 1 2 3 4 5
	// dashboard: 5 dropped: 4
}

// A consumer stops; its successor picks up exactly where it stopped.
func ExampleWithPending() {
	ctx := context.Background()
	zctx, pull, push := pushPull("inproc://example-resume")
	defer zctx.Close()
	for i := 1; i <= 5; i++ {
		check(push.Send(ctx, []byte(strconv.Itoa(i))))
	}

	first := must(zmqstream.New(pull))
	ch := first.C()
	fmt.Println("first:", string((<-ch)[0]), string((<-ch)[0]))
	check(first.Close())
	var rest [][][]byte
	for msg := range ch { // C's buffer stays readable after Close
		rest = append(rest, msg)
	}
	<-first.Done()
	rest = append(rest, first.Undelivered()...) // taken but not handed over

	second := must(zmqstream.New(pull, zmqstream.WithPending(rest...)))
	defer second.Close()
	fmt.Print("second:")
	n := 0
	for msg, err := range second.All(ctx) {
		check(err)
		fmt.Print(" ", string(msg[0]))
		if n++; n == 3 {
			break
		}
	}
	fmt.Println()
	// Output:
	// first: 1 2
	// second: 3 4 5
}

// The first message as a future.
func ExampleFirst() {
	ctx := context.Background()
	zctx, pull, push := pushPull("inproc://example-first")
	defer zctx.Close()
	check(push.Send(ctx, []byte("ready")))

	st := must(zmqstream.New(pull))
	defer st.Close()
	msg, err := zmqstream.First[[][]byte](ctx, st.Observable()).Await(ctx)
	check(err)
	fmt.Println(string(msg[0]))
	// Output:
	// ready
}

// Values gives any Observable a typed iterator.
func ExampleValues() {
	ctx := context.Background()
	squares := rxgo.Range(1, 4).Map(func(_ context.Context, v any) (any, error) {
		n, _ := v.(int)
		return n * n, nil
	})
	for v, err := range zmqstream.Values[int](ctx, squares) {
		check(err)
		fmt.Println(v)
	}
	// Output:
	// 1
	// 4
	// 9
	// 16
}

// Peers as an rxgo Observable: a DEALER's peer events, the other monitor events left
// out.
func ExampleMonitor_peers() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	zctx := must(zmqevented.NewContext(zmqevented.WithLinger(0)))
	defer zctx.Close()
	router := must(zctx.NewSocket(zmq4.ROUTER))
	check(router.Bind("tcp://127.0.0.1:*"))
	endpoint := must(router.LastEndpoint())
	dealer := must(zctx.NewSocket(zmq4.DEALER))

	peers := must(zmqstream.Monitor(ctx, dealer, zmqevented.PeerEventMask)) // ends with ctx
	check(dealer.Connect(endpoint))
	for ev, err := range zmqstream.Values[zmqevented.MonitorEvent](context.Background(), peers.Observable()) {
		check(err)
		fmt.Println(ev.Event, ev.Endpoint == endpoint)
		switch ev.Event {
		case zmq4.EVENT_HANDSHAKE_SUCCEEDED:
			check(router.Close()) // the peer goes away
		case zmq4.EVENT_DISCONNECTED:
			cancel() // ends the stream: the loop ends
		}
	}
	<-peers.Done()
	// Output:
	// EVENT_CONNECTED true
	// EVENT_HANDSHAKE_SUCCEEDED true
	// EVENT_DISCONNECTED true
}
