package main

import (
	"fmt"
	"syscall"
)

const (
	wantNoFile   = 65536 // RLIMIT_NOFILE asked for when the idle scenario runs
	fdsPerSocket = 2     // a zmqevented Socket: libzmq's ZMQ_FD and this package's dup of it
	fdMargin     = 1024  // descriptors kept for everything else
)

// fitIdle makes room for the idle-socket scenarios: it raises RLIMIT_NOFILE (root may
// raise the hard limit too) and, if the limit stays too low, shrinks the scenario and
// notes why.
func fitIdle(pl *plan) {
	for i := range pl.Scenarios {
		sc := &pl.Scenarios[i]
		if sc.Kind != KindIdle {
			continue
		}
		need := uint64(sc.Sockets*fdsPerSocket + fdMargin)
		have, err := raiseNoFile(max(need, wantNoFile))
		if have >= need {
			continue
		}
		n := int(have-min(have, fdMargin)) / fdsPerSocket &^ 1
		sc.note = fmt.Sprintf("%d sockets instead of %d: RLIMIT_NOFILE is %d and could not be raised (%v)",
			n, sc.Sockets, have, err)
		sc.Sockets = n
	}
}

// raiseNoFile raises the soft (and if need be the hard) RLIMIT_NOFILE to want, or as
// far as allowed, and returns the soft limit in force.
func raiseNoFile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: max(lim.Max, want)})
	if err == nil {
		return want, nil
	}
	if lim.Cur < lim.Max && syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max}) == nil {
		return lim.Max, err
	}
	return lim.Cur, err
}
