package zmqsink

// Stats counts what a Sink did with the messages given to it. Every accepted message
// ends in exactly one of Sent, Dropped and Failed, or is still Queued:
//
//	Accepted == Sent + Dropped + Failed + Queued
type Stats struct {
	// Accepted counts messages for which Send or Permit.Send returned nil.
	Accepted uint64
	// Sent counts messages libzmq took whole (which is not delivery: see Flush), minus
	// those counted in Dropped.
	Sent uint64
	// Dropped counts accepted messages that libzmq dropped or refused on its own while
	// the socket stayed usable: a peer went away in the middle of the message (libzmq
	// reports this), a ROUTER with ROUTER_MANDATORY had no route (EHOSTUNREACH), or,
	// with WithPeerTracking, a PUB or XPUB had no connected peer when it took the
	// message. Drops libzmq does not report (a PUB or XPUB subscriber at its HWM, a
	// ROUTER without ROUTER_MANDATORY sending to an unknown peer, messages queued to a
	// peer that then disconnects) are not counted. The first two kinds come back to the
	// caller in a *SendError from Flush or Close; the last is only counted.
	Dropped uint64
	// Failed counts accepted messages never handed to libzmq: left over by a transport
	// failure or by a Close whose context ended. They come back in a *SendError.
	Failed uint64
	// Queued is the number of accepted messages not yet resolved: waiting in the queue
	// or being handed to libzmq by the writer.
	Queued int
	// Reserved is the number of permits from Reserve and TryReserve not yet used.
	Reserved int
	// Peers is the number of connected peers the socket monitor reports with
	// WithPeerTracking, and -1 without it.
	Peers int
}

// Stats returns the sink's counters. Goroutine-safe; does not block (it takes the
// sink's lock briefly).
func (k *Sink) Stats() Stats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.statsLocked()
}

func (k *Sink) statsLocked() Stats {
	st := Stats{
		Accepted: k.accepted,
		Sent:     k.sent,
		Dropped:  k.ndropped,
		Failed:   k.failed,
		Queued:   int(k.accepted - k.doneLocked()),
		Reserved: k.reserved,
		Peers:    -1,
	}
	if k.mon != nil {
		st.Peers = k.mon.Peers()
	}
	return st
}
