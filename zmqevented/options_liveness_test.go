package zmqevented_test

import (
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestLivenessOptionsInvalid: an invalid value is an error from NewSocket (and from
// NewContext) that names the option, and nothing is made.
func TestLivenessOptionsInvalid(t *testing.T) {
	c := zmqtest.NewContext(t)
	for name, tc := range map[string]struct {
		opt  zmqevented.Option
		want string
	}{
		"negative interval":       {zmqevented.WithHeartbeatInterval(-time.Second), "WithHeartbeatInterval(-1s): HEARTBEAT_IVL must be >= 0"},
		"interval under 1ms":      {zmqevented.WithHeartbeatInterval(500 * time.Microsecond), "WithHeartbeatInterval(500µs): HEARTBEAT_IVL counts in steps of 1ms"},
		"zero timeout":            {zmqevented.WithHeartbeatTimeout(0), "WithHeartbeatTimeout(0s): HEARTBEAT_TIMEOUT must be at least 1ms"},
		"ttl under 100ms":         {zmqevented.WithHeartbeatTTL(50 * time.Millisecond), "WithHeartbeatTTL(50ms): HEARTBEAT_TTL counts in steps of 100ms"},
		"ttl too long":            {zmqevented.WithHeartbeatTTL(2 * time.Hour), "WithHeartbeatTTL(2h0m0s): HEARTBEAT_TTL must be at most 6553.5s"},
		"zero reconnect":          {zmqevented.WithReconnectInterval(0), "WithReconnectInterval(0s): RECONNECT_IVL must be at least 1ms"},
		"negative reconnect max":  {zmqevented.WithReconnectIntervalMax(-1), "WithReconnectIntervalMax(-1ns): RECONNECT_IVL_MAX must be >= 0"},
		"connect timeout too big": {zmqevented.WithConnectTimeout(1000 * time.Hour), "WithConnectTimeout(1000h0m0s): CONNECT_TIMEOUT must be at most"},
		"negative handshake":      {zmqevented.WithHandshakeInterval(-time.Millisecond), "WithHandshakeInterval(-1ms): HANDSHAKE_IVL must be >= 0"},
		"keepalive idle in ms":    {zmqevented.WithTCPKeepaliveIdle(1500 * time.Millisecond), "WithTCPKeepaliveIdle(1.5s): TCP_KEEPALIVE_IDLE counts whole seconds"},
		"keepalive interval zero": {zmqevented.WithTCPKeepaliveInterval(0), "WithTCPKeepaliveInterval(0s): TCP_KEEPALIVE_INTVL counts whole seconds"},
		"keepalive count zero":    {zmqevented.WithTCPKeepaliveCount(0), "WithTCPKeepaliveCount(0): TCP_KEEPALIVE_CNT must be >= 1"},
		"zero rate":               {zmqevented.WithMulticastRate(0), "WithMulticastRate(0): RATE must be >= 1 kbit/s"},
		"negative recovery":       {zmqevented.WithRecoveryInterval(-time.Second), "WithRecoveryInterval(-1s): RECOVERY_IVL must be >= 0"},
		"zero hops":               {zmqevented.WithMulticastHops(0), "WithMulticastHops(0): MULTICAST_HOPS must be >= 1"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := c.NewSocket(zmq4.DEALER, tc.opt)
			require.ErrorContains(t, err, "zmqevented: "+tc.want)
			require.Nil(t, s)
			_, err = zmqevented.NewContext(tc.opt)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestLivenessOptionsSet: the options reach libzmq, in its units (read back where
// pebbe/zmq4 has a getter; the heartbeats are shown at work by TestPeerEventsHeartbeat).
func TestLivenessOptionsSet(t *testing.T) {
	c := zmqtest.NewContext(t, zmqevented.WithReconnectInterval(250*time.Millisecond)) // a context default
	s, err := c.NewSocket(zmq4.PUB,
		zmqevented.WithHeartbeatInterval(100*time.Millisecond),
		zmqevented.WithHeartbeatTimeout(300*time.Millisecond),
		zmqevented.WithHeartbeatTTL(time.Second),
		zmqevented.WithReconnectIntervalMax(4*time.Second+time.Microsecond), // rounded down
		zmqevented.WithConnectTimeout(1500*time.Millisecond),
		zmqevented.WithHandshakeInterval(0),
		zmqevented.WithTCPKeepalive(true),
		zmqevented.WithTCPKeepaliveIdle(30*time.Second),
		zmqevented.WithTCPKeepaliveInterval(5*time.Second),
		zmqevented.WithTCPKeepaliveCount(4),
		zmqevented.WithMulticastRate(10_000),
		zmqevented.WithRecoveryInterval(2*time.Second),
		zmqevented.WithMulticastHops(3),
	)
	require.NoError(t, err)
	require.NoError(t, s.With(func(raw *zmq4.Socket) error {
		durations := map[string]func() (time.Duration, error){
			"RECONNECT_IVL":     raw.GetReconnectIvl,
			"RECONNECT_IVL_MAX": raw.GetReconnectIvlMax,
			"CONNECT_TIMEOUT":   raw.GetConnectTimeout,
			"HANDSHAKE_IVL":     raw.GetHandshakeIvl,
			"RECOVERY_IVL":      raw.GetRecoveryIvl,
		}
		want := map[string]time.Duration{
			"RECONNECT_IVL": 250 * time.Millisecond, "RECONNECT_IVL_MAX": 4 * time.Second,
			"CONNECT_TIMEOUT": 1500 * time.Millisecond, "HANDSHAKE_IVL": 0, "RECOVERY_IVL": 2 * time.Second,
		}
		for name, get := range durations {
			got, err := get()
			require.NoError(t, err, name)
			require.Equal(t, want[name], got, name)
		}
		ints := map[string]func() (int, error){
			"TCP_KEEPALIVE": raw.GetTcpKeepalive, "TCP_KEEPALIVE_IDLE": raw.GetTcpKeepaliveIdle,
			"TCP_KEEPALIVE_INTVL": raw.GetTcpKeepaliveIntvl, "TCP_KEEPALIVE_CNT": raw.GetTcpKeepaliveCnt,
			"RATE": raw.GetRate, "MULTICAST_HOPS": raw.GetMulticastHops,
		}
		wantInt := map[string]int{
			"TCP_KEEPALIVE": 1, "TCP_KEEPALIVE_IDLE": 30, "TCP_KEEPALIVE_INTVL": 5, "TCP_KEEPALIVE_CNT": 4,
			"RATE": 10_000, "MULTICAST_HOPS": 3,
		}
		for name, get := range ints {
			got, err := get()
			require.NoError(t, err, name)
			require.Equal(t, wantInt[name], got, name)
		}
		return nil
	}))
}
