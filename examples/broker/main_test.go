package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zmqasync/zmqasync/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestDefaults(t *testing.T) {
	out := exampletest.Run(t)
	require.Len(t, regexp.MustCompile(`(?m)^worker \d served [1-9]\d* requests$`).FindAllString(out, -1), 3)
	require.Contains(t, out, "5 clients got 250 replies, each checked\n")
	require.Contains(t, out, "broker: ok\n")
}

func TestOneWorker(t *testing.T) {
	out := exampletest.Run(t, "-workers=1", "-clients=2", "-requests=20")
	require.Contains(t, out, "worker 1 served 40 requests\n")
	require.Contains(t, out, "broker: ok\n")
}
