package reqrep

import "encoding/binary"

// The Requester's wire format (documented for server authors in doc.go).
//
// A request leaves the DEALER as
//
//	[correlation, "", body…]
//
// and a reply must arrive as
//
//	[correlation, "", reply…]
//
// The correlation frame is corrLen bytes: corrMagic, then the request's ID as
// a big-endian uint64. Frames up to and including the empty delimiter are the
// envelope of ZeroMQ's request-reply pattern, so a REP socket echoes them on
// its own and a ROUTER server echoes them by the usual rule (everything up to
// the first empty frame), after the peer identity it prepends.
const (
	// corrLen is the length of a correlation frame.
	corrLen = 9
	// corrMagic is the first byte of a correlation frame: it marks the frame
	// as this package's, in format version 1.
	corrMagic = 0x5A
	// errMagic replaces corrMagic in the correlation frame of a reply that carries
	// a handler's error (Server): the body is then [errorFrame, message].
	errMagic = 0x5B
)

// errorFrame is the first body frame of an error reply, for Requesters and REQ
// clients alike; the second is the error's text.
const errorFrame = "reqrep.error"

// malformed reasons, reported in Stats and logs.
const (
	reasonShort     = "fewer than 2 frames"
	reasonCorrLen   = "correlation frame is not 9 bytes"
	reasonCorrMagic = "correlation frame does not start with 0x5A or 0x5B"
	reasonDelimiter = "second frame is not the empty delimiter"
)

// newCorrelation returns the correlation frame for id. It is its own
// allocation (no Go pointers in it), so libzmq may be handed it through cgo.
func newCorrelation(id uint64) []byte {
	b := make([]byte, corrLen)
	b[0] = corrMagic
	binary.BigEndian.PutUint64(b[1:], id)
	return b
}

// parseReply splits a reply received on the DEALER into the request ID and
// the reply body (the frames after the delimiter, possibly none; a subslice
// of msg); failed reports an error reply. reason is empty for a well-formed
// reply, else why it is not.
func parseReply(msg [][]byte) (id uint64, body [][]byte, failed bool, reason string) {
	if len(msg) < 2 {
		return 0, nil, false, reasonShort
	}
	c := msg[0]
	if len(c) != corrLen {
		return 0, nil, false, reasonCorrLen
	}
	if c[0] != corrMagic && c[0] != errMagic {
		return 0, nil, false, reasonCorrMagic
	}
	if len(msg[1]) != 0 {
		return 0, nil, false, reasonDelimiter
	}
	return binary.BigEndian.Uint64(c[1:]), msg[2:], c[0] == errMagic, ""
}

// isCorrelation reports whether f is a Requester's correlation frame.
func isCorrelation(f []byte) bool { return len(f) == corrLen && f[0] == corrMagic }
