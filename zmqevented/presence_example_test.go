package zmqevented_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Wait for a peer, then watch peers come and go. The monitor starts before Connect,
// so it sees the connection.
func ExampleSocket_WaitConnected() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	router, _ := zctx.NewSocket(zmq4.ROUTER)
	_ = router.Bind("tcp://127.0.0.1:*")
	endpoint, _ := router.LastEndpoint()

	dealer, _ := zctx.NewSocket(zmq4.DEALER,
		zmqevented.WithHeartbeatInterval(time.Second), // a silent peer is dropped after 1 s
		zmqevented.WithReconnectInterval(50*time.Millisecond))
	peers, _ := dealer.Monitor(context.Background(), zmqevented.PeerEventMask, 16)
	defer peers.Close()
	_ = dealer.Connect(endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("connected:", dealer.WaitConnected(ctx) == nil)
	for ev := range peers.C() {
		fmt.Println(ev.Event, ev.Endpoint == endpoint)
		if ev.Event == zmq4.EVENT_HANDSHAKE_SUCCEEDED {
			_ = router.Close() // the peer goes away
		}
		if ev.Event == zmq4.EVENT_DISCONNECTED {
			break
		}
	}
	// Output:
	// connected: true
	// EVENT_CONNECTED true
	// EVENT_HANDSHAKE_SUCCEEDED true
	// EVENT_DISCONNECTED true
}
