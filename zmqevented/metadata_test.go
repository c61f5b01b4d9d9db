package zmqevented_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestRecvMessageUserID: the user the ZAP handler lets in comes with each message as
// "User-Id": the client's public key for CURVE, the username for PLAIN.
func TestRecvMessageUserID(t *testing.T) {
	t.Run("CURVE", func(t *testing.T) {
		client := keyPair(t)
		srv := newSecureServer(t, zmqevented.AuthPolicy{CurveKeys: []string{client.Public}})
		srv.client(t, "secret weather", zmqevented.WithCurveClient(srv.keys.Public, client))
		m, err := srv.pull.RecvMessage(zmqtest.Ctx(t, 5*time.Second))
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte("secret weather")}, m.Frames)
		require.Equal(t, client.Public, m.Metadata["User-Id"])
		require.Equal(t, "PUSH", m.Metadata["Socket-Type"])
		require.Equal(t, "127.0.0.1", m.Metadata["Peer-Address"])
	})
	t.Run("PLAIN", func(t *testing.T) {
		srv := newSecureServer(t, zmqevented.AuthPolicy{PlainUsers: map[string]string{"admin": "s3cret"}}, zmqevented.WithPlainServer())
		srv.client(t, "in", zmqevented.WithPlainClient("admin", "s3cret"))
		m, err := srv.pull.RecvMessage(zmqtest.Ctx(t, 5*time.Second))
		require.NoError(t, err)
		require.Equal(t, "admin", m.Metadata["User-Id"])
	})
}

// TestRecvMessageMetadata: a DEALER's application properties (the socket's own
// WithMetadata over the context's), routing ID, type and address reach the ROUTER;
// without a ZAP handler there is no User-Id.
func TestRecvMessageMetadata(t *testing.T) {
	c := zmqtest.NewContext(t, zmqevented.WithMetadata(map[string]string{"X-Tenant": "red", "X-Zone": "eu-1"}))
	router, ep := zmqtest.Bind(t, c, zmq4.ROUTER, "tcp://127.0.0.1:*")
	dealer := zmqtest.Connect(t, c, zmq4.DEALER, ep,
		zmqevented.WithMetadata(map[string]string{"X-Tenant": "blue", "X-Trace.id_2+": "a:b"}),
		zmqevented.WithRoutingID("worker-1"))
	ctx := zmqtest.Ctx(t, 5*time.Second)
	require.NoError(t, dealer.Send(ctx, []byte("job")))
	m, err := router.RecvMessage(ctx, "X-Tenant", "X-Zone", "X-Trace.id_2+", "X-Missing", "Socket-Type")
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("worker-1"), []byte("job")}, m.Frames)
	require.Equal(t, "blue", m.Metadata["X-Tenant"])
	require.Equal(t, "eu-1", m.Metadata["X-Zone"])
	require.Equal(t, "a:b", m.Metadata["X-Trace.id_2+"])
	require.Equal(t, "DEALER", m.Metadata["Socket-Type"])
	require.Equal(t, "127.0.0.1", m.Metadata["Peer-Address"])
	require.Equal(t, "worker-1", m.Metadata["Identity"])
	require.NotContains(t, m.Metadata, "X-Missing")
	require.NotContains(t, m.Metadata, "User-Id")

	// The reply carries the ROUTER's properties, and the next message comes with Recv.
	require.NoError(t, router.Send(ctx, m.Frames[0], []byte("done")))
	back, err := dealer.RecvMessage(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("done")}, back.Frames)
	require.Equal(t, "ROUTER", back.Metadata["Socket-Type"])
	require.NoError(t, dealer.Send(ctx, []byte("next")))
	plain, err := router.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "next", string(plain[1]))
}

