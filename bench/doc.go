// Package bench is zmqasync's benchmark suite. It has no API: it holds the go test
// microbenchmarks of every layer, each beside its raw pebbe/zmq4 twin, and, in
// sub-directories, the comparison program behind `make bench` (cmd/zmqbench), the C
// program it runs as a reference for libzmq without Go (clib) and the pyzmq asyncio
// peer (pyzmq_peer.py).
//
//	go test -run '^$' -bench . -benchmem ./bench/          # make bench-micro
//	go test -run '^$' -bench 'PushPull/tcp/16B' ./bench/   # one scenario, every layer
//	go run ./bench/cmd/zmqbench -out bench/results         # make bench
//
// BenchmarkPushPull and BenchmarkReqRep run every registered layer (see
// pushPullLayers and reqRepLayers in pairs_test.go) side by side per transport and
// size, raw pebbe first, so that each layered result has its raw twin in the same run.
// ns/op is per message (PUSH/PULL) or per round trip (REQ/REP); allocs/op counts both
// ends.
//
// # Lifecycle
//
// Each benchmark makes its own libzmq context with linger 0 and terminates it in
// b.Cleanup, after every goroutine it started has returned.
//
// # Concurrency
//
// Each pair has one goroutine on the far end (sender or echo server) and the
// benchmark loop on the near end; benchmarks do not run in parallel with each other.
//
// # Errors
//
// A failing socket call fails the benchmark with b.Fatal; absolute numbers are noisy
// on a shared machine, so compare ratios within one run, never across runs.
package bench
