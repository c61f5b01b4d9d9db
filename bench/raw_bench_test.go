package bench

import "testing"

func init() {
	pushPullLayers["raw"] = func(b *testing.B, tr string, n int) { benchRawPushPull(b, tr, n, false) }
	pushPullLayers["raw-msg"] = func(b *testing.B, tr string, n int) { benchRawPushPull(b, tr, n, true) }
	reqRepLayers["raw"] = benchRawReqRep
}

// BenchmarkPushPull measures PUSH → PULL throughput for every registered layer over
// inproc and tcp at 16 B, 256 B, 4 KiB and 64 KiB: name transport/size/layer, the raw
// pebbe twins first (raw: RecvBytes, one frame per call; raw-msg: RecvMessageBytes,
// the whole-message receive zmqevented also does). ns/op is per message; MB/s from
// b.SetBytes; allocs/op counts sender and receiver.
func BenchmarkPushPull(b *testing.B) {
	runLayers(b, pushPullLayers, benchTransports, benchSizes)
}

// BenchmarkReqRep measures sequential REQ/REP round trips for every registered layer
// over inproc and tcp at 16 B and 4 KiB, raw pebbe first. ns/op is per round trip.
func BenchmarkReqRep(b *testing.B) {
	runLayers(b, reqRepLayers, benchTransports, benchRTTSizes)
}
