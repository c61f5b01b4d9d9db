package zmqc

/*
#cgo noescape zc_recv_meta
#cgo nocallback zc_recv_meta
#cgo noescape zc_setbytes
#cgo nocallback zc_setbytes
#include <stdlib.h>
#include "zmqc.h"
*/
import "C"

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/pebbe/zmq4"
)

// OptMetadata is ZMQ_METADATA (libzmq ≥ 4.3), for SetOption: one "X-Name:value"
// application property per call, which the socket sends its peers in each ZMTP
// handshake. libzmq keeps the first value set for a name.
const OptMetadata = int(C.ZMQ_METADATA)

// minValues is the room for property values a socket starts with; values that need
// more go through C memory once, and the room grows to them, up to maxArena.
const minValues = 512

// Names is a list of message property names prepared for RecvMeta. It is not changed
// once made, so one Names may serve any number of sockets at once.
type Names struct {
	list []string
	buf  []byte // the names, each NUL-terminated, one after another
}

// NewNames prepares names for RecvMeta, in order, leaving out repeats and names that
// no property has (empty, or with a NUL byte).
func NewNames(names ...string) *Names {
	n := &Names{}
	for _, name := range names {
		if name == "" || strings.IndexByte(name, 0) >= 0 || slices.Contains(n.list, name) {
			continue
		}
		n.list = append(n.list, name)
		n.buf = append(append(n.buf, name...), 0)
	}
	return n
}

// List returns the names; the caller must not change the slice.
func (n *Names) List() []string { return n.list }

// metaScratch is a socket's memory for RecvMeta: Go memory without Go pointers, which
// C writes.
type metaScratch struct {
	m      *C.zc_meta
	lens   []int64 // one per name: the value's length, -1 when absent
	values []byte
}

// RecvMeta receives one whole message as Recv(nil, 1) does and, in the same cgo call,
// reads from its first frame the properties in names that the message has
// (zmq_msg_gets; the others are absent from props, which is never nil) and ZMQ_SRCFD:
// fd is the file descriptor of the connection the message came on, -1 when libzmq has
// none (inproc). Errors are Recv's, with nothing returned. The cgo calls are Recv's,
// plus one to free C memory when the values need more room than the socket has yet
// (it then grows to them, up to 64 KiB).
func (s *Socket) RecvMeta(names *Names) (msg [][]byte, props map[string]string, fd int, err error) {
	md := &s.md
	if md.m == nil {
		md.m = new(C.zc_meta)
		md.values = make([]byte, minValues)
	}
	if len(md.lens) < len(names.list) {
		md.lens = make([]int64, len(names.list))
	}
	var np *C.char
	var lp *C.int64_t
	if len(names.list) > 0 {
		np = (*C.char)(unsafe.Pointer(&names.buf[0]))
		lp = (*C.int64_t)(unsafe.Pointer(&md.lens[0]))
	}
	*md.m = C.zc_meta{cap: C.uint64_t(len(md.values)), nprops: C.int32_t(len(names.list))}
	s.begin(1)
	C.zc_recv_meta(s.h, s.rx, s.sc.arenaPtr(), s.sc.wordsPtr(), md.m, np, lp, (*C.char)(unsafe.Pointer(&md.values[0])))
	if md.m.got != 0 {
		props, fd = md.read(names)
	}
	var one [1][][]byte
	got, err := s.finish(one[:0], 1)
	if err != nil {
		return nil, nil, -1, err
	}
	return got[0], props, fd, nil
}

// read returns what zc_recv_meta read, and frees its C memory if it used some.
func (md *metaScratch) read(names *Names) (map[string]string, int) {
	m := md.m
	var all string
	if m.heap != nil {
		all = strings.Clone(unsafe.String((*byte)(unsafe.Pointer(m.heap)), int(m.used)))
		C.free(unsafe.Pointer(m.heap))
		m.heap = nil
		if n := int(m.used); n <= maxArena {
			md.values = make([]byte, n)
		}
	} else {
		all = string(md.values[:m.used])
	}
	props := make(map[string]string, len(names.list))
	off := 0
	for i, name := range names.list {
		n := md.lens[i]
		if n == -2 {
			panic("zmqc: out of C memory for the properties of a message")
		}
		if n < 0 {
			continue
		}
		props[name] = all[off : off+int(n)]
		off += int(n)
	}
	return props, int(m.fd)
}

// SetOption sets the socket option opt of raw from value (zmq_setsockopt with bytes),
// for options pebbe/zmq4 has no setter for, such as OptMetadata. It reads and verifies
// raw's libzmq handle as Open does and fails as Open does when it cannot; else it
// returns libzmq's errno as pebbe/zmq4 does, or nil. It has no other use of the handle.
func SetOption(raw *zmq4.Socket, opt int, value []byte) error {
	h, err := handle(raw)
	if err != nil {
		return err
	}
	if err := verify(h, raw); err != nil {
		return err
	}
	var p *C.char
	if len(value) > 0 {
		p = (*C.char)(unsafe.Pointer(&value[0]))
	}
	if e := C.zc_setbytes(h, C.int(opt), p, C.size_t(len(value))); e != 0 {
		return errno(e)
	}
	return nil
}
