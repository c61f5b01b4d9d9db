// Package zmqc moves whole ZeroMQ messages between Go and libzmq, one cgo call per
// message and one per batch of messages, on the libzmq socket inside a pebbe/zmq4
// Socket.
//
// pebbe/zmq4 makes several cgo calls per frame, and a multipart receive one more per
// frame for ZMQ_RCVMORE. Here one call receives or sends every frame of a message (its
// bytes, sizes and more-flags), or as many whole messages as libzmq has or takes, up to
// a limit. pebbe keeps the libzmq handle private: Open reads it and verifies it
// against pebbe's own answers before any use.
//
// Memory: each Socket has a scratch arena (Go memory without Go pointers, which C may
// write during a call) that starts at a few KiB and grows, up to 64 KiB, while its calls
// would use more. A receive copies the frames into the arena, then into one block per
// call that the returned frames are slices of, so a kept frame keeps its whole block
// alive. A frame that does not fit the arena gets its own allocation of its size and is
// copied once. A send gathers small frames into the arena and passes larger ones by
// pointer, pinned for the call.
//
// Errors are libzmq errnos as zmq4.Errno values, as pebbe returns them. EINTR is
// retried, as pebbe does by default. Nothing here is goroutine-safe: the caller
// serializes the calls on a Socket with every other use of its zmq4.Socket, and stops
// using the Socket before the zmq4.Socket is closed.
package zmqc

/*
#cgo !windows pkg-config: libzmq
#cgo noescape zc_getint
#cgo nocallback zc_getint
#include "zmqc.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"syscall"
	"unsafe"

	"github.com/pebbe/zmq4"
)

// ErrLayout is returned by Open when the libzmq handle of a zmq4.Socket cannot be read,
// or does not answer ZMQ_TYPE and ZMQ_FD as the zmq4.Socket does.
var ErrLayout = errors.New("zmqc: no verified libzmq handle in the zmq4.Socket")

// Socket is the hot path of one libzmq socket. Its zero value is not usable; Open
// makes one.
type Socket struct {
	h  unsafe.Pointer // libzmq's socket, C memory
	rx *C.zc_rx       // the receive state: Go memory without Go pointers
	sc scratch
	md metaScratch // RecvMeta's; empty until its first call
}

// Open reads the libzmq handle of raw, an open socket, and verifies it: ZMQ_TYPE and
// ZMQ_FD read through the handle must equal raw.GetType and raw.GetFd (a descriptor
// is unique in the process, so the handle is raw's). It fails with an error wrapping
// ErrLayout otherwise, or with raw's own error.
func Open(raw *zmq4.Socket) (*Socket, error) {
	h, err := handle(raw)
	if err != nil {
		return nil, err
	}
	if err := verify(h, raw); err != nil {
		return nil, err
	}
	return &Socket{h: h, rx: new(C.zc_rx)}, nil
}

// Is reports whether raw still holds the handle Open verified: false once raw is
// closed.
func (s *Socket) Is(raw *zmq4.Socket) bool {
	h, err := handle(raw)
	return err == nil && h == s.h
}

// socField is the index of zmq4.Socket's field "soc", the libzmq handle
// (pebbe/zmq4 v1.4.0: the first field, an unsafe.Pointer).
var socField = sync.OnceValues(func() (int, error) {
	f, ok := reflect.TypeFor[zmq4.Socket]().FieldByName("soc")
	if !ok || len(f.Index) != 1 || f.Type.Kind() != reflect.UnsafePointer {
		return 0, fmt.Errorf("%w: zmq4.Socket has no field soc of type unsafe.Pointer", ErrLayout)
	}
	return f.Index[0], nil
})

// handle reads raw's libzmq handle.
func handle(raw *zmq4.Socket) (unsafe.Pointer, error) {
	i, err := socField()
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: nil socket", ErrLayout)
	}
	h := reflect.ValueOf(raw).Elem().Field(i).UnsafePointer()
	if h == nil {
		return nil, fmt.Errorf("%w: nil handle (closed socket)", ErrLayout)
	}
	return h, nil
}

// verify checks that h answers ZMQ_TYPE and ZMQ_FD as raw does.
func verify(h unsafe.Pointer, raw *zmq4.Socket) error {
	wantType, err := raw.GetType()
	if err != nil {
		return err
	}
	wantFd, err := raw.GetFd()
	if err != nil {
		return err
	}
	var typ, fd C.int
	if e := C.zc_getint(h, C.ZMQ_TYPE, &typ); e != 0 {
		return fmt.Errorf("%w: ZMQ_TYPE through the handle: %w", ErrLayout, errno(e))
	}
	if e := C.zc_getint(h, C.ZMQ_FD, &fd); e != 0 {
		return fmt.Errorf("%w: ZMQ_FD through the handle: %w", ErrLayout, errno(e))
	}
	if zmq4.Type(typ) != wantType || int64(fd) != int64(wantFd) {
		return fmt.Errorf("%w: the handle says %v with ZMQ_FD %d, pebbe/zmq4 says %v with %d",
			ErrLayout, zmq4.Type(typ), int(fd), wantType, wantFd)
	}
	return nil
}

// errno is a libzmq errno as pebbe/zmq4 returns it.
func errno[T ~int32](e T) error { return zmq4.Errno(syscall.Errno(e)) }
