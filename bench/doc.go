// Package bench is zmqasync's benchmark suite. It has no API: it holds the go test
// microbenchmarks of every layer, each beside its raw pebbe/zmq4 twin, and, in
// sub-directories, the comparison program behind `make bench` (cmd/zmqbench), the
// loops both run (internal/rigs), the C program zmqbench runs as a reference for libzmq
// without Go (clib) and the pyzmq asyncio peer (pyzmq_peer.py).
//
// The suite is a module of its own, github.com/zmqasync/zmqasync/bench, as zap keeps
// its comparison benchmarks: what only the benchmarks need (go-zeromq/zmq4, gonum/plot
// for the chart) never reaches the library's users. Its go.mod replaces the library
// with the working tree (../), so it always measures the code beside it. From bench/:
//
//	go test -run '^$' -bench . -benchmem ./...            # make bench-micro
//	go test -run '^$' -bench 'PushPull/tcp/16B' .         # one scenario, every layer
//	go run ./cmd/zmqbench -out results                    # make bench
//
// Each layer's message loop exists once, in package rigs; a microbenchmark runs it
// with b as its Looper (`for b.Loop()` on the loop's timed end, after b.ReportAllocs
// and b.SetBytes), zmqbench with a counted, metered loop, so the two measure the same
// thing. A suite runs its layers side by side per transport and size, raw pebbe first
// (see runLayers in layers_test.go), so that each layered result has its raw twin in
// the same run. ns/op is per message (PUSH/PULL) or per round trip (REQ/REP); allocs/op
// counts both ends.
//
// # Lifecycle
//
// Each benchmark's loop makes its own libzmq context with linger 0 and terminates it
// before it returns, after every goroutine it started has returned; TestMain checks
// with goleak that none is left.
//
// # Concurrency
//
// Each loop has one goroutine on the far end (sender or echo server) and the benchmark
// loop on the near end; benchmarks do not run in parallel with each other.
//
// # Errors
//
// A failing socket call fails the benchmark with b.Fatal; absolute numbers are noisy
// on a shared machine, so compare ratios within one run, never across runs.
package bench
