// Curve is an encrypted, authenticated PUB/SUB over TCP: the publisher is a CURVE
// server (zmqevented.WithCurveServer) in a Context whose ZAP handler
// (zmqevented.WithAuth) lets in only the subscriber's public key, and the
// subscriber a CURVE client (zmqevented.WithCurveClient) that knows the publisher's
// public key. An intruder with a key pair of its own connects too: its handshake is
// refused and it receives nothing. Key pairs are made fresh with NewCurveKeyPair
// (deployments load them from certificate files with LoadCurveKeyPair). The program
// prints the publisher's handshake events and what each subscriber received, and
// exits with status 1 unless the subscriber got all -n messages and the intruder
// none.
//
//	go run ./examples/curve
//	go run ./examples/curve -n=100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pebbe/zmq4"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

var (
	messages = flag.Int("n", 10, "messages to publish")
	quiet    = flag.Duration("quiet", 200*time.Millisecond, "how long the intruder listens after the subscriber has everything")
	timeout  = flag.Duration("timeout", 5*time.Second, "give up after this long")
)

func main() { program.Run("curve", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var keys [3]zmqevented.CurveKeyPair
	for i := range keys {
		if keys[i], err = zmqevented.NewCurveKeyPair(); err != nil {
			return err
		}
	}
	publisherKeys, subscriberKeys, intruderKeys := keys[0], keys[1], keys[2]

	// The publisher's side: its Context's ZAP handler knows one client key.
	serverCtx, err := zmqevented.NewContext(zmqevented.WithLinger(0),
		zmqevented.WithAuth(zmqevented.AuthPolicy{CurveKeys: []string{subscriberKeys.Public}}))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, serverCtx.Close()) }()
	// An XPUB, to wait for the subscription before publishing.
	pub, err := serverCtx.NewSocket(zmq4.XPUB, zmqevented.WithCurveServer(publisherKeys.Secret))
	if err != nil {
		return err
	}
	events, err := zmqstream.Monitor(ctx, pub, zmq4.EVENT_HANDSHAKE_SUCCEEDED|zmq4.EVENT_HANDSHAKE_FAILED_AUTH)
	if err != nil {
		return err
	}
	defer func() { _ = events.Close() }() // ErrClosed if ctx ended first: it closes the stream too
	if err := pub.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, err := pub.LastEndpoint()
	if err != nil {
		return err
	}

	// The subscribers' side, as if in other processes: each knows the publisher's
	// public key and has a key pair of its own.
	clientCtx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, clientCtx.Close()) }()
	sub, err := clientCtx.NewSocket(zmq4.SUB, zmqevented.WithSubscribe(""),
		zmqevented.WithCurveClient(publisherKeys.Public, subscriberKeys))
	if err != nil {
		return err
	}
	intruder, err := clientCtx.NewSocket(zmq4.SUB, zmqevented.WithSubscribe(""),
		zmqevented.WithCurveClient(publisherKeys.Public, intruderKeys))
	if err != nil {
		return err
	}
	if err := errors.Join(sub.Connect(endpoint), intruder.Connect(endpoint)); err != nil {
		return err
	}

	if err := awaitHandshakes(ctx, events); err != nil {
		return err
	}
	if _, err := pub.Recv(ctx); err != nil { // the subscription: from the subscriber only
		return err
	}
	for i := 1; i <= *messages; i++ {
		if err := pub.SendMessage(ctx, "secret", fmt.Sprint(i)); err != nil {
			return err
		}
	}
	fmt.Printf("publisher: published %d messages\n", *messages)

	for i := 1; i <= *messages; i++ {
		msg, err := sub.Recv(ctx)
		if err != nil {
			return fmt.Errorf("subscriber: after %d messages: %w", i-1, err)
		}
		if got := fmt.Sprintf("%s %s", msg[0], msg[1]); got != fmt.Sprintf("secret %d", i) {
			return fmt.Errorf("subscriber: message %d is %q", i, got)
		}
	}
	fmt.Printf("subscriber: received %d messages\n", *messages)

	listen, cancelListen := context.WithTimeout(ctx, *quiet)
	defer cancelListen()
	msg, err := intruder.Recv(listen)
	if err == nil {
		return fmt.Errorf("intruder: received %q", msg)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Printf("intruder: received nothing in %v\n", *quiet)
	return nil
}

// awaitHandshakes prints the publisher's first handshake-succeeded event (the
// subscriber's) and its first handshake-failed-auth event (the intruder's, which
// libzmq retries and the ZAP handler refuses again, every reconnect interval).
func awaitHandshakes(ctx context.Context, events *zmqstream.EventStream) error {
	seen := map[zmq4.Event]bool{}
	for len(seen) < 2 {
		select {
		case ev, ok := <-events.C():
			if !ok {
				return errors.Join(errors.New("the monitor stopped early"), events.Err())
			}
			if !seen[ev.Event] {
				fmt.Println("publisher:", ev)
			}
			seen[ev.Event] = true
		case <-ctx.Done():
			return fmt.Errorf("waiting for the handshakes: %w", context.Cause(ctx))
		}
	}
	return nil
}
