//go:build !race

package zmqc

const raceEnabled = false
