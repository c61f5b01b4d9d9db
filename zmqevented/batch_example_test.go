package zmqevented_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// SendMany and RecvMany move batches of whole messages: a batch per cgo call where
// pebbe/zmq4 makes several calls per frame.
func ExampleSocket_RecvMany() {
	zctx, _ := zmqevented.NewContext(zmqevented.WithLinger(0))
	defer zctx.Close()
	pull, _ := zctx.NewSocket(zmq4.PULL)
	_ = pull.Bind("inproc://example-recvmany")
	push, _ := zctx.NewSocket(zmq4.PUSH)
	_ = push.Connect("inproc://example-recvmany")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	n, _ := push.SendMany(ctx, [][][]byte{
		{[]byte("a"), []byte("1")},
		{[]byte("b"), []byte("2")},
		{[]byte("c"), []byte("3")},
	})
	fmt.Println("sent", n)

	var batch [][][]byte
	for len(batch) < n {
		var err error
		if batch, err = pull.RecvMany(ctx, batch, 64); err != nil {
			panic(err)
		}
	}
	for _, m := range batch {
		fmt.Printf("%s=%s\n", m[0], m[1])
	}
	// Output:
	// sent 3
	// a=1
	// b=2
	// c=3
}
