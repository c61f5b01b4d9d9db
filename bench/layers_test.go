package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/zmqasync/zmqasync/bench/internal/rigs"
)

// The microbenchmarks run the loops of package rigs, the ones cmd/zmqbench's rows run,
// with b as their Looper: every loop is `for b.Loop()` on its timed end, after one
// untimed warm-up message (or round trip), one message (or round trip) per iteration.
// A suite runs its layers side by side per transport and size, named
// transport/size/layer, the raw pebbe twin first:
//
//	BenchmarkPushPull/<transport>/<size>/{raw,raw-msg,zmqevented,zmqevented-recvmany}   PUSH → PULL, 16 B … 64 KiB
//	BenchmarkReqRep/<transport>/<size>/{raw,raw-msg,zmqevented}     REQ/REP round trips, 16 B and 4 KiB
//
// and the layer suites (sink_bench_test.go, stream_bench_test.go,
// requester_bench_test.go) theirs.

// benchTransports and benchSizes are what BenchmarkPushPull covers, benchRTTSizes the
// sizes of BenchmarkReqRep and benchLayerSizes those of the zmqsink and zmqstream
// suites (over benchTransports too).
var (
	benchTransports = []string{"inproc", "tcp"}
	benchSizes      = []int{16, 256, 4 << 10, 64 << 10}
	benchRTTSizes   = []int{16, 4 << 10}
	benchLayerSizes = []int{16, 4 << 10}
)

// BenchmarkPushPull measures PUSH → PULL throughput over inproc and tcp at 16 B, 256 B,
// 4 KiB and 64 KiB: raw pebbe (raw: RecvBytes, one frame per call, the baseline;
// raw-msg: RecvMessageBytes, the whole-message receive zmqevented also does),
// zmqevented on both ends, and zmqevented's RecvMany in batches of 64 from the raw
// sender (zmqevented-recvmany, zmqbench's row of that key). ns/op is per message; MB/s
// from b.SetBytes; allocs/op counts sender and receiver.
func BenchmarkPushPull(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":                 rigs.RawThroughput,
		"raw-msg":             rigs.RawMessageThroughput,
		"zmqevented":          rigs.EventedThroughput,
		"zmqevented-recvmany": rigs.EventedRecvMany,
	}, benchTransports, benchSizes)
}

// BenchmarkReqRep measures sequential REQ/REP round trips over inproc and tcp at 16 B
// and 4 KiB, raw pebbe first. ns/op is per round trip.
func BenchmarkReqRep(b *testing.B) {
	runLayers(b, map[string]rigs.Func{
		"raw":        rigs.RawReqRep,
		"raw-msg":    rigs.RawMessageReqRep,
		"zmqevented": rigs.EventedReqRep,
	}, benchTransports, benchRTTSizes)
}

// runLayers runs every loop of layers for each transport and size, the layers of one
// transport and size adjacent: raw first, then raw-msg, then the rest by name.
func runLayers(b *testing.B, layers map[string]rigs.Func, transports []string, sizes []int) {
	names := make([]string, 0, len(layers))
	for n := range layers {
		names = append(names, n)
	}
	rank := map[string]int{"raw": -2, "raw-msg": -1}
	slices.SortFunc(names, func(x, y string) int {
		if rx, ry := rank[x], rank[y]; rx != ry {
			return rx - ry
		}
		if x < y {
			return -1
		}
		return 1
	})
	for _, tr := range transports {
		for _, n := range sizes {
			for _, name := range names {
				b.Run(fmt.Sprintf("%s/%s/%s", tr, sizeName(n), name), func(b *testing.B) {
					runLoop(b, tr, rigs.Spec{Size: n}, layers[name])
				})
			}
		}
	}
}

// runLoop runs loop over transport with b as its Looper, sp.Size bytes per iteration
// for MB/s and allocations reported, and fails b if the loop fails.
func runLoop(b *testing.B, transport string, sp rigs.Spec, loop rigs.Func) {
	b.Helper()
	dir := ""
	if transport == "ipc" {
		dir = b.TempDir()
	}
	sp.Endpoint = rigs.Endpoint(transport, dir)
	b.ReportAllocs()
	b.SetBytes(int64(sp.Size))
	if err := loop(b.Context(), b, sp); err != nil {
		b.Fatal(err)
	}
}

// withOptions is loop, one of the Stream loops, with opts.
func withOptions[O any](loop func(context.Context, rigs.Looper, rigs.Spec, ...O) error, opts ...O) rigs.Func {
	return func(ctx context.Context, l rigs.Looper, sp rigs.Spec) error { return loop(ctx, l, sp, opts...) }
}

// sizeName is a size for benchmark names: "16B", "4KiB".
func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
