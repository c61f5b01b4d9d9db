package zmqc

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
)

// TestOpen is the guard on reading pebbe/zmq4's private handle: Open finds and
// verifies it on every socket type with a ZMQ_FD, and Is notices when the socket
// closes.
func TestOpen(t *testing.T) {
	zc := newContext(t)
	for _, typ := range []zmq4.Type{zmq4.PAIR, zmq4.PUB, zmq4.SUB, zmq4.REQ, zmq4.REP, zmq4.DEALER,
		zmq4.ROUTER, zmq4.PULL, zmq4.PUSH, zmq4.XPUB, zmq4.XSUB, zmq4.STREAM} {
		t.Run(typ.String(), func(t *testing.T) {
			raw := newSocket(t, zc, typ)
			s, err := Open(raw)
			require.NoError(t, err)
			require.True(t, s.Is(raw))
			require.NoError(t, raw.Close())
			require.False(t, s.Is(raw), "a closed socket still looks like the hot path's")
			_, err = Open(raw)
			require.ErrorIs(t, err, ErrLayout)
		})
	}
}

// TestOpenVerifies: a handle that is not the socket's own is refused.
func TestOpenVerifies(t *testing.T) {
	zc := newContext(t)
	a := newSocket(t, zc, zmq4.PULL)
	b := newSocket(t, zc, zmq4.PULL)
	c := newSocket(t, zc, zmq4.PUSH)
	ha, err := handle(a)
	require.NoError(t, err)
	require.ErrorIs(t, verify(ha, b), ErrLayout, "same type, another ZMQ_FD")
	require.ErrorIs(t, verify(ha, c), ErrLayout, "another type")
	require.NoError(t, verify(ha, a))
	_, err = Open(nil)
	require.ErrorIs(t, err, ErrLayout)
	other, err := Open(b)
	require.NoError(t, err)
	require.False(t, other.Is(a))
}

func TestFrameWords(t *testing.T) {
	require.Equal(t, uint64(1)<<63, moreBit)
	require.Equal(t, uint64(1)<<62, outBit)
	require.Equal(t, outBit-1, sizeMask)
}

// shapes are messages that cross every path: empty frames, frames around the gather
// and arena limits, frames larger than the arena, many frames, mixed sizes.
func shapes() [][][]byte {
	fill := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	many := make([][]byte, 3000)
	for i := range many {
		many[i] = []byte{byte(i)}
	}
	return [][][]byte{
		{[]byte("a")},
		{{}},
		{{}, {}},
		{[]byte("head"), fill(100, 1), []byte("tail")},
		{fill(1<<20, 2)},
		{{}, fill(1, 3), fill(100, 4), fill(5000, 5), fill(70_000, 6), fill(1<<20, 7), fill(3, 8)},
		many,
		{fill(gatherMax, 9), fill(gatherMax+1, 10)},
		{fill(minArena, 11)},
		{fill(maxArena, 11)},
		{fill(maxArena+1, 12), []byte("after")},
		{fill(maxArena/2-10, 13), fill(20, 14)},
		{[]byte("last")},
	}
}

func requireSame(t *testing.T, want, got [][][]byte) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Len(t, got[i], len(want[i]), "message %d", i)
		for j := range want[i] {
			require.True(t, bytes.Equal(want[i][j], got[i][j]), "message %d frame %d: %d bytes, want %d", i, j, len(got[i][j]), len(want[i][j]))
		}
	}
}

// recvAll receives messages with limit until it has n.
func recvAll(t *testing.T, s *Socket, n, limit int) [][][]byte {
	t.Helper()
	var got [][][]byte
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n {
		before := len(got)
		var err error
		got, err = s.Recv(got, limit)
		if err != nil {
			require.Equal(t, zmq4.Errno(syscall.EAGAIN), err)
			require.True(t, time.Now().Before(deadline), "%d of %d messages", len(got), n)
			time.Sleep(time.Millisecond)
			continue
		}
		require.LessOrEqual(t, len(got)-before, limit)
	}
	return got
}

