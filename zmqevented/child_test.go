package zmqevented_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// childEnv names the role a re-executed test binary plays (see TestMain); its last
// argument is the role's configuration, "key=value,key=value".
const childEnv = "ZMQEVENTED_TEST_CHILD"

// childCommand returns a command that runs this test binary as a peer process in role.
func childCommand(ctx context.Context, t testing.TB, role, config string, prefix ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(prefix, self, "-test.run=^$", config) //nolint:gocritic // prefix is the caller's own slice
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+role)
	cmd.Stderr = os.Stderr
	return cmd
}

// runChild plays a peer role in a child process and returns its exit status. Roles:
//
//	acker:     PULL connected to data=, answering every message with the same frame on a
//	           PUSH connected to ack=; runs until killed.
//	push:      PUSH bound to bind=, sending n= numbered messages of size= bytes; prints
//	           "sent K" after every 100th accepted message, then "done K"; waits for stdin
//	           to close before exiting (so nothing queued is dropped by its exit).
//	pull:      PULL connected to connect=, receiving n= numbered messages and checking their
//	           order; prints "recv K" every 100 and "ok K" at the end.
//	pub:       PUB bound to bind=, publishing numbered messages until stdin closes;
//	           prints "sent K" every 100.
//	sub:       SUB connected to connect=, printing "recv K" for every message it gets
//	           until stdin closes.
func runChild(role, config string) int {
	cfg := map[string]string{}
	for _, kv := range strings.Split(config, ",") {
		k, v, _ := strings.Cut(kv, "=")
		cfg[k] = v
	}
	c, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	if err := childRoles[role](c, cfg); err != nil {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	return 0
}

var childRoles = map[string]func(*zmqevented.Context, map[string]string) error{
	"acker": func(c *zmqevented.Context, cfg map[string]string) error {
		pull, err := c.NewSocket(zmq4.PULL)
		if err != nil {
			return err
		}
		ack, err := c.NewSocket(zmq4.PUSH)
		if err != nil {
			return err
		}
		if err := pull.Connect(cfg["data"]); err != nil {
			return err
		}
		if err := ack.Connect(cfg["ack"]); err != nil {
			return err
		}
		ctx := context.Background()
		for {
			m, err := pull.Recv(ctx)
			if err != nil {
				return err
			}
			if err := ack.Send(ctx, m[0]); err != nil {
				return err
			}
		}
	},
}

func seqBytes(i uint64, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, i)
	return b
}
