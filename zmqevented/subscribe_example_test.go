package zmqevented_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Subscribe while a Recv waits: it receives the new topic's messages.
func ExampleSocket_Subscribe() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	pub, _ := zctx.NewSocket(zmq4.PUB)
	_ = pub.Bind("inproc://example-subscribe")
	sub, _ := zctx.NewSocket(zmq4.SUB)
	_ = sub.Connect("inproc://example-subscribe")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan [][]byte)
	go func() {
		msg, _ := sub.Recv(ctx) // waits: no subscription yet
		got <- msg
	}()
	_ = sub.Subscribe("weather")
	for {
		// The subscription reaches the publisher asynchronously: publish until it has.
		_ = pub.SendMessage(ctx, "news", "elections")
		_ = pub.SendMessage(ctx, "weather", "sunny")
		select {
		case msg := <-got:
			fmt.Printf("%s: %s\n", msg[0], msg[1])
			return
		case <-time.After(time.Millisecond):
		}
	}
	// Output: weather: sunny
}