// TestRoundTrip: every shape goes through intact, in order, from the hot path to
// pebbe's calls, the other way and hot path to hot path, batched and not.
func TestRoundTrip(t *testing.T) {
	msgs := shapes()
	t.Run("Send to pebbe", func(t *testing.T) {
		a, b, ha, _ := pair(t)
		_ = a
		n, dropped, err := ha.Send(msgs)
		require.NoError(t, err)
		require.False(t, dropped)
		require.Equal(t, len(msgs), n)
		got := make([][][]byte, 0, len(msgs))
		for range msgs {
			m, err := b.RecvMessageBytes(0)
			require.NoError(t, err)
			got = append(got, m)
		}
		requireSame(t, msgs, got)
	})
	t.Run("pebbe to Recv", func(t *testing.T) {
		a, _, _, hb := pair(t)
		for _, m := range msgs {
			parts := make([]any, len(m))
			for i, f := range m {
				parts[i] = f
			}
			_, err := a.SendMessage(parts...)
			require.NoError(t, err)
		}
		requireSame(t, msgs, recvAll(t, hb, len(msgs), 1))
	})
	for _, limit := range []int{1, 3, 64} {
		t.Run(fmt.Sprintf("Send to Recv limit %d", limit), func(t *testing.T) {
			_, _, ha, hb := pair(t)
			for _, m := range msgs { // one call per message, then all at once
				n, _, err := ha.Send([][][]byte{m})
				require.NoError(t, err)
				require.Equal(t, 1, n)
			}
			n, _, err := ha.Send(msgs)
			require.NoError(t, err)
			require.Equal(t, len(msgs), n)
			got := recvAll(t, hb, 2*len(msgs), limit)
			requireSame(t, msgs, got[:len(msgs)])
			requireSame(t, msgs, got[len(msgs):])
			_, err = hb.Recv(nil, limit)
			require.Equal(t, zmq4.Errno(syscall.EAGAIN), err, "a message arrived twice")
		})
	}
}

// TestRecvBatch: a batch stops at its limit and at its byte budget, appends after what
// dst holds, and its frames cannot be grown into their neighbours.
func TestRecvBatch(t *testing.T) {
	_, _, ha, hb := pair(t)
	small := make([][][]byte, 100)
	for i := range small {
		small[i] = [][]byte{fmt.Appendf(nil, "%04d", i), []byte("x")}
	}
	n, _, err := ha.Send(small)
	require.NoError(t, err)
	require.Equal(t, len(small), n)
	dst := [][][]byte{{[]byte("kept")}}
	dst, err = hb.Recv(dst, 7)
	require.NoError(t, err)
	require.Len(t, dst, 8)
	require.Equal(t, "kept", string(dst[0][0]))
	requireSame(t, small[:7], dst[1:])
	dst[1][0] = append(dst[1][0], "grown"...)
	require.Equal(t, "x", string(dst[1][1]), "appending to a frame overwrote the next one")
	require.Equal(t, "0001", string(dst[2][0]))
	requireSame(t, small[7:], recvAll(t, hb, len(small)-7, 1000))

	big := make([][][]byte, 100)
	for i := range big {
		big[i] = [][]byte{bytes.Repeat([]byte{byte(i)}, 1000)}
	}
	_, _, err = ha.Send(big)
	require.NoError(t, err)
	got, err := hb.Recv(nil, len(big))
	require.NoError(t, err)
	require.LessOrEqual(t, len(got), hb.sc.budget()/1000+1, "the byte budget did not end the batch")
	requireSame(t, big[:len(got)], got)
	requireSame(t, big[len(got):], recvAll(t, hb, len(big)-len(got), len(big)))
	require.Len(t, hb.sc.arena, maxArena, "the arena did not grow for batches that needed it")
}

