package zmqsink

import (
	"encoding/binary"
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
		if len(m) != 2 || len(m[0]) != 6 {
			continue
		}
		ev := zmq4.Event(binary.LittleEndian.Uint16(m[0]))
		fd := binary.LittleEndian.Uint32(m[0][2:])
		switch ev {
		case zmq4.EVENT_ACCEPTED, zmq4.EVENT_CONNECTED:
			conns[fd] = struct{}{}
		case zmq4.EVENT_DISCONNECTED:
			delete(conns, fd)
		case zmq4.EVENT_MONITOR_STOPPED:
			return
		default:
			continue
		}
		k.peers.Store(int64(len(conns)))
		k.log.Debug("peers", zap.Stringer("event", ev), zap.String("endpoint", string(m[1])), zap.Int("peers", len(conns)))
	}
}

// stopTracking waits for the monitor goroutine (the lifetime context is already
// cancelled), stops libzmq's monitor when the socket stays open, and closes the
// monitor socket.
func (k *Sink) stopTracking() error {
	<-k.monDone
	var errs []error
	if !k.closeSocket {
		err := k.sock.With(func(raw *zmq4.Socket) error { return raw.Monitor("", 0) })
		if err != nil && !errors.Is(err, zmqevented.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := k.mon.Close(); err != nil && !errors.Is(err, zmqevented.ErrClosed) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
