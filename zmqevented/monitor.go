package zmqevented

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// MonitorEvent is one event of libzmq's socket monitor.
type MonitorEvent struct {
	// Event is one of zmq4.EVENT_CONNECTED, zmq4.EVENT_DISCONNECTED, ….
	Event zmq4.Event
	// Value is the event's value: a file descriptor (CONNECTED, ACCEPTED, CLOSED,
	// DISCONNECTED), an errno (the *_FAILED events; libzmq's protocol error or the ZAP
	// status code for HANDSHAKE_FAILED_PROTOCOL and _AUTH), an interval in milliseconds
	// (CONNECT_RETRIED) or 0 (see zmq_socket_monitor(3)).
	Value uint32
	// Endpoint is the endpoint the event concerns; empty for MONITOR_STOPPED.
	Endpoint string
}

// String returns "<event> <endpoint> (<value>)", for example
// "connected tcp://127.0.0.1:5555 (12)", with the event named in lower case as in
// zmq_socket_monitor(3) ("handshake-failed-auth"), or "event(0x…)" for a number
// libzmq 4.3 does not define.
func (e MonitorEvent) String() string {
	name, ok := eventNames[e.Event]
	if !ok {
		name = fmt.Sprintf("event(%#04x)", uint16(e.Event))
	}
	if e.Endpoint == "" {
		return fmt.Sprintf("%s (%d)", name, e.Value)
	}
	return fmt.Sprintf("%s %s (%d)", name, e.Endpoint, e.Value)
}

var eventNames = map[zmq4.Event]string{
	zmq4.EVENT_CONNECTED:                  "connected",
	zmq4.EVENT_CONNECT_DELAYED:            "connect-delayed",
	zmq4.EVENT_CONNECT_RETRIED:            "connect-retried",
	zmq4.EVENT_LISTENING:                  "listening",
	zmq4.EVENT_BIND_FAILED:                "bind-failed",
	zmq4.EVENT_ACCEPTED:                   "accepted",
	zmq4.EVENT_ACCEPT_FAILED:              "accept-failed",
	zmq4.EVENT_CLOSED:                     "closed",
	zmq4.EVENT_CLOSE_FAILED:               "close-failed",
	zmq4.EVENT_DISCONNECTED:               "disconnected",
	zmq4.EVENT_MONITOR_STOPPED:            "monitor-stopped",
	zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake-failed-no-detail",
	zmq4.EVENT_HANDSHAKE_SUCCEEDED:        "handshake-succeeded",
	zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL:  "handshake-failed-protocol",
	zmq4.EVENT_HANDSHAKE_FAILED_AUTH:      "handshake-failed-auth",
}

// Monitor is one subscription to a socket's monitor events (Socket.Monitor). Its
// methods are goroutine-safe.
type Monitor struct {
	owner   *monitor
	events  zmq4.Event
	ch      chan MonitorEvent
	dropped atomic.Uint64
	stop    func() bool // unregisters the ctx callback; guarded by owner.mu, nil until set
	ended   bool        // guarded by owner.mu: ch is closed
}

// Monitor subscribes to the socket's monitor events: those in events (an OR of
// zmq4.EVENT_CONNECTED, …, or zmq4.EVENT_ALL), from now on, queued for the subscriber
// up to buffer events (≥ 1). A socket has one libzmq monitor; the first Monitor call
// starts it, with a goroutine that fans its events out to any number of subscribers,
// and both run until the socket is closed. A subscriber that falls buffer events
// behind loses the newest ones for itself alone, counted by Dropped: nobody stalls
// libzmq's I/O thread or another subscriber.
//
// The subscription ends, and its channel (C) is closed after what it holds, when ctx
// is done, on Monitor.Close, or when the socket closes; the last event is then
// EVENT_MONITOR_STOPPED, whatever events says, if there is room for it. ctx is only
// watched. It fails with ErrClosed on a closed socket, with an error for buffer < 1,
// or with libzmq's error if the monitor cannot start. It does not block beyond the
// socket's lock.
func (s *Socket) Monitor(ctx context.Context, events zmq4.Event, buffer int) (*Monitor, error) {
	mustContext(ctx, "Monitor")
	if buffer < 1 {
		return nil, fmt.Errorf("zmqevented: Monitor: buffer %d, want >= 1", buffer)
	}
	o, err := s.monitorOwner()
	if err != nil {
		return nil, err
	}
	m := &Monitor{owner: o, events: events, ch: make(chan MonitorEvent, buffer)}
	if !o.add(m) {
		return nil, ErrClosed
	}
	stop := context.AfterFunc(ctx, func() { o.remove(m) })
	if !o.setStop(m, stop) { // the socket closed meanwhile
		stop()
	}
	return m, nil
}

