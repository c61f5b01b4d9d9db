package zmqevented_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestHWMBlocksThenDelivers: a PUSH with SNDHWM=1 towards a PULL that does not
// read stops after a bounded number of messages; once the PULL reads, every message
// arrives, once, in order.
func TestHWMBlocksThenDelivers(t *testing.T) {
	cases := []struct {
		transport string
		size, n   int
		bound     int // most messages libzmq (and the kernel, for ipc/tcp) may hold
	}{
		{"inproc", 16, 200, 4},
		{"ipc", 64 << 10, 400, 300},
		{"tcp", 64 << 10, 400, 300},
	}
	for _, tc := range cases {
		t.Run(tc.transport, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			hwm := []zmqevented.Option{zmqevented.WithSendHWM(1), zmqevented.WithRecvHWM(1)}
			pull, push := zmqtest.Pair(t, c, zmqtest.Endpoints(t)[tc.transport], zmq4.PULL, zmq4.PUSH, hwm, hwm)
			ctx := zmqtest.Ctx(t, 20*time.Second)

			var sent atomic.Int64
			sendErr := make(chan error, 1)
			go func() {
				payload := make([]byte, tc.size)
				for i := range tc.n {
					binary.BigEndian.PutUint32(payload, uint32(i))
					if err := push.Send(ctx, payload); err != nil {
						sendErr <- err
						return
					}
					sent.Add(1)
				}
				sendErr <- nil
			}()

			// Wait until the sender has stalled: no progress over 100 ms.
			last := int64(-1)
			for {
				time.Sleep(100 * time.Millisecond)
				now := sent.Load()
				if now == last {
					break
				}
				last = now
			}
			require.Less(t, last, int64(tc.n), "the sender never blocked")
			require.LessOrEqual(t, last, int64(tc.bound), "the sender got further than the HWMs allow")

			for i := range tc.n {
				m, err := pull.Recv(ctx)
				require.NoError(t, err)
				require.Len(t, m, 1)
				require.Len(t, m[0], tc.size)
				require.Equal(t, uint32(i), binary.BigEndian.Uint32(m[0]), "message %d out of order", i)
			}
			require.NoError(t, <-sendErr)
			_, err := pull.TryRecv()
			require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "a message arrived twice")
		})
	}
}

// TestBurst: messages that were queued before the receiver started waiting,
// and a burst that lands while it is parked, are all received (one edge, many messages).
func TestBurst(t *testing.T) {
	const n = 10_000
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		pull, push := zmqtest.Pair(t, c, endpoint, zmq4.PULL, zmq4.PUSH, nil, nil)
		ctx := zmqtest.Ctx(t, 20*time.Second)

		send := func(from, to int) error {
			for i := from; i < to; i++ {
				if err := push.Send(ctx, seqFrame(i)); err != nil {
					return err
				}
			}
			return nil
		}
		recv := func(from, to int) {
			for i := from; i < to; i++ {
				m, err := pull.Recv(ctx)
				require.NoError(t, err)
				require.Equal(t, string(seqFrame(i)), string(m[0]))
			}
		}

		// Queued first: the sender fills both HWMs and blocks; then the receiver starts.
		var g errgroup.Group
		g.Go(func() error { return send(0, n) })
		time.Sleep(100 * time.Millisecond)
		recv(0, n)
		require.NoError(t, g.Wait())

		// Parked first: the receiver waits on an empty socket, then a burst arrives.
		done := make(chan struct{})
		go func() {
			defer close(done)
			recv(n, 2*n)
		}()
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, send(n, 2*n))
		<-done
	})
}

// TestPingPong: REQ/REP and DEALER/ROUTER ping-pong, no stall: 100,000 round
// trips over tcp, 20,000 over inproc and ipc (the wake path is the same; the transports
// run side by side to keep the test short).
func TestPingPong(t *testing.T) {
	rounds := map[string]int{"inproc": 20_000, "ipc": 20_000, "tcp": 100_000}
	for _, pattern := range []struct {
		name   string
		server zmq4.Type
		client zmq4.Type
	}{{"REQ-REP", zmq4.REP, zmq4.REQ}, {"DEALER-ROUTER", zmq4.ROUTER, zmq4.DEALER}} {
		for transport, n := range rounds {
			t.Run(pattern.name+"/"+transport, func(t *testing.T) {
				t.Parallel()
				c := zmqtest.NewContext(t)
				server, client := zmqtest.Pair(t, c, zmqtest.Endpoints(t)[transport], pattern.server, pattern.client, nil, nil)
				ctx := zmqtest.Ctx(t, 120*time.Second)
				var g errgroup.Group
				g.Go(func() error {
					for range n {
						m, err := server.Recv(ctx)
						if err != nil {
							return err
						}
						if err := server.Send(ctx, m...); err != nil {
							return err
						}
					}
					return nil
				})
				for i := range n {
					require.NoError(t, client.Send(ctx, seqFrame(i)))
					m, err := client.Recv(ctx)
					require.NoError(t, err)
					require.Equal(t, string(seqFrame(i)), string(m[0]))
				}
				require.NoError(t, g.Wait())
			})
		}
	}
}

