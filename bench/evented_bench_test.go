package bench

import (
	"context"
	"testing"

	"github.com/pebbe/zmq4"
)

func init() {
	pushPullLayers["zmqevented"] = benchEvPushPull
	reqRepLayers["zmqevented"] = benchEvReqRep
}

// benchEvPushPull is zmqevented on both ends: a peer goroutine calling Send(ctx, b) for
// ever, and one Recv(ctx) per iteration. Its raw twins are benchRawPushPull's rows.
func benchEvPushPull(b *testing.B, transport string, size int) {
	p := newEvPair(b, transport, zmq4.PULL, zmq4.PUSH)
	msg := make([]byte, size)
	p.goPeer(func(ctx context.Context) {
		for ctx.Err() == nil {
			if err := p.conn.Send(ctx, msg); err != nil {
				return
			}
		}
	})
	ctx := b.Context()
	if _, err := p.bound.Recv(ctx); err != nil { // warm-up: the connection is up
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.bound.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEvReqRep is zmqevented on both ends: a peer goroutine echoing on REP (Recv,
// Send) and one Send + Recv round trip per iteration on REQ.
func benchEvReqRep(b *testing.B, transport string, size int) {
	p := newEvPair(b, transport, zmq4.REP, zmq4.REQ)
	p.goPeer(func(ctx context.Context) {
		for {
			m, err := p.bound.Recv(ctx)
			if err != nil {
				return
			}
			if err := p.bound.Send(ctx, m...); err != nil {
				return
			}
		}
	})
	ctx := b.Context()
	msg := make([]byte, size)
	benchRoundTrips(b, size, func() {
		if err := p.conn.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := p.conn.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	})
}
