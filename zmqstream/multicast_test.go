package zmqstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// TestMulticastStream: PUB/SUB over epgm and norm between two hosts (network
// namespaces joined by a veth pair), the SUB read as a Stream: a PUB on host A
// publishes two topics; the Stream of a SUB on host B subscribed to one yields it,
// in order and without gaps.
func TestMulticastStream(t *testing.T) {
	for _, transport := range []string{"epgm", "norm"} {
		t.Run(transport, func(t *testing.T) {
			noLeaks(t)
			h := zmqtest.NewHosts(t)
			ctx := zmqtest.Ctx(t, time.Minute)
			pubEP, subEP := h.Multicast(transport, "239.192.1.1", 5555)
			var pub, sub *zmqevented.Socket
			var errs [2]error
			h.In(h.B, func() {
				sub, errs[1] = zmqtest.NewContext(t).NewSocket(zmq4.SUB, zmqevented.WithSubscribe("w"))
				if errs[1] == nil {
					errs[1] = sub.Connect(subEP)
				}
			})
			h.In(h.A, func() {
				pub, errs[0] = zmqtest.NewContext(t).NewSocket(zmq4.PUB, zmqevented.WithMulticastRate(10_000))
				if errs[0] == nil {
					errs[0] = pub.Connect(pubEP)
				}
			})
			require.NoError(t, errs[0], "PUB on host A, %s", pubEP)
			require.NoError(t, errs[1], "SUB on host B, %s", subEP)

			pctx, stop := context.WithCancel(ctx)
			published := make(chan struct{})
			go func() {
				defer close(published)
				for i := 0; pctx.Err() == nil; i++ {
					// One frame each: libzmq 4.3.4's PGM receiver can abort on multipart
					// messages at RCVHWM (see zmqevented's package doc).
					if pub.Send(pctx, append([]byte("w"), seq(i)...)) != nil || pub.Send(pctx, append([]byte("x"), seq(i)...)) != nil {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			defer func() { stop(); <-published }()

			st := newStream(t, sub, zmqstream.WithLimit(300))
			first, n := -1, 0
			for msg, err := range st.All(ctx) {
				require.NoError(t, err)
				require.Len(t, msg, 1)
				require.Equal(t, "w", string(msg[0][:1]))
				i := unseq(t, [][]byte{msg[0][1:]})
				if first < 0 {
					first = i
				}
				require.Equal(t, first+n, i, "message %d of the group", n)
				n++
			}
			require.Equal(t, 300, n)
		})
	}
}
