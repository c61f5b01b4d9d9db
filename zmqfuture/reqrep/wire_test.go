package reqrep

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCorrelationRoundTrip(t *testing.T) {
	for _, id := range []uint64{0, 1, 0x0102030405060708, math.MaxUint64} {
		c := newCorrelation(id)
		require.Len(t, c, corrLen)
		require.Equal(t, byte(0x5A), c[0])
		got, body, failed, reason := parseReply([][]byte{c, {}, []byte("x"), {}})
		require.Empty(t, reason)
		require.False(t, failed)
		require.Equal(t, id, got)
		require.Equal(t, [][]byte{[]byte("x"), {}}, body)
	}
	_, body, _, reason := parseReply([][]byte{newCorrelation(7), nil})
	require.Empty(t, reason)
	require.Empty(t, body, "a reply may have no body frames")
	e := newCorrelation(7)
	e[0] = errMagic
	id, _, failed, reason := parseReply([][]byte{e, nil, []byte(errorFrame), []byte("boom")})
	require.Empty(t, reason)
	require.True(t, failed, "0x5B marks an error reply")
	require.Equal(t, uint64(7), id)
}

// FuzzCorrelation feeds parseReply frames cut from arbitrary bytes: it must
// never panic, accept exactly the documented format, and then return the ID
// the correlation frame encodes and the frames after the delimiter.
func FuzzCorrelation(f *testing.F) {
	f.Add(newCorrelation(42), []byte{}, []byte("body"), uint8(3))
	f.Add(newCorrelation(math.MaxUint64), []byte{}, []byte{}, uint8(2))
	f.Add([]byte{0x5A, 1, 2, 3}, []byte{}, []byte("x"), uint8(3))
	f.Add(append([]byte{0x00}, newCorrelation(1)[1:]...), []byte{}, []byte("x"), uint8(3))
	f.Add(newCorrelation(1), []byte("not empty"), []byte("x"), uint8(3))
	f.Add(newCorrelation(1), []byte{}, []byte{}, uint8(1))
	f.Add([]byte{}, []byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, corr, delim, body []byte, n uint8) {
		msg := [][]byte{corr, delim, body, body}[:min(int(n), 4)]
		id, rest, failed, reason := parseReply(msg)
		valid := len(msg) >= 2 && len(corr) == corrLen && (corr[0] == corrMagic || corr[0] == errMagic) && len(delim) == 0
		if valid != (reason == "") {
			t.Fatalf("parseReply(%q) reason %q, want valid=%v", msg, reason, valid)
		}
		if !valid {
			if id != 0 || rest != nil {
				t.Fatalf("malformed reply returned id %d, body %q", id, rest)
			}
			return
		}
		if failed != (corr[0] == errMagic) {
			t.Fatalf("failed %v for magic %#x", failed, corr[0])
		}
		if id != binary.BigEndian.Uint64(corr[1:]) || !bytes.Equal(newCorrelation(id)[1:], corr[1:]) {
			t.Fatalf("id %d does not round-trip to %x", id, corr)
		}
		if len(rest) != len(msg)-2 {
			t.Fatalf("body has %d frames, want %d", len(rest), len(msg)-2)
		}
	})
}
