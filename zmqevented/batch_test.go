package zmqevented_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// numbered is message i: three frames, the number, a filler and the number again.
func numbered(i int) [][]byte {
	return [][]byte{seqFrame(i), bytes.Repeat([]byte{'.'}, i%5), seqFrame(i)}
}

// TestRecvMany: whole messages in order, at most limit per call, appended after what
// dst holds; nothing kept back; a cancelled or failed call takes nothing.
func TestRecvMany(t *testing.T) {
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "inproc://"+t.Name(), zmq4.PULL, zmq4.PUSH, nil, nil)
	ctx := zmqtest.Ctx(t, 10*time.Second)
	const n = 200
	for i := range n {
		require.NoError(t, push.Send(ctx, numbered(i)...))
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	dst := [][][]byte{{[]byte("kept")}}
	got, err := pull.RecvMany(cancelled, dst, 10)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, got, 1, "a cancelled RecvMany took messages")

	next := 0
	for next < n {
		limit := 1 + rand.IntN(9)
		got, err := pull.RecvMany(ctx, dst, limit)
		require.NoError(t, err)
		require.Equal(t, "kept", string(got[0][0]), "dst's messages were overwritten")
		require.NotEmpty(t, got[1:])
		require.LessOrEqual(t, len(got[1:]), limit)
		for _, m := range got[1:] {
			require.Equal(t, toStrings(numbered(next)), toStrings(m))
			next++
		}
		if next == 100 {
			// Nothing is kept back: what RecvMany left is still in libzmq.
			m, err := pull.TryRecv()
			require.NoError(t, err)
			require.Equal(t, toStrings(numbered(next)), toStrings(m))
			next++
		}
	}
	_, err = pull.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "a message arrived twice")

	// A RecvMany cancelled while it waits takes nothing: the next message is the next
	// receive's.
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	got, err = pull.RecvMany(short, nil, 10)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, got)
	require.NoError(t, push.Send(ctx, numbered(n)...))
	got, err = pull.RecvMany(ctx, nil, 0) // a limit below 1 counts as 1
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, toStrings(numbered(n)), toStrings(got[0]))

	// Errors: a socket that cannot receive, a closed socket.
	_, err = push.RecvMany(ctx, nil, 10)
	require.ErrorIs(t, err, syscall.ENOTSUP)
	require.NoError(t, pull.Close())
	got, err = pull.RecvMany(ctx, dst, 10)
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.Len(t, got, 1)
}

// TestRecvManyReqRep: REQ and REP allow one message at a time; RecvMany returns it and
// the next call works.
func TestRecvManyReqRep(t *testing.T) {
	c := zmqtest.NewContext(t)
	rep, req := zmqtest.Pair(t, c, "inproc://"+t.Name(), zmq4.REP, zmq4.REQ, nil, nil)
	ctx := zmqtest.Ctx(t, 20*time.Second)
	var g errgroup.Group
	g.Go(func() error {
		for range 2000 {
			got, err := rep.RecvMany(ctx, nil, 16)
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("REP received %d requests at once", len(got))
			}
			if _, err := rep.SendMany(ctx, got); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range 2000 {
		n, err := req.SendMany(ctx, [][][]byte{numbered(i)})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := req.RecvMany(ctx, nil, 16)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, toStrings(numbered(i)), toStrings(got[0]))
	}
	require.NoError(t, g.Wait())
}

// TestSendMany: every message arrives whole and in order; a call cancelled while
// libzmq takes nothing reports exactly how many it sent; invalid and failing calls
// send nothing.
func TestSendMany(t *testing.T) {
	c := zmqtest.NewContext(t)
	hwm := []zmqevented.Option{zmqevented.WithSendHWM(10), zmqevented.WithRecvHWM(10)}
	pull, push := zmqtest.Pair(t, c, "inproc://"+t.Name(), zmq4.PULL, zmq4.PUSH, hwm, hwm)
	ctx := zmqtest.Ctx(t, 10*time.Second)

	msgs := make([][][]byte, 1000)
	for i := range msgs {
		msgs[i] = numbered(i)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	n, err := push.SendMany(short, msgs) // nobody reads: it fills both HWMs, then waits
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Positive(t, n)
	require.Less(t, n, len(msgs))
	m, err := pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, toStrings(msgs[0]), toStrings(m))

	var g errgroup.Group
	g.Go(func() error { // the rest, then an end mark
		k, err := push.SendMany(ctx, msgs[n:])
		if err == nil && k != len(msgs)-n {
			err = fmt.Errorf("SendMany returned %d of %d without an error", k, len(msgs)-n)
		}
		if err != nil {
			return err
		}
		return push.Send(ctx, []byte("end"))
	})
	for i := 1; i < len(msgs); i++ {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, toStrings(msgs[i]), toStrings(m), "message %d (the cancelled call sent %d)", i, n)
	}
	m, err = pull.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"end"}, toStrings(m), "the cancelled call sent more than it reported")
	require.NoError(t, g.Wait())

	n, err = push.SendMany(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = push.SendMany(ctx, [][][]byte{{[]byte("a")}, {}})
	require.ErrorIs(t, err, zmqevented.ErrNoFrames)
	require.Zero(t, n)
	n, err = pull.SendMany(ctx, msgs[:3])
	require.ErrorIs(t, err, syscall.ENOTSUP)
	require.ErrorContains(t, err, "a PULL socket cannot send")
	require.Zero(t, n)
	_, err = pull.TryRecv()
	require.ErrorIs(t, err, zmqevented.ErrWouldBlock, "a failed SendMany sent something")
	require.NoError(t, push.Close())
	n, err = push.SendMany(ctx, msgs[:3])
	require.ErrorIs(t, err, zmqevented.ErrClosed)
	require.Zero(t, n)
}

