package zmqc

/*
#cgo noescape zc_send
#cgo nocallback zc_send
#include "zmqc.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Send hands msgs to libzmq in order, without waiting, every message whole: one cgo
// call for a batch of small messages (and for any one message), and returns how many
// messages libzmq took. Every message has at least one frame.
//
// With n < len(msgs), err is libzmq's refusal of msgs[n]: EAGAIN when libzmq could take
// nothing more now. dropped reports that the refusal came after the first frames of
// msgs[n] were taken (the peer's pipe went away mid-message): libzmq then discards the
// message whole, and Send has handed it the rest of its frames, which libzmq drops, so
// that the next message is not swallowed. The frames may be reused once Send returns.
func (s *Socket) Send(msgs [][][]byte) (n int, dropped bool, err error) {
	if len(msgs) == 1 && len(msgs[0]) == 1 {
		// One frame: straight from its memory, no scratch.
		f := msgs[0][0]
		w := C.uint64_t(len(f))
		tx := C.zc_tx{nwords: 1}
		C.zc_send(s.h, &tx, (*C.char)(unsafe.Pointer(unsafe.SliceData(f))), &w, nil)
		if tx.err != 0 {
			return 0, false, errno(tx.err)
		}
		return 1, false, nil
	}
	sc := &s.sc
	sc.ready()
	var pin runtime.Pinner
	for n < len(msgs) {
		k := sc.gather(msgs[n:], &pin)
		tx := C.zc_tx{nwords: C.int32_t(k)}
		var ptrs *unsafe.Pointer
		if len(sc.ptrs) > 0 {
			ptrs = &sc.ptrs[0]
		}
		C.zc_send(s.h, &tx, (*C.char)(unsafe.Pointer(&sc.arena[0])), (*C.uint64_t)(unsafe.Pointer(&sc.words[0])), ptrs)
		if len(sc.ptrs) > 0 {
			pin.Unpin()
			clear(sc.ptrs)
			sc.ptrs = sc.ptrs[:0]
		}
		n += int(tx.msgs)
		if tx.err != 0 {
			return n, tx.dropped != 0, errno(tx.err)
		}
		sc.ready() // grown if the batch wanted more room; the next batch may use it
	}
	return n, false, nil
}

// gather describes the next batch of msgs (at least one message) in sc.words and
// returns its number of words: frames up to gatherMax bytes are copied into the arena
// while it has room, larger ones are pinned and listed in sc.ptrs. A batch ends at a
// message boundary once it fills the arena's budget or maxBatchWords words.
func (sc *scratch) gather(msgs [][][]byte, pin *runtime.Pinner) int {
	words := sc.words[:0]
	used := 0
	for k, m := range msgs {
		if k > 0 && (used >= sc.budget() || len(words)+len(m) > maxBatchWords) {
			if used >= sc.budget() {
				sc.wantArena(2 * len(sc.arena))
			}
			break
		}
		for i, f := range m {
			w := uint64(len(f))
			if i < len(m)-1 {
				w |= moreBit
			}
			if len(f) <= gatherMax && len(f) <= len(sc.arena)-used {
				used += copy(sc.arena[used:], f)
			} else {
				if len(f) <= gatherMax {
					sc.wantArena(used + len(f)) // it would have fitted a larger arena
				}
				w |= outBit
				p := unsafe.Pointer(unsafe.SliceData(f))
				pin.Pin(p)
				sc.ptrs = append(sc.ptrs, p)
			}
			words = append(words, w)
		}
	}
	sc.words = words[:cap(words)]
	return len(words)
}
