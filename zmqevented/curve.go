package zmqevented

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pebbe/zmq4"
)

// ErrBadKey is returned for a CURVE key that is not 40 characters of Z85 text encoding
// 32 bytes.
var ErrBadKey = errors.New("zmqevented: bad CURVE key: want 40 characters of Z85")

// CurveKeyPair is a CURVE key pair in Z85 text (40 characters each). Secret is empty for
// a key loaded from a public-only certificate file.
type CurveKeyPair struct {
	Public string
	Secret string
}

// NewCurveKeyPair generates a fresh key pair with libzmq (which needs libsodium, as
// Debian's libzmq has). It does not block.
func NewCurveKeyPair() (CurveKeyPair, error) {
	if !zmq4.HasCurve() {
		return CurveKeyPair{}, errors.New("zmqevented: this libzmq was built without CURVE")
	}
	pub, sec, err := zmq4.NewCurveKeypair()
	if err != nil {
		return CurveKeyPair{}, opError("generate CURVE key pair", "", err)
	}
	return CurveKeyPair{Public: pub, Secret: sec}, nil
}

// ValidateCurveKey checks that key is 40 characters of Z85 text encoding a 32-byte key;
// it returns an error wrapping ErrBadKey otherwise.
func ValidateCurveKey(key string) error {
	if len(key) != 40 {
		return fmt.Errorf("%w: %d characters", ErrBadKey, len(key))
	}
	for i := 0; i < len(key); i++ {
		if strings.IndexByte(z85Alphabet, key[i]) < 0 {
			return fmt.Errorf("%w: character %q at %d", ErrBadKey, key[i], i)
		}
	}
	// A 5-character group above 0xFFFFFFFF is not Z85: it would decode to the same bytes
	// as another text, so a key must encode back to itself.
	if raw := z85Decode(key); len(raw) != 32 || zmq4.Z85encode(string(raw)) != key {
		return fmt.Errorf("%w: not canonical Z85", ErrBadKey)
	}
	return nil
}

const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Decode returns the bytes of Z85 text (pebbe's Z85decode, as bytes).
func z85Decode(key string) []byte { return []byte(zmq4.Z85decode(key)) }

// z85Key returns the Z85 text of a 32-byte binary key (as ZAP requests carry it).
func z85Key(raw []byte) (string, error) {
	if len(raw) != 32 {
		return "", fmt.Errorf("%w: %d bytes, want 32", ErrBadKey, len(raw))
	}
	return zmq4.Z85encode(string(raw)), nil
}

// SaveCurveKeyPair writes the key pair as two certificate files in dir, in the text
// format of czmq's zcert that pyzmq's zmq.auth.load_certificate also reads:
// name.key holds the public key only (mode 0644, safe to hand to peers) and
// name.key_secret both keys (mode 0600, also when it replaces an existing file). Each
// file is written whole or not at all. It returns the two paths.
func SaveCurveKeyPair(dir, name string, kp CurveKeyPair) (public, secret string, err error) {
	if err := ValidateCurveKey(kp.Public); err != nil {
		return "", "", err
	}
	if err := ValidateCurveKey(kp.Secret); err != nil {
		return "", "", err
	}
	public = filepath.Join(dir, name+".key")
	secret = filepath.Join(dir, name+".key_secret")
	if err := writeFileAtomic(public, certText(kp.Public, ""), 0o644); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(secret, certText(kp.Public, kp.Secret), 0o600); err != nil {
		return "", "", err
	}
	return public, secret, nil
}

// writeFileAtomic writes data to a new file in path's directory with mode perm and
// renames it over path, so that path ends up with exactly perm (os.WriteFile would keep
// the looser mode of a file already there) and never half written.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(f.Name()) }() // fails (harmlessly) once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}

func certText(public, secret string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#   ****  Generated on %s by zmqasync  ****\n", time.Now().UTC().Format(time.DateTime))
	if secret != "" {
		b.WriteString("#   ZeroMQ CURVE **Secret** Certificate\n#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n")
	} else {
		b.WriteString("#   ZeroMQ CURVE Public Certificate\n#   Exchange securely, or use a secure mechanism to verify the contents\n#   of this file after exchange. Store public certificates in your home\n#   directory, in the .curve subdirectory.\n")
	}
	b.WriteString("\nmetadata\ncurve\n")
	fmt.Fprintf(&b, "    public-key = %q\n", public)
	if secret != "" {
		fmt.Fprintf(&b, "    secret-key = %q\n", secret)
	}
	return b.Bytes()
}

// LoadCurveKeyPair reads a certificate file written by SaveCurveKeyPair, czmq or pyzmq.
// Secret is empty for a public certificate. Both keys present are validated.
func LoadCurveKeyPair(path string) (CurveKeyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CurveKeyPair{}, err
	}
	kp, err := ParseCurveCertificate(data)
	if err != nil {
		return CurveKeyPair{}, fmt.Errorf("zmqevented: %s: %w", path, err)
	}
	return kp, nil
}

