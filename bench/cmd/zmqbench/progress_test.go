package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		width int
		want  string
	}{
		{"fits", "abc", 5, "abc"},
		{"exactly", "abcde", 5, "abcde"},
		{"one over", "abcdef", 5, "abcd…"},
		{"runes, not bytes", "a·b·c·d", 5, "a·b·…"},
		{"multibyte fits", "×·×·×", 5, "×·×·×"},
		{"width one", "abc", 1, "…"},
		{"width zero", "abc", 0, ""},
		{"empty", "", 10, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clip(tc.in, tc.width)
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, utf8.RuneCountInString(got), max(tc.width, 0))
		})
	}
}

// On an 80-column terminal every progress line fits in 79 columns, however long the
// scenario and row names; in a log (no terminal) lines are left whole.
func TestProgressLineFitsTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, width: func() int { return 80 }, start: time.Now(), total: 10}
	p.set("throughput/inproc/64KiB", "zmqsink-pipeline", "rep 5/5")
	p.set("throughput/inproc/64KiB", "zmqstream-observable", "calibrating")
	p.set("idle", "raw", "10000 sockets")
	lines := strings.Split(buf.String(), "\r\033[K")
	require.Len(t, lines, 4)
	for _, l := range lines[1:] {
		require.LessOrEqual(t, utf8.RuneCountInString(l), 79, "%q", l)
	}
	require.True(t, strings.HasSuffix(lines[2], "…"), "%q", lines[2])
	require.True(t, strings.HasPrefix(lines[3], "zmqbench ["), "%q", lines[3])

	buf.Reset()
	p.tty = false
	p.set("throughput/inproc/64KiB", "zmqstream-observable", "calibrating")
	require.Greater(t, utf8.RuneCountInString(strings.TrimSuffix(buf.String(), "\n")), 79)
}

func TestTermWidthFallsBack(t *testing.T) {
	t.Setenv("COLUMNS", "123")
	require.Equal(t, 123, termWidth(-1))
	t.Setenv("COLUMNS", "")
	require.Equal(t, 80, termWidth(-1))
}
