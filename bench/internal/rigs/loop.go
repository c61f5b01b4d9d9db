package rigs

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
)

// A Looper drives the timed part of a loop: Loop reports whether to run one more
// message (or round trip). The first call comes after the warm-up and starts the
// timing; the call that returns false stops it. *testing.B is a Looper.
type Looper interface {
	Loop() bool
}

// Func is a loop of this package: it runs on sp until l stops it, and returns the
// first failure of either end (see the package doc).
type Func func(ctx context.Context, l Looper, sp Spec) error

// Spec is what one loop moves.
type Spec struct {
	Endpoint string // a fresh endpoint to bind, libzmq syntax (Endpoint makes one)
	Size     int    // message size in bytes
	Count    int    // timed messages, when l stops after exactly Count (zmqbench); 0 when l decides (testing.B)
	InFlight int    // Requester: requests kept outstanding (at least 1)
}

// far is how many messages (or round trips) the far end serves: Count plus the
// warm-up, or 0 for as many as the timed end takes.
func (sp Spec) far() int {
	if sp.Count > 0 {
		return sp.Count + 1
	}
	return 0
}

var endpointSeq atomic.Int64

// Endpoint returns an endpoint nobody has bound in this process: a fresh inproc name,
// a fresh socket file in dir for ipc, an ephemeral loopback port for tcp.
func Endpoint(transport, dir string) string {
	n := endpointSeq.Add(1)
	switch transport {
	case "ipc":
		return "ipc://" + filepath.Join(dir, fmt.Sprintf("%d.ipc", n))
	case "inproc":
		return fmt.Sprintf("inproc://zmqbench-%d", n)
	}
	return "tcp://127.0.0.1:*"
}
