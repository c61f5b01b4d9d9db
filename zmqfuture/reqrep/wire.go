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
)

// malformed reasons, reported in Stats and logs.
const (
	reasonShort     = "fewer than 2 frames"
	reasonCorrLen   = "correlation frame is not 9 bytes"
	reasonCorrMagic = "correlation frame does not start with 0x5A"
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
// of msg). reason is empty for a well-formed reply, else why it is not.
func parseReply(msg [][]byte) (id uint64, body [][]byte, reason string) {
	if len(msg) < 2 {
		return 0, nil, reasonShort
	}
	c := msg[0]
	if len(c) != corrLen {
		return 0, nil, reasonCorrLen
	}
	if c[0] != corrMagic {
		return 0, nil, reasonCorrMagic
	}
	if len(msg[1]) != 0 {
		return 0, nil, reasonDelimiter
	}
	return binary.BigEndian.Uint64(c[1:]), msg[2:], ""
}
