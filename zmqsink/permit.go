package zmqsink

import (
	"context"
	"sync/atomic"

	"github.com/zmqasync/zmqasync/zmqevented"
)

// Permit is one slot of a Sink, reserved for one message: Send uses it, Release gives
// it back unused. A permit must be used or released; one that is dropped holds its slot
// until the sink is closed. Its methods are goroutine-safe, and it may be passed to
// another goroutine.
type Permit struct {
	k    *Sink
	used atomic.Bool
}

// Reserve blocks until a slot of the sink is free and returns a permit holding it.
// Waiting calls are served in FIFO order. If ctx is done first it returns
// context.Cause(ctx) and takes nothing (when a slot arrives at the same moment, it is
// given back). It returns ErrClosed once Close has begun (waiting calls return it at
// once) and the sticky transport error once the sink has failed. Goroutine-safe. Costs
// one lock and a small allocation, plus a channel when it has to wait.
func (k *Sink) Reserve(ctx context.Context) (*Permit, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	k.mu.Lock()
	if err := k.refuseLocked(); err != nil {
		k.mu.Unlock()
		return nil, err
	}
	if k.used < k.slots && k.waiting.empty() {
		k.used++
		k.reserved++
		k.mu.Unlock()
		return &Permit{k: k}, nil
	}
	w := &waiter{ready: make(chan struct{})}
	k.waiting.push(w)
	k.mu.Unlock()

	select {
	case <-w.ready:
		if w.err != nil {
			return nil, w.err
		}
		return &Permit{k: k}, nil
	case <-ctx.Done():
		k.mu.Lock()
		switch {
		case w.granted:
			// The slot came as ctx ended: give it back so that the call takes nothing.
			k.reserved--
			k.releaseLocked(1)
		case w.err == nil:
			k.waiting.remove(w)
		}
		k.mu.Unlock()
		return nil, context.Cause(ctx)
	}
}

// TryReserve is Reserve without waiting: it returns ErrFull when every slot is taken
// (or other calls are already waiting for one). Goroutine-safe; does not block.
func (k *Sink) TryReserve() (*Permit, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refuseLocked(); err != nil {
		return nil, err
	}
	if k.used < k.slots && k.waiting.empty() {
		k.used++
		k.reserved++
		return &Permit{k: k}, nil
	}
	return nil, ErrFull
}

// Send accepts the message (its frames) into the slot the permit holds, exactly as
// Sink.Send does but without ever waiting: it cannot fail for lack of capacity. It
// returns nil when the message was accepted; ErrPermitUsed when the permit was already
// sent or released (nothing happens); zmqevented.ErrNoFrames for an empty message (the
// permit stays unused); or, with the permit's slot given back and the message not
// accepted, ErrClosed after Close began or the sticky transport error once the sink
// failed. The byte slices of frames are kept as for Sink.Send. Goroutine-safe; does
// not block.
func (p *Permit) Send(frames ...[]byte) error {
	if len(frames) == 0 {
		return zmqevented.ErrNoFrames
	}
	if !p.used.CompareAndSwap(false, true) {
		return ErrPermitUsed
	}
	k := p.k
	k.mu.Lock()
	k.reserved--
	if err := k.refuseLocked(); err != nil {
		k.releaseLocked(1)
		k.mu.Unlock()
		return err
	}
	if res, err := k.directLocked(frames); res != notDirect {
		k.releaseLocked(1)
		k.mu.Unlock()
		return k.afterDirect(res, err)
	}
	k.enqueueLocked(frames) // the permit's slot passes to the queued message
	k.mu.Unlock()
	return nil
}

// Release gives the permit's slot back unused, waking a Reserve waiting for one. It is
// idempotent, and a no-op after Send. Goroutine-safe; does not block.
func (p *Permit) Release() {
	if !p.used.CompareAndSwap(false, true) {
		return
	}
	k := p.k
	k.mu.Lock()
	k.reserved--
	k.releaseLocked(1)
	k.mu.Unlock()
}

// releaseLocked frees n slots and hands free slots to waiting Reserve calls, oldest
// first.
func (k *Sink) releaseLocked(n int) {
	k.used -= n
	for k.used < k.slots {
		w := k.waiting.pop()
		if w == nil {
			return
		}
		k.used++
		k.reserved++
		w.granted = true
		close(w.ready)
	}
}

// refuseWaitersLocked makes every waiting Reserve return err.
func (k *Sink) refuseWaitersLocked(err error) {
	for w := k.waiting.pop(); w != nil; w = k.waiting.pop() {
		w.err = err
		close(w.ready)
	}
}
