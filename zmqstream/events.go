package zmqstream

import (
	"fmt"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// EventKind is the kind of a socket monitor event. Its values are libzmq's
// ZMQ_EVENT_* numbers, as pebbe/zmq4's Event constants:
// EventKind(zmq4.EVENT_CONNECTED) == EventConnected.
type EventKind uint16

// The kinds libzmq 4.3 reports. Event.Value means, by kind: the file descriptor for
// Connected, Listening, Accepted, Closed and Disconnected; the reconnect interval in
// milliseconds for ConnectRetried; the errno for ConnectDelayed (EINPROGRESS),
// BindFailed, AcceptFailed, CloseFailed and the HandshakeFailed kinds (for
// HandshakeFailedProtocol and HandshakeFailedAuth, libzmq's protocol error or the ZAP
// status code); 0 otherwise.
const (
	EventConnected               = EventKind(zmq4.EVENT_CONNECTED)
	EventConnectDelayed          = EventKind(zmq4.EVENT_CONNECT_DELAYED)
	EventConnectRetried          = EventKind(zmq4.EVENT_CONNECT_RETRIED)
	EventListening               = EventKind(zmq4.EVENT_LISTENING)
	EventBindFailed              = EventKind(zmq4.EVENT_BIND_FAILED)
	EventAccepted                = EventKind(zmq4.EVENT_ACCEPTED)
	EventAcceptFailed            = EventKind(zmq4.EVENT_ACCEPT_FAILED)
	EventClosed                  = EventKind(zmq4.EVENT_CLOSED)
	EventCloseFailed             = EventKind(zmq4.EVENT_CLOSE_FAILED)
	EventDisconnected            = EventKind(zmq4.EVENT_DISCONNECTED)
	EventMonitorStopped          = EventKind(zmq4.EVENT_MONITOR_STOPPED)
	EventHandshakeFailedNoDetail = EventKind(zmq4.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
	EventHandshakeSucceeded      = EventKind(zmq4.EVENT_HANDSHAKE_SUCCEEDED)
	EventHandshakeFailedProtocol = EventKind(zmq4.EVENT_HANDSHAKE_FAILED_PROTOCOL)
	EventHandshakeFailedAuth     = EventKind(zmq4.EVENT_HANDSHAKE_FAILED_AUTH)
)

var eventNames = map[EventKind]string{
	EventConnected:               "connected",
	EventConnectDelayed:          "connect-delayed",
	EventConnectRetried:          "connect-retried",
	EventListening:               "listening",
	EventBindFailed:              "bind-failed",
	EventAccepted:                "accepted",
	EventAcceptFailed:            "accept-failed",
	EventClosed:                  "closed",
	EventCloseFailed:             "close-failed",
	EventDisconnected:            "disconnected",
	EventMonitorStopped:          "monitor-stopped",
	EventHandshakeFailedNoDetail: "handshake-failed-no-detail",
	EventHandshakeSucceeded:      "handshake-succeeded",
	EventHandshakeFailedProtocol: "handshake-failed-protocol",
	EventHandshakeFailedAuth:     "handshake-failed-auth",
}

// String returns the kind's name ("connected", "handshake-failed-auth", …), or
// "event(0x…)" for a number libzmq 4.3 does not define.
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("event(%#04x)", uint16(k))
}

// Event is one socket monitor event.
type Event struct {
	Kind EventKind
	// Value is the kind's number: a file descriptor, an errno or an interval (see
	// EventKind's constants).
	Value uint32
	// Endpoint is the endpoint the event is about ("tcp://127.0.0.1:5555"); empty for
	// MonitorStopped.
	Endpoint string
}

// String returns "<kind> <endpoint> (<value>)", for example
// "connected tcp://127.0.0.1:5555 (12)".
func (e Event) String() string {
	if e.Endpoint == "" {
		return fmt.Sprintf("%v (%d)", e.Kind, e.Value)
	}
	return fmt.Sprintf("%v %s (%d)", e.Kind, e.Endpoint, e.Value)
}

// decodeEvent parses one monitor message (zmqevented.ParseMonitorEvent's format).
func decodeEvent(msg [][]byte) (Event, error) {
	ev, err := zmqevented.ParseMonitorEvent(msg)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	return Event{Kind: EventKind(ev.Event), Value: ev.Value, Endpoint: ev.Endpoint}, nil
}
