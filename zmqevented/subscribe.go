package zmqevented

import (
	"syscall"

	"github.com/pebbe/zmq4"
)

// Subscribe adds topic to the subscriptions of a SUB or XSUB socket: from now on it
// receives the messages whose first frame starts with topic ("" matches every
// message). A SUB sets ZMQ_SUBSCRIBE; an XSUB sends the subscription message (0x01
// followed by topic) upstream, and libzmq sends it again to every peer that connects
// later. Recv calls already waiting see the new topic's messages. It does not block;
// on other socket types it returns an *OpError matching syscall.EINVAL, on a closed
// socket ErrClosed, and the socket's subscriptions are then unchanged.
func (s *Socket) Subscribe(topic string) error {
	return s.subscription("subscribe", 1, topic)
}

// Unsubscribe removes one Subscribe(topic) of a SUB or XSUB socket (ZMQ_UNSUBSCRIBE,
// or the message 0x00 followed by topic on an XSUB); libzmq counts subscriptions, so
// a topic subscribed twice needs two Unsubscribe calls. Removing a topic that is not
// subscribed does nothing. Blocking and errors as for Subscribe.
func (s *Socket) Unsubscribe(topic string) error {
	return s.subscription("unsubscribe", 0, topic)
}

// subscription subscribes (flag 1) or unsubscribes (flag 0) topic.
func (s *Socket) subscription(op string, flag byte, topic string) error {
	switch s.typ {
	case zmq4.SUB:
		return s.With(func(raw *zmq4.Socket) error {
			var err error
			if flag == 1 {
				err = raw.SetSubscribe(topic)
			} else {
				err = raw.SetUnsubscribe(topic)
			}
			return sockError(s.typ, op, "", err)
		})
	case zmq4.XSUB:
		// An XSUB is always writable: libzmq takes a subscription message at any time.
		err := s.TrySend(append([]byte{flag}, topic...))
		if oe, ok := err.(*OpError); ok { //nolint:errorlint // send returns it unwrapped
			oe.Op = op
		}
		return err
	}
	return &OpError{Op: op, Err: &hinted{
		err:  syscall.EINVAL,
		hint: "only SUB and XSUB sockets subscribe, not " + s.typ.String() + "; a PUB or XPUB sends every topic and its subscribers choose",
	}}
}