// TestArenaGrows: a socket's arena stays small for small messages and grows, up to
// maxArena, for frames and batches that need more.
func TestArenaGrows(t *testing.T) {
	_, _, ha, hb := pair(t)
	for range 100 {
		_, _, err := ha.Send([][][]byte{{[]byte("small"), []byte("message")}})
		require.NoError(t, err)
		_, err = hb.Recv(nil, 1)
		require.NoError(t, err)
	}
	require.Len(t, ha.sc.arena, minArena)
	require.Len(t, hb.sc.arena, minArena)
	for _, size := range []int{3000, 10_000, 40_000, 1 << 20} {
		m := [][][]byte{{bytes.Repeat([]byte{1}, size), bytes.Repeat([]byte{2}, size)}}
		for range 2 {
			_, _, err := ha.Send(m)
			require.NoError(t, err)
			got := recvAll(t, hb, 1, 1)
			requireSame(t, m, got)
		}
		require.LessOrEqual(t, len(hb.sc.arena), maxArena)
	}
	require.Len(t, ha.sc.arena, minArena<<1, "the sender's arena grew for the 3000-byte frames only: larger ones go by pointer")
	require.Len(t, hb.sc.arena, maxArena)
}

// TestErrors: errnos come back as pebbe returns them.
func TestErrors(t *testing.T) {
	zc := newContext(t)
	sub := newSocket(t, zc, zmq4.SUB)
	hs, err := Open(sub)
	require.NoError(t, err)
	_, _, err = hs.Send([][][]byte{{[]byte("x")}})
	require.Equal(t, zmq4.Errno(syscall.ENOTSUP), err)
	_, _, err = hs.Send([][][]byte{{[]byte("x"), []byte("y")}})
	require.Equal(t, zmq4.Errno(syscall.ENOTSUP), err)
	_, err = hs.Recv(nil, 1)
	require.Equal(t, zmq4.Errno(syscall.EAGAIN), err)

	req := newSocket(t, zc, zmq4.REQ)
	hr, err := Open(req)
	require.NoError(t, err)
	_, err = hr.Recv(nil, 1)
	require.Equal(t, zmq4.EFSM, err)

	push := newSocket(t, zc, zmq4.PUSH) // no peer: nothing can be taken
	hp, err := Open(push)
	require.NoError(t, err)
	n, dropped, err := hp.Send([][][]byte{{[]byte("x")}, {[]byte("y")}})
	require.Equal(t, zmq4.Errno(syscall.EAGAIN), err)
	require.Zero(t, n)
	require.False(t, dropped)
}

// TestAllocs: a receive allocates one block for the bytes and one for the frame list
// per call, whatever the batch; a send allocates nothing.
func TestAllocs(t *testing.T) {
	a, _, ha, hb := pair(t)
	batch := make([][][]byte, 64)
	for i := range batch {
		batch[i] = [][]byte{make([]byte, 16)}
	}
	one := batch[:1]
	three := [][][]byte{{make([]byte, 16), make([]byte, 16), make([]byte, 16)}}
	dst := make([][][]byte, 0, len(batch))
	for _, tc := range []struct {
		name string
		msgs [][][]byte
		recv float64
	}{{"one frame", one, 2}, {"three frames", three, 2}, {"batch of 64", batch, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			send := testing.AllocsPerRun(100, func() {
				for sent := 0; sent < len(tc.msgs); {
					n, _, err := ha.Send(tc.msgs[sent:])
					sent += n
					if err == zmq4.Errno(syscall.EAGAIN) { //nolint:errorlint // Send returns the bare Errno
						_, _ = a.GetEvents() // libzmq's send sees the reader's progress only after this
					} else if err != nil {
						t.Fatal(err)
					}
				}
				var err error
				if dst, err = hb.Recv(dst[:0], len(tc.msgs)); err != nil || len(dst) != len(tc.msgs) {
					t.Fatalf("received %d: %v", len(dst), err)
				}
			})
			t.Logf("%.2f allocations per round trip", send)
			require.LessOrEqual(t, send, tc.recv)
		})
	}
}
