package zmqevented

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented/internal/zmqc"
)

// Message is a whole message with what libzmq knows of where it came from, as
// Socket.RecvMessage returns it.
type Message struct {
	// Frames are the message's frames, as Recv returns them.
	Frames [][]byte
	// Metadata holds the properties of the message's connection that libzmq has
	// (zmq_msg_gets), by name; never nil. See Socket.RecvMessage.
	Metadata map[string]string
	// Conn is the file descriptor of the connection the message came on (ZMQ_SRCFD):
	// the Value of that connection's ACCEPTED or CONNECTED and DISCONNECTED monitor
	// events. -1 over inproc, and on pebbe/zmq4's calls (see Performance).
	Conn int
}

// messageProps are the properties RecvMessage always asks for.
var messageProps = []string{"Socket-Type", "Peer-Address", "User-Id", "Routing-Id", "Identity"}

// messageNames is messageProps prepared for the hot path.
var messageNames = zmqc.NewNames(messageProps...)

// RecvMessage is Recv that also returns the message's metadata, read from its first
// frame: "Socket-Type" (the peer's), "Peer-Address" (its IP address), "User-Id" (the
// user the ZAP handler let in, see AuthPolicy), "Routing-Id" and "Identity" (the
// routing ID the peer announced), and each name in properties (application properties
// a peer set with WithMetadata). A property the message lacks is absent; over inproc
// there are none. Blocking, cancellation (a cancelled call takes nothing), errors
// (ErrClaimed included) and goroutine-safety are Recv's.
func (s *Socket) RecvMessage(ctx context.Context, properties ...string) (Message, error) {
	if err := s.enter(ctx, "RecvMessage"); err != nil {
		return Message{}, err
	}
	names := messageNames
	if len(properties) > 0 {
		names = zmqc.NewNames(append(slices.Clip(messageProps), properties...)...)
	}
	var m Message
	err := s.retry(ctx, dirIn, func() (bool, error) {
		got, again, err := s.recvMessageLocked(names)
		if !again {
			m = got
		}
		return !again, err
	})
	return m, err
}

// recvMessageLocked is recvLocked with metadata: one non-blocking attempt, again
// reporting that no message was queued.
func (s *Socket) recvMessageLocked(names *zmqc.Names) (m Message, again bool, err error) {
	if s.hot == nil {
		return s.pebbeRecvMessageLocked(names.List())
	}
	frames, props, fd, err := s.hot.RecvMeta(names)
	switch {
	case err == nil:
		s.doneLocked(dirIn)
		return Message{Frames: frames, Metadata: props, Conn: fd}, false, nil
	case isEAGAIN(err):
		return Message{}, true, nil
	}
	return Message{}, false, sockError(s.typ, "recv", "", err)
}

// pebbeRecvMessageLocked is recvMessageLocked through pebbe/zmq4's calls, which read
// properties but not ZMQ_SRCFD.
func (s *Socket) pebbeRecvMessageLocked(names []string) (m Message, again bool, err error) {
	frame, props, err := s.raw.RecvBytesWithMetadata(zmq4.DONTWAIT, names...)
	if err != nil {
		if isEAGAIN(err) {
			return Message{}, true, nil
		}
		return Message{}, false, sockError(s.typ, "recv", "", err)
	}
	m = Message{Frames: [][]byte{frame}, Metadata: props, Conn: -1}
	for {
		more, err := s.raw.GetRcvmore()
		if err != nil {
			return Message{}, false, opError("recv", "", err)
		}
		if !more {
			break
		}
		frame, err := s.raw.RecvBytes(zmq4.DONTWAIT)
		if err != nil {
			return Message{}, false, opError("recv", "", err)
		}
		m.Frames = append(m.Frames, frame)
	}
	s.doneLocked(dirIn)
	return m, false, nil
}

// WithMetadata sets application properties (ZMQ_METADATA, libzmq ≥ 4.3) that the
// socket sends its peers when it connects, which they read with RecvMessage. Names
// start with "X-" followed by letters, digits, '-', '_', '.' or '+' (at most 255
// bytes); values are not empty and hold no NUL byte; anything else is an error from
// the constructor. A later WithMetadata replaces a name's earlier value. pebbe/zmq4
// has no setter for it: the constructor fails when the socket's libzmq handle does
// not verify (see Performance).
func WithMetadata(props map[string]string) Option {
	return optionFunc(func(o *options) {
		for _, name := range slices.Sorted(maps.Keys(props)) {
			value := props[name]
			if err := checkProperty(name, value); err != "" {
				o.fail("WithMetadata: property %q: %s", name, err)
				continue
			}
			opt := "METADATA " + name
			o.sockopts = slices.DeleteFunc(o.sockopts, func(so sockopt) bool { return so.name == opt })
			kv := []byte(name + ":" + value)
			o.set(opt, func(s *zmq4.Socket) error { return zmqc.SetOption(s, zmqc.OptMetadata, kv) })
		}
	})
}

// checkProperty says what is wrong with an application property, or "".
func checkProperty(name, value string) string {
	rest, ok := strings.CutPrefix(name, "X-")
	switch {
	case !ok || rest == "":
		return `the name must start with "X-" and go on`
	case len(name) > 255:
		return "the name is longer than 255 bytes"
	case strings.IndexFunc(rest, func(r rune) bool { return !propertyRune(r) }) >= 0:
		return "the name holds a character other than letters, digits, '-', '_', '.' and '+'"
	case value == "":
		return "the value is empty"
	case strings.IndexByte(value, 0) >= 0:
		return "the value holds a NUL byte"
	}
	return ""
}

// propertyRune reports whether r may be in a ZMTP property name.
func propertyRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_.+", r)
}
