package zmqevented

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// zapEndpoint is where libzmq looks for a context's ZAP handler (RFC 27).
const zapEndpoint = "inproc://zeromq.zap.01"

// AuthPolicy says which connections a Context's ZAP handler lets in (WithAuth). Address
// rules come first and apply to every mechanism that consults ZAP (CURVE and PLAIN
// always; NULL only on sockets with WithZAPDomain); then the mechanism's own rule. The
// handler names the user it lets in, which Socket.RecvMessage returns as "User-Id": the
// client's public key (Z85) for CURVE, the username for PLAIN.
type AuthPolicy struct {
	// Deny refuses clients whose IP address matches one of these addresses or CIDR
	// prefixes ("10.0.0.7", "192.168.0.0/16"). Deny wins over Allow.
	Deny []string
	// Allow, when not empty, lets in only clients whose IP address matches one of these;
	// clients without an IP address (ipc, inproc) are then refused.
	Allow []string
	// CurveKeys are the client public keys (Z85) a CURVE server lets in.
	CurveKeys []string
	// AnyCurveKey lets in every CURVE client (encryption without client
	// authentication). It is not the default: an empty CurveKeys denies CURVE clients.
	AnyCurveKey bool
	// PlainUsers maps PLAIN usernames to passwords (WithAuth copies the map). PLAIN
	// sends them in clear text.
	PlainUsers map[string]string
}

// WithAuth gives a Context a ZAP handler that applies p to its sockets' handshakes. It
// is a Context option: the handler is a REP socket bound to inproc://zeromq.zap.01 in the
// Context, served by one goroutine the Context owns and Context.Close stops. Without it,
// a CURVE server accepts every client key (libzmq's behaviour with no handler; pebbe's
// AuthStart serves only pebbe's default context). Every refusal is logged through the
// Context's logger at info level with the mechanism, address and reason, and the server
// socket's monitor reports zmq4.EVENT_HANDSHAKE_FAILED_AUTH. Invalid addresses or keys in
// p are an error from NewContext.
func WithAuth(p AuthPolicy) Option {
	return optionFunc(func(o *options) {
		a, err := newAuthorizer(p)
		if err != nil {
			o.fail("WithAuth: %w", err)
			return
		}
		o.auth = a
	})
}

// authorizer is a compiled AuthPolicy.
type authorizer struct {
	deny, allow []netip.Prefix
	curve       map[string]bool
	anyCurve    bool
	plain       map[string]string
}

func newAuthorizer(p AuthPolicy) (*authorizer, error) {
	a := &authorizer{curve: make(map[string]bool), anyCurve: p.AnyCurveKey, plain: maps.Clone(p.PlainUsers)}
	var err error
	if a.deny, err = parsePrefixes(p.Deny); err != nil {
		return nil, err
	}
	if a.allow, err = parsePrefixes(p.Allow); err != nil {
		return nil, err
	}
	for _, k := range p.CurveKeys {
		if err := ValidateCurveKey(k); err != nil {
			return nil, err
		}
		a.curve[k] = true
	}
	return a, nil
}

func parsePrefixes(addrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(addrs))
	for _, s := range addrs {
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("address %q: %w", s, err)
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", s, err)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

func matches(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// zapRequest is a decoded ZAP request (RFC 27).
type zapRequest struct {
	version, requestID, domain, address, identity, mechanism string
	credentials                                              [][]byte
}

// errBadZAPRequest is what decodeZAPRequest returns for a request it cannot read.
var errBadZAPRequest = errors.New("zmqevented: malformed ZAP request")

// decodeZAPRequest reads a ZAP request message.
func decodeZAPRequest(msg [][]byte) (zapRequest, error) {
	if len(msg) < 6 {
		return zapRequest{}, fmt.Errorf("%w: %d frames, want at least 6", errBadZAPRequest, len(msg))
	}
	r := zapRequest{
		version: string(msg[0]), requestID: string(msg[1]), domain: string(msg[2]),
		address: string(msg[3]), identity: string(msg[4]), mechanism: string(msg[5]),
		credentials: msg[6:],
	}
	if r.version != "1.0" {
		return r, fmt.Errorf("%w: version %q", errBadZAPRequest, r.version)
	}
	return r, nil
}

// decide returns the ZAP status code, status text and user id for a request.
func (a *authorizer) decide(r zapRequest) (code, text, user string) {
	ip, ipErr := netip.ParseAddr(r.address)
	ip = ip.Unmap()
	switch {
	case ipErr == nil && matches(a.deny, ip):
		return "400", "address denied", ""
	case len(a.allow) > 0 && (ipErr != nil || !matches(a.allow, ip)):
		return "400", "address not allowed", ""
	}
	switch r.mechanism {
	case "NULL":
		return "200", "OK", ""
	case "PLAIN":
		if len(r.credentials) != 2 {
			return "400", "malformed PLAIN credentials", ""
		}
		user := string(r.credentials[0])
		if pass, ok := a.plain[user]; !ok || pass != string(r.credentials[1]) {
			return "400", "invalid username or password", ""
		}
		return "200", "OK", user
	case "CURVE":
		if len(r.credentials) != 1 {
			return "400", "malformed CURVE credentials", ""
		}
		key, err := z85Key(r.credentials[0])
		if err != nil {
			return "400", "malformed CURVE key", ""
		}
		if !a.anyCurve && !a.curve[key] {
			return "400", "unknown CURVE key", ""
		}
		return "200", "OK", key
	default:
		return "400", "unsupported mechanism", ""
	}
}

// startAuth binds the ZAP handler socket in c and starts its goroutine, which ends when
// the socket is closed (Context.Close closes it with the others and waits).
func (c *Context) startAuth(a *authorizer) error {
	s, err := c.NewSocket(zmq4.REP, WithLinger(0))
	if err != nil {
		return err
	}
	if err := s.Bind(zapEndpoint); err != nil {
		_ = s.Close()
		return err
	}
	log := c.log.Named("zap")
	c.authDone = make(chan struct{})
	go func() {
		defer close(c.authDone)
		serveZAP(s, a, log)
	}()
	return nil
}

// serveZAP answers ZAP requests on s until s is closed.
func serveZAP(s *Socket, a *authorizer, log *zap.Logger) {
	ctx := context.Background()
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				log.Warn("ZAP handler stopped", zap.Error(err))
			}
			return
		}
		req, err := decodeZAPRequest(msg)
		code, text, user := "500", "malformed request", ""
		if err == nil {
			code, text, user = a.decide(req)
		}
		fields := []zap.Field{
			zap.String("mechanism", req.mechanism), zap.String("address", req.address),
			zap.String("domain", req.domain), zap.String("status", code), zap.String("reason", text),
		}
		if code == "200" {
			log.Debug("allowed", append(fields, zap.String("user", user))...)
		} else {
			log.Info("denied", fields...)
		}
		version := req.version
		if version == "" {
			version = "1.0"
		}
		if err := s.Send(ctx, []byte(version), []byte(req.requestID), []byte(code), []byte(text), []byte(user), nil); err != nil {
			if !errors.Is(err, ErrClosed) {
				log.Warn("ZAP handler stopped", zap.Error(err))
			}
			return
		}
	}
}
