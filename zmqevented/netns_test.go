package zmqevented_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
)

// Two test hosts made by the test: network namespaces joined by a veth pair, with
// addresses only on that pair. A peer process runs in each (this test binary again,
// through `ip netns exec`), and the test takes the link down and up between them.

// hosts is a pair of namespaces joined by a veth link; a holds 10.231.0.1, b 10.231.0.2.
type hosts struct {
	a, b  string // namespace names
	linkA string // a's end of the veth pair
	t     *testing.T
	ctx   context.Context
}

func newHosts(t *testing.T) *hosts {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("making network namespaces needs root (CI and `make stress` run as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the `ip` command (iproute2) is needed to make network namespaces: apt-get install iproute2")
	}
	id := strconv.Itoa(os.Getpid())
	h := &hosts{a: "zmqa" + id + "a", b: "zmqa" + id + "b", linkA: "za" + id, t: t, ctx: zmqtest.Ctx(t, 2*time.Minute)}
	linkB := "zb" + id
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", h.a).Run()
		_ = exec.Command("ip", "netns", "del", h.b).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", h.a},
		{"netns", "add", h.b},
		{"link", "add", h.linkA, "type", "veth", "peer", "name", linkB},
		{"link", "set", h.linkA, "netns", h.a},
		{"link", "set", linkB, "netns", h.b},
		{"-n", h.a, "addr", "add", "10.231.0.1/24", "dev", h.linkA},
		{"-n", h.b, "addr", "add", "10.231.0.2/24", "dev", linkB},
		{"-n", h.a, "link", "set", "lo", "up"},
		{"-n", h.b, "link", "set", "lo", "up"},
		{"-n", h.a, "link", "set", h.linkA, "up"},
		{"-n", h.b, "link", "set", linkB, "up"},
	} {
		h.ip(args...)
	}
	return h
}

func (h *hosts) ip(args ...string) {
	h.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("ip %s: %v: %s (this machine cannot make the test's network namespaces)", strings.Join(args, " "), err, out)
	}
}

// link takes the veth pair down or brings it back up.
func (h *hosts) link(up bool) {
	state := map[bool]string{true: "up", false: "down"}[up]
	h.ip("-n", h.a, "link", "set", h.linkA, state)
}

// peerProc is a child process on one of the hosts whose stdout lines are "word number".
type peerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	last  map[string]int // the latest number per word
	lines []string
	done  chan struct{}
}

func (h *hosts) start(ns, role, config string) *peerProc {
	h.t.Helper()
	cmd := zmqtest.ChildCommand(h.ctx, h.t, childEnv, role, config, "ip", "netns", "exec", ns)
	stdin, err := cmd.StdinPipe()
	require.NoError(h.t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(h.t, err)
	require.NoError(h.t, cmd.Start())
	p := &peerProc{cmd: cmd, stdin: stdin, last: map[string]int{}, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			word, num, _ := strings.Cut(sc.Text(), " ")
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			if n, err := strconv.Atoi(num); err == nil {
				p.last[word] = n
			}
			p.mu.Unlock()
		}
	}()
	h.t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		<-p.done
		_ = cmd.Wait()
	})
	return p
}

func (p *peerProc) get(word string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[word]
}

// waitFor polls until cond holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finish closes the process's stdin and waits for it to exit successfully.
func (p *peerProc) finish(t *testing.T) []string {
	t.Helper()
	require.NoError(t, p.stdin.Close())
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("peer process did not finish")
	}
	require.NoError(t, p.cmd.Wait())
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines
}

// TestPartitionPushPull: a PUSH on host A streams 20,000 numbered 1 KiB messages to a
// PULL on host B. The link goes down for 3 s mid-stream: the sender's HWM backpressure
// holds (its Send blocks, it stops counting messages as sent), the stream resumes by
// itself when the link comes back, and the receiver gets every message, in order.
func TestPartitionPushPull(t *testing.T) {
	const n = 20_000
	h := newHosts(t)
	push := h.start(h.a, "push", fmt.Sprintf("bind=tcp://10.231.0.1:5555,n=%d,size=1024", n))
	pull := h.start(h.b, "pull", fmt.Sprintf("connect=tcp://10.231.0.1:5555,n=%d", n))
	waitFor(t, 30*time.Second, "the stream to start", func() bool { return pull.get("recv") >= n/5 })

	h.link(false)
	down := time.Now()
	time.Sleep(time.Second) // the in-flight bytes fill the buffers and the HWM
	stalledAt := push.get("sent")
	received := pull.get("recv")
	time.Sleep(2 * time.Second)
	require.Equal(t, stalledAt, push.get("sent"), "the sender kept counting messages as sent while the link was down")
	require.Equal(t, received, pull.get("recv"), "messages arrived over a downed link")
	require.Less(t, stalledAt, n, "the whole stream was sent before the link went down")
	h.link(true)
	t.Logf("link down %v: sender stalled at %d, receiver at %d", time.Since(down).Round(time.Millisecond), stalledAt, received)

	waitFor(t, 60*time.Second, "the stream to resume and finish", func() bool { return pull.get("ok") == n })
	require.Equal(t, n, push.get("done"))
	pull.finish(t)
	push.finish(t)
}

// TestPartitionPubSub: a PUB on host A publishes numbered messages every 100 µs to a SUB
// on host B; the link goes down for 2 s. PUB does not wait at its HWM, it drops: the
// subscriber sees one gap where the partition was, and the stream carries on after it.
func TestPartitionPubSub(t *testing.T) {
	h := newHosts(t)
	pub := h.start(h.a, "pub", "bind=tcp://10.231.0.1:5556,size=1024")
	sub := h.start(h.b, "sub", "connect=tcp://10.231.0.1:5556")
	waitFor(t, 30*time.Second, "messages to flow", func() bool { return sub.get("recv") >= 2000 })

	h.link(false)
	time.Sleep(2 * time.Second)
	sentDuring := pub.get("sent")
	h.link(true)
	waitFor(t, 60*time.Second, "the stream to resume", func() bool { return sub.get("recv") >= 2000+sentDuring/2 && pub.get("sent") > sentDuring+2000 })

	pubLines := pub.finish(t)
	lines := sub.finish(t)
	var gaps []string
	var summary string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "gap "):
			gaps = append(gaps, l)
		case strings.HasPrefix(l, "summary "):
			summary = l
		}
	}
	t.Logf("publisher: %s; subscriber: %s; gaps: %v", pubLines[len(pubLines)-1], summary, gaps)
	require.NotEmpty(t, summary)
	require.NotEmpty(t, gaps, "a 2 s partition at 10,000 messages/s dropped nothing: PUB should have dropped at its HWM")
	require.LessOrEqual(t, len(gaps), 3, "drops scattered outside the partition")
}
