package zmqevented

import (
	"context"
	"errors"
	"fmt"
)

// ErrClaimed is matched by the error of a Send or Recv (or a variant) on a socket that
// an owner has claimed (Socket.Claim), made by anyone but that owner: a message taken
// there would be stolen from the owner, a reply from its request.
var ErrClaimed = errors.New("zmqevented: socket claimed")

// Claim is an owner's exclusive hold on a socket's sends and receives. Its methods are
// goroutine-safe.
type Claim struct {
	s     *Socket
	owner string
}

type claimKey struct{}

// Claim reserves s for one owner (a Requester, a Server): from now on Send, SendMany,
// TrySend, Recv, RecvMany, RecvMessage and TryRecv fail at once with an error matching
// ErrClaimed that names owner, unless called with a context from the Claim's Context
// (or through its Try methods). Options, With, Monitor and Close stay open to all. It
// fails with ErrClaimed if s is claimed already, ErrClosed if it is closed. It does not
// block.
func (s *Socket) Claim(owner string) (*Claim, error) {
	c := &Claim{s: s, owner: owner}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !s.claim.CompareAndSwap(nil, c) {
		return nil, fmt.Errorf("%w by %s", ErrClaimed, s.claim.Load().owner)
	}
	return c, nil
}

// Context returns ctx marked as the owner's: the socket's calls accept it.
func (c *Claim) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// Send is the socket's Send for the owner. A message libzmq takes at once costs no
// marked context.
func (c *Claim) Send(ctx context.Context, frames ...[]byte) error {
	mustContext(ctx, "Claim.Send")
	if err := c.s.trySend(frames); !errors.Is(err, ErrWouldBlock) {
		return err
	}
	return c.s.Send(c.Context(ctx), frames...)
}

// TrySend is the socket's TrySend for the owner.
func (c *Claim) TrySend(frames ...[]byte) error { return c.s.trySend(frames) }

// TryRecv is the socket's TryRecv for the owner.
func (c *Claim) TryRecv() ([][]byte, error) { return c.s.tryRecv() }

// Release gives the socket back to every caller. Later calls do nothing.
func (c *Claim) Release() { c.s.claim.CompareAndSwap(c, nil) }

// refuseUnclaimed returns the error for a call with ctx (context.Background for the Try
// methods) on a claimed socket by someone other than its owner, or nil.
func (s *Socket) refuseUnclaimed(ctx context.Context) error {
	c := s.claim.Load()
	if c == nil || ctx.Value(claimKey{}) == c {
		return nil
	}
	return fmt.Errorf("%w by %s: its messages are its own; go through it, not the socket", ErrClaimed, c.owner)
}
