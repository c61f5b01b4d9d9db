package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func parkUntil(ch <-chan struct{}) { <-ch }

// The leak check names what a run left running by its top function, and is quiet
// once it has ended.
func TestLeakCheck(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	ended := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { ended <- struct{}{} }()
			parkUntil(release)
		}()
	}
	got := leakCheck(before, 0)
	require.Contains(t, got, "2 goroutines started by the run are still running: ")
	require.Contains(t, got, "2× github.com/zmqasync/zmqasync/bench/cmd/zmqbench.parkUntil")
	close(release)
	<-ended
	<-ended
	require.Empty(t, leakCheck(before, leakWait))
}
