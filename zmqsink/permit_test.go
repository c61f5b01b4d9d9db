package zmqsink_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/zmqasync/zmqasync/zmqsink"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
)

// TestPermitsDeterministic checks the slot accounting in a synctest bubble, where
// time is fake and "blocked" is exact: only permits are used, so the writer stays idle
// and nothing waits on the socket.
func TestPermitsDeterministic(t *testing.T) {
	c := zmqtest.NewContext(t)
	push, _ := zmqtest.Bind(t, c, zmq4.PUSH, "inproc://"+t.Name())
	synctest.Test(t, func(t *testing.T) {
		k, err := zmqsink.New(push, zmqsink.WithQueue(2), zmqsink.WithCloseSocket(false), zmqsink.WithLogger(zaptest.NewLogger(t)))
		require.NoError(t, err)
		ctx := t.Context()
		p1, err := k.Reserve(ctx)
		require.NoError(t, err)
		p2, err := k.TryReserve()
		require.NoError(t, err)

		// A deadline ends the wait exactly when it expires, and takes nothing.
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		start := time.Now()
		_, err = k.Reserve(dctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, time.Second, time.Since(start))

		// Waiters are served first come, first served.
		var mu sync.Mutex
		var order []int
		got := make([]*zmqsink.Permit, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				p, err := k.Reserve(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				got[i] = p
				mu.Unlock()
			})
			synctest.Wait() // each waiter is queued before the next starts
		}
		require.Empty(t, order, "all three wait")
		_, err = k.TryReserve()
		require.ErrorIs(t, err, zmqsink.ErrFull, "TryReserve does not jump the queue")

		p1.Release()
		synctest.Wait()
		require.Equal(t, []int{0}, order)
		p2.Release()
		p2.Release() // idempotent: frees nothing more
		synctest.Wait()
		require.Equal(t, []int{0, 1}, order)
		require.Equal(t, 2, k.Stats().Reserved)

		// A cancelled waiter leaves the queue without taking a slot.
		cctx, cancelWaiter := context.WithCancelCause(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := k.Reserve(cctx)
			errc <- err
		}()
		synctest.Wait()
		stop := errors.New("stop")
		cancelWaiter(stop)
		require.ErrorIs(t, <-errc, stop)
		got[0].Release()
		wg.Wait()
		require.Equal(t, []int{0, 1, 2}, order)
		require.Equal(t, 2, k.Stats().Reserved)

		// Concurrent Releases of one permit free one slot.
		var rel sync.WaitGroup
		for range 4 {
			rel.Go(got[1].Release)
		}
		rel.Wait()
		require.Equal(t, 1, k.Stats().Reserved)
		require.ErrorIs(t, got[1].Send([]byte("x")), zmqsink.ErrPermitUsed)

		// Close refuses the waiters and the unused permits.
		p3, err := k.TryReserve()
		require.NoError(t, err)
		go func() {
			_, err := k.Reserve(ctx)
			errc <- err
		}()
		synctest.Wait()
		require.NoError(t, k.Shutdown(ctx))
		require.ErrorIs(t, <-errc, zmqsink.ErrClosed)
		require.ErrorIs(t, got[2].Send([]byte("late")), zmqsink.ErrClosed)
		p3.Release()
		st := k.Stats()
		require.Zero(t, st.Reserved)
		require.Zero(t, st.Accepted)
	})
	require.NoError(t, push.Close())
}
