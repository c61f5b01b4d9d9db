package zmqtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// The interop harness runs each pattern (REQ/REP, PUB/SUB, PUSH/PULL, DEALER/ROUTER)
// in both directions between zmqevented and peers no one here wrote, over tcp: pyzmq
// here (PyzmqPeer), go-zeromq/zmq4 in the bench module (which keeps that dependency
// out of the library's go.mod).

// InteropPeer runs one role of a pattern in another implementation. Start returns the
// endpoint the peer bound (for roles that bind: PeerBinds) and finish, which stops
// roles that serve until told (pub, router) and returns the peer's verdict. The peer's
// side sends, and expects, the frames RunInterop's side expects and sends.
type InteropPeer interface {
	Start(t *testing.T, role, endpoint string, n int) (bound string, finish func() error)
}

// PeerBinds says which peer roles bind; their zmqevented counterparts connect.
var PeerBinds = map[string]bool{"rep": true, "pub": true, "pull": true, "router": true}

// RunInterop runs every role of every peer against zmqevented, n messages each, as
// subtests named peer/role.
func RunInterop(t *testing.T, peers map[string]InteropPeer) {
	t.Helper()
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
				ctx := Ctx(t, 30*time.Second)
				c := NewContext(t)
				side := our[role]
				s, err := c.NewSocket(side.typ, side.opts...)
				require.NoError(t, err)
				var finish func() error
				if PeerBinds[role] {
					var ep string
					ep, finish = p.Start(t, role, "tcp://127.0.0.1:*", n)
					require.NoError(t, s.Connect(ep))
				} else {
					require.NoError(t, s.Bind("tcp://127.0.0.1:*"))
					ep, err := s.LastEndpoint()
					require.NoError(t, err)
					_, finish = p.Start(t, role, ep, n)
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
		if err := ExpectFrames(m, "hello", strconv.Itoa(i)); err != nil {
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
		if err := ExpectFrames(m, "world", strconv.Itoa(i)); err != nil {
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
		if err := ExpectFrames(m, "push", strconv.Itoa(i)); err != nil {
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
		if err := ExpectFrames(m[1:], "request", strconv.Itoa(i)); err != nil {
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
		if err := ExpectFrames(m, "request", strconv.Itoa(i)); err != nil {
			return err
		}
	}
	return nil
}

// ExpectFrames checks that m is exactly the frames want.
func ExpectFrames(m [][]byte, want ...string) error {
	if got := frameStrings(m); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func frameStrings(m [][]byte) []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out
}

// PyzmqPeer is the interop peer in Python: testdata/pyzmq_peer.py beside this file,
// run by the interpreter Python finds.
func PyzmqPeer(t testing.TB) InteropPeer { return pyPeer{py: Python(t)} }

type pyPeer struct{ py string }

func (p pyPeer) Start(t *testing.T, role, endpoint string, n int) (string, func() error) {
	t.Helper()
	cmd := exec.Command(p.py, filepath.Join(here(), "testdata", "pyzmq_peer.py"), role, endpoint, strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	out := bufio.NewReader(stdout)
	bound := ""
	if PeerBinds[role] {
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

// here is the directory of this file, where its testdata lives.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
