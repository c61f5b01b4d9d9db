package zmqfuture

import "time"

// WithTimeout returns a future that settles like f if f settles within d, and
// otherwise cancels f with ErrTimeout (which matches context.DeadlineExceeded) and
// fails with it. It arms one timer, stopped as soon as the result settles; Cancel on
// the result stops it and cancels f.
func WithTimeout[T any](f *Future[T], d time.Duration) *Future[T] {
	n := &timeoutNode[T]{src: f}
	n.dst.owner = n
	n.w.c = n
	if !f.subscribe(&n.w) {
		run(n.fire())
		return &n.dst
	}
	if d <= 0 {
		n.expire()
		return &n.dst
	}
	t := time.AfterFunc(d, n.expire)
	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		n.dst.mu.Unlock()
		t.Stop() // settled meanwhile: finish and claim could not see the timer
	} else {
		n.timer = t
		n.dst.mu.Unlock()
	}
	return &n.dst
}

type timeoutNode[T any] struct {
	dst   Future[T]
	src   *Future[T]
	w     waiter
	timer *time.Timer // guarded by dst.mu
}

func (n *timeoutNode[T]) fire() *waiter {
	return n.finish(n.src.res)
}

func (n *timeoutNode[T]) expire() {
	if r, ok := n.src.Result(); ok {
		// f settled but its continuation has not run yet: the result wins.
		run(n.finish(r))
		return
	}
	if !n.claim() {
		return
	}
	n.src.Cancel(ErrTimeout)
	run(n.dst.publish(Result[T]{Err: ErrTimeout}, false))
}

func (n *timeoutNode[T]) cancel(error) (stepper, bool) {
	if !n.claim() {
		return nil, false
	}
	return n.src, true
}

// finish settles the future with r if it is pending, stops the timer and
// returns the continuations to run.
func (n *timeoutNode[T]) finish(r Result[T]) *waiter {
	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		n.dst.mu.Unlock()
		return nil
	}
	w := n.dst.settleLocked(r, false)
	t := n.timer
	n.timer = nil
	n.dst.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	return w
}

// claim claims the future if it is pending and stops the timer; the caller
// then cancels f and publishes the result.
func (n *timeoutNode[T]) claim() bool {
	n.dst.mu.Lock()
	if n.dst.state.Load() != pending {
		n.dst.mu.Unlock()
		return false
	}
	n.dst.state.Store(claimed)
	t := n.timer
	n.timer = nil
	n.dst.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	return true
}
