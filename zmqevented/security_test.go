package zmqevented_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zmqasync/zmqasync/internal/zmqtest"
	"github.com/zmqasync/zmqasync/zmqevented"
)

func keyPair(t *testing.T) zmqevented.CurveKeyPair {
	t.Helper()
	kp, err := zmqevented.NewCurveKeyPair()
	require.NoError(t, err)
	return kp
}

// secureServer is a CURVE PULL server in a context whose ZAP handler applies policy; its
// log records go to logs.
type secureServer struct {
	ctx      *zmqevented.Context
	pull     *zmqevented.Socket
	mon      *zmqevented.Monitor
	endpoint string
	keys     zmqevented.CurveKeyPair
	logs     *observer.ObservedLogs
}

func newSecureServer(t *testing.T, policy zmqevented.AuthPolicy, opts ...zmqevented.Option) *secureServer {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	c := zmqtest.NewContext(t, zmqevented.WithLogger(zap.New(core)), zmqevented.WithAuth(policy))
	keys := keyPair(t)
	if opts == nil {
		opts = []zmqevented.Option{zmqevented.WithCurveServer(keys.Secret)}
	}
	pull, err := c.NewSocket(zmq4.PULL, opts...)
	require.NoError(t, err)
	mon, err := pull.Monitor(t.Context(), zmq4.EVENT_HANDSHAKE_SUCCEEDED|zmq4.EVENT_HANDSHAKE_FAILED_AUTH|
		zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL|zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 64)
	require.NoError(t, err)
	require.NoError(t, pull.Bind("tcp://127.0.0.1:*"))
	ep, err := pull.LastEndpoint()
	require.NoError(t, err)
	return &secureServer{ctx: c, pull: pull, mon: mon, endpoint: ep, keys: keys, logs: logs}
}

// client sends one message to the server from a fresh context with opts.
func (s *secureServer) client(t *testing.T, msg string, opts ...zmqevented.Option) {
	t.Helper()
	c := zmqtest.NewContext(t)
	push, err := c.NewSocket(zmq4.PUSH, opts...)
	require.NoError(t, err)
	require.NoError(t, push.Connect(s.endpoint))
	require.NoError(t, push.Send(zmqtest.Ctx(t, 5*time.Second), []byte(msg)))
}

