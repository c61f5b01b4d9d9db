package zmqevented_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// A worker announces its tenant when it connects; the server reads it, with the
// worker's socket type and address, from each message.
func ExampleSocket_RecvMessage() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	router, _ := zctx.NewSocket(zmq4.ROUTER)
	_ = router.Bind("tcp://127.0.0.1:*")
	endpoint, _ := router.LastEndpoint()

	worker, _ := zctx.NewSocket(zmq4.DEALER, zmqevented.WithMetadata(map[string]string{"X-Tenant": "blue"}))
	_ = worker.Connect(endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = worker.Send(ctx, []byte("job"))
	m, err := router.RecvMessage(ctx, "X-Tenant")
	if err != nil {
		fmt.Println(err)
		return
	}
	// m.Frames[0] is the worker's routing ID. m.Conn is its connection's file
	// descriptor, the Value of the monitor's events for that connection.
	fmt.Println(string(m.Frames[1]), m.Metadata["X-Tenant"], m.Metadata["Socket-Type"], m.Metadata["Peer-Address"])
	// Output:
	// job blue DEALER 127.0.0.1
}
