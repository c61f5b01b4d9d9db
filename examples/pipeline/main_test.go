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
	require.Regexp(t, `ventilator: 200 tasks sent in \S+, \S+ of it waiting for the workers`, out)
	require.Len(t, regexp.MustCompile(`(?m)^sink: worker \d did \d+ tasks$`).FindAllString(out, -1), 4)
	require.Contains(t, out, "sink: total 200 of 200 tasks\n")
	require.Contains(t, out, "pipeline: ok\n")
}

func TestOneWorker(t *testing.T) {
	out := exampletest.Run(t, "-workers=1", "-tasks=50")
	require.Contains(t, out, "sink: worker 1 did 50 tasks\n")
	require.Contains(t, out, "pipeline: ok\n")
}
