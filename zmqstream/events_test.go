package zmqstream

import (
	"encoding/binary"
	"testing"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
)

// encodeEvent is decodeEvent's inverse: libzmq's monitor message for ev.
func encodeEvent(ev Event) [][]byte {
	h := make([]byte, 6)
	binary.LittleEndian.PutUint16(h[0:2], uint16(ev.Kind))
	binary.LittleEndian.PutUint32(h[2:6], ev.Value)
	return [][]byte{h, []byte(ev.Endpoint)}
}

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name string
		msg  [][]byte
		want Event
		err  bool
	}{
		{"connected", [][]byte{{0x01, 0x00, 0x0c, 0x00, 0x00, 0x00}, []byte("tcp://127.0.0.1:5555")},
			Event{EventConnected, 12, "tcp://127.0.0.1:5555"}, false},
		{"auth failure", [][]byte{{0x00, 0x40, 0x90, 0x01, 0x00, 0x00}, []byte("tcp://[::1]:1")},
			Event{EventHandshakeFailedAuth, 400, "tcp://[::1]:1"}, false},
		{"monitor stopped", [][]byte{{0x00, 0x04, 0, 0, 0, 0}, {}}, Event{EventMonitorStopped, 0, ""}, false},
		{"one frame", [][]byte{{1, 0, 0, 0, 0, 0}}, Event{}, true},
		{"three frames", [][]byte{{1, 0, 0, 0, 0, 0}, {}, {}}, Event{}, true},
		{"short header", [][]byte{{1, 0, 0, 0, 0}, {}}, Event{}, true},
		{"v2 header", [][]byte{{1, 0, 0, 0, 0, 0, 0, 0}, {}}, Event{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := decodeEvent(tt.msg)
			if tt.err {
				require.ErrorIs(t, err, ErrMalformedEvent)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, ev)
			require.Equal(t, tt.msg, encodeEvent(ev))
		})
	}
}

func TestEventNames(t *testing.T) {
	// Every kind zmq4 defines has a name; the names are the documented ones.
	all := map[zmq4.Event]string{
		zmq4.EVENT_CONNECTED:                  "connected",
		zmq4.EVENT_CONNECT_DELAYED:            "connect-delayed",
		zmq4.EVENT_CONNECT_RETRIED:            "connect-retried",
		zmq4.EVENT_LISTENING:                  "listening",
		zmq4.EVENT_BIND_FAILED:                "bind-failed",
		zmq4.EVENT_ACCEPTED:                   "accepted",
		zmq4.EVENT_ACCEPT_FAILED:              "accept-failed",
		zmq4.EVENT_CLOSED:                     "closed",
		zmq4.EVENT_CLOSE_FAILED:               "close-failed",
		zmq4.EVENT_DISCONNECTED:               "disconnected",
		zmq4.EVENT_MONITOR_STOPPED:            "monitor-stopped",
		zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake-failed-no-detail",
		zmq4.EVENT_HANDSHAKE_SUCCEEDED:        "handshake-succeeded",
		zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL:  "handshake-failed-protocol",
		zmq4.EVENT_HANDSHAKE_FAILED_AUTH:      "handshake-failed-auth",
	}
	for e, name := range all {
		require.Equal(t, name, EventKind(e).String())
	}
	require.Len(t, eventNames, len(all))
	require.Equal(t, "event(0x8000)", EventKind(0x8000).String())
	require.Equal(t, "disconnected tcp://127.0.0.1:1 (9)", Event{EventDisconnected, 9, "tcp://127.0.0.1:1"}.String())
}