// C returns the channel of events, closed when the subscription ends.
func (m *Monitor) C() <-chan MonitorEvent { return m.ch }

// Dropped returns how many events this subscriber lost because its queue was full.
func (m *Monitor) Dropped() uint64 { return m.dropped.Load() }

// Peers returns the number of connections the socket has up now (ACCEPTED or
// CONNECTED and not yet DISCONNECTED), as counted since the socket's monitor started:
// connections made before the first Monitor call on the socket are not counted.
func (m *Monitor) Peers() int { return int(m.owner.peers.Load()) }

// Close ends the subscription: its channel is closed after what it holds. libzmq's
// monitor keeps running for the other subscribers. It does not block; a second call
// returns ErrClosed.
func (m *Monitor) Close() error {
	m.owner.mu.Lock()
	stop := m.stop
	m.owner.mu.Unlock()
	if stop != nil {
		stop()
	}
	if !m.owner.remove(m) {
		return ErrClosed
	}
	return nil
}

// monitor is the one libzmq monitor of a socket and the goroutine (pump) that
// receives its events on a PAIR socket of its own, counts the connections and hands
// each event to the subscribers that asked for it, without ever blocking on one.
type monitor struct {
	s        *Socket
	pair     *Socket
	endpoint string
	log      *zap.Logger
	done     chan struct{} // closed when the pump has returned
	peers    atomic.Int64

	mu    sync.Mutex
	subs  []*Monitor
	ended bool // the pump has returned: no more subscribers
}

// monitorSeq numbers monitor endpoints so that every one in the process is unique.
var monitorSeq atomic.Uint64

// monitorOwner returns the socket's monitor, starting it on the first call.
func (s *Socket) monitorOwner() (*monitor, error) {
	s.monMu.Lock()
	defer s.monMu.Unlock()
	if s.monClosed {
		return nil, ErrClosed
	}
	if s.mon != nil {
		return s.mon, nil
	}
	o := &monitor{
		s:        s,
		endpoint: fmt.Sprintf("inproc://zmqevented.monitor.%d", monitorSeq.Add(1)),
		log:      s.log,
		done:     make(chan struct{}),
	}
	// The receiving socket connects first (inproc allows connecting before the bind),
	// so no event is missed, and a failure leaves no monitor running with nobody to
	// send to.
	var err error
	if s.ctx != nil {
		o.pair, err = s.ctx.NewSocket(zmq4.PAIR)
	} else {
		o.pair, err = s.wrapNewPAIR()
	}
	if err != nil {
		return nil, err
	}
	if err := o.pair.Connect(o.endpoint); err != nil {
		_ = o.pair.Close()
		return nil, err
	}
	err = s.With(func(raw *zmq4.Socket) error {
		return opError("monitor", o.endpoint, raw.Monitor(o.endpoint, zmq4.EVENT_ALL|zmq4.EVENT_MONITOR_STOPPED))
	})
	if err != nil {
		_ = o.pair.Close()
		return nil, err
	}
	// Closing the PAIR first (the Context closes every socket) stops libzmq's monitor
	// first: libzmq must never be left sending to a socket nobody reads (libzmq #3575).
	o.pair.mu.Lock()
	o.pair.beforeClose = o.stopLibzmq
	o.pair.mu.Unlock()
	s.mon = o
	go o.pump()
	return o, nil
}

// stopMonitor stops the socket's monitor, if any, and waits for its pump: Close calls
// it before closing the socket, so that every subscriber ends now, not after the
// socket's linger.
func (s *Socket) stopMonitor() {
	s.monMu.Lock()
	s.monClosed = true
	o := s.mon
	s.monMu.Unlock()
	if o != nil {
		o.stopLibzmq()
		<-o.done
	}
}

