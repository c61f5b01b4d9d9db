package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// cTwoRow is bench/clib/zmqbench-c in two processes, as libzmq's own perf tools
// local_thr and remote_thr measure throughput: a receiving process that binds and
// times, and a sending process that connects. A reference beside the one-process C
// row, not a ceiling.
type cTwoRow struct{}

func init() { register(cTwoRow{}) }

// senderExit bounds how long the sending process may take to exit once the receiver
// has every message: it only has to finish closing its socket and context.
const senderExit = 10 * time.Second

func (cTwoRow) Key() string  { return keyCTwo }
func (cTwoRow) Name() string { return "C libzmq, two processes (local_thr/remote_thr)" }
func (cTwoRow) About() string {
	return "bench/clib/zmqbench-c as two child processes, as libzmq's local_thr and remote_thr measure " +
		"throughput (no Go on the path): `zmqbench-c recv` binds a PULL (linger 0) and prints the endpoint it " +
		"resolved; then `zmqbench-c send` connects a PUSH and sends spec.Count+1 messages with zmq_send " +
		"(linger left at libzmq's default, so its context waits until every message is passed on). The " +
		"receiver takes the first message untimed and times the other spec.Count with zmq_msg_recv. Each " +
		"process has one libzmq context with one I/O thread. Time and CPU (getrusage deltas) cover the " +
		"receiver's timed loop only; both processes' whole CPU is in latest.json. tcp only: inproc " +
		"does not cross processes, and over ipc the receiver missed messages of a sender process that had " +
		"closed its socket (libzmq #4660) in about one run in three, so that transport is not measured."
}

// Available is the one-process C row's: the same program.
func (cTwoRow) Available(ctx context.Context) error { return cRow{}.Available(ctx) }

// Skip marks inproc, which cannot cross processes, and ipc, where a closing sender
// process loses its tail (libzmq #4660), as not measured.
func (cTwoRow) Skip(_ Kind, sp Spec) string {
	switch sp.Transport {
	case "inproc":
		return "n/a: inproc does not cross processes"
	case "ipc":
		return "n/a: over ipc libzmq drops a closing sender's tail (libzmq #4660)"
	}
	return ""
}

// Throughput: the receiving process, then the sending one; the receiver's report.
func (cTwoRow) Throughput(ctx context.Context, sp Spec) (Sample, error) {
	return runTwoProcesses(ctx, cBuild.path, sp)
}

// runTwoProcesses starts bin's receiving process on sp.Endpoint, reads the endpoint it
// bound, starts the sending process on it and returns the receiver's report as a
// Sample, ChildCPU covering both processes. A failure of either process, ctx ending
// or childTimeout kills both; a sender still running senderExit after the receiver
// has succeeded is killed and reported.
func runTwoProcesses(ctx context.Context, bin string, sp Spec) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, childTimeout)
	defer cancel()
	size, count := strconv.Itoa(sp.Size), strconv.Itoa(sp.Count)
	recv := childCommand(ctx, bin, "recv", sp.Endpoint, size, count)
	var recvErr, sendErr bytes.Buffer
	recv.Stderr = &recvErr
	out, err := recv.StdoutPipe()
	if err != nil {
		return Sample{}, err
	}
	if err := recv.Start(); err != nil {
		return Sample{}, fmt.Errorf("zmqbench-c recv: %w", err)
	}
	failed := func(who string, err error, stderr *bytes.Buffer) error {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return fmt.Errorf("zmqbench-c %s: %w: %s", who, err, lastLine(stderr.String()))
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	ep, ok := strings.CutPrefix(strings.TrimSpace(line), "endpoint ")
	if err != nil || !ok {
		cancel()
		_, _ = io.Copy(io.Discard, br)
		werr := recv.Wait()
		return Sample{}, failed("recv", errors.Join(fmt.Errorf("no endpoint line (got %q)", line), err, werr), &recvErr)
	}
	send := childCommand(ctx, bin, "send", ep, size, count)
	send.Stderr = &sendErr
	if err := send.Start(); err != nil {
		cancel()
		_, _ = io.Copy(io.Discard, br)
		_ = recv.Wait()
		return Sample{}, fmt.Errorf("zmqbench-c send: %w", err)
	}
	sent := make(chan error, 1)
	go func() {
		err := send.Wait()
		if err != nil {
			cancel() // the receiver would wait for messages that never come
		}
		sent <- err
	}()
	report, rerr := io.ReadAll(br)
	if err := recv.Wait(); err != nil || rerr != nil {
		cancel()
		err = failed("recv", errors.Join(err, rerr), &recvErr)
		if serr := <-sent; serr != nil && sendErr.Len() > 0 { // it failed by itself, not killed
			err = errors.Join(err, failed("send", serr, &sendErr))
		}
		return Sample{}, err
	}
	var serr error
	select {
	case serr = <-sent:
	case <-time.After(senderExit):
		cancel()
		serr = errors.Join(fmt.Errorf("still running %v after the receiver finished", senderExit), <-sent)
	}
	if serr != nil {
		return Sample{}, failed("send", serr, &sendErr)
	}
	s, err := peerSample("zmqbench-c", "recv", report, sp)
	if err != nil {
		return Sample{}, err
	}
	s.ChildCPU = processCPU(recv.ProcessState) + processCPU(send.ProcessState)
	return s, nil
}