// mixedMessage is a message of frames of many sizes, from empty to past every internal
// limit (the arena, the gathering of small frames), each filled from seed.
func mixedMessage(seed int, sizes ...int) [][]byte {
	m := make([][]byte, len(sizes))
	for i, n := range sizes {
		m[i] = make([]byte, n)
		for j := range m[i] {
			m[i][j] = byte(seed + i + j*7)
		}
	}
	return m
}

// TestLargeMessages: 1 MiB messages and multipart messages of mixed sizes, between small
// ones, go through Send and Recv and through SendMany and RecvMany intact.
func TestLargeMessages(t *testing.T) {
	msgs := [][][]byte{
		mixedMessage(1, 16),
		mixedMessage(2, 1<<20),
		mixedMessage(3, 0, 1, 100, 4096, 4097, 65536, 70_000, 1<<20, 3),
		mixedMessage(4, 16, 16),
		mixedMessage(5, 40_000, 40_000, 40_000),
		mixedMessage(6, 0),
		mixedMessage(7, 1<<20, 0, 1<<20),
		mixedMessage(8, 16),
	}
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			c := zmqtest.NewContext(t)
			pull, push := zmqtest.Pair(t, c, zmqtest.Endpoints(t)[transport], zmq4.PULL, zmq4.PUSH, nil, nil)
			ctx := zmqtest.Ctx(t, 20*time.Second)
			requireSame := func(got [][][]byte) {
				t.Helper()
				require.Len(t, got, len(msgs))
				for i := range msgs {
					require.Len(t, got[i], len(msgs[i]), "message %d", i)
					for j := range msgs[i] {
						require.True(t, bytes.Equal(msgs[i][j], got[i][j]), "message %d frame %d", i, j)
					}
				}
			}

			for _, m := range msgs {
				require.NoError(t, push.Send(ctx, m...))
			}
			var got [][][]byte
			for range msgs {
				m, err := pull.Recv(ctx)
				require.NoError(t, err)
				got = append(got, m)
			}
			requireSame(got)

			n, err := push.SendMany(ctx, msgs)
			require.NoError(t, err)
			require.Equal(t, len(msgs), n)
			got = got[:0]
			for len(got) < len(msgs) {
				got, err = pull.RecvMany(ctx, got, len(msgs))
				require.NoError(t, err)
			}
			requireSame(got)
		})
	}
}

// stormMessage is sender p's message i: p and i, a payload of a size that varies with
// i (now and then larger than the hot path's arena), and a checksum of all three.
func stormMessage(p, i int) [][]byte {
	head := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(p)), uint32(i))
	size := (i * 37) % 300
	if i%101 == 0 {
		size = 70_000
	}
	payload := bytes.Repeat([]byte{byte(p + i)}, size)
	sum := crc32.Update(crc32.ChecksumIEEE(head), crc32.IEEETable, payload)
	return [][]byte{head, payload, binary.BigEndian.AppendUint32(nil, sum)}
}

