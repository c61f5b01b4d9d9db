package zmqevented_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

func TestMain(m *testing.M) {
	// TestPebbeFallback starts this test binary again to run the suite on pebbe/zmq4's
	// calls instead of the hot path (peer processes inherit the setting).
	if os.Getenv(pebbeOnlyEnv) != "" {
		zmqevented.SetPebbeOnly(true)
	}
	// The reliability tests start this test binary again as a separate peer process.
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role, os.Args[len(os.Args)-1]))
	}
	goleak.VerifyTestMain(m)
}

// forTransports runs f as a subtest per transport with the endpoint to bind.
func forTransports(t *testing.T, f func(t *testing.T, endpoint string)) {
	for _, name := range []string{"inproc", "ipc", "tcp"} {
		t.Run(name, func(t *testing.T) { f(t, zmqtest.Endpoints(t)[name]) })
	}
}

// seqFrame is message number i as text.
func seqFrame(i int) []byte { return []byte(fmt.Sprintf("%08d", i)) }
