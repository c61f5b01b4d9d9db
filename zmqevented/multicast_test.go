package zmqevented_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// multicastPair makes a PUB on host A and a SUB on host B of h, subscribed to "w",
// both connected to the multicast group of transport.
func multicastPair(t *testing.T, h *zmqtest.Hosts, transport string) (pub, sub *zmqevented.Socket) {
	t.Helper()
	pubEP, subEP := h.Multicast(transport, "239.192.1.1", 5555)
	var errs [2]error
	h.In(h.B, func() {
		if sub, errs[1] = zmqtest.NewContext(t).NewSocket(zmq4.SUB); errs[1] == nil {
			if errs[1] = sub.Subscribe("w"); errs[1] == nil {
				errs[1] = sub.Connect(subEP)
			}
		}
	})
	h.In(h.A, func() {
		pub, errs[0] = zmqtest.NewContext(t).NewSocket(zmq4.PUB,
			zmqevented.WithMulticastRate(10_000), // kbit/s; libzmq's default is 100
			zmqevented.WithRecoveryInterval(2*time.Second),
			zmqevented.WithMulticastHops(1))
		if errs[0] == nil {
			errs[0] = pub.Connect(pubEP)
		}
	})
	require.NoError(t, errs[0], "PUB on host A, %s", pubEP)
	require.NoError(t, errs[1], "SUB on host B, %s", subEP)
	return pub, sub
}

// publishNumbered publishes "w <i>" and "x <i>" every millisecond until ctx is done;
// it returns a function that stops it and waits.
func publishNumbered(ctx context.Context, pub *zmqevented.Socket) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			for _, topic := range []string{"w", "x"} {
				if pub.SendMessage(ctx, topic+" "+strconv.Itoa(i)) != nil {
					return
				}
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// checkNumbered checks that msgs are "w <i>" for consecutive i.
func checkNumbered(t *testing.T, msgs []string) {
	t.Helper()
	first := -1
	for k, m := range msgs {
		topic, num, _ := strings.Cut(m, " ")
		require.Equal(t, "w", topic, "the SUB got a topic it did not subscribe to: %q", m)
		i, err := strconv.Atoi(num)
		require.NoError(t, err)
		if first < 0 {
			first = i
		}
		require.Equal(t, first+k, i, "message %d of the group", k)
	}
}

// TestMulticast: PUB/SUB over pgm, epgm and norm between two hosts (network
// namespaces joined by a veth pair): a PUB on host A publishes two topics, a SUB on
// host B subscribed to one receives it, in order and without gaps, through Recv.
func TestMulticast(t *testing.T) {
	for _, transport := range []string{"epgm", "pgm", "norm"} {
		t.Run(transport, func(t *testing.T) {
			h := zmqtest.NewHosts(t)
			ctx := zmqtest.Ctx(t, time.Minute)
			pub, sub := multicastPair(t, h, transport)
			defer publishNumbered(ctx, pub)()

			const n = 300
			var got []string
			for len(got) < n {
				msg, err := sub.Recv(ctx)
				require.NoError(t, err, "after %d messages", len(got))
				got = append(got, string(msg[0]))
			}
			checkNumbered(t, got)
			t.Logf("%s: %d messages, %q … %q", transport, n, got[0], got[n-1])
		})
	}
}
