package zmqevented

import (
	"sync/atomic"

	"github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/zmqasync/zmqasync/zmqevented/internal/zmqc"
)

// pebbeOnly makes sockets opened from now on use pebbe/zmq4's calls instead of the hot
// path. The tests set it to run the package's suite on that fallback.
var pebbeOnly atomic.Bool

// openHotPath returns the hot path of raw (see internal/zmqc), or nil to keep
// pebbe/zmq4's calls: when pebbeOnly is set, or when raw's libzmq handle cannot be read
// or does not answer ZMQ_TYPE and ZMQ_FD as raw does (a pebbe/zmq4 whose layout
// changed). Either way the socket works the same, only slower; the debug log says which.
func openHotPath(raw *zmq4.Socket, log *zap.Logger) *zmqc.Socket {
	if pebbeOnly.Load() {
		log.Debug("hot path off: pebbe/zmq4's calls forced")
		return nil
	}
	h, err := zmqc.Open(raw)
	if err != nil {
		log.Debug("hot path off: pebbe/zmq4's calls instead", zap.Error(err))
		return nil
	}
	return h
}

// checkHotPathLocked drops the hot path when raw no longer holds the handle it was
// verified with (a function given to With closed raw, which With forbids): the handle
// is never used once raw is closed.
func (s *Socket) checkHotPathLocked() {
	if s.hot != nil && !s.hot.Is(s.raw) {
		s.hot = nil
		s.log.Debug("hot path off: the zmq4.Socket no longer holds the verified handle")
	}
}
