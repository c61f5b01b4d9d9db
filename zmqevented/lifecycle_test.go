package zmqevented_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestCloseWakesWaiters: Close while 100 goroutines wait in Send and Recv on one
// socket: every call returns ErrClosed within 100 ms, no goroutine is left, and the
// context terminates.
func TestCloseWakesWaiters(t *testing.T) {
	for _, closer := range []string{"Socket.Close", "Context.Close"} {
		t.Run(closer, func(t *testing.T) {
			c, err := zmqevented.NewContext(zmqevented.WithLinger(0))
			require.NoError(t, err)
			// A DEALER with no peer: Send has no pipe to write to and Recv nothing to read.
			s, err := c.NewSocket(zmq4.DEALER)
			require.NoError(t, err)
			ctx := zmqtest.Ctx(t, 10*time.Second)

			type result struct {
				err  error
				when time.Time
			}
			results := make(chan result, 100)
			var started sync.WaitGroup
			for i := range 100 {
				started.Add(1)
				go func() {
					started.Done()
					var err error
					if i%2 == 0 {
						err = s.Send(ctx, []byte("never"))
					} else {
						_, err = s.Recv(ctx)
					}
					results <- result{err, time.Now()}
				}()
			}
			started.Wait()
			time.Sleep(200 * time.Millisecond) // let them all park
			require.Empty(t, results, "a call returned before Close")

			start := time.Now()
			if closer == "Socket.Close" {
				require.NoError(t, s.Close())
			} else {
				zmqtest.CloseWithin(t, c)
			}
			for range 100 {
				r := <-results
				require.ErrorIs(t, r.err, zmqevented.ErrClosed)
				require.Less(t, r.when.Sub(start), 100*time.Millisecond)
			}
			zmqtest.CloseWithin(t, c)
			goleak.VerifyNone(t)
		})
	}
}

// TestCancelledWaitsStayFlat: 200,000 cancelled waits, half of them as the
// socket's leader and half as followers, leave goroutines and heap where they were.
func TestCancelledWaitsStayFlat(t *testing.T) {
	c := zmqtest.NewContext(t)
	s, err := c.NewSocket(zmq4.PULL)
	require.NoError(t, err)
	require.NoError(t, s.Bind("inproc://flat"))

	measure := func() (goroutines int, heap uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	// cancelled runs n receives that each wait until a timer cancels them.
	cancelled := func(n int) {
		var wg sync.WaitGroup
		for range 2 { // two at a time: one leads, one follows
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n / 2 {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Microsecond)
					_, err := s.Recv(ctx)
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Recv: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	cancelled(2_000) // warm up pools and the poller
	g0, h0 := measure()
	cancelled(100_000)
	g1, h1 := measure()
	cancelled(100_000)
	g2, h2 := measure()
	t.Logf("goroutines %d→%d→%d, heap %d→%d→%d", g0, g1, g2, h0, h1, h2)
	require.LessOrEqual(t, g2, g0, "goroutines grew")
	require.Less(t, h2, h0+1<<20, "heap grew by more than 1 MiB over 200,000 cancelled waits")
	require.Less(t, h2, h1+512<<10, "heap grew between the two halves")
}

// TestXPubNoDropWaitsWithoutSpinning: an XPUB with XPUB_NODROP at a slow
// subscriber's HWM makes Send wait; during a one-second stall the process uses under 5%
// of a core; once the subscriber reads, every message arrives, in order.
func TestXPubNoDropWaitsWithoutSpinning(t *testing.T) {
	const n = 2_000
	c := zmqtest.NewContext(t)
	xpub, sub := zmqtest.Pair(t, c, "inproc://nodrop", zmq4.XPUB, zmq4.SUB,
		[]zmqevented.Option{zmqevented.WithXPubNoDrop(true), zmqevented.WithSendHWM(10)},
		[]zmqevented.Option{zmqevented.WithRecvHWM(10), zmqevented.WithSubscribe("")})
	ctx := zmqtest.Ctx(t, 30*time.Second)
	subscription, err := xpub.Recv(ctx) // XPUB sees the subscription: sends now reach the SUB
	require.NoError(t, err)
	require.Equal(t, []string{"\x01"}, toStrings(subscription))

	var mu sync.Mutex
	sent := 0
	sendErr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := xpub.Send(ctx, seqFrame(i)); err != nil {
				sendErr <- err
				return
			}
			mu.Lock()
			sent++
			mu.Unlock()
		}
		sendErr <- nil
	}()
	progress := func() int {
		mu.Lock()
		defer mu.Unlock()
		return sent
	}
	last := -1
	for last != progress() {
		last = progress()
		time.Sleep(100 * time.Millisecond)
	}
	require.Less(t, last, n, "XPUB_NODROP never made Send wait")

	before := cpuTime(t)
	time.Sleep(time.Second)
	used := cpuTime(t) - before
	require.Equal(t, last, progress(), "Send made progress while the subscriber was not reading")
	t.Logf("stalled at %d of %d messages; CPU during a 1 s stall: %v", last, n, used)
	require.Less(t, used, 50*time.Millisecond, "Send spins while it waits")

	for i := range n {
		m, err := sub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, string(seqFrame(i)), string(m[0]))
	}
	require.NoError(t, <-sendErr)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lateCancelCtx is a context that its first two Err calls report live and every later
// one cancelled, and whose Done channel is already closed and shared: what a
// context.WithTimeout looks like when its timer fires between a call's first checks and
// its park, before anyone asked for its Done channel (the context package then hands
// out one closed channel shared by all such contexts).
type lateCancelCtx struct {
	context.Context
	done  <-chan struct{}
	calls atomic.Int32
}

func (c *lateCancelCtx) Done() <-chan struct{} { return c.done }

func (c *lateCancelCtx) Err() error {
	if c.calls.Add(1) <= 2 {
		return nil
	}
	return context.Canceled
}

// TestCancelledBeforeParking: a context that ends just before its call parks ends the
// call, also when its Done channel is one an earlier call's context already had.
func TestCancelledBeforeParking(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, _ := zmqtest.Bind(t, c, zmq4.PULL, "inproc://late-cancel")
	shared := make(chan struct{})
	close(shared)
	for i := range 3 {
		ctx := &lateCancelCtx{Context: context.Background(), done: shared}
		done := make(chan error, 1)
		go func() {
			_, err := pull.Recv(ctx)
			done <- err
		}()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled, "call %d", i)
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d parked with its context already cancelled", i)
		}
	}
}
