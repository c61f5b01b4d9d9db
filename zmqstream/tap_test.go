package zmqstream_test

import (
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

// Subscribers with different policies on a real socket: the Block one gets every
// message in order, the drop ones keep the first or the latest few, and count the rest.
func TestTapOverSocket(t *testing.T) {
	noLeaks(t)
	const n, buffer = 200, 4
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
	ctx := zmqtest.Ctx(t, time.Minute)
	st := newStream(t, pull)
	first := st.Tap(ctx, buffer, zmqstream.DropNewest)
	every := st.Tap(ctx, 0, zmqstream.Block)
	latest := st.Tap(ctx, buffer, zmqstream.DropOldest)

	senderDone := make(chan error, 1)
	go func() {
		for i := range n {
			if err := push.Send(ctx, seq(i)); err != nil {
				senderDone <- err
				return
			}
		}
		senderDone <- nil
	}()
	for i := range n {
		m, ok := recvChan(t, every.C(), 10*time.Second)
		require.True(t, ok)
		require.Equal(t, i, unseq(t, m))
	}
	require.NoError(t, <-senderDone)
	require.Eventually(t, func() bool { return latest.Dropped() == n-buffer }, 5*time.Second, time.Millisecond)
	require.Equal(t, uint64(n-buffer), first.Dropped())
	require.Zero(t, every.Dropped())

	require.NoError(t, st.Close())
	var got []int
	for m := range first.C() {
		got = append(got, unseq(t, m))
	}
	require.Equal(t, []int{0, 1, 2, 3}, got)
	got = nil
	for m := range latest.C() {
		got = append(got, unseq(t, m))
	}
	require.Equal(t, []int{n - 4, n - 3, n - 2, n - 1}, got)
	_, ok := <-every.C()
	require.False(t, ok)
	require.Equal(t, uint64(n-buffer), first.Dropped(), "counts outlive the subscription")
}

func TestNewAndMonitorRefuse(t *testing.T) {
	noLeaks(t)
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
	tests := []struct {
		name string
		fn   func() error
	}{
		{"nil socket", func() error { _, err := zmqstream.New(nil); return err }},
		{"PUSH", func() error { _, err := zmqstream.New(push); return err }},
		{"negative buffer", func() error { _, err := zmqstream.New(pull, zmqstream.WithBuffer(-1)); return err }},
		{"monitor nil socket", func() error { _, err := zmqstream.Monitor(t.Context(), nil, zmq4.EVENT_ALL); return err }},
		{"monitor WithCloseSocket", func() error {
			_, err := zmqstream.Monitor(t.Context(), pull, zmq4.EVENT_ALL, zmqstream.WithCloseSocket(true))
			return err
		}},
		{"monitor WithPending", func() error {
			_, err := zmqstream.Monitor(t.Context(), pull, zmq4.EVENT_ALL, zmqstream.WithPending())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.fn(), zmqstream.ErrInvalidArgument)
		})
	}
	t.Run("monitor closed socket", func(t *testing.T) {
		s, err := c.NewSocket(zmq4.PAIR)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = zmqstream.Monitor(t.Context(), s, zmq4.EVENT_ALL)
		require.ErrorIs(t, err, zmqevented.ErrClosed)
	})
}

// A socket closed under a Stream ends it with an error matching zmqevented.ErrClosed,
// and ends its consumer whatever the form: C's channel and every subscriber's channel
// are closed, so ranging over them ends.
func TestSocketClosedUnderStream(t *testing.T) {
	for _, form := range []string{"C", "All", "Observable", "Tap"} {
		t.Run(form, func(t *testing.T) {
			noLeaks(t)
			c := zmqtest.NewContext(t)
			pull, _ := zmqtest.Pair(t, c, inproc(t), zmq4.PULL, zmq4.PUSH, nil, nil)
			ctx := zmqtest.Ctx(t, time.Minute)
			st := newStream(t, pull)
			errs := make(chan error, 1)
			switch form {
			case "C":
				ch := st.C()
				go func() {
					for range ch {
						_ = 0 // drain
					}
					errs <- st.Err()
				}()
			case "All":
				go func() {
					var last error
					for _, err := range st.All(ctx) {
						last = err
					}
					errs <- last
				}()
			case "Observable":
				obs := st.Observable()
				go func() {
					var last error
					for _, err := range zmqstream.Values[[][]byte](ctx, obs) {
						last = err
					}
					errs <- last
				}()
			case "Tap":
				// A Block and a drop subscriber, both on a ctx that never ends during
				// the test: only the Stream's end can close their channels.
				subs := []*zmqstream.Tap{
					st.Tap(ctx, 0, zmqstream.Block),
					st.Tap(ctx, 4, zmqstream.DropOldest),
				}
				go func() {
					for _, sub := range subs {
						for range sub.C() {
							_ = 0 // drain
						}
					}
					errs <- st.Err()
				}()
			}
			time.Sleep(20 * time.Millisecond)
			require.NoError(t, pull.Close())
			select {
			case err := <-errs:
				require.ErrorIs(t, err, zmqevented.ErrClosed)
			case <-time.After(5 * time.Second):
				t.Fatal("the consumer did not end")
			}
			waitClosed(t, st.Done(), 5*time.Second, "Done")
			require.ErrorIs(t, st.Err(), zmqevented.ErrClosed)
		})
	}
}
