package zmqevented_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestSubscribeWhileWaiting: a SUB's Recv that is already waiting when Subscribe runs
// receives the new topic's messages, and after Unsubscribe no more of them, over every
// transport.
func TestSubscribeWhileWaiting(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		ctx := zmqtest.Ctx(t, 20*time.Second)
		pub, sub := zmqtest.Pair(t, c, endpoint, zmq4.PUB, zmq4.SUB, nil, nil)

		got := make(chan string, 1)
		go func() {
			msg, err := sub.Recv(ctx)
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- string(msg[0])
		}()
		// The publisher sends both topics all along; the SUB subscribes to none yet.
		stop := make(chan struct{})
		published := make(chan struct{})
		go func() {
			defer close(published)
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				topic := []string{"news", "weather"}[i%2]
				if pub.SendMessage(ctx, topic+" "+string(seqFrame(i))) != nil {
					return
				}
			}
		}()
		defer func() { close(stop); <-published }()

		select {
		case m := <-got:
			t.Fatalf("Recv returned %q before any subscription", m)
		case <-time.After(100 * time.Millisecond): // it waits
		}
		require.NoError(t, sub.Subscribe("weather"))
		select {
		case m := <-got:
			require.True(t, strings.HasPrefix(m, "weather "), "the waiting Recv got %q", m)
		case <-time.After(10 * time.Second):
			t.Fatal("the Recv waiting when Subscribe ran never received the new topic")
		}

		require.NoError(t, sub.Subscribe("news"))
		require.NoError(t, sub.Unsubscribe("weather"))
		for range 20 {
			msg, err := sub.Recv(ctx)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(string(msg[0]), "news "), "after Unsubscribe(weather): %q", msg[0])
		}
	})
}

// TestSubscribeXSUB: on an XSUB, Subscribe and Unsubscribe send the subscription
// messages upstream (0x01 or 0x00, then the topic); one made before Connect reaches
// the publisher when the connection comes up; a waiting Recv gets the topic's messages.
func TestSubscribeXSUB(t *testing.T) {
	forTransports(t, func(t *testing.T, endpoint string) {
		c := zmqtest.NewContext(t)
		ctx := zmqtest.Ctx(t, 20*time.Second)
		xpub, ep := zmqtest.Bind(t, c, zmq4.XPUB, endpoint)

		early, err := c.NewSocket(zmq4.XSUB)
		require.NoError(t, err)
		require.NoError(t, early.Subscribe("early"))
		require.NoError(t, early.Connect(ep))
		msg, err := xpub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "\x01early", string(msg[0]), "a subscription made before Connect")

		xsub := zmqtest.Connect(t, c, zmq4.XSUB, ep)
		got := make(chan [][]byte, 1)
		go func() {
			msg, _ := xsub.Recv(ctx)
			got <- msg
		}()
		require.NoError(t, xsub.Subscribe("weather"))
		msg, err = xpub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "\x01weather", string(msg[0]))
		require.NoError(t, xpub.SendMessage(ctx, "weather 21"))
		select {
		case m := <-got:
			require.Equal(t, [][]byte{[]byte("weather 21")}, m)
		case <-time.After(10 * time.Second):
			t.Fatal("the XSUB's waiting Recv got nothing")
		}

		require.NoError(t, xsub.Unsubscribe("weather"))
		msg, err = xpub.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, "\x00weather", string(msg[0]))
	})
}

// TestSubscribeErrors: Subscribe and Unsubscribe on a socket that does not subscribe
// fail with an *OpError matching EINVAL that says why; on a closed one, ErrClosed.
func TestSubscribeErrors(t *testing.T) {
	c := zmqtest.NewContext(t)
	for _, typ := range []zmq4.Type{zmq4.PUB, zmq4.XPUB, zmq4.PUSH, zmq4.DEALER} {
		t.Run(typ.String(), func(t *testing.T) {
			s, err := c.NewSocket(typ)
			require.NoError(t, err)
			for op, f := range map[string]func(string) error{"subscribe": s.Subscribe, "unsubscribe": s.Unsubscribe} {
				err := f("weather")
				require.ErrorIs(t, err, syscall.EINVAL)
				var oe *zmqevented.OpError
				require.ErrorAs(t, err, &oe)
				require.Equal(t, op, oe.Op)
				require.ErrorContains(t, err, "only SUB and XSUB sockets subscribe, not "+typ.String())
			}
		})
	}
	for _, typ := range []zmq4.Type{zmq4.SUB, zmq4.XSUB} {
		s, err := c.NewSocket(typ)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.ErrorIs(t, s.Subscribe("x"), zmqevented.ErrClosed, typ.String())
		require.ErrorIs(t, s.Unsubscribe("x"), zmqevented.ErrClosed, typ.String())
	}
}
