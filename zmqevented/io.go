package zmqevented

import (
	"context"
	"fmt"

	"github.com/pebbe/zmq4"
)

// Send sends one whole multipart message: every frame but the last with ZMQ_SNDMORE.
// It blocks while libzmq cannot take the message (the peers' pipes are at SNDHWM, or no
// peer is connected yet for socket types that wait for one), parking the goroutine in
// the netpoller. libzmq takes a multipart message atomically, so a Send that returns
// an error sent nothing, and one that returns nil handed the whole message to libzmq
// (which is not delivery: see Close).
//
// If ctx is done before the message is taken, Send returns context.Cause(ctx) and
// nothing was sent. On a closed socket it returns ErrClosed. If the peer's pipe dies
// between the first and the last frame, libzmq discards the message and Send returns an
// *OpError wrapping ErrMessageDropped; the socket stays usable. Goroutine-safe: any
// number of goroutines may Send and Recv on one socket at once; each message is sent
// whole, never interleaved. The frames may be reused once Send returns.
func (s *Socket) Send(ctx context.Context, frames ...[]byte) error {
	mustContext(ctx, "Send")
	if len(frames) == 0 {
		return ErrNoFrames
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a attempt
	defer a.stop()
	for {
		if s.closed {
			return ErrClosed
		}
		again, err := s.sendLocked(frames)
		if !again {
			return err
		}
		if err := s.waitLocked(ctx, dirOut, &a); err != nil {
			return err
		}
	}
}

// SendMessage is Send for mixed parts, as zmq4.Socket.SendMessage: a string or []byte
// is one frame, a []string or [][]byte is one frame per element, and anything else is
// formatted with fmt.Sprint (see Frames). Blocking, cancellation, errors and
// goroutine-safety are Send's.
func (s *Socket) SendMessage(ctx context.Context, parts ...any) error {
	return s.Send(ctx, Frames(parts...)...)
}

// Frames flattens parts into frames the way SendMessage does. The frames share memory
// with []byte parts.
func Frames(parts ...any) [][]byte {
	frames := make([][]byte, 0, len(parts))
	for _, p := range parts {
		switch v := p.(type) {
		case []byte:
			frames = append(frames, v)
		case string:
			frames = append(frames, []byte(v))
		case [][]byte:
			frames = append(frames, v...)
		case []string:
			for _, f := range v {
				frames = append(frames, []byte(f))
			}
		default:
			frames = append(frames, []byte(fmt.Sprint(v)))
		}
	}
	return frames
}

// TrySend is Send without waiting: it returns ErrWouldBlock (which matches
// syscall.EAGAIN) when libzmq cannot take the message now, having sent nothing. It
// blocks only on the socket's lock. Other errors, the whole-message guarantee and
// goroutine-safety are Send's; on a closed socket it returns ErrClosed.
func (s *Socket) TrySend(frames ...[]byte) error {
	if len(frames) == 0 {
		return ErrNoFrames
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	again, err := s.sendLocked(frames)
	if again {
		return ErrWouldBlock
	}
	return err
}

// sendLocked makes one non-blocking attempt to send frames. again reports that libzmq
// took nothing (EAGAIN on the first frame).
func (s *Socket) sendLocked(frames [][]byte) (again bool, err error) {
	last := len(frames) - 1
	for i, f := range frames {
		flags := zmq4.DONTWAIT
		if i < last {
			flags |= zmq4.SNDMORE
		}
		if _, err := s.raw.SendBytes(f, flags); err != nil {
			if i == 0 {
				if isEAGAIN(err) {
					return true, nil
				}
				return false, sockError(s.typ, "send", "", err)
			}
			return false, s.abandonLocked(frames[i:], err)
		}
	}
	s.doneLocked(dirOut)
	return false, nil
}

// abandonLocked handles a refusal after the first frame of a message: libzmq has then
// discarded the frames it took and drops every further frame up to the message's last
// one. Sending the rest of this message ends that state, so the next message is not
// swallowed; libzmq drops those frames without error.
func (s *Socket) abandonLocked(rest [][]byte, cause error) error {
	for i := 1; i < len(rest); i++ {
		flags := zmq4.DONTWAIT
		if i < len(rest)-1 {
			flags |= zmq4.SNDMORE
		}
		if _, err := s.raw.SendBytes(rest[i], flags); err != nil {
			break
		}
	}
	if isEAGAIN(cause) {
		return &OpError{Op: "send", Err: ErrMessageDropped}
	}
	return opError("send", "", cause)
}

// Recv receives one whole multipart message. It blocks while no message is queued,
// parking the goroutine in the netpoller. If ctx is done first, Recv returns
// context.Cause(ctx) and takes nothing: the next message stays in libzmq for the next
// Recv. On a closed socket it returns ErrClosed. Goroutine-safe: concurrent Recv calls
// each get whole messages, every message exactly once.
//
// Cost: one lock plus libzmq's receive per frame; the frames are fresh copies owned by
// the caller.
func (s *Socket) Recv(ctx context.Context) ([][]byte, error) {
	mustContext(ctx, "Recv")
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a attempt
	defer a.stop()
	for {
		if s.closed {
			return nil, ErrClosed
		}
		msg, again, err := s.recvLocked()
		if !again {
			return msg, err
		}
		if err := s.waitLocked(ctx, dirIn, &a); err != nil {
			return nil, err
		}
	}
}

// TryRecv is Recv without waiting: it returns ErrWouldBlock (which matches
// syscall.EAGAIN) when no message is queued, taking nothing. It blocks only on the
// socket's lock. Errors and goroutine-safety are Recv's; on a closed socket it
// returns ErrClosed.
func (s *Socket) TryRecv() ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	msg, again, err := s.recvLocked()
	if again {
		return nil, ErrWouldBlock
	}
	return msg, err
}

// recvLocked makes one non-blocking attempt to receive a message. again reports that
// none was queued. libzmq delivers multipart messages atomically, so only the first
// frame can be missing.
func (s *Socket) recvLocked() (msg [][]byte, again bool, err error) {
	frame, err := s.raw.RecvBytes(zmq4.DONTWAIT)
	if err != nil {
		if isEAGAIN(err) {
			return nil, true, nil
		}
		return nil, false, sockError(s.typ, "recv", "", err)
	}
	msg = [][]byte{frame}
	for {
		more, err := s.raw.GetRcvmore()
		if err != nil {
			return nil, false, opError("recv", "", err)
		}
		if !more {
			break
		}
		frame, err := s.raw.RecvBytes(zmq4.DONTWAIT)
		if err != nil {
			return nil, false, opError("recv", "", err)
		}
		msg = append(msg, frame)
	}
	s.doneLocked(dirIn)
	return msg, false, nil
}

// WaitReadable blocks until a Recv would not block (ZMQ_EVENTS reports POLLIN), ctx is
// done (context.Cause(ctx)) or the socket is closed (ErrClosed), parking in the
// netpoller like Recv. It takes nothing: with several receivers another goroutine may
// take the message first. Goroutine-safe. For layers that schedule their own receives.
func (s *Socket) WaitReadable(ctx context.Context) error {
	mustContext(ctx, "WaitReadable")
	return s.waitReady(ctx, dirIn)
}

// WaitWritable is WaitReadable for sending (ZMQ_EVENTS reports POLLOUT): it blocks
// until a Send would not block, ctx is done or the socket is closed, and sends nothing.
// PUB, XPUB and ROUTER always report writable. Goroutine-safe.
func (s *Socket) WaitWritable(ctx context.Context) error {
	mustContext(ctx, "WaitWritable")
	return s.waitReady(ctx, dirOut)
}

func (s *Socket) waitReady(ctx context.Context, d dir) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a attempt
	defer a.stop()
	for {
		if s.closed {
			return ErrClosed
		}
		ev, err := s.raw.GetEvents()
		if err != nil {
			return opError("get EVENTS", "", err)
		}
		if ev&d.state() != 0 {
			return nil
		}
		if err := s.waitLocked(ctx, d, &a); err != nil {
			return err
		}
	}
}

// mustContext panics, naming the call, when ctx is nil, as the standard library does
// (a nil ctx is a programming error, never a runtime condition).
func mustContext(ctx context.Context, call string) {
	if ctx == nil {
		panic("zmqevented: " + call + " with a nil context.Context")
	}
}