// stopLibzmq stops libzmq's monitor on the socket unless the socket is closed. libzmq
// then sends EVENT_MONITOR_STOPPED with a blocking send, which the pump, always
// draining the PAIR, receives: the pump then ends.
func (o *monitor) stopLibzmq() {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	if !o.s.closed {
		_ = o.s.raw.Monitor("", 0)
	}
}

// pump receives the events until EVENT_MONITOR_STOPPED or the PAIR fails (closed by
// its Context), then closes the PAIR and ends every subscription.
func (o *monitor) pump() {
	defer close(o.done)
	defer func() { _ = o.pair.Close() }()
	defer o.end()
	conns := make(map[uint32]struct{}) // the connections' file descriptors
	for {
		msg, err := o.pair.Recv(context.Background())
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				o.log.Warn("socket monitor failed", zap.Error(err))
			}
			return
		}
		ev, err := parseMonitorEvent(msg)
		if err != nil {
			o.log.Warn("malformed socket monitor event dropped", zap.Error(err))
			continue
		}
		switch ev.Event {
		case zmq4.EVENT_ACCEPTED, zmq4.EVENT_CONNECTED:
			conns[ev.Value] = struct{}{}
		case zmq4.EVENT_DISCONNECTED:
			delete(conns, ev.Value)
		}
		o.peers.Store(int64(len(conns)))
		o.deliver(ev)
		if ev.Event == zmq4.EVENT_MONITOR_STOPPED {
			return
		}
	}
}

// deliver offers ev to every subscriber that asked for it (MONITOR_STOPPED to all),
// without waiting: a full queue drops it for that subscriber alone.
func (o *monitor) deliver(ev MonitorEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range o.subs {
		if m.events&ev.Event == 0 && ev.Event != zmq4.EVENT_MONITOR_STOPPED {
			continue
		}
		select {
		case m.ch <- ev:
		default:
			m.dropped.Add(1)
		}
	}
}

// add registers m; it returns false once the pump has ended.
func (o *monitor) add(m *Monitor) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return false
	}
	o.subs = append(o.subs, m)
	return true
}

// setStop gives m the function that unregisters its ctx callback; it returns false,
// and keeps nothing, if m has ended already.
func (o *monitor) setStop(m *Monitor, stop func() bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m.ended {
		return false
	}
	m.stop = stop
	return true
}

// remove ends m's subscription; it returns false if it had ended already.
func (o *monitor) remove(m *Monitor) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m.ended {
		return false
	}
	m.ended = true
	close(m.ch)
	for i, sub := range o.subs {
		if sub == m {
			o.subs = append(o.subs[:i:i], o.subs[i+1:]...)
			break
		}
	}
	return true
}

// end ends every subscription once the pump returns.
func (o *monitor) end() {
	o.mu.Lock()
	subs := o.subs
	o.subs, o.ended = nil, true
	stops := make([]func() bool, 0, len(subs))
	for _, m := range subs {
		m.ended = true
		close(m.ch)
		if m.stop != nil {
			stops = append(stops, m.stop)
		}
	}
	o.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// wrapNewPAIR makes a PAIR socket in the libzmq context of a wrapped socket s (which
// this package does not own) and wraps it.
func (s *Socket) wrapNewPAIR() (*Socket, error) {
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
	return Wrap(raw) // closes raw if it fails
}

// errBadMonitorEvent is the error of parseMonitorEvent for a message that is not a
// monitor event.
var errBadMonitorEvent = errors.New("zmqevented: malformed monitor event")

// parseMonitorEvent decodes libzmq's monitor message: two frames, the first of 6
// bytes (the event number as a little-endian uint16, then its value as a
// little-endian uint32), the second the endpoint.
func parseMonitorEvent(msg [][]byte) (MonitorEvent, error) {
	if len(msg) != 2 || len(msg[0]) != 6 {
		return MonitorEvent{}, fmt.Errorf("%w: want 2 frames, the first of 6 bytes", errBadMonitorEvent)
	}
	return MonitorEvent{
		Event:    zmq4.Event(binary.LittleEndian.Uint16(msg[0][0:2])),
		Value:    binary.LittleEndian.Uint32(msg[0][2:6]),
		Endpoint: string(msg[1]),
	}, nil
}
