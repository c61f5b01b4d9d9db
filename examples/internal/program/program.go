// Package program is the main function every example shares: flags, a context that
// ends on Ctrl-C, and the verdict line the tests look for.
package program

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Run parses the command line's flags, calls run with a context that is cancelled on
// SIGINT or SIGTERM, and then prints "<name>: ok", or "<name>: FAIL: <error>" on stderr
// and exits with status 1. It returns only on success.
func Run(name string, run func(ctx context.Context) error) {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: FAIL: %v\n", name, err)
		os.Exit(1)
	}
	fmt.Printf("%s: ok\n", name)
}
