package zmqevented_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeQuickStart keeps the README's quick start the same code as Example (which
// compiles and runs with its output checked): the body of Example, without its
// "// Output:" line and one level less indented, must be the README's first Go block
// under "## Quick start".
func TestReadmeQuickStart(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	_, body, ok := strings.Cut(string(src), "\nfunc Example() {\n")
	require.True(t, ok, "example_test.go has no func Example")
	body, _, ok = strings.Cut(body, "\n}\n")
	require.True(t, ok)
	var want []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "// Output:") {
			continue
		}
		want = append(want, strings.TrimPrefix(line, "\t"))
	}

	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Quick start\n")
	require.True(t, ok, "README.md has no Quick start section")
	_, block, ok := strings.Cut(section, "```go\n")
	require.True(t, ok, "the Quick start section has no Go block")
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	require.Equal(t, strings.Join(want, "\n"), strings.TrimRight(block, "\n"),
		"README.md's quick start and Example in zmqevented/example_test.go differ")
}
