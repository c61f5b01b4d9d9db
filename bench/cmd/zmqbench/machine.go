package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sys/unix"
)

// Machine is where and with what the suite ran.
type Machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	Kernel     string            `json:"kernel"`
	OSArch     string            `json:"os_arch"`
	Go         string            `json:"go"`
	Libzmq     string            `json:"libzmq"`
	Modules    map[string]string `json:"modules"`
	CC         string            `json:"cc,omitempty"`
	Python     string            `json:"python,omitempty"`
}

func machineInfo(ctx context.Context) Machine {
	major, minor, patch := zmq4.Version()
	m := Machine{
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		OSArch:     runtime.GOOS + "/" + runtime.GOARCH,
		Go:         runtime.Version(),
		Libzmq:     fmt.Sprintf("%d.%d.%d", major, minor, patch),
		Modules:    map[string]string{},
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/pebbe/zmq4", "github.com/go-zeromq/zmq4", "gonum.org/v1/plot",
				"github.com/reactivex/rxgo/v2":
				m.Modules[d.Path] = d.Version
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, "cc", "--version").Output(); err == nil {
		m.CC = firstLine(string(out))
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
