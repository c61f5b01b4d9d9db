package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Flags of the idle-scenario child: this program re-executed to measure one row's idle
// sockets in a fresh process.
const (
	childIdleFlag    = "child-idle"
	childSocketsFlag = "child-sockets"
)

// idleInChild runs row r's Idle in a child process (this executable with -child-idle)
// and returns what it measured. If the executable cannot be found it measures in this
// process instead.
func idleInChild(ctx context.Context, r Row, sp Spec) (IdleSample, error) {
	exe, err := os.Executable()
	if err != nil {
		ir, ok := r.(IdleRow)
		if !ok {
			return IdleSample{}, fmt.Errorf("zmqbench: %s does not run idle scenarios", r.Key())
		}
		return ir.Idle(ctx, sp)
	}
	cmd := exec.CommandContext(ctx, exe, "-"+childIdleFlag, r.Key(), "-"+childSocketsFlag, strconv.Itoa(sp.Count))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return IdleSample{}, fmt.Errorf("idle child for %s: %w: %s", r.Key(), err, lastLine(stderr.String()))
	}
	var is IdleSample
	if err := json.Unmarshal(stdout.Bytes(), &is); err != nil {
		return IdleSample{}, fmt.Errorf("idle child for %s: bad report: %w", r.Key(), err)
	}
	return is, nil
}

// runIdleChild is the child's side: it measures n idle sockets of the row with key k
// and prints the IdleSample as JSON. It returns the exit status.
func runIdleChild(ctx context.Context, k string, n int) int {
	r, ok := registry[k].(IdleRow)
	if !ok {
		fmt.Fprintf(os.Stderr, "zmqbench: no idle row %q\n", k)
		return 2
	}
	if _, err := raiseNoFile(uint64(n*fdsPerSocket + fdMargin)); err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: RLIMIT_NOFILE: %v\n", err)
	}
	sc := idleScenario(n)
	is, err := r.Idle(ctx, specFor(sc, os.TempDir()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: %s idle: %v\n", k, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(is); err != nil {
		fmt.Fprintf(os.Stderr, "zmqbench: %v\n", err)
		return 1
	}
	return 0
}
