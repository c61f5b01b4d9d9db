package zmqevented

import (
	"context"

	"github.com/pebbe/zmq4"
)

// PeerEventMask selects the monitor events that tell of peers coming and going: a
// connection made (EVENT_CONNECTED, EVENT_ACCEPTED), its ZMTP handshake done or failed
// (EVENT_HANDSHAKE_SUCCEEDED, EVENT_HANDSHAKE_FAILED_*), and a connection lost
// (EVENT_DISCONNECTED, also when heartbeats time out: see WithHeartbeatInterval).
// Monitor(ctx, PeerEventMask, n) is the stream of them, zmqstream.Monitor its rxgo form.
const PeerEventMask = zmq4.EVENT_CONNECTED | zmq4.EVENT_ACCEPTED | zmq4.EVENT_DISCONNECTED |
	zmq4.EVENT_HANDSHAKE_SUCCEEDED | zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
	zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq4.EVENT_HANDSHAKE_FAILED_AUTH

// WaitConnected blocks until the socket has a connection up, as Monitor.Peers counts
// them (ACCEPTED or CONNECTED and not yet DISCONNECTED), and returns nil at once if it
// has one already. It counts connections, not handshakes: the ZMTP handshake follows
// (Monitor with PeerEventMask tells whether it succeeds; if it fails the connection is dropped).
//
// The socket's monitor counts connections only from its start, which the first
// Monitor or WaitConnected call makes: start it before Bind and Connect,
// or a connection made earlier is not seen until it is made again. inproc, pgm, epgm
// and norm report no connections, so WaitConnected waits for ctx on them. It returns
// context.Cause(ctx) when ctx is done first, ErrClosed when the socket is or gets
// closed, and leaves the socket unchanged either way.
func (s *Socket) WaitConnected(ctx context.Context) error {
	mustContext(ctx, "WaitConnected")
	// Subscribe first, then look at the count: a connection made in between is in the
	// count or comes as an event, never neither.
	m, err := s.Monitor(ctx, zmq4.EVENT_ACCEPTED|zmq4.EVENT_CONNECTED, 1)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	for m.Peers() == 0 {
		select {
		case _, ok := <-m.C():
			if !ok {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				return ErrClosed
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}
