//go:build !linux

package zmqevented

import (
	"os"

	"github.com/pebbe/zmq4"
)

func platformSupported() error { return ErrUnsupportedPlatform }

func pollFile(*zmq4.Socket, string) (*os.File, error) { return nil, ErrUnsupportedPlatform }
