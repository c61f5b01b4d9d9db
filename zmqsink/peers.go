package zmqsink

import (
	"errors"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// peerEvents are the monitor events that change the number of connected peers.
const peerEvents = zmq4.EVENT_ACCEPTED | zmq4.EVENT_CONNECTED | zmq4.EVENT_DISCONNECTED

// startTracking starts libzmq's monitor on the socket and the goroutine that reads it.
func (k *Sink) startTracking() error {
	mon, err := k.sock.Monitor(peerEvents, zmqevented.WithLinger(0))
	if err != nil {
		return err
	}
	k.mon = mon
	k.monDone = make(chan struct{})
	go k.watchPeers()
	return nil
}

// watchPeers counts connections: ACCEPTED and CONNECTED add one, keyed by the
// connection's file descriptor (the events' value), DISCONNECTED removes it. It returns
// when the lifetime context is cancelled or the monitor socket fails.
func (k *Sink) watchPeers() {
	defer close(k.monDone)
	conns := make(map[uint32]struct{})
	for {
		m, err := k.mon.Recv(k.life)
		if err != nil {
			return
		}
		ev, err := zmqevented.ParseMonitorEvent(m)
		if err != nil {
			continue
		}
		switch ev.Event {
		case zmq4.EVENT_ACCEPTED, zmq4.EVENT_CONNECTED:
			conns[ev.Value] = struct{}{} // the connection's file descriptor
		case zmq4.EVENT_DISCONNECTED:
			delete(conns, ev.Value)
		case zmq4.EVENT_MONITOR_STOPPED:
			return
		default:
			continue
		}
		k.peers.Store(int64(len(conns)))
		k.log.Debug("peers", zap.Stringer("event", ev.Event), zap.String("endpoint", ev.Endpoint), zap.Int("peers", len(conns)))
	}
}

// stopTracking waits for the monitor goroutine (the lifetime context is already
// cancelled) and closes the monitor socket, which stops libzmq's monitor on the
// socket if it is still open.
func (k *Sink) stopTracking() error {
	<-k.monDone
	if err := k.mon.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
		return err
	}
	return nil
}
