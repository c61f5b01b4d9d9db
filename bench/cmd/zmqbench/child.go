package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childTimeout bounds one child process; a peer that hangs is killed and reported.
const childTimeout = 2 * time.Minute

// repoRoot is the repository's top directory (where bench/ lives), found from the
// working directory at start-up; the child rows find their programs under it.
var repoRoot = "."

// findRepoRoot walks up from the working directory to the directory holding
// bench/clib, so that `go run ./cmd/zmqbench` works from bench/ (the suite's module,
// as make runs it) and `go run .` from bench/cmd/zmqbench.
func findRepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; {
		if st, err := os.Stat(filepath.Join(d, "bench", "clib")); err == nil && st.IsDir() {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// peerReport is the JSON object a child row prints on stdout.
type peerReport struct {
	Impl      string `json:"impl"`
	Libzmq    string `json:"libzmq"`
	PyZMQ     string `json:"pyzmq"`
	Python    string `json:"python"`
	Mode      string `json:"mode"`
	Size      int    `json:"size"`
	Count     int    `json:"count"`
	ElapsedNS int64  `json:"elapsed_ns"`
	UserNS    int64  `json:"cpu_user_ns"`
	SysNS     int64  `json:"cpu_sys_ns"`
	P50NS     int64  `json:"p50_ns"`
	P99NS     int64  `json:"p99_ns"`
	P999NS    int64  `json:"p999_ns"`
}

// runPeer starts argv (mode, endpoint, size and count appended), waits for it and
// turns its report into a Sample. The child is killed when ctx is done, after
// childTimeout, and (Pdeathsig) if this process dies.
func runPeer(ctx context.Context, argv []string, mode string, sp Spec) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, childTimeout)
	defer cancel()
	args := append(append([]string(nil), argv[1:]...), mode, sp.Endpoint, strconv.Itoa(sp.Size), strconv.Itoa(sp.Count))
	cmd := childCommand(ctx, argv[0], args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	name := filepath.Base(argv[len(argv)-1])
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return Sample{}, fmt.Errorf("%s %s: %w: %s", name, mode, err, lastLine(stderr.String()))
	}
	s, err := peerSample(name, mode, stdout.Bytes(), sp)
	if err != nil {
		return Sample{}, err
	}
	s.ChildCPU = processCPU(cmd.ProcessState)
	return s, nil
}

// childCommand is the command of a child row's process: killed when ctx is done and
// (Pdeathsig) if this process dies.
func childCommand(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// processCPU is the user and system CPU a child process used, start-up included.
func processCPU(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return 0
}

// peerSample turns the JSON report a child printed (out) into a Sample, checking that
// it covers the sp.Count messages asked for; name and mode are for errors.
func peerSample(name, mode string, out []byte, sp Spec) (Sample, error) {
	var rep peerReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &rep); err != nil {
		return Sample{}, fmt.Errorf("%s %s: bad report %q: %w", name, mode, lastLine(string(out)), err)
	}
	if rep.Count != sp.Count || rep.ElapsedNS <= 0 {
		return Sample{}, fmt.Errorf("%s %s: report for %d messages in %d ns, asked for %d", name, mode, rep.Count, rep.ElapsedNS, sp.Count)
	}
	s := Sample{
		Count:   rep.Count,
		Elapsed: time.Duration(rep.ElapsedNS),
		UserCPU: time.Duration(rep.UserNS),
		SysCPU:  time.Duration(rep.SysNS),
		Allocs:  -1,
		P50:     time.Duration(rep.P50NS),
		P99:     time.Duration(rep.P99NS),
		P999:    time.Duration(rep.P999NS),
		Peer:    map[string]string{},
	}
	for k, v := range map[string]string{"libzmq": rep.Libzmq, "pyzmq": rep.PyZMQ, "python": rep.Python} {
		if v != "" {
			s.Peer[k] = v
		}
	}
	return s, nil
}

// lastLine is the last non-empty line of s, for error messages.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "(no output)"
}

// errMissing marks a row that cannot run here; its message says why.
var errMissing = errors.New("row missing")
