package zmqevented

// SetPebbeOnly makes sockets opened from now on use pebbe/zmq4's calls instead of the
// hot path (on) or the hot path again (off).
func SetPebbeOnly(on bool) { pebbeOnly.Store(on) }

// PebbeOnly reports whether SetPebbeOnly(true) is in force.
func PebbeOnly() bool { return pebbeOnly.Load() }

// HotPath reports whether s moves its messages through the hot path.
func HotPath(s *Socket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hot != nil
}
