package zmqsink

// ring is the bounded FIFO of accepted messages waiting for the writer. A message in
// the ring holds a slot, so the sink's slot count bounds it; its buffer starts small
// and doubles as needed, so a large WithQueue costs memory only when it fills.
type ring struct {
	buf   [][][]byte
	head  int
	n     int
	limit int
}

func newRing(limit int) ring { return ring{buf: make([][][]byte, min(limit, 64)), limit: limit} }

func (r *ring) len() int { return r.n }

// push appends m; the caller guarantees room (it holds a slot for m).
func (r *ring) push(m [][]byte) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)%len(r.buf)] = m
	r.n++
}

func (r *ring) grow() {
	buf := make([][][]byte, min(max(2*len(r.buf), 1), r.limit))
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = buf, 0
}

// popN moves up to limit messages, oldest first, from the ring to the end of dst.
func (r *ring) popN(dst [][][]byte, limit int) [][][]byte {
	for ; limit > 0 && r.n > 0; limit-- {
		dst = append(dst, r.buf[r.head])
		r.buf[r.head] = nil
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	return dst
}

// waiter is a goroutine blocked in Reserve, in the sink's FIFO of waiters.
type waiter struct {
	ready      chan struct{} // closed when granted a slot or refused
	granted    bool          // holds a slot
	err        error         // refused: the sink closed or failed
	prev, next *waiter
}

// waiters is an intrusive doubly linked FIFO, so a cancelled waiter leaves in O(1).
type waiters struct {
	head, tail *waiter
}

func (l *waiters) empty() bool { return l.head == nil }

func (l *waiters) push(w *waiter) {
	w.prev = l.tail
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
}

func (l *waiters) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next = nil, nil
}

func (l *waiters) pop() *waiter {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}
