package zmqstream

import (
	"context"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Peers returns the stream of s's peer events from now on: connections made, their
// handshakes done or failed, and connections lost (zmqevented.PeerEventMask), each
// with its endpoint. It is Monitor(ctx, s, zmqevented.PeerEventMask, opts...): the
// same forms (C, All, Observable), lifetime, options and errors.
func Peers(ctx context.Context, s *zmqevented.Socket, opts ...Option) (*EventStream, error) {
	return Monitor(ctx, s, zmqevented.PeerEventMask, opts...)
}