// TestRecvMessageConn: Conn is the connection's file descriptor as the monitor reports
// it, on ACCEPTED and on DISCONNECTED; over inproc there is none, and no metadata.
func TestRecvMessageConn(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		pull, ep := zmqtest.Bind(t, c, zmq4.PULL, endpoint)
		mon, err := pull.Monitor(t.Context(), zmq4.EVENT_ACCEPTED|zmq4.EVENT_DISCONNECTED, 16)
		require.NoError(t, err)
		push := zmqtest.Connect(t, c, zmq4.PUSH, ep)
		ctx := zmqtest.Ctx(t, 5*time.Second)
		require.NoError(t, push.Send(ctx, []byte("hello")))
		m, err := pull.RecvMessage(ctx)
		require.NoError(t, err)
		require.Equal(t, "hello", string(m.Frames[0]))
		if strings.HasPrefix(endpoint, "inproc://") {
			require.Equal(t, -1, m.Conn)
			require.NotNil(t, m.Metadata)
			require.Empty(t, m.Metadata)
			return
		}
		require.Equal(t, "PUSH", m.Metadata["Socket-Type"])
		accepted := nextEventOf(t, mon, zmq4.EVENT_ACCEPTED)
		want := int(accepted.Value)
		if zmqevented.PebbeOnly() {
			want = -1 // pebbe/zmq4 cannot read ZMQ_SRCFD
		}
		require.Equal(t, want, m.Conn)
		require.NoError(t, push.Close())
		require.Equal(t, accepted.Value, nextEventOf(t, mon, zmq4.EVENT_DISCONNECTED).Value)
	})
}

// TestRecvMessageCancel: a cancelled RecvMessage takes nothing, whether it waited or
// found a message queued; on a claimed socket it is the owner's, and a closed socket
// says ErrClosed.
func TestRecvMessageCancel(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, nil, nil)
	waiting, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := pull.RecvMessage(waiting, "X-Tenant")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	ctx := zmqtest.Ctx(t, 5*time.Second)
	leaderCtx, stopLeader := context.WithCancel(ctx)
	leader := make(chan error, 1)
	go func() {
		_, err := pull.RecvMessage(leaderCtx)
		leader <- err
	}()
	time.Sleep(20 * time.Millisecond) // the first waiter parks; the second follows it
	follower := make(chan []string, 1)
	go func() {
		m, err := pull.RecvMessage(ctx)
		if err != nil {
			follower <- []string{err.Error()}
			return
		}
		follower <- []string{string(m.Frames[0])}
	}()
	time.Sleep(20 * time.Millisecond)
	stopLeader()
	require.ErrorIs(t, <-leader, context.Canceled)
	require.NoError(t, push.Send(ctx, []byte("one")))
	require.Equal(t, []string{"one"}, <-follower)

	require.NoError(t, push.Send(ctx, []byte("two")))
	require.NoError(t, pull.WaitReadable(ctx))
	done, stop := context.WithCancel(ctx)
	stop()
	_, err = pull.RecvMessage(done)
	require.ErrorIs(t, err, context.Canceled)
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "two", string(m[0]), "the cancelled call took the message")

	// A claimed socket's messages are its owner's.
	require.NoError(t, push.Send(ctx, []byte("owner's")))
	require.NoError(t, pull.WaitReadable(ctx))
	claim, err := pull.Claim("the owner")
	require.NoError(t, err)
	_, err = pull.RecvMessage(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClaimed)
	m2, err := pull.RecvMessage(claim.Context(ctx))
	require.NoError(t, err)
	require.Equal(t, "owner's", string(m2.Frames[0]))
	claim.Release()

	require.NoError(t, pull.Close())
	_, err = pull.RecvMessage(ctx)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
}

// TestWithMetadataInvalid: a property libzmq or ZMTP would refuse is an error from the
// constructor that names the option and the property.
func TestWithMetadataInvalid(t *testing.T) {
	c := zmqtest.NewContext(t)
	for _, tc := range []struct{ name, value string }{
		{"Tenant", "blue"},
		{"x-tenant", "blue"},
		{"X-", "blue"},
		{"X-Ten ant", "blue"},
		{"X-Tenant:", "blue"},
		{"X-" + strings.Repeat("a", 254), "blue"},
		{"X-Tenant", ""},
		{"X-Tenant", "bl\x00ue"},
	} {
		_, err := c.NewSocket(zmq4.DEALER, zmqevented.WithMetadata(map[string]string{tc.name: tc.value}))
		require.ErrorContains(t, err, "WithMetadata", "%q: %q", tc.name, tc.value)
		require.ErrorContains(t, err, tc.name[:min(len(tc.name), 8)])
	}
	s, err := c.NewSocket(zmq4.DEALER, zmqevented.WithMetadata(map[string]string{"X-" + strings.Repeat("a", 253): "ok"}), zmqevented.WithMetadata(nil))
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
