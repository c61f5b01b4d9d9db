package zmqevented_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// childEnv names the role a re-executed test binary plays (see TestMain); its last
// argument is the role's configuration, "key=value,key=value".
const childEnv = "ZMQEVENTED_TEST_CHILD"

// runChild plays a peer role in a child process and returns its exit status. The roles
// print progress on stdout as "word number" lines:
//
//	acker: PULL connected to data= (with netOpts), answering every message with its
//	       first frame on a PUSH connected to ack=; runs until killed.
//	push:  PUSH bound to bind=, sending n= numbered messages of size= bytes; prints
//	       "sent K" every 100 accepted messages, then "done n"; exits when stdin closes
//	       (so its exit drops nothing still queued).
//	pull:  PULL connected to connect=, receiving n= numbered messages, failing on any out
//	       of order; prints "recv K" every 100, then "ok n".
//	pub:   PUB bound to bind=, publishing numbered messages of size= bytes every 100 µs
//	       until stdin closes; prints "sent K" every 1000, then "done K".
//	sub:   SUB connected to connect=, failing on any message out of order; prints
//	       "gap A B" for each run of missing numbers, "recv K" every 1000, and when stdin
//	       closes a summary line.
func runChild(role, config string) int {
	cfg := zmqtest.ChildConfig(config)
	c, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	if err := childRoles[role](c, cfg); err != nil {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	return 0
}

// netOpts are the options of the cross-host roles: small HWMs and kernel buffers, so
// that backpressure reaches the sender within a fraction of a second.
func netOpts(send bool) []zmqevented.Option {
	buf := zmqevented.WithSockopt("SNDBUF", func(s *zmq4.Socket) error { return s.SetSndbuf(64 << 10) })
	hwm := zmqevented.WithSendHWM(100)
	if !send {
		buf = zmqevented.WithSockopt("RCVBUF", func(s *zmq4.Socket) error { return s.SetRcvbuf(64 << 10) })
		hwm = zmqevented.WithRecvHWM(100)
	}
	return []zmqevented.Option{buf, hwm}
}

// waitStdin blocks until the parent closes the child's stdin.
func waitStdin() { _, _ = io.Copy(io.Discard, os.Stdin) }

var childRoles = map[string]func(*zmqevented.Context, map[string]string) error{
	"acker": func(c *zmqevented.Context, cfg map[string]string) error {
		pull, err := c.NewSocket(zmq4.PULL, netOpts(false)...)
		if err != nil {
			return err
		}
		ack, err := c.NewSocket(zmq4.PUSH)
		if err != nil {
			return err
		}
		if err := pull.Connect(cfg["data"]); err != nil {
			return err
		}
		if err := ack.Connect(cfg["ack"]); err != nil {
			return err
		}
		ctx := context.Background()
		for {
			m, err := pull.Recv(ctx)
			if err != nil {
				return err
			}
			if err := ack.Send(ctx, m[0]); err != nil {
				return err
			}
		}
	},
	"push": func(c *zmqevented.Context, cfg map[string]string) error {
		n, size := atoi(cfg["n"]), atoi(cfg["size"])
		push, err := c.NewSocket(zmq4.PUSH, netOpts(true)...)
		if err != nil {
			return err
		}
		if err := push.Bind(cfg["bind"]); err != nil {
			return err
		}
		for i := range n {
			if err := push.Send(context.Background(), seqBytes(uint64(i), size)); err != nil {
				return err
			}
			if (i+1)%100 == 0 {
				fmt.Println("sent", i+1)
			}
		}
		fmt.Println("done", n)
		waitStdin()
		return nil
	},
	"pull": func(c *zmqevented.Context, cfg map[string]string) error {
		n := atoi(cfg["n"])
		pull, err := c.NewSocket(zmq4.PULL, netOpts(false)...)
		if err != nil {
			return err
		}
		if err := pull.Connect(cfg["connect"]); err != nil {
			return err
		}
		for i := range n {
			m, err := pull.Recv(context.Background())
			if err != nil {
				return err
			}
			if got := binary.BigEndian.Uint64(m[0]); got != uint64(i) {
				return fmt.Errorf("message %d arrived as number %d", got, i)
			}
			if (i+1)%100 == 0 {
				fmt.Println("recv", i+1)
			}
		}
		fmt.Println("ok", n)
		return nil
	},
	"pub": func(c *zmqevented.Context, cfg map[string]string) error {
		size := atoi(cfg["size"])
		pub, err := c.NewSocket(zmq4.PUB, netOpts(true)...)
		if err != nil {
			return err
		}
		if err := pub.Bind(cfg["bind"]); err != nil {
			return err
		}
		stop := make(chan struct{})
		go func() {
			waitStdin()
			close(stop)
		}()
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				fmt.Println("done", i)
				return nil
			default:
			}
			if err := pub.Send(context.Background(), seqBytes(i, size)); err != nil {
				return err
			}
			if (i+1)%1000 == 0 {
				fmt.Println("sent", i+1)
			}
			time.Sleep(100 * time.Microsecond)
		}
	},
	"sub": func(c *zmqevented.Context, cfg map[string]string) error {
		sub, err := c.NewSocket(zmq4.SUB, append(netOpts(false), zmqevented.WithSubscribe(""))...)
		if err != nil {
			return err
		}
		if err := sub.Connect(cfg["connect"]); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			waitStdin()
			cancel()
		}()
		var total, missing uint64
		first, last := int64(-1), int64(-1)
		for {
			m, err := sub.Recv(ctx)
			if err != nil {
				fmt.Printf("summary total=%d first=%d last=%d missing=%d\n", total, first, last, missing)
				return nil
			}
			seq := int64(binary.BigEndian.Uint64(m[0]))
			switch {
			case first < 0:
				first = seq
			case seq <= last:
				return fmt.Errorf("message %d after %d", seq, last)
			case seq > last+1:
				fmt.Printf("gap %d %d\n", last+1, seq-1)
				missing += uint64(seq - last - 1)
			}
			last = seq
			total++
			if total%1000 == 0 {
				fmt.Println("recv", total)
			}
		}
	},
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func seqBytes(i uint64, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, i)
	return b
}
