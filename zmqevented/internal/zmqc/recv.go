package zmqc

/*
#cgo noescape zc_recv
#cgo nocallback zc_recv
#include "zmqc.h"
*/
import "C"

import "unsafe"

// Recv receives up to limit (at least one) whole messages that are queued, without
// waiting, and appends them to dst: in one cgo call, plus one per frame that does not
// fit the arena. The frames of one call's messages share one allocation (the package
// comment says what that keeps alive).
//
// err is nil when at least one message was appended: the failure that ended the batch
// (EAGAIN when libzmq had no more) comes again on the next call. With nothing appended,
// err is the failure, EAGAIN when nothing was queued. A failure inside a message, which
// libzmq delivers whole (it happens only while the libzmq context terminates), loses
// that message.
func (s *Socket) Recv(dst [][][]byte, limit int) ([][][]byte, error) {
	limit = max(limit, 1)
	s.begin(limit)
	C.zc_recv(s.h, s.rx, s.sc.arenaPtr(), s.sc.wordsPtr(), nil)
	return s.finish(dst, limit)
}

// begin readies the scratch and the receive state for a receive of up to limit
// messages.
func (s *Socket) begin(limit int) {
	sc := &s.sc
	sc.ready()
	*s.rx = C.zc_rx{
		cap:      C.uint64_t(len(sc.arena)),
		budget:   C.uint64_t(sc.budget()),
		maxmsgs:  C.int32_t(limit),
		maxwords: C.int32_t(len(sc.words)),
	}
}

// finish completes the receive that begin prepared and a first zc_recv started: it
// fetches held frames and grows the words until the receive is done, then appends
// the messages to dst.
func (s *Socket) finish(dst [][][]byte, limit int) ([][][]byte, error) {
	sc, st := &s.sc, s.rx
more:
	for {
		var out unsafe.Pointer
		switch st.status {
		case C.ZC_HELD:
			f := make([]byte, sc.words[st.nwords-1]&sizeMask) // never empty: an empty frame always fits
			sc.out = append(sc.out, f)
			out = unsafe.Pointer(&f[0])
			if n := int(st.used) + len(f); n <= maxArena {
				sc.wantArena(n) // it would have fitted a larger arena
			}
		case C.ZC_FULL:
			sc.words = append(sc.words, make([]uint64, len(sc.words))...)
			st.maxwords = C.int32_t(len(sc.words))
		default:
			break more
		}
		C.zc_recv(s.h, st, sc.arenaPtr(), sc.wordsPtr(), out)
	}
	if st.nmsgs == 0 {
		clear(sc.out)
		sc.out = sc.out[:0]
		return dst, errno(st.err)
	}
	dst = sc.messages(dst, int(st.nwords), int(st.used))
	if st.err == 0 && int(st.nmsgs) < limit {
		// The batch ended on the arena's budget or on the words, not on limit.
		if st.used >= st.budget {
			sc.wantArena(2 * len(sc.arena))
		}
		if st.nwords >= st.maxwords && len(sc.words) < maxBatchWords {
			sc.words = make([]uint64, 2*len(sc.words))
		}
	}
	return dst, nil
}

// messages appends the whole messages the first n words describe (a torn message's
// frames at the end are left out), their arena frames copied into one block of used
// bytes; it empties sc.out.
func (sc *scratch) messages(dst [][][]byte, n, used int) [][][]byte {
	for n > 0 && sc.words[n-1]&moreBit != 0 {
		n--
	}
	data := make([]byte, used)
	copy(data, sc.arena)
	frames := make([][]byte, n)
	off, o, start := 0, 0, 0
	for i, w := range sc.words[:n] {
		if w&outBit != 0 {
			frames[i] = sc.out[o]
			o++
		} else {
			size := int(w & sizeMask)
			frames[i] = data[off : off+size : off+size]
			off += size
		}
		if w&moreBit == 0 {
			dst = append(dst, frames[start:i+1:i+1])
			start = i + 1
		}
	}
	clear(sc.out)
	sc.out = sc.out[:0]
	return dst
}
