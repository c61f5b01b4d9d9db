package reqrep

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// childEnv names the role a re-executed test binary plays (see TestMain); its
// last argument is the role's configuration, "key=value,key=value".
const childEnv = "ZMQFUTURE_TEST_CHILD"

// runChild plays a server role in a child process and returns its exit
// status. It ends when killed, on an error, or when its stdin closes (so that
// it never outlives the test).
//
//	router: a ROUTER bound to bind=, answering every request with its
//	        envelope, "echo" and its body. A request whose first body frame
//	        is "hold" is answered hold= (a duration) after it arrived, or,
//	        with hold=stdin, when a line "flush" comes on stdin (all held
//	        requests then, in the order they came); any other at once.
//	        Prints "ready <endpoint>" once bound, "recv K" after the K-th
//	        request and "sent K" after the K-th reply.
func runChild(role, config string) int {
	cfg := zmqtest.ChildConfig(config)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if sc.Text() == "flush" {
				flushHeld()
			}
		}
		os.Exit(0)
	}()
	c, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	if role != "router" {
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	if err := childRouter(c, cfg); err != nil {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	return 0
}

// The router role's requests held for stdin ("hold=stdin").
var (
	heldMu    sync.Mutex
	held      [][][]byte
	heldReply func([][]byte) // set once the router is up
)

// flushHeld answers every request held for stdin.
func flushHeld() {
	heldMu.Lock()
	msgs, reply := held, heldReply
	held = nil
	heldMu.Unlock()
	for _, m := range msgs {
		reply(m)
	}
}

func childRouter(c *zmqevented.Context, cfg map[string]string) error {
	var hold time.Duration
	byStdin := cfg["hold"] == "stdin"
	if !byStdin {
		var err error
		if hold, err = time.ParseDuration(cfg["hold"]); err != nil {
			return err
		}
	}
	router, err := c.NewSocket(zmq4.ROUTER)
	if err != nil {
		return err
	}
	if err := router.Bind(cfg["bind"]); err != nil {
		return err
	}
	ep, err := router.LastEndpoint()
	if err != nil {
		return err
	}
	var outMu sync.Mutex
	say := func(a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Println(a...)
	}
	say("ready", ep)

	ctx := context.Background()
	var sent atomic.Int64
	reply := func(msg [][]byte) {
		out := make([][]byte, 0, len(msg)+1)
		i := 0
		for i < len(msg) && len(msg[i]) > 0 { // the envelope: up to the empty delimiter
			i++
		}
		if i == len(msg) {
			return // not the Requester's format: no answer
		}
		out = append(out, msg[:i+1]...)
		out = append(out, []byte("echo"))
		out = append(out, msg[i+1:]...)
		if router.Send(ctx, out...) == nil {
			say("sent", sent.Add(1))
		}
	}
	heldMu.Lock()
	heldReply = reply
	heldMu.Unlock()
	for n := 1; ; n++ {
		msg, err := router.Recv(ctx)
		if err != nil {
			return err
		}
		switch {
		case len(msg) <= 3 || string(msg[3]) != "hold":
			say("recv", n)
			reply(msg)
		case byStdin:
			heldMu.Lock()
			held = append(held, msg)
			heldMu.Unlock()
			say("recv", n) // after it is held: a "flush" from now on answers it
		default:
			say("recv", n)
			time.AfterFunc(hold, func() { reply(msg) })
		}
	}
}

// child is a server process started by a test.
type child struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	lines    chan string // its stdout, closed at EOF
	endpoint string      // from its "ready" line
	reader   sync.WaitGroup
	killed   bool
}

// startChild starts this test binary as a server playing role and waits for
// its "ready" line. The process is killed when the test ends.
func startChild(ctx context.Context, t *testing.T, role, config string) *child {
	t.Helper()
	cmd := zmqtest.ChildCommand(ctx, t, childEnv, role, config)
	ch := &child{cmd: cmd, lines: make(chan string, 4096)}
	var err error
	ch.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	ch.reader.Go(func() {
		defer close(ch.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ch.lines <- sc.Text()
		}
	})
	t.Cleanup(ch.stop)

	line := ch.next(ctx, t)
	ep, ok := strings.CutPrefix(line, "ready ")
	require.True(t, ok, "first line of the server: %q", line)
	ch.endpoint = ep
	return ch
}

// next returns the child's next line of output.
func (ch *child) next(ctx context.Context, t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-ch.lines:
		require.True(t, ok, "the server exited")
		return line
	case <-ctx.Done():
		require.FailNow(t, "the server printed nothing more")
		return ""
	}
}

// expect skips the child's output up to the line want.
func (ch *child) expect(ctx context.Context, t *testing.T, want string) {
	t.Helper()
	for ch.next(ctx, t) != want {
	}
}

// flush asks a "hold=stdin" router to answer the requests it holds.
func (ch *child) flush(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(ch.stdin, "flush\n")
	require.NoError(t, err)
}

// kill sends SIGKILL to the child and waits for it to exit.
func (ch *child) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, ch.cmd.Process.Kill())
	ch.stop()
}

func (ch *child) stop() {
	if ch.killed {
		return
	}
	ch.killed = true
	_ = ch.cmd.Process.Kill()
	ch.reader.Wait() // stdout reaches EOF once the process is gone
	_ = ch.cmd.Wait()
	_ = ch.stdin.Close()
}

// restartEndpoints returns, per transport, an endpoint a server can bind,
// be killed and bind again. The ipc path is short (sun_path holds 107
// bytes). The tcp port is below the kernel's ephemeral range, so that the
// DEALER reconnecting to it while no server listens cannot be handed it as
// its own source port (a TCP self-connect would hold the port).
func restartEndpoints(t *testing.T) map[string]string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zf")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return map[string]string{
		"ipc": "ipc://" + filepath.Join(dir, "s"),
		"tcp": "tcp://127.0.0.1:" + strconv.Itoa(freeLowPort(t)),
	}
}

// freeLowPort returns a TCP port on 127.0.0.1 below the ephemeral range
// that was free a moment ago.
func freeLowPort(t *testing.T) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	require.Greater(t, low, 12000, "the ephemeral port range starts too low for this test")
	for range 100 {
		port := 10000 + rand.IntN(low-10000)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		require.NoError(t, l.Close())
		return port
	}
	require.FailNow(t, "no free port below the ephemeral range")
	return 0
}
