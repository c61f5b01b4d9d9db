package zmqevented_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

// TestPeerRestartAcknowledged: a PUSH streams to a PULL in another process, which is
// killed and restarted mid-stream. The sender keeps running and reconnects by itself;
// the receiver acknowledges every message, and the sender resends what was never
// acknowledged. In the end every message is acknowledged: the ones the dead process
// took with it are exactly the ones the sender knew were unaccounted for.
func TestPeerRestartAcknowledged(t *testing.T) {
	const n = 20_000
	c := zmqtest.NewContext(t)
	// Small HWMs and kernel buffers on both sides keep the sender from getting so far
	// ahead that it has sent everything before the receiver dies.
	push, err := c.NewSocket(zmq4.PUSH, netOpts(true)...)
	require.NoError(t, err)
	require.NoError(t, push.Bind("tcp://127.0.0.1:*"))
	dataEP, err := push.LastEndpoint()
	require.NoError(t, err)
	acks, err := c.NewSocket(zmq4.PULL)
	require.NoError(t, err)
	require.NoError(t, acks.Bind("tcp://127.0.0.1:*"))
	ackEP, err := acks.LastEndpoint()
	require.NoError(t, err)

	ctx := zmqtest.Ctx(t, 60*time.Second)
	config := "data=" + dataEP + ",ack=" + ackEP
	startAcker := func() *os.Process {
		cmd := zmqtest.ChildCommand(ctx, t, childEnv, "acker", config)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		return cmd.Process
	}
	acker := startAcker()

	var mu sync.Mutex
	acked := make([]int, n)
	var ackCount atomic.Int64
	go func() {
		for {
			m, err := acks.Recv(ctx)
			if err != nil {
				return
			}
			i := binary.BigEndian.Uint64(m[0])
			mu.Lock()
			if acked[i] == 0 {
				ackCount.Add(1)
			}
			acked[i]++
			mu.Unlock()
		}
	}()

	sendErr := make(chan error, 1)
	go func() {
		for i := range uint64(n) {
			if err := push.Send(ctx, seqBytes(i, 64)); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	for ackCount.Load() < n/4 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, acker.Kill()) // SIGKILL: whatever it held is gone
	time.Sleep(100 * time.Millisecond)
	startAcker()
	require.NoError(t, <-sendErr, "the sender stopped when its peer died")

	// Resend whatever was not acknowledged, until everything is.
	lost := map[uint64]bool{}
	rounds := 0
	for ; ackCount.Load() < n; rounds++ {
		require.Less(t, rounds, 20, "acknowledgements stopped at %d of %d", ackCount.Load(), n)
		waitQuiet(&ackCount, 300*time.Millisecond)
		mu.Lock()
		var missing []uint64
		for i, k := range acked {
			if k == 0 {
				missing = append(missing, uint64(i))
			}
		}
		mu.Unlock()
		for _, i := range missing {
			lost[i] = true
			require.NoError(t, push.Send(ctx, seqBytes(i, 64)))
		}
	}
	t.Logf("%d messages; %d went down with the killed process and were resent (%d rounds)", n, len(lost), rounds)
	require.False(t, lost[n-1], "the stream did not resume by itself after the restart: its last message had to be resent")
}

// waitQuiet returns once counter has not changed for d.
func waitQuiet(counter *atomic.Int64, d time.Duration) {
	last := counter.Load()
	for {
		time.Sleep(d)
		now := counter.Load()
		if now == last {
			return
		}
		last = now
	}
}

// TestGarbageClients: peers that do not speak ZMTP 3 (random bytes, a greeting followed
// by garbage, a silent connection) do not disturb the socket they hit: it keeps serving a
// real peer, nothing panics, and other sockets keep working. libzmq reads bytes that do
// not start with the ZMTP 3 signature as ZMTP 1.0 and may deliver pieces of them as
// messages, so the real peer's messages carry a mark and the others are counted.
func TestGarbageClients(t *testing.T) {
	const n = 2_000
	c := zmqtest.NewContext(t)
	pull, push := zmqtest.Pair(t, c, "tcp://127.0.0.1:*", zmq4.PULL, zmq4.PUSH, nil, nil)
	ep, err := pull.LastEndpoint()
	require.NoError(t, err)
	addr := strings.TrimPrefix(ep, "tcp://")
	ctx := zmqtest.Ctx(t, 30*time.Second)

	var g errgroup.Group
	g.Go(func() error {
		for i := range uint64(n) {
			if err := push.Send(ctx, []byte("real peer"), seqBytes(i, 8)); err != nil {
				return err
			}
		}
		return nil
	})
	greeting := append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0}, []byte("NULL")...)
	garbage := [][]byte{randomBytes(t, 64<<10), append(greeting, randomBytes(t, 4096)...), nil}
	for _, junk := range garbage {
		g.Go(func() error {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer conn.Close()
			if junk != nil {
				_, _ = conn.Write(junk) // libzmq may hang up before all of it is written
			}
			time.Sleep(200 * time.Millisecond)
			return nil
		})
	}
	foreign := 0
	for i := uint64(0); i < n; {
		m, err := pull.Recv(ctx)
		require.NoError(t, err)
		if len(m) != 2 || string(m[0]) != "real peer" {
			foreign++
			continue
		}
		require.Equal(t, i, binary.BigEndian.Uint64(m[1]))
		i++
	}
	require.NoError(t, g.Wait())
	t.Logf("%d messages made of garbage read as ZMTP 1.0", foreign)

	other, otherPeer := zmqtest.Pair(t, c, "inproc://still-fine", zmq4.PAIR, zmq4.PAIR, nil, nil)
	require.NoError(t, otherPeer.Send(ctx, []byte("still fine")))
	m, err := other.Recv(ctx)
	require.NoError(t, err)
	require.Equal(t, "still fine", string(m[0]))
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// TestManySockets: 1,000 sockets in one process (500 DEALER pairs over inproc, ipc and
// tcp) exchange messages for 30 s (3 s with -short; ZMQASYNC_SOAK=<duration>, as
// `make stress` sets, for longer): every pair keeps making progress, the heap stays
// flat while they do, and no goroutine is left once they are closed.
func TestManySockets(t *testing.T) {
	const pairs = 500
	d := 30 * time.Second
	if soak := os.Getenv("ZMQASYNC_SOAK"); soak != "" {
		var err error
		d, err = time.ParseDuration(soak)
		require.NoError(t, err, "ZMQASYNC_SOAK")
	} else if testing.Short() {
		d = 3 * time.Second
	}
	t.Logf("soak for %v (30 s by default, 3 s with -short, ZMQASYNC_SOAK to choose)", d)
	c, err := zmqevented.NewContext(zmqevented.WithLinger(0), zmqevented.WithMaxSockets(2*pairs+16))
	require.NoError(t, err)
	defer zmqtest.CloseWithin(t, c)
	dir := t.TempDir()
	type duo struct{ a, b *zmqevented.Socket }
	duos := make([]duo, pairs)
	for i := range duos {
		ep := []string{
			fmt.Sprintf("inproc://many-%d", i),
			"ipc://" + filepath.Join(dir, fmt.Sprint(i)),
			"tcp://127.0.0.1:*",
		}[i%3]
		duos[i].a, duos[i].b = zmqtest.Pair(t, c, ep, zmq4.DEALER, zmq4.DEALER, nil, nil)
	}
	rounds := make([]atomic.Int64, pairs)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var heapWarm uint64
	var g errgroup.Group
	for i, p := range duos {
		g.Go(func() error { // echo
			for {
				m, err := p.b.Recv(ctx)
				if err != nil {
					return nil
				}
				if err := p.b.Send(ctx, m...); err != nil {
					return nil
				}
			}
		})
		g.Go(func() error { // ping
			for k := uint64(0); ; k++ {
				if err := p.a.Send(ctx, seqBytes(k, 32)); err != nil {
					return nil
				}
				m, err := p.a.Recv(ctx)
				if err != nil {
					return nil
				}
				if got := binary.BigEndian.Uint64(m[0]); got != k {
					return fmt.Errorf("pair %d: got %d, want %d", i, got, k)
				}
				rounds[i].Add(1)
			}
		})
	}
	time.Sleep(d / 3)
	heapWarm = heapInUse()
	require.NoError(t, g.Wait())
	heapEnd := heapInUse()
	var total, least int64 = 0, -1
	for i := range rounds {
		r := rounds[i].Load()
		total += r
		if least < 0 || r < least {
			least = r
		}
	}
	t.Logf("%d round trips in %v; slowest pair %d; heap in use %d→%d bytes", total, d, least, heapWarm, heapEnd)
	require.GreaterOrEqual(t, least, int64(10), "a pair stalled")
	require.Less(t, heapEnd, heapWarm+16<<20, "heap grew by more than 16 MiB while the load ran")

	zmqtest.CloseWithin(t, c)
	goleak.VerifyNone(t)
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestFileDescriptorsReleased: every socket holds two descriptors (libzmq's and the
// dup in the poller); closing releases both. libzmq's reaper thread closes its own
// descriptor shortly after Close, so the counts are read once they settle.
func TestFileDescriptorsReleased(t *testing.T) {
	count := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		require.NoError(t, err)
		return len(entries)
	}
	settled := func() int {
		last := count()
		for {
			time.Sleep(50 * time.Millisecond)
			now := count()
			if now == last {
				return now
			}
			last = now
		}
	}
	c := zmqtest.NewContext(t)
	s, err := c.NewSocket(zmq4.PUSH) // the first socket also starts libzmq's threads
	require.NoError(t, err)
	require.NoError(t, s.Close())
	before := settled()
	socks := make([]*zmqevented.Socket, 50)
	for i := range socks {
		socks[i], err = c.NewSocket(zmq4.PULL)
		require.NoError(t, err)
	}
	require.Equal(t, before+2*len(socks), count())
	for _, s := range socks {
		require.NoError(t, s.Close())
	}
	require.Equal(t, before, settled())
}