// TestSplitDirections: on each of two connected DEALERs, one goroutine only
// sends and another only receives; 200,000 messages each way, in order, no stall.
func TestSplitDirections(t *testing.T) {
	const n = 200_000
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		a, b := zmqtest.Pair(t, c, endpoint, zmq4.DEALER, zmq4.DEALER, nil, nil)
		ctx := zmqtest.Ctx(t, 60*time.Second)
		var g errgroup.Group
		for _, s := range []*zmqevented.Socket{a, b} {
			g.Go(func() error {
				for i := range n {
					if err := s.Send(ctx, seqFrame(i)); err != nil {
						return err
					}
				}
				return nil
			})
			g.Go(func() error {
				for i := range n {
					m, err := s.Recv(ctx)
					if err != nil {
						return err
					}
					if string(m[0]) != string(seqFrame(i)) {
						return fmt.Errorf("got %q, want %q", m[0], seqFrame(i))
					}
				}
				return nil
			})
		}
		require.NoError(t, g.Wait())
	})
}

// TestManyProducers: 8 goroutines × 100,000 messages into one PUSH, one PULL:
// exact count, each producer's order kept.
func TestManyProducers(t *testing.T) {
	const producers, each = 8, 100_000
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, nil, nil)
	ctx := zmqtest.Ctx(t, 60*time.Second)
	var g errgroup.Group
	for p := range producers {
		g.Go(func() error {
			msg := make([]byte, 8)
			for i := range each {
				binary.BigEndian.PutUint32(msg, uint32(p))
				binary.BigEndian.PutUint32(msg[4:], uint32(i))
				if err := push.Send(ctx, msg); err != nil {
					return err
				}
			}
			return nil
		})
	}
	next := make([]uint32, producers)
	for range producers * each {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		p, i := binary.BigEndian.Uint32(m[0]), binary.BigEndian.Uint32(m[0][4:])
		require.Equal(t, next[p], i, "producer %d out of order", p)
		next[p]++
	}
	require.NoError(t, g.Wait())
	for p := range producers {
		require.Equal(t, uint32(each), next[p])
	}
	_, err := pull.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock)
}

// TestCancelStorm: while 100,000 three-frame messages flow, receives are
// cancelled at random short timeouts; every message is still received exactly once, in
// order, frames intact. Two receivers share the socket in the second variant.
func TestCancelStorm(t *testing.T) {
	const n = 100_000
	for _, receivers := range []int{1, 2} {
		t.Run(fmt.Sprintf("receivers=%d", receivers), func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, nil, nil)
			ctx := zmqtest.Ctx(t, 60*time.Second)
			go func() {
				for i := range n {
					seq := seqFrame(i)
					if push.Send(ctx, []byte("head"), seq, append([]byte("sum:"), seq...)) != nil {
						return
					}
					if i%512 == 0 {
						time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
					}
				}
			}()

			var mu sync.Mutex
			seen := make([]int, n)
			var received, cancelled atomic.Int64
			var g errgroup.Group
			for range receivers {
				g.Go(func() error {
					last := -1
					for received.Load() < n {
						rctx, cancel := context.WithTimeout(ctx, time.Duration(rand.IntN(50))*time.Microsecond)
						m, err := pull.Recv(rctx)
						cancel()
						if err != nil {
							if rctx.Err() == nil || ctx.Err() != nil {
								return err
							}
							cancelled.Add(1)
							continue
						}
						if len(m) != 3 || string(m[0]) != "head" || string(m[2]) != "sum:"+string(m[1]) {
							return fmt.Errorf("torn message %q", m)
						}
						var i int
						if _, err := fmt.Sscanf(string(m[1]), "%d", &i); err != nil {
							return err
						}
						if i <= last {
							return fmt.Errorf("message %d after %d", i, last)
						}
						last = i
						mu.Lock()
						seen[i]++
						mu.Unlock()
						received.Add(1)
					}
					return nil
				})
			}
			require.NoError(t, g.Wait())
			for i, k := range seen {
				require.Equal(t, 1, k, "message %d received %d times", i, k)
			}
			require.Positive(t, cancelled.Load(), "no receive was ever cancelled: the test tested nothing")
			t.Logf("%d receives cancelled", cancelled.Load())
		})
	}
}
