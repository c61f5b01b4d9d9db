package zmqtest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pebbe/zmq4"
	"golang.org/x/sys/unix"
)

// Hosts are two network namespaces joined by a veth pair, made for one test and
// deleted when it ends: two hosts on one network (10.232.0.0/24) that the test can
// partition, with multicast enabled on the link.
type Hosts struct {
	A, B         string // the namespaces' names
	LinkA, LinkB string // the veth pair's ends, in A and in B
	AddrA, AddrB string // the addresses on LinkA (10.232.0.1) and LinkB (10.232.0.2)
	t            testing.TB
}

var hostsSeq atomic.Uint64

// NewHosts makes the two namespaces and their link. It fails the test, never skips it,
// when the machine cannot: making namespaces needs root and iproute2's ip command.
func NewHosts(t testing.TB) *Hosts {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("making network namespaces needs root (CI and `make stress` run as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the `ip` command (iproute2) is needed to make network namespaces: apt-get install iproute2")
	}
	id := fmt.Sprintf("%dn%d", os.Getpid(), hostsSeq.Add(1))
	h := &Hosts{
		A: "zmqh" + id + "a", B: "zmqh" + id + "b",
		LinkA: "zh" + id + "a", LinkB: "zh" + id + "b",
		AddrA: "10.232.0.1", AddrB: "10.232.0.2",
		t: t,
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", h.A).Run()
		_ = exec.Command("ip", "netns", "del", h.B).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", h.A},
		{"netns", "add", h.B},
		{"link", "add", h.LinkA, "type", "veth", "peer", "name", h.LinkB},
		{"link", "set", h.LinkA, "netns", h.A},
		{"link", "set", h.LinkB, "netns", h.B},
		{"-n", h.A, "addr", "add", h.AddrA + "/24", "dev", h.LinkA},
		{"-n", h.B, "addr", "add", h.AddrB + "/24", "dev", h.LinkB},
		{"-n", h.A, "link", "set", "lo", "up"},
		{"-n", h.B, "link", "set", "lo", "up"},
		{"-n", h.A, "link", "set", h.LinkA, "up", "multicast", "on"},
		{"-n", h.B, "link", "set", h.LinkB, "up", "multicast", "on"},
	} {
		h.ip(args...)
	}
	return h
}

func (h *Hosts) ip(args ...string) {
	h.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("ip %s: %v: %s (this machine cannot make the test's network namespaces)", strings.Join(args, " "), err, out)
	}
}

// Link takes the veth pair down (on A's end) or brings it back up.
func (h *Hosts) Link(up bool) {
	h.t.Helper()
	state := map[bool]string{true: "up", false: "down"}[up]
	h.ip("-n", h.A, "link", "set", h.LinkA, state)
}

// In runs fn on an OS thread that has entered namespace ns, and returns when fn does.
// The threads and processes fn starts stay in ns: a zmqevented.Context whose first
// socket fn makes runs its libzmq I/O threads there, so everything its sockets do on
// the network happens in ns, whichever goroutine calls them later; an exec.Cmd fn
// starts runs in ns. fn must not call t.FailNow (t.Fatal, require) itself: when it
// does, or In cannot enter ns, the test fails after fn.
func (h *Hosts) In(ns string, fn func()) {
	h.t.Helper()
	ok := make(chan bool)
	go func() {
		done := false
		defer func() { ok <- done }()
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			h.t.Errorf("open namespace %s: %v", ns, err)
			return
		}
		defer func() { _ = unix.Close(fd) }()
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			h.t.Errorf("enter namespace %s: %v", ns, err)
			return
		}
		fn()
		done = true
	}()
	if !<-ok {
		h.t.FailNow()
	}
}

// Multicast returns the endpoints of a publisher on A and a subscriber on B for
// transport ("pgm", "epgm" or "norm") and group:port, and fails the test if libzmq was
// built without it. PGM names the interface by its address: OpenPGM resolves a name
// as a host name first and gives up when no DNS server answers, as in a namespace.
// NORM takes the interface's name, and a node ID per end.
func (h *Hosts) Multicast(transport, group string, port int) (pub, sub string) {
	h.t.Helper()
	switch transport {
	case "norm":
		if !zmq4.HasNorm() {
			h.t.Fatal("libzmq was built without NORM (Debian's libzmq5 has it)")
		}
		return fmt.Sprintf("norm://1,%s;%s:%d", h.LinkA, group, port), fmt.Sprintf("norm://2,%s;%s:%d", h.LinkB, group, port)
	case "pgm", "epgm":
		if !zmq4.HasPgm() {
			h.t.Fatal("libzmq was built without OpenPGM (Debian's libzmq5 has it)")
		}
		return fmt.Sprintf("%s://%s;%s:%d", transport, h.AddrA, group, port), fmt.Sprintf("%s://%s;%s:%d", transport, h.AddrB, group, port)
	}
	h.t.Fatalf("Multicast(%q): not a multicast transport", transport)
	return "", ""
}