// TestBatchStorm: 16 senders and 16 receivers share one PUSH/PULL pair over tcp; half
// send with Send and half with SendMany, half receive with Recv and half with RecvMany,
// all with random short timeouts and small HWMs, so that calls on both sides are
// cancelled while messages flow. Every message arrives exactly once and whole, and
// each receiver sees each sender's messages in the order they were sent.
func TestBatchStorm(t *testing.T) {
	const senders, receivers, each = 16, 16, 3000
	c := zmqtest.NewContext(t)
	hwm := []zmqevented.Option{zmqevented.WithSendHWM(20), zmqevented.WithRecvHWM(20)}
	pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, hwm, hwm)
	ctx, stop := context.WithCancel(zmqtest.Ctx(t, 60*time.Second))
	defer stop()
	timeout := func() time.Duration { return time.Duration(rand.IntN(100)) * time.Microsecond }

	var sendCancels, recvCancels, received atomic.Int64
	var g errgroup.Group
	for p := range senders {
		g.Go(func() error {
			for i := 0; i < each; {
				callCtx, cancel := context.WithTimeout(ctx, timeout())
				var n int
				var err error
				if p%2 == 0 {
					if err = push.Send(callCtx, stormMessage(p, i)...); err == nil {
						n = 1
					}
				} else {
					batch := make([][][]byte, min(1+rand.IntN(32), each-i))
					for k := range batch {
						batch[k] = stormMessage(p, i+k)
					}
					n, err = push.SendMany(callCtx, batch)
				}
				cancel()
				i += n
				if err != nil {
					if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
						return fmt.Errorf("sender %d at %d: %w", p, i, err)
					}
					sendCancels.Add(1)
				}
			}
			return nil
		})
	}
	var mu sync.Mutex
	seen := make([][]int, senders)
	for p := range seen {
		seen[p] = make([]int, each)
	}
	for r := range receivers {
		g.Go(func() error {
			last := make([]int, senders)
			for p := range last {
				last[p] = -1
			}
			var got [][][]byte
			for {
				callCtx, cancel := context.WithTimeout(ctx, timeout())
				var err error
				if r%2 == 0 {
					var m [][]byte
					if m, err = pull.Recv(callCtx); err == nil {
						got = append(got[:0], m)
					}
				} else {
					got, err = pull.RecvMany(callCtx, got[:0], 1+rand.IntN(64))
				}
				cancel()
				if err != nil {
					if ctx.Err() != nil {
						return nil // everything arrived (err may be stop's cancellation)
					}
					if !errors.Is(err, context.DeadlineExceeded) {
						return fmt.Errorf("receiver %d: %w", r, err)
					}
					recvCancels.Add(1)
					continue
				}
				for _, m := range got {
					if len(m) != 3 || len(m[0]) != 8 {
						return fmt.Errorf("receiver %d: torn message of %d frames", r, len(m))
					}
					p, i := int(binary.BigEndian.Uint32(m[0])), int(binary.BigEndian.Uint32(m[0][4:]))
					if p >= senders || i >= each || !bytes.Equal(m[2], stormMessage(p, i)[2]) ||
						!bytes.Equal(m[1], stormMessage(p, i)[1]) {
						return fmt.Errorf("receiver %d: torn or corrupt message %d/%d", r, p, i)
					}
					if i <= last[p] {
						return fmt.Errorf("receiver %d: sender %d's message %d after %d", r, p, i, last[p])
					}
					last[p] = i
					mu.Lock()
					seen[p][i]++
					mu.Unlock()
				}
				if received.Add(int64(len(got))) == senders*each {
					stop()
				}
			}
		})
	}
	require.NoError(t, g.Wait())
	for p := range seen {
		for i, k := range seen[p] {
			require.Equal(t, 1, k, "sender %d's message %d received %d times", p, i, k)
		}
	}
	t.Logf("%d sends and %d receives cancelled", sendCancels.Load(), recvCancels.Load())
	require.Positive(t, sendCancels.Load(), "no send was ever cancelled: the test tested less than it says")
	require.Positive(t, recvCancels.Load(), "no receive was ever cancelled: the test tested less than it says")
}
