package zmqevented

import (
	"fmt"
	"sync/atomic"

	"github.com/pebbe/zmq4"
)

// monitorSeq numbers monitor endpoints so that every one in the process is unique.
var monitorSeq atomic.Uint64

// Monitor starts libzmq's socket monitor on s for the given events (zmq4.EVENT_ALL, or
// an OR of zmq4.EVENT_CONNECTED, …) and returns a PAIR socket, in s's libzmq context,
// that receives them. Each event is one two-frame message in libzmq's format: 6 bytes
// (event number as uint16 little-endian, then its value as uint32 little-endian), then
// the endpoint; zmqstream.Monitor decodes them. Closing s ends the sequence with
// zmq4.EVENT_MONITOR_STOPPED. The caller owns the returned socket and closes it; for a
// socket made by a Context, the Context also closes it. A socket has one monitor at a
// time: a second call stops the first. Events that happen before the returned socket is
// connected (microseconds) are not reported. Goroutine-safe; does not block.
func (s *Socket) Monitor(events zmq4.Event, opts ...Option) (*Socket, error) {
	endpoint := fmt.Sprintf("inproc://zmqevented.monitor.%d", monitorSeq.Add(1))
	var rawCtx *zmq4.Context
	err := s.With(func(raw *zmq4.Socket) error {
		if err := raw.Monitor(endpoint, events); err != nil {
			return opError("monitor", endpoint, err)
		}
		if s.ctx == nil {
			c, err := raw.Context()
			if err != nil {
				return opError("monitor", endpoint, err)
			}
			rawCtx = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var m *Socket
	if s.ctx != nil {
		m, err = s.ctx.NewSocket(zmq4.PAIR, opts...)
	} else {
		m, err = wrapNew(rawCtx, opts)
	}
	if err == nil {
		err = m.Connect(endpoint)
		if err != nil {
			_ = m.Close()
		}
	}
	if err != nil {
		_ = s.With(func(raw *zmq4.Socket) error { return raw.Monitor("", 0) })
		return nil, err
	}
	return m, nil
}

// wrapNew makes a PAIR socket in a context this package does not own and wraps it.
func wrapNew(c *zmq4.Context, opts []Option) (*Socket, error) {
	raw, err := c.NewSocket(zmq4.PAIR)
	if err != nil {
		return nil, opError("new socket PAIR", "", err)
	}
	return Wrap(raw, opts...) // closes raw if it fails
}
