package zmqc

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// recvMeta receives one message with RecvMeta, waiting for it.
func recvMeta(t *testing.T, s *Socket, names *Names) ([][]byte, map[string]string, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg, props, fd, err := s.RecvMeta(names)
		if err == nil {
			return msg, props, fd
		}
		require.Equal(t, zmq4.Errno(syscall.EAGAIN), err)
		require.Nil(t, props)
		require.True(t, time.Now().Before(deadline), "no message")
		time.Sleep(time.Millisecond)
	}
}

// TestRecvMeta: RecvMeta reads ZMQ_SRCFD and the properties of a message's first frame
// (values larger than its room included) along with the whole message, and Recv
// carries on after it; over inproc there are neither.
func TestRecvMeta(t *testing.T) {
	zc := newContext(t)
	router := newSocket(t, zc, zmq4.ROUTER)
	dealer := newSocket(t, zc, zmq4.DEALER)
	big := strings.Repeat("v", 3*minValues)
	for _, p := range []string{"X-Tenant:blue", "X-Big:" + big, "X-Colon:a:b"} {
		require.NoError(t, SetOption(dealer, OptMetadata, []byte(p)))
	}
	require.Equal(t, zmq4.Errno(syscall.EINVAL), SetOption(dealer, OptMetadata, []byte("Tenant:blue")), "a name without X-")
	require.Equal(t, zmq4.Errno(syscall.EINVAL), SetOption(dealer, OptMetadata, []byte("X-Empty:")))
	require.NoError(t, router.Bind("tcp://127.0.0.1:*"))
	ep, err := router.GetLastEndpoint()
	require.NoError(t, err)
	require.NoError(t, dealer.Connect(ep))
	hr, err := Open(router)
	require.NoError(t, err)

	_, _, _, err = hr.RecvMeta(NewNames("Socket-Type"))
	require.Equal(t, zmq4.Errno(syscall.EAGAIN), err)

	large := bytes.Repeat([]byte{7}, maxArena+1) // held: copied outside the arena
	frames := make([][]byte, 3*minWords)         // more frames than the words hold
	for i := range frames {
		frames[i] = []byte(strconv.Itoa(i))
	}
	msgs := [][][]byte{{[]byte("one")}, {large, []byte("tail")}, frames, {[]byte("last")}}
	for _, m := range msgs {
		parts := make([]any, len(m))
		for i, f := range m {
			parts[i] = f
		}
		_, err := dealer.SendMessage(parts...)
		require.NoError(t, err)
	}

	names := NewNames("Socket-Type", "Peer-Address", "User-Id", "X-Tenant", "X-Big", "X-Colon", "X-Tenant", "", "X-\x00")
	require.Equal(t, []string{"Socket-Type", "Peer-Address", "User-Id", "X-Tenant", "X-Big", "X-Colon"}, names.List())
	want := map[string]string{"Socket-Type": "DEALER", "Peer-Address": "127.0.0.1", "X-Tenant": "blue", "X-Big": big, "X-Colon": "a:b"}
	for i, m := range msgs[:3] {
		msg, props, fd := recvMeta(t, hr, names)
		requireSame(t, [][][]byte{m}, [][][]byte{msg[1:]}) // msg[0] is the routing ID
		require.Equal(t, want, props, "message %d", i)
		require.Positive(t, fd)
		local, err := unix.Getsockname(fd)
		require.NoError(t, err)
		in4, ok := local.(*unix.SockaddrInet4)
		require.True(t, ok, "fd is not a TCP/IPv4 socket")
		require.Equal(t, ep, "tcp://127.0.0.1:"+strconv.Itoa(in4.Port), "fd is not the accepted connection")
		if i == 0 {
			require.Len(t, hr.md.values, len(big)+len("DEALER127.0.0.1blue")+len("a:b"), "the room for values did not grow")
		}
	}
	got, err := hr.Recv(nil, 1)
	require.NoError(t, err)
	require.Equal(t, "last", string(got[0][1]))

	// The other way, the first frame is held, and read before it is fetched.
	hd, err := Open(dealer)
	require.NoError(t, err)
	_, _, err = hr.Send([][][]byte{{got[0][0], large, []byte("tail")}})
	require.NoError(t, err)
	msg, props, fd := recvMeta(t, hd, NewNames("Socket-Type", "X-Tenant"))
	requireSame(t, [][][]byte{{large, []byte("tail")}}, [][][]byte{msg})
	require.Equal(t, map[string]string{"Socket-Type": "ROUTER"}, props)
	require.Positive(t, fd)

	_, _, ha, hb := pair(t)
	for _, names := range []*Names{NewNames("Socket-Type", "Peer-Address"), NewNames()} {
		_, _, err = ha.Send([][][]byte{{[]byte("in")}})
		require.NoError(t, err)
		msg, props, fd := recvMeta(t, hb, names)
		require.Equal(t, "in", string(msg[0]))
		require.NotNil(t, props)
		require.Empty(t, props)
		require.Equal(t, -1, fd)
	}
}

// TestSetOption: SetOption refuses a socket whose handle it cannot verify.
func TestSetOption(t *testing.T) {
	zc := newContext(t)
	s := newSocket(t, zc, zmq4.DEALER)
	require.NoError(t, s.Close())
	require.ErrorIs(t, SetOption(s, OptMetadata, []byte("X-A:b")), ErrLayout)
	require.ErrorIs(t, SetOption(nil, OptMetadata, []byte("X-A:b")), ErrLayout)
}
