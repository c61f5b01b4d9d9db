package zmqevented_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gozmq "github.com/go-zeromq/zmq4"
	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// The interop tests run each pattern (REQ/REP, PUB/SUB, PUSH/PULL, DEALER/ROUTER) in
// both directions against peers no one here wrote: pyzmq (Debian's python3-zmq, a
// separate process) and the pure-Go go-zeromq/zmq4, over tcp.

// peer runs one role of a pattern in another implementation. start returns the endpoint
// the peer bound (for roles that bind) and finish, which stops roles that serve until
// told (pub, router) and returns the peer's verdict.
type peer interface {
	start(t *testing.T, role, endpoint string, n int) (bound string, finish func() error)
}

// peerBinds says which roles bind; their counterparts here connect.
var peerBinds = map[string]bool{"rep": true, "pub": true, "pull": true, "router": true}

func TestInterop(t *testing.T) {
	peers := map[string]peer{"pyzmq": pyPeer{py: zmqtest.Python(t)}, "go-zeromq": goPeer{}}
	// our is this package's side of each peer role.
	our := map[string]struct {
		typ  zmq4.Type
		opts []zmqevented.Option
		run  func(ctx context.Context, s *zmqevented.Socket, n int, peerDone <-chan struct{}) error
	}{
		"req":    {zmq4.REP, nil, serveREP},
		"rep":    {zmq4.REQ, nil, runREQ},
		"pub":    {zmq4.SUB, []zmqevented.Option{zmqevented.WithSubscribe("weather")}, runSUB},
		"sub":    {zmq4.PUB, nil, runPUB},
		"push":   {zmq4.PULL, nil, runPULL},
		"pull":   {zmq4.PUSH, nil, runPUSH},
		"dealer": {zmq4.ROUTER, nil, serveROUTER},
		"router": {zmq4.DEALER, nil, runDEALER},
	}
	const n = 200
	for peerName, p := range peers {
		for _, role := range []string{"req", "rep", "pub", "sub", "push", "pull", "dealer", "router"} {
			t.Run(peerName+"/"+role, func(t *testing.T) {
				ctx := zmqtest.Ctx(t, 30*time.Second)
				c := zmqtest.NewContext(t)
				side := our[role]
				s, err := c.NewSocket(side.typ, side.opts...)
				require.NoError(t, err)
				var finish func() error
				if peerBinds[role] {
					var ep string
					ep, finish = p.start(t, role, "tcp://127.0.0.1:*", n)
					require.NoError(t, s.Connect(ep))
				} else {
					require.NoError(t, s.Bind("tcp://127.0.0.1:*"))
					ep, err := s.LastEndpoint()
					require.NoError(t, err)
					_, finish = p.start(t, role, ep, n)
				}
				peerDone := make(chan struct{})
				peerErr := make(chan error, 1)
				ourErr := make(chan error, 1)
				go func() { ourErr <- side.run(ctx, s, n, peerDone) }()
				if role == "pub" || role == "router" { // the peer serves until we are done
					require.NoError(t, <-ourErr)
					require.NoError(t, finish())
					return
				}
				go func() {
					peerErr <- finish()
					close(peerDone)
				}()
				require.NoError(t, <-peerErr)
				require.NoError(t, <-ourErr)
			})
		}
	}
}

func serveREP(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if err := expectFrames(m, "hello", strconv.Itoa(i)); err != nil {
			return err
		}
		if err := s.SendMessage(ctx, "world", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

func runREQ(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	for i := range n {
		if err := s.SendMessage(ctx, "hello", strconv.Itoa(i)); err != nil {
			return err
		}
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if err := expectFrames(m, "world", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

func runSUB(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	first := -1
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if len(m) != 2 || string(m[0]) != "weather" {
			return fmt.Errorf("unexpected %q", m)
		}
		seq, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return err
		}
		if first < 0 {
			first = seq
		}
		if seq != first+i {
			return fmt.Errorf("gap or reorder: got %d, want %d", seq, first+i)
		}
	}
	return nil
}

// runPUB publishes numbered weather (and sports, to be filtered out) every millisecond
// until the subscribing peer has what it wants.
func runPUB(ctx context.Context, s *zmqevented.Socket, _ int, peerDone <-chan struct{}) error {
	for seq := 0; ; seq++ {
		if err := s.SendMessage(ctx, "sports", "ignored"); err != nil {
			return err
		}
		if err := s.SendMessage(ctx, "weather", strconv.Itoa(seq)); err != nil {
			return err
		}
		select {
		case <-peerDone:
			return nil
		case <-time.After(time.Millisecond):
		}
	}
}

func runPULL(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if err := expectFrames(m, "push", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

// runPUSH sends n messages and stays open until the peer has them (closing a socket
// right after its last send may drop the tail: libzmq #4660).
func runPUSH(ctx context.Context, s *zmqevented.Socket, n int, peerDone <-chan struct{}) error {
	for i := range n {
		if err := s.SendMessage(ctx, "push", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	select {
	case <-peerDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func serveROUTER(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if err := expectFrames(m[1:], "request", strconv.Itoa(i)); err != nil {
			return err
		}
		if err := s.Send(ctx, m...); err != nil {
			return err
		}
	}
	return nil
}

func runDEALER(ctx context.Context, s *zmqevented.Socket, n int, _ <-chan struct{}) error {
	for i := range n {
		if err := s.SendMessage(ctx, "request", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	for i := range n {
		m, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if err := expectFrames(m, "request", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

func expectFrames(m [][]byte, want ...string) error {
	if got := toStrings(m); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

// pyPeer runs testdata/pyzmq_peer.py.
type pyPeer struct{ py string }

func (p pyPeer) start(t *testing.T, role, endpoint string, n int) (string, func() error) {
	t.Helper()
	cmd := exec.Command(p.py, "testdata/pyzmq_peer.py", role, endpoint, strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	out := bufio.NewReader(stdout)
	bound := ""
	if peerBinds[role] {
		line, err := out.ReadString('\n')
		require.NoError(t, err, stderr.String())
		bound = strings.TrimSpace(line)
	}
	var once sync.Once
	var result error
	finish := func() error {
		once.Do(func() {
			_ = stdin.Close()
			rest, _ := io.ReadAll(out)
			err := cmd.Wait()
			switch {
			case err != nil:
				result = fmt.Errorf("pyzmq %s: %w: %s%s", role, err, rest, stderr.String())
			case role != "pub" && role != "router" && strings.TrimSpace(string(rest)) != "ok "+strconv.Itoa(n):
				result = fmt.Errorf("pyzmq %s said %q", role, rest)
			}
		})
		return result
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = finish()
	})
	return bound, finish
}

// goPeer runs the role with go-zeromq/zmq4 in a goroutine.
type goPeer struct{}

func (goPeer) start(t *testing.T, role, endpoint string, n int) (string, func() error) {
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
	if peerBinds[role] {
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
		return expectFrames(m.Frames, want...)
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
