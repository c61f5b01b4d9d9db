package zmqfuture

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPureGo: the futures core builds without cgo and links nothing of libzmq, zap or
// zmqevented, so a futures-only program does not pull them in.
func TestPureGo(t *testing.T) {
	build := exec.Command("go", "build", "-o", os.DevNull, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "CGO_ENABLED=0 go build: %s", out)

	out, err = exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"pebbe/zmq4", "go.uber.org/zap", "zmqevented"} {
			require.NotContains(t, dep, banned)
		}
	}
}
