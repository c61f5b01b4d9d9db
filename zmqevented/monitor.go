package zmqevented

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/pebbe/zmq4"
)

// monitorSeq numbers monitor endpoints so that every one in the process is unique.
var monitorSeq atomic.Uint64

// Monitor starts libzmq's socket monitor on s for the given events (zmq4.EVENT_ALL, or
// an OR of zmq4.EVENT_CONNECTED, …) and returns a PAIR socket, in s's libzmq context,
// that receives them, one two-frame message per event (ParseMonitorEvent decodes it).
// zmq4.EVENT_MONITOR_STOPPED is always added to events: closing s ends the sequence
// with it.
//
// The caller owns the returned socket and must keep reading it: libzmq's I/O thread
// sends events with blocking sends, so a monitor whose RCVHWM (1000 events by default)
// fills up stalls every connection of the context. Closing the returned socket first
// stops libzmq's monitor on s (discarding unread events meanwhile), so it never leaves libzmq
// sending to a socket nobody reads (libzmq #3575). For a socket made by a Context, the
// Context also closes it. A socket has one monitor at a time: a second call stops the
// first (whose socket then receives EVENT_MONITOR_STOPPED and nothing more) and starts
// a new one. Goroutine-safe; does not block beyond that hand-over. On failure no
// monitor runs on s.
func (s *Socket) Monitor(events zmq4.Event, opts ...Option) (*Socket, error) {
	endpoint := fmt.Sprintf("inproc://zmqevented.monitor.%d", monitorSeq.Add(1))
	// The receiving socket connects first (inproc allows connecting before the bind),
	// so no event is missed, and a failure leaves no monitor running with nobody to
	// send to.
	var m *Socket
	var err error
	if s.ctx != nil {
		m, err = s.ctx.NewSocket(zmq4.PAIR, opts...)
	} else {
		m, err = s.wrapNewPAIR(opts)
	}
	if err != nil {
		return nil, err
	}
	if err := m.Connect(endpoint); err != nil {
		_ = m.Close()
		return nil, err
	}
	// Stopping a monitor makes libzmq send EVENT_MONITOR_STOPPED with a blocking send:
	// stopMonitor keeps the previous monitor's socket drained meanwhile.
	s.mu.Lock()
	prev, prevSock := s.monitor, s.monitorSock
	s.mu.Unlock()
	if prevSock != nil {
		s.stopMonitor(prev, prevSock)
	}
	err = s.With(func(raw *zmq4.Socket) error {
		if err := raw.Monitor(endpoint, events|zmq4.EVENT_MONITOR_STOPPED); err != nil {
			return opError("monitor", endpoint, err)
		}
		s.monitor, s.monitorSock = endpoint, m
		return nil
	})
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	m.mu.Lock()
	m.beforeClose = func() { s.stopMonitor(endpoint, m) }
	m.mu.Unlock()
	return m, nil
}

// stopMonitor stops libzmq's monitor on s if it is still the one sending to endpoint.
// m, the monitor's receiving socket, is still open and connected. libzmq's I/O thread
// sends events with blocking sends while holding the monitor's lock, and stopping sends
// EVENT_MONITOR_STOPPED the same way: with m full, both would wait for a reader forever.
// So m is drained, by a goroutine this call owns, until the monitor has stopped.
func (s *Socket) stopMonitor(endpoint string, m *Socket) {
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			if _, err := m.Recv(ctx); err != nil {
				return
			}
		}
	}()
	s.mu.Lock()
	if !s.closed && s.monitor == endpoint {
		_ = s.raw.Monitor("", 0)
		s.monitor, s.monitorSock = "", nil
	}
	s.mu.Unlock()
	cancel()
	<-drained
}

// wrapNewPAIR makes a PAIR socket in the libzmq context of a wrapped socket s (which
// this package does not own) and wraps it.
func (s *Socket) wrapNewPAIR(opts []Option) (*Socket, error) {
	var c *zmq4.Context
	err := s.With(func(raw *zmq4.Socket) (err error) {
		c, err = raw.Context()
		return opError("get context", "", err)
	})
	if err != nil {
		return nil, err
	}
	raw, err := c.NewSocket(zmq4.PAIR)
	if err != nil {
		return nil, opError("new socket PAIR", "", err)
	}
	return Wrap(raw, opts...) // closes raw if it fails
}

// MonitorEvent is one event of libzmq's socket monitor.
type MonitorEvent struct {
	// Event is one of zmq4.EVENT_CONNECTED, zmq4.EVENT_DISCONNECTED, ….
	Event zmq4.Event
	// Value is the event's value: a file descriptor, an errno or an interval in
	// milliseconds, depending on Event (see zmq_socket_monitor(3)).
	Value uint32
	// Endpoint is the endpoint the event concerns.
	Endpoint string
}

// ErrBadMonitorEvent is returned by ParseMonitorEvent for a message that is not a
// monitor event.
var ErrBadMonitorEvent = errors.New("zmqevented: malformed monitor event")

// ParseMonitorEvent decodes a message received on a socket returned by Monitor:
// libzmq's format, two frames, the first of 6 bytes (the event number as a
// little-endian uint16, then its value as a little-endian uint32), the second the
// endpoint. Anything else is an error wrapping ErrBadMonitorEvent.
func ParseMonitorEvent(msg [][]byte) (MonitorEvent, error) {
	if len(msg) != 2 || len(msg[0]) != 6 {
		return MonitorEvent{}, fmt.Errorf("%w: want 2 frames, the first of 6 bytes", ErrBadMonitorEvent)
	}
	return MonitorEvent{
		Event:    zmq4.Event(binary.LittleEndian.Uint16(msg[0][0:2])),
		Value:    binary.LittleEndian.Uint32(msg[0][2:6]),
		Endpoint: string(msg[1]),
	}, nil
}
