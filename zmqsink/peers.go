package zmqsink

import (
	"errors"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// startTracking subscribes to the socket's monitor for its count of connected peers
// (no events are needed: zmqevented's monitor counts the connections itself).
func (k *Sink) startTracking() error {
	mon, err := k.sock.Monitor(k.life, 0, 1)
	if err != nil {
		return err
	}
	k.mon = mon
	return nil
}

// noPeer reports whether a tracked PUB or XPUB has no connected peer now: libzmq drops
// what it takes then.
func (k *Sink) noPeer() bool { return k.mon != nil && k.mon.Peers() == 0 }

// stopTracking ends the monitor subscription (the socket's monitor keeps running for
// its other subscribers until the socket closes).
func (k *Sink) stopTracking() error {
	if err := k.mon.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
		return err
	}
	return nil
}
