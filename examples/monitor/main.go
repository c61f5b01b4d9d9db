// Monitor watches a server socket's connections as a stream of events
// (zmqstream.Monitor, over libzmq's socket monitor) while -peers clients come and go
// over TCP, at most two at a time, each doing a ping round trip. It prints every
// event (listening; accepted, handshake-succeeded and disconnected for each peer;
// closed and monitor-stopped, which ends the stream, when the server socket closes)
// and exits with status 1 unless it saw one accepted and one disconnected event per
// peer within -timeout.
//
//	go run ./examples/monitor
//	go run ./examples/monitor -peers=10
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqfuture/reqrep"
	"github.com/zmqasync/zmqasync/zmqstream"
)

var (
	peers   = flag.Int("peers", 3, "number of peers that come and go")
	timeout = flag.Duration("timeout", 5*time.Second, "give up after this long")
)

func main() { program.Run("monitor", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	server, err := zctx.NewSocket(zmq4.REP)
	if err != nil {
		return err
	}
	// Monitor before Bind, so that the stream starts with the listening event.
	events, err := zmqstream.Monitor(ctx, server, zmq4.EVENT_ALL)
	if err != nil {
		return err
	}
	defer func() { _ = events.Close() }() // ErrClosed if ctx ended first: it closes the stream too
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, err := server.LastEndpoint()
	if err != nil {
		return err
	}

	var g errgroup.Group
	g.Go(func() error { return pong(ctx, server) })
	g.Go(func() error { return comeAndGo(ctx, zctx, endpoint) })

	seen := map[zmq4.Event]int{}
	for ev, err := range events.All(ctx) { // ends after monitor-stopped
		if err != nil {
			_ = server.Close() // stop pong
			return errors.Join(fmt.Errorf("after %d accepted and %d disconnected events: %w",
				seen[zmq4.EVENT_ACCEPTED], seen[zmq4.EVENT_DISCONNECTED], err), g.Wait())
		}
		fmt.Println("event:", ev)
		seen[ev.Event]++
		if ev.Event == zmq4.EVENT_DISCONNECTED && seen[ev.Event] == *peers {
			// Every peer came and went: closing the socket ends its monitor's stream.
			if err := server.Close(); err != nil {
				return errors.Join(err, g.Wait())
			}
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	accepted, disconnected := seen[zmq4.EVENT_ACCEPTED], seen[zmq4.EVENT_DISCONNECTED]
	fmt.Printf("monitor: %d peers: %d accepted, %d disconnected\n", *peers, accepted, disconnected)
	if accepted != *peers || disconnected != *peers || seen[zmq4.EVENT_MONITOR_STOPPED] != 1 {
		return errors.New("wrong events")
	}
	return nil
}

// pong answers every ping until the server socket is closed.
func pong(ctx context.Context, server *zmqevented.Socket) error {
	for {
		if _, err := server.Recv(ctx); err != nil {
			if errors.Is(err, zmqevented.ErrClosed) {
				return nil
			}
			return err
		}
		if err := server.Send(ctx, []byte("pong")); err != nil {
			if errors.Is(err, zmqevented.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// comeAndGo connects the peers one after the other, each doing a ping round trip,
// and closes the oldest whenever two are connected.
func comeAndGo(ctx context.Context, zctx *zmqevented.Context, endpoint string) error {
	var connected []*zmqevented.Socket
	leave := func() error {
		oldest := connected[0]
		connected = connected[1:]
		return oldest.Close()
	}
	for i := 1; i <= *peers; i++ {
		peer, err := zctx.NewSocket(zmq4.REQ)
		if err != nil {
			return err
		}
		connected = append(connected, peer)
		if err := peer.Connect(endpoint); err != nil {
			return err
		}
		if _, err := reqrep.Call(ctx, peer, []byte("ping")).Await(ctx); err != nil {
			return fmt.Errorf("peer %d: %w", i, err)
		}
		if len(connected) == 2 {
			if err := leave(); err != nil {
				return err
			}
		}
	}
	for len(connected) > 0 {
		if err := leave(); err != nil {
			return err
		}
	}
	return nil
}
