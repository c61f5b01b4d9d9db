package zmqsink

import "slices"

// run is the writer goroutine: it takes messages from the queue in batches, oldest
// first, and hands them to libzmq with Socket.SendMany, which parks in the netpoller while
// libzmq cannot take them. It returns when the lifetime context is cancelled (Close, or
// a transport failure). Close waits for it.
func (k *Sink) run() {
	defer close(k.writerDone)
	var batch [][][]byte
	k.mu.Lock()
	for {
		for k.q.len() == 0 {
			if k.life.Err() != nil {
				k.mu.Unlock()
				return
			}
			k.idle = true
			k.mu.Unlock()
			select {
			case <-k.bell:
			case <-k.life.Done():
			}
			k.mu.Lock()
			k.idle = false
		}
		batch = k.q.popN(batch[:0], k.batch)
		k.busy = true
		k.mu.Unlock()
		stop := k.handOff(batch)
		clear(batch)
		if stop {
			return
		}
		k.mu.Lock()
	}
}

// handOff sends batch in order and accounts for it under k.mu. It reports whether the
// writer must stop: Close cancelled the lifetime context (the messages not yet taken
// are kept for Close) or the sink failed.
func (k *Sink) handOff(batch [][][]byte) (stop bool) {
	sent, noPeer := 0, 0
	var drops [][][]byte
	var dropErrs []error
	var ferr error
	i := 0
	for i < len(batch) {
		n, err := k.sock.SendMany(k.life, batch[i:]) // one crossing per batch libzmq takes
		if k.noPeer() {
			noPeer += n
		} else {
			sent += n
		}
		i += n
		switch {
		case err == nil:
			continue
		case perMessage(err): // batch[i] alone was dropped or refused
			drops = append(drops, batch[i])
			dropErrs = append(dropErrs, err)
			i++
			continue
		}
		ferr = err
		break
	}

	k.mu.Lock()
	k.busy = false
	k.sent += uint64(sent)
	k.ndropped += uint64(noPeer)
	for j, m := range drops {
		k.dropLocked(m, dropErrs[j])
	}
	unsent, failed := 0, false
	switch {
	case ferr == nil:
	case k.life.Err() != nil:
		// Close stopped the writer: Send took nothing of batch[i] (a cancelled Send
		// never does), so batch[i:] is still unsent, each with its slot.
		k.inHand = slices.Clone(batch[i:])
		stop = true
	default:
		unsent, failed = k.failLocked(ferr, batch[i:]), true
		stop = true
	}
	k.releaseLocked(i)
	k.wakeFlushersLocked(false)
	k.mu.Unlock()

	if len(dropErrs) > 0 {
		k.logDrops(len(dropErrs), dropErrs[0])
	}
	if failed {
		k.logFailure(ferr, unsent)
	}
	return stop
}