// nothingArrives asserts the server receives nothing for a while.
func (s *secureServer) nothingArrives(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m, err := s.pull.Recv(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a message got through: %q", m)
}

func TestCurveAllowedClient(t *testing.T) {
	client := keyPair(t)
	srv := newSecureServer(t, zmqevented.AuthPolicy{CurveKeys: []string{client.Public}})
	srv.client(t, "secret weather", zmqevented.WithCurveClient(srv.keys.Public, client))
	require.Equal(t, zmq4.EVENT_HANDSHAKE_SUCCEEDED, nextEvent(t, srv.mon).Event)
	m, err := srv.pull.Recv(zmqtest.Ctx(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, "secret weather", string(m[0]))
}

func TestCurveRejections(t *testing.T) {
	allowed := keyPair(t)
	cases := []struct {
		name   string
		client func(srv *secureServer) []zmqevented.Option
		events zmq4.Event // the handshake failures the server's monitor may report
		logged string     // the reason the ZAP handler logs; "" when it is never asked
	}{
		{"unknown client key", func(srv *secureServer) []zmqevented.Option {
			return []zmqevented.Option{zmqevented.WithCurveClient(srv.keys.Public, keyPair(t))}
		}, zmq4.EVENT_HANDSHAKE_FAILED_AUTH, "unknown CURVE key"},
		{"wrong server key", func(*secureServer) []zmqevented.Option {
			return []zmqevented.Option{zmqevented.WithCurveClient(keyPair(t).Public, allowed)}
		}, zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL, ""},
		{"plaintext client", func(*secureServer) []zmqevented.Option { return nil },
			zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSecureServer(t, zmqevented.AuthPolicy{CurveKeys: []string{allowed.Public}})
			srv.client(t, "must not arrive", tc.client(srv)...)
			ev := nextEvent(t, srv.mon).Event
			require.NotZero(t, ev&tc.events, "monitor reported %v, want one of %v", ev, tc.events)
			srv.nothingArrives(t)
			denied := srv.logs.FilterMessage("denied")
			if tc.logged == "" {
				require.Zero(t, denied.Len())
				return
			}
			require.Equal(t, 1, denied.Len())
			fields := denied.All()[0].ContextMap()
			require.Equal(t, tc.logged, fields["reason"])
			require.Equal(t, "CURVE", fields["mechanism"])
			require.Equal(t, "127.0.0.1", fields["address"])
		})
	}
}

func TestAuthAddressRules(t *testing.T) {
	client := keyPair(t)
	for _, tc := range []struct {
		name   string
		policy zmqevented.AuthPolicy
		pass   bool
	}{
		{"deny wins", zmqevented.AuthPolicy{CurveKeys: []string{client.Public}, Allow: []string{"127.0.0.0/8"}, Deny: []string{"127.0.0.1"}}, false},
		{"not in allow", zmqevented.AuthPolicy{CurveKeys: []string{client.Public}, Allow: []string{"10.0.0.0/8"}}, false},
		{"in allow", zmqevented.AuthPolicy{CurveKeys: []string{client.Public}, Allow: []string{"127.0.0.0/8"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSecureServer(t, tc.policy)
			srv.client(t, "hello", zmqevented.WithCurveClient(srv.keys.Public, client))
			if !tc.pass {
				require.Equal(t, zmq4.EVENT_HANDSHAKE_FAILED_AUTH, nextEvent(t, srv.mon).Event)
				srv.nothingArrives(t)
				return
			}
			m, err := srv.pull.Recv(zmqtest.Ctx(t, 5*time.Second))
			require.NoError(t, err)
			require.Equal(t, "hello", string(m[0]))
		})
	}
	t.Run("NULL with a ZAP domain", func(t *testing.T) {
		srv := newSecureServer(t, zmqevented.AuthPolicy{Deny: []string{"127.0.0.1"}}, zmqevented.WithZAPDomain("global"))
		srv.client(t, "plain")
		require.Equal(t, zmq4.EVENT_HANDSHAKE_FAILED_AUTH, nextEvent(t, srv.mon).Event)
		srv.nothingArrives(t)
	})
}

func TestPlainAuth(t *testing.T) {
	policy := zmqevented.AuthPolicy{PlainUsers: map[string]string{"admin": "s3cret"}}
	t.Run("right password", func(t *testing.T) {
		srv := newSecureServer(t, policy, zmqevented.WithPlainServer())
		srv.client(t, "in", zmqevented.WithPlainClient("admin", "s3cret"))
		m, err := srv.pull.Recv(zmqtest.Ctx(t, 5*time.Second))
		require.NoError(t, err)
		require.Equal(t, "in", string(m[0]))
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := newSecureServer(t, policy, zmqevented.WithPlainServer())
		srv.client(t, "out", zmqevented.WithPlainClient("admin", "guess"))
		require.Equal(t, zmq4.EVENT_HANDSHAKE_FAILED_AUTH, nextEvent(t, srv.mon).Event)
		srv.nothingArrives(t)
		require.Equal(t, "invalid username or password", srv.logs.FilterMessage("denied").All()[0].ContextMap()["reason"])
	})
}

// TestCurveHidesPlaintext puts a TCP proxy between client and server and looks for a
// known message in the bytes that cross it: absent with CURVE, present without (which
// shows the capture works).
func TestCurveHidesPlaintext(t *testing.T) {
	const secret = "the eagle lands at midnight"
	for _, curve := range []bool{true, false} {
		t.Run(map[bool]string{true: "curve", false: "control without curve"}[curve], func(t *testing.T) {
			client := keyPair(t)
			var srv *secureServer
			var copts []zmqevented.Option
			if curve {
				srv = newSecureServer(t, zmqevented.AuthPolicy{CurveKeys: []string{client.Public}})
				copts = []zmqevented.Option{zmqevented.WithCurveClient(srv.keys.Public, client)}
			} else {
				srv = newSecureServer(t, zmqevented.AuthPolicy{}, zmqevented.WithLinger(0))
			}
			proxy, captured := tapProxy(t, strings.TrimPrefix(srv.endpoint, "tcp://"))
			c := zmqtest.NewContext(t)
			push, err := c.NewSocket(zmq4.PUSH, copts...)
			require.NoError(t, err)
			require.NoError(t, push.Connect("tcp://"+proxy))
			ctx := zmqtest.Ctx(t, 5*time.Second)
			require.NoError(t, push.Send(ctx, []byte(secret)))
			m, err := srv.pull.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, secret, string(m[0]))
			require.Equal(t, !curve, bytes.Contains(captured(), []byte(secret)))
		})
	}
}

// tapProxy forwards one TCP connection to target and records the client's bytes.
func tapProxy(t *testing.T, target string) (addr string, captured func() []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		in, err := ln.Accept()
		if err != nil {
			return
		}
		defer in.Close()
		out, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer out.Close()
		go func() { _, _ = io.Copy(in, out) }()
		chunk := make([]byte, 4096)
		for {
			n, err := in.Read(chunk)
			mu.Lock()
			buf.Write(chunk[:n])
			mu.Unlock()
			if n > 0 {
				if _, werr := out.Write(chunk[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(buf.Bytes())
	}
}

func TestCurveKeyFiles(t *testing.T) {
	dir := t.TempDir()
	kp := keyPair(t)
	pub, sec, err := zmqevented.SaveCurveKeyPair(dir, "server", kp)
	require.NoError(t, err)
	got, err := zmqevented.LoadCurveKeyPair(sec)
	require.NoError(t, err)
	require.Equal(t, kp, got)
	got, err = zmqevented.LoadCurveKeyPair(pub)
	require.NoError(t, err)
	require.Equal(t, zmqevented.CurveKeyPair{Public: kp.Public}, got)
	keys, err := zmqevented.LoadCurvePublicKeys(dir)
	require.NoError(t, err)
	require.Equal(t, []string{kp.Public}, keys)

	// Saving over a secret file left readable by others makes it private again.
	require.NoError(t, os.Chmod(sec, 0o644))
	_, sec, err = zmqevented.SaveCurveKeyPair(dir, "server", kp)
	require.NoError(t, err)
	info, err := os.Stat(sec)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "temporary files left behind")

	_, err = zmqevented.ParseCurveCertificate([]byte(`public-key = "too short"`))
	require.ErrorIs(t, err, zmqevented.ErrBadKey)
	_, err = zmqevented.ParseCurveCertificate([]byte("# nothing here\n"))
	require.ErrorIs(t, err, zmqevented.ErrBadKey)
	_, err = zmqevented.NewContext(zmqevented.WithAuth(zmqevented.AuthPolicy{CurveKeys: []string{"bad"}}))
	require.ErrorIs(t, err, zmqevented.ErrBadKey)
	_, err = zmqevented.NewContext(zmqevented.WithAuth(zmqevented.AuthPolicy{Allow: []string{"not-an-ip"}}))
	require.ErrorContains(t, err, `address "not-an-ip"`)
	c := zmqtest.NewContext(t)
	_, err = c.NewSocket(zmq4.PULL, zmqevented.WithCurveServer("x"))
	require.ErrorIs(t, err, zmqevented.ErrBadKey)
	_, err = c.NewSocket(zmq4.PULL, zmqevented.WithAuth(zmqevented.AuthPolicy{}))
	require.ErrorContains(t, err, "Context option")
}

// TestCurveKeyFilesFromPyzmq loads certificates written by pyzmq's
// zmq.auth.create_certificates and uses them for a CURVE exchange.
func TestCurveKeyFilesFromPyzmq(t *testing.T) {
	py := zmqtest.Python(t)
	dir := t.TempDir()
	out, err := exec.Command(py, "-c", "import sys, zmq.auth; zmq.auth.create_certificates(sys.argv[1], 'server'); zmq.auth.create_certificates(sys.argv[1], 'client')", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	server, err := zmqevented.LoadCurveKeyPair(filepath.Join(dir, "server.key_secret"))
	require.NoError(t, err)
	client, err := zmqevented.LoadCurveKeyPair(filepath.Join(dir, "client.key_secret"))
	require.NoError(t, err)
	allowed, err := zmqevented.LoadCurvePublicKeys(dir)
	require.NoError(t, err)
	require.Len(t, allowed, 2)

	srv := newSecureServer(t, zmqevented.AuthPolicy{CurveKeys: allowed}, zmqevented.WithCurveServer(server.Secret))
	srv.client(t, "from pyzmq keys", zmqevented.WithCurveClient(server.Public, client))
	m, err := srv.pull.Recv(zmqtest.Ctx(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, "from pyzmq keys", string(m[0]))
}

func TestAuthHandlerStopsWithContext(t *testing.T) {
	c, err := zmqevented.NewContext(zmqevented.WithAuth(zmqevented.AuthPolicy{AnyCurveKey: true}))
	require.NoError(t, err)
	zmqtest.CloseWithin(t, c)
	// goleak (TestMain) fails the package if the handler's goroutine outlived Close.
	require.True(t, errors.Is(c.Close(), zmqevented.ErrClosed))
}
