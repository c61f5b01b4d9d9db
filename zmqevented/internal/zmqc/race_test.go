//go:build race

package zmqc

// raceEnabled: the race detector's sync.Pool drops some of what is put back, so a call
// may allocate a fresh scratch.
const raceEnabled = true
