package zmqfuture

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
)

// monitorMessage encodes a monitor event as libzmq sends it.
func monitorMessage(e zmq4.Event, value uint32, endpoint string) [][]byte {
	h := make([]byte, 6)
	binary.LittleEndian.PutUint16(h[0:2], uint16(e))
	binary.LittleEndian.PutUint32(h[2:6], value)
	return [][]byte{h, []byte(endpoint)}
}

func TestDecodeMonitorEvent(t *testing.T) {
	ev, ok := decodeMonitorEvent(monitorMessage(zmq4.EVENT_DISCONNECTED, 17, "tcp://127.0.0.1:5555"))
	require.True(t, ok)
	require.Equal(t, monitorEvent{event: zmq4.EVENT_DISCONNECTED, value: 17, endpoint: "tcp://127.0.0.1:5555"}, ev)
	ev, ok = decodeMonitorEvent(monitorMessage(zmq4.EVENT_MONITOR_STOPPED, 0, ""))
	require.True(t, ok)
	require.Equal(t, zmq4.EVENT_MONITOR_STOPPED, ev.event)

	for name, msg := range map[string][][]byte{
		"NoFrames":    nil,
		"OneFrame":    {make([]byte, 6)},
		"ThreeFrames": {make([]byte, 6), nil, nil},
		"ShortHeader": {make([]byte, 5), nil},
		"LongHeader":  {make([]byte, 10), nil}, // a version 2 first frame is 8 bytes; nothing else fits
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := decodeMonitorEvent(msg)
			require.False(t, ok)
		})
	}
}

// FuzzMonitorEvent feeds decodeMonitorEvent arbitrary frames: it must never
// panic, accept exactly two frames with a 6-byte first one, and then decode
// what monitorMessage encodes.
func FuzzMonitorEvent(f *testing.F) {
	f.Add(monitorMessage(zmq4.EVENT_DISCONNECTED, 9, "ipc:///tmp/s")[0], []byte("ipc:///tmp/s"), uint8(2))
	f.Add(monitorMessage(zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x10000001, "")[0], []byte{}, uint8(2))
	f.Add([]byte{1, 2, 3}, []byte("x"), uint8(2))
	f.Add(make([]byte, 6), []byte("x"), uint8(3))
	f.Add([]byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, head, endpoint []byte, n uint8) {
		msg := [][]byte{head, endpoint, endpoint}[:min(int(n), 3)]
		ev, ok := decodeMonitorEvent(msg)
		if want := len(msg) == 2 && len(head) == 6; ok != want {
			t.Fatalf("decodeMonitorEvent(%q) ok=%v, want %v", msg, ok, want)
		}
		if !ok {
			if ev != (monitorEvent{}) {
				t.Fatalf("rejected message decoded as %+v", ev)
			}
			return
		}
		again := monitorMessage(ev.event, ev.value, ev.endpoint)
		if !bytes.Equal(again[0], head) || !bytes.Equal(again[1], endpoint) {
			t.Fatalf("%+v does not round-trip to %q", ev, msg)
		}
	})
}
