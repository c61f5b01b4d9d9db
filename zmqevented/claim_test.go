package zmqevented_test

import (
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestClaim: a claimed socket refuses sends and receives from anyone but its owner,
// with an error naming the owner, and takes nothing for them; the owner goes through
// its Claim; Release gives the socket back.
func TestClaim(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, ep := zmqtest.Bind(t, c, zmq4.PAIR, "inproc://"+t.Name())
	push := zmqtest.Connect(t, c, zmq4.PAIR, ep)
	ctx := zmqtest.Ctx(t, 5*time.Second)
	require.NoError(t, push.Send(ctx, []byte("mine")))
	require.NoError(t, pull.WaitReadable(ctx))

	claim, err := pull.Claim("the test's owner")
	require.NoError(t, err)
	_, err = pull.Claim("another")
	require.ErrorIs(t, err, zmqevented.ErrClaimed)
	require.ErrorContains(t, err, "the test's owner")

	for name, call := range map[string]func() error{
		"Recv":     func() error { _, err := pull.Recv(ctx); return err },
		"TryRecv":  func() error { _, err := pull.TryRecv(); return err },
		"RecvMany": func() error { _, err := pull.RecvMany(ctx, nil, 4); return err },
		"Send":     func() error { return pull.Send(ctx, []byte("x")) },
		"TrySend":  func() error { return pull.TrySend([]byte("x")) },
		"SendMany": func() error { _, err := pull.SendMany(ctx, [][][]byte{{[]byte("x")}}); return err },
	} {
		err := call()
		require.ErrorIs(t, err, zmqevented.ErrClaimed, name)
		require.ErrorContains(t, err, "claimed by the test's owner", name)
	}

	m, err := claim.TryRecv()
	require.NoError(t, err, "the owner's message was left for it")
	require.Equal(t, "mine", string(m[0]))
	require.NoError(t, claim.TrySend([]byte("owner")))
	require.NoError(t, pull.Send(claim.Context(ctx), []byte("owner ctx")))
	require.NoError(t, claim.Send(ctx, []byte("claim send")))
	for _, want := range []string{"owner", "owner ctx", "claim send"} {
		m, err := push.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(m[0]))
	}

	claim.Release()
	require.NoError(t, pull.Send(ctx, []byte("free again")))
	require.NoError(t, pull.Close())
	_, err = pull.Claim("late")
	require.ErrorIs(t, err, zmqevented.ErrClosed)
}
