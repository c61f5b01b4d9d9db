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
	if err := s.enter(ctx, "Send"); err != nil {
		return err
	}
	if len(frames) == 0 {
		return ErrNoFrames
	}
	return s.retry(ctx, dirOut, func() (bool, error) {
		again, err := s.sendLocked(frames)
		return !again, err
	})
}

// enter makes the checks every blocking call starts with: a nil ctx panics naming
// call; a claimed socket refuses anyone but its owner; a done ctx ends the call.
func (s *Socket) enter(ctx context.Context, call string) error {
	mustContext(ctx, call)
	if err := s.refuseUnclaimed(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// retry makes attempt after attempt under the socket's lock until try reports that
// it is done (with its error), waiting for direction d between two attempts (see
// wait.go), or until ctx ends or the socket closes.
func (s *Socket) retry(ctx context.Context, d dir, try func() (done bool, err error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a attempt
	defer a.stop()
	for {
		if s.closed {
			return ErrClosed
		}
		if done, err := try(); done {
			return err
		}
		if err := s.waitLocked(ctx, d, &a); err != nil {
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

// SendMany sends msgs in order, each whole as Send sends one, and returns how many it
// sent. It hands libzmq as many messages as it takes, in one cgo call per batch, and
// waits like Send while libzmq takes none. It returns len(msgs) and nil, or n < len(msgs)
// and what stopped it at msgs[n], which was not sent: context.Cause(ctx) when ctx is
// done, ErrClosed, or Send's errors (ErrMessageDropped: libzmq discarded msgs[n] whole).
// A message with no frames fails the call with ErrNoFrames before anything is sent.
// Goroutine-safe; other goroutines' messages may go between two of msgs.
func (s *Socket) SendMany(ctx context.Context, msgs [][][]byte) (int, error) {
	if err := s.enter(ctx, "SendMany"); err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if len(m) == 0 {
			return 0, ErrNoFrames
		}
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	// Not retry: progress between two waits resets the attempt's backoff.
	s.mu.Lock()
	defer s.mu.Unlock()
	var a attempt
	defer a.stop()
	sent := 0
	for {
		if s.closed {
			return sent, ErrClosed
		}
		n, _, err := s.sendManyLocked(msgs[sent:])
		sent += n
		if err != nil || sent == len(msgs) {
			return sent, err
		}
		// libzmq took nothing of msgs[sent].
		if n > 0 {
			a.hot = 0 // progress: not a socket that refuses while it reports ready
		}
		if err := s.waitLocked(ctx, dirOut, &a); err != nil {
			return sent, err
		}
	}
}

// TrySend is Send without waiting: it returns ErrWouldBlock (which matches
// syscall.EAGAIN) when libzmq cannot take the message now, having sent nothing. It
// blocks only on the socket's lock. Other errors, the whole-message guarantee and
// goroutine-safety are Send's; on a closed socket it returns ErrClosed.
func (s *Socket) TrySend(frames ...[]byte) error {
	if err := s.refuseUnclaimed(context.Background()); err != nil {
		return err
	}
	return s.trySend(frames)
}

func (s *Socket) trySend(frames [][]byte) error {
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
	if s.hot == nil {
		return s.pebbeSendLocked(frames)
	}
	msgs := [1][][]byte{frames}
	_, again, err = s.sendManyLocked(msgs[:])
	return again, err
}

// sendManyLocked makes one non-blocking attempt to send msgs, in order, and returns how
// many libzmq took. again reports that it took nothing of msgs[n] (EAGAIN on its first
// frame); err is the failure of msgs[n] otherwise.
func (s *Socket) sendManyLocked(msgs [][][]byte) (n int, again bool, err error) {
	if s.hot == nil {
		for ; n < len(msgs); n++ {
			if again, err := s.pebbeSendLocked(msgs[n]); again || err != nil {
				return n, again, err
			}
		}
		return n, false, nil
	}
	n, dropped, err := s.hot.Send(msgs)
	if n > 0 {
		s.doneLocked(dirOut)
	}
	switch {
	case err == nil:
		return n, false, nil
	case dropped && isEAGAIN(err):
		return n, false, &OpError{Op: "send", Err: ErrMessageDropped}
	case dropped:
		return n, false, opError("send", "", err)
	case isEAGAIN(err):
		return n, true, nil
	}
	return n, false, sockError(s.typ, "send", "", err)
}

// pebbeSendLocked is sendLocked through pebbe/zmq4's calls, one per frame.
func (s *Socket) pebbeSendLocked(frames [][]byte) (again bool, err error) {
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
// The frames are copies owned by the caller, sharing one allocation (see the package
// documentation on performance).
func (s *Socket) Recv(ctx context.Context) ([][]byte, error) {
	if err := s.enter(ctx, "Recv"); err != nil {
		return nil, err
	}
	var msg [][]byte
	err := s.retry(ctx, dirIn, func() (bool, error) {
		m, again, err := s.recvLocked()
		msg = m
		return !again, err
	})
	return msg, err
}

// RecvMany receives up to limit whole messages (at least one; a limit below 1 counts as
// 1) and appends them to dst. It waits like Recv until a message is queued, then takes
// what libzmq has queued, up to limit, in one cgo call. It keeps nothing back: RCVHWM
// and what stays in libzmq mean what they mean for Recv. A call that fails has taken
// nothing and returns dst unchanged with context.Cause(ctx) when ctx is done first,
// ErrClosed on a closed socket, or Recv's errors. Goroutine-safe: concurrent receivers
// each get whole messages, in libzmq's order, every message once. The frames of the
// messages one call takes share one allocation (see the package documentation).
func (s *Socket) RecvMany(ctx context.Context, dst [][][]byte, limit int) ([][][]byte, error) {
	if err := s.enter(ctx, "RecvMany"); err != nil {
		return dst, err
	}
	limit = max(limit, 1)
	got := dst
	err := s.retry(ctx, dirIn, func() (bool, error) {
		more, again, err := s.recvManyLocked(dst, limit)
		if !again {
			got = more
		}
		return !again, err
	})
	return got, err
}

// TryRecv is Recv without waiting: it returns ErrWouldBlock (which matches
// syscall.EAGAIN) when no message is queued, taking nothing. It blocks only on the
// socket's lock. Errors and goroutine-safety are Recv's; on a closed socket it
// returns ErrClosed.
func (s *Socket) TryRecv() ([][]byte, error) {
	if err := s.refuseUnclaimed(context.Background()); err != nil {
		return nil, err
	}
	return s.tryRecv()
}

func (s *Socket) tryRecv() ([][]byte, error) {
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
	if s.hot == nil {
		return s.pebbeRecvLocked()
	}
	var one [1][][]byte
	got, again, err := s.recvManyLocked(one[:0], 1)
	if again || err != nil {
		return nil, again, err
	}
	return got[0], false, nil
}

// recvManyLocked makes one non-blocking attempt to receive up to limit (≥ 1) messages,
// appended to dst. again reports that none was queued. A failure after the first
// message ends the batch and comes again on the next call.
func (s *Socket) recvManyLocked(dst [][][]byte, limit int) (_ [][][]byte, again bool, err error) {
	n0 := len(dst)
	if s.hot == nil {
		for len(dst)-n0 < limit {
			msg, again, err := s.pebbeRecvLocked()
			if again || err != nil {
				if len(dst) > n0 {
					break
				}
				return dst, again, err
			}
			dst = append(dst, msg)
		}
		return dst, false, nil
	}
	dst, err = s.hot.Recv(dst, limit)
	switch {
	case err == nil:
		s.doneLocked(dirIn)
		return dst, false, nil
	case isEAGAIN(err):
		return dst, true, nil
	}
	return dst, false, sockError(s.typ, "recv", "", err)
}

// pebbeRecvLocked is recvLocked through pebbe/zmq4's calls, several per frame.
func (s *Socket) pebbeRecvLocked() (msg [][]byte, again bool, err error) {
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
	return s.retry(ctx, d, func() (bool, error) {
		ev, err := s.raw.GetEvents()
		if err != nil {
			return true, opError("get EVENTS", "", err)
		}
		return ev&d.state() != 0, nil
	})
}

// mustContext panics, naming the call, when ctx is nil, as the standard library does
// (a nil ctx is a programming error, never a runtime condition).
func mustContext(ctx context.Context, call string) {
	if ctx == nil {
		panic("zmqevented: " + call + " with a nil context.Context")
	}
}
