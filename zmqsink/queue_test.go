package zmqsink

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRing pushes and pops across the wrap-around and through growth, checking FIFO
// order and that the buffer never outgrows the limit.
func TestRing(t *testing.T) {
	msg := func(i int) [][]byte { return [][]byte{{byte(i)}} }
	r := newRing(100)
	require.Len(t, r.buf, 64)
	next, want := 0, 0
	pop := func(n int) {
		for _, m := range r.popN(nil, n) {
			require.Equal(t, msg(want), m)
			want++
		}
	}
	for round := range 20 {
		for r.len() < 100-round {
			r.push(msg(next % 256))
			next++
		}
		pop(37)
		want %= 256
	}
	require.LessOrEqual(t, len(r.buf), 100)
	pop(r.len())
	require.Zero(t, r.len())
	require.Empty(t, r.popN(nil, 5))

	small := newRing(3)
	require.Len(t, small.buf, 3)
}