// ParseCurveCertificate parses the text of a certificate file: lines
// `public-key = "<z85>"` and optionally `secret-key = "<z85>"`; comments (#) and other
// lines are ignored. A certificate without a public key is an error.
func ParseCurveCertificate(data []byte) (CurveKeyPair, error) {
	var kp CurveKeyPair
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch strings.TrimSpace(name) {
		case "public-key":
			kp.Public = value
		case "secret-key":
			kp.Secret = value
		}
	}
	if err := sc.Err(); err != nil {
		return CurveKeyPair{}, err
	}
	if kp.Public == "" {
		return CurveKeyPair{}, fmt.Errorf("%w: no public-key line", ErrBadKey)
	}
	if err := ValidateCurveKey(kp.Public); err != nil {
		return CurveKeyPair{}, fmt.Errorf("public-key: %w", err)
	}
	if kp.Secret != "" {
		if err := ValidateCurveKey(kp.Secret); err != nil {
			return CurveKeyPair{}, fmt.Errorf("secret-key: %w", err)
		}
	}
	return kp, nil
}

// LoadCurvePublicKeys reads the public key of every *.key file in dir (a directory of
// client certificates, as czmq's "allow" directory), sorted, for AuthPolicy.CurveKeys.
func LoadCurvePublicKeys(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		kp, err := LoadCurveKeyPair(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, kp.Public)
	}
	sort.Strings(keys)
	return keys, nil
}

// WithCurveServer makes the socket a CURVE server with the given secret key: every
// connection is encrypted and the client proves it holds its key. Which client keys are
// let in is the ZAP handler's decision: give the Context WithAuth, since without a ZAP
// handler libzmq lets every client key in. An invalid key is an error from NewSocket.
func WithCurveServer(secretKey string) Option {
	return optionFunc(func(o *options) {
		if err := ValidateCurveKey(secretKey); err != nil {
			o.fail("WithCurveServer: %w", err)
			return
		}
		o.set("CURVE_SERVER", func(s *zmq4.Socket) error { return s.SetCurveServer(1) })
		o.set("CURVE_SECRETKEY", func(s *zmq4.Socket) error { return s.SetCurveSecretkey(secretKey) })
	})
}

// WithCurveClient makes the socket a CURVE client of the server whose public key is
// serverPublic, authenticating with its own key pair. Invalid keys are an error from
// NewSocket. A wrong server key is not detected here: the handshake then fails and the
// socket's monitor reports it.
func WithCurveClient(serverPublic string, client CurveKeyPair) Option {
	return optionFunc(func(o *options) {
		keys := []struct{ name, key string }{
			{"server public", serverPublic}, {"client public", client.Public}, {"client secret", client.Secret},
		}
		for _, k := range keys {
			if err := ValidateCurveKey(k.key); err != nil {
				o.fail("WithCurveClient: %s key: %w", k.name, err)
				return
			}
		}
		o.set("CURVE_SERVERKEY", func(s *zmq4.Socket) error { return s.SetCurveServerkey(serverPublic) })
		o.set("CURVE_PUBLICKEY", func(s *zmq4.Socket) error { return s.SetCurvePublickey(client.Public) })
		o.set("CURVE_SECRETKEY", func(s *zmq4.Socket) error { return s.SetCurveSecretkey(client.Secret) })
	})
}

// WithPlainServer makes the socket a PLAIN server: clients send a username and password
// in clear text, checked by the Context's ZAP handler (WithAuth). PLAIN does not encrypt.
func WithPlainServer() Option {
	return WithSockopt("PLAIN_SERVER", func(s *zmq4.Socket) error { return s.SetPlainServer(1) })
}

// WithPlainClient makes the socket a PLAIN client with the given credentials.
func WithPlainClient(username, password string) Option {
	return optionFunc(func(o *options) {
		o.set("PLAIN_USERNAME", func(s *zmq4.Socket) error { return s.SetPlainUsername(username) })
		o.set("PLAIN_PASSWORD", func(s *zmq4.Socket) error { return s.SetPlainPassword(password) })
	})
}

// WithZAPDomain sets ZMQ_ZAP_DOMAIN. With a domain set, even connections without a
// security mechanism (NULL) go through the Context's ZAP handler, so its address rules
// apply to them. Default: none.
func WithZAPDomain(domain string) Option {
	return WithSockopt("ZAP_DOMAIN", func(s *zmq4.Socket) error { return s.SetZapDomain(domain) })
}
