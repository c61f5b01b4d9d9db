package interop_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	gozmq "github.com/go-zeromq/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
)

func TestMain(m *testing.M) {
	// go-zeromq/zmq4 v0.17.0's PUB writer (pubMWriter.run) misses its Close signal when
	// it is not waiting at that moment and then waits forever: not ours to fix.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run"))
}

// TestInterop runs every pattern both ways between zmqevented and the pure-Go
// go-zeromq/zmq4 (the pyzmq peer runs in zmqevented's own tests).
func TestInterop(t *testing.T) {
	zmqtest.RunInterop(t, map[string]zmqtest.InteropPeer{"go-zeromq": goPeer{}})
}

// goPeer runs the role with go-zeromq/zmq4 in a goroutine.
type goPeer struct{}

func (goPeer) Start(t *testing.T, role, endpoint string, n int) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var s gozmq.Socket
	switch role {
	case "req":
		s = gozmq.NewReq(ctx)
	case "rep":
		s = gozmq.NewRep(ctx)
	case "pub":
		s = gozmq.NewPub(ctx)
	case "sub":
		s = gozmq.NewSub(ctx)
	case "push":
		s = gozmq.NewPush(ctx)
	case "pull":
		s = gozmq.NewPull(ctx)
	case "dealer":
		s = gozmq.NewDealer(ctx)
	case "router":
		s = gozmq.NewRouter(ctx)
	}
	bound := ""
	if zmqtest.PeerBinds[role] {
		require.NoError(t, s.Listen("tcp://127.0.0.1:0"))
		bound = "tcp://" + s.Addr().String()
	} else {
		require.NoError(t, s.Dial(endpoint))
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- goRole(s, role, n, stop) }()
	var once sync.Once
	var result error
	finish := func() error {
		once.Do(func() {
			close(stop)
			if role == "pub" || role == "router" {
				_ = s.Close() // unblocks their loop
			}
			result = <-done
		})
		return result
	}
	// The socket stays open until the test ends: go-zeromq may drop a reply it was
	// still sending when closed.
	t.Cleanup(func() {
		_ = s.Close()
		_ = finish()
		cancel()
	})
	return bound, finish
}

func goRole(s gozmq.Socket, role string, n int, stop <-chan struct{}) error {
	send := func(frames ...string) error {
		b := make([][]byte, len(frames))
		for i, f := range frames {
			b[i] = []byte(f)
		}
		return s.Send(gozmq.NewMsgFrom(b...))
	}
	recv := func(want ...string) error {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		return zmqtest.ExpectFrames(m.Frames, want...)
	}
	switch role {
	case "req":
		for i := range n {
			if err := send("hello", strconv.Itoa(i)); err != nil {
				return err
			}
			if err := recv("world", strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case "rep":
		for i := range n {
			if err := recv("hello", strconv.Itoa(i)); err != nil {
				return err
			}
			if err := send("world", strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case "pub":
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				return nil
			case <-time.After(time.Millisecond):
			}
			if err := send("sports", "ignored"); err != nil {
				return err
			}
			if err := send("weather", strconv.Itoa(seq)); err != nil {
				return err
			}
		}
	case "sub":
		if err := s.SetOption(gozmq.OptionSubscribe, "weather"); err != nil {
			return err
		}
		first := -1
		for i := range n {
			m, err := s.Recv()
			if err != nil {
				return err
			}
			seq, err := strconv.Atoi(string(m.Frames[1]))
			if err != nil || string(m.Frames[0]) != "weather" {
				return fmt.Errorf("unexpected %q", m.Frames)
			}
			if first < 0 {
				first = seq
			}
			if seq != first+i {
				return fmt.Errorf("gap or reorder: got %d, want %d", seq, first+i)
			}
		}
	case "push":
		for i := range n {
			if err := send("push", strconv.Itoa(i)); err != nil {
				return err
			}
		}
		<-stop // stay connected until the receiver has everything
	case "pull":
		for i := range n {
			if err := recv("push", strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case "dealer":
		for i := range n {
			if err := send("request", strconv.Itoa(i)); err != nil {
				return err
			}
		}
		for i := range n {
			if err := recv("request", strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case "router":
		for {
			m, err := s.Recv()
			if err != nil {
				select {
				case <-stop:
					return nil
				default:
					return err
				}
			}
			if err := s.Send(m); err != nil {
				return err
			}
		}
	default:
		return errors.New("unknown role " + role)
	}
	return nil
}
