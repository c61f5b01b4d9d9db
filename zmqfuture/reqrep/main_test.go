package reqrep

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The peer-restart tests start this test binary again as a server process.
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role, os.Args[len(os.Args)-1]))
	}
	goleak.VerifyTestMain(m)
}
