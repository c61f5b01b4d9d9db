package zmqevented_test

import (
	"testing"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
)

// TestInterop runs every pattern both ways between zmqevented and pyzmq (a separate
// process); the go-zeromq peer runs in the bench module, which keeps that dependency
// out of the library's go.mod.
func TestInterop(t *testing.T) {
	zmqtest.RunInterop(t, map[string]zmqtest.InteropPeer{"pyzmq": zmqtest.PyzmqPeer(t)})
}
