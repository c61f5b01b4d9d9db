package zmqc

/*
#include "zmqc.h"
*/
import "C"

import "unsafe"

const (
	// minArena and maxArena bound a socket's arena: it starts small and doubles when a
	// call would have used more, so that a socket holds what its traffic needs.
	minArena = 4 << 10
	maxArena = 64 << 10
	// maxBatchWords ends a batch at a message boundary once it has this many frames.
	maxBatchWords = 1024
	// minWords is the frame words a socket starts with.
	minWords = 64
	// gatherMax is the largest frame a send copies into the arena; larger frames are
	// passed by pointer.
	gatherMax = 4 << 10

	moreBit  = uint64(C.ZC_MORE)
	outBit   = uint64(C.ZC_OUT)
	sizeMask = uint64(C.ZC_SIZE)
)

// scratch is a socket's memory for its calls. A batch ends at a message boundary once
// it fills half the arena, which bounds the block its frames share.
type scratch struct {
	arena []byte           // pointer-free: C writes (receive) or reads (send) it
	words []uint64         // pointer-free: one per frame (zmqc.h); its length is its capacity
	out   [][]byte         // receive: the frames outside the arena, in order
	ptrs  []unsafe.Pointer // send: the frames outside the arena, pinned for the call
	want  int              // the arena size the last call would have used
}

// ready makes the arena and words exist, the arena grown to what the last call wanted.
// It is called before a call, never while one uses the arena.
func (sc *scratch) ready() {
	if len(sc.words) == 0 {
		sc.words = make([]uint64, minWords)
	}
	size := max(len(sc.arena), minArena)
	for size < sc.want && size < maxArena {
		size *= 2
	}
	if size > len(sc.arena) {
		sc.arena = make([]byte, size)
	}
}

// budget is the arena bytes after which a batch starts no further message.
func (sc *scratch) budget() int { return len(sc.arena) / 2 }

// wantArena notes that the last call would have used an arena of n bytes.
func (sc *scratch) wantArena(n int) { sc.want = max(sc.want, n) }

// arenaPtr and wordsPtr are the arena and the words for C.
func (sc *scratch) arenaPtr() *C.char     { return (*C.char)(unsafe.Pointer(&sc.arena[0])) }
func (sc *scratch) wordsPtr() *C.uint64_t { return (*C.uint64_t)(unsafe.Pointer(&sc.words[0])) }
