// Weather is the ZeroMQ guide's weather update service, with the subscriber written
// as rxgo operators over a zmqstream Observable: the publisher sends an endless
// stream of [zip code, temperature, humidity] updates for ten zip codes; the
// subscriber subscribes to some (-zips), Takes the first -samples rounds, Maps the
// frames to readings, Filters out sensor glitches and Reduces to per-zip averages.
// The publisher is an XPUB with ZMQ_XPUB_NODROP, so it starts once every
// subscription has reached it and waits for a slow subscriber instead of dropping:
// its data is deterministic, the subscriber knows the exact averages it must find,
// and the program exits with status 1 if one differs.
//
// Publisher and subscriber run in one process over TCP, or as two processes with
// -role. Over a multicast -endpoint (epgm://, pgm://, norm://; see zmqevented's
// package doc) they run as two processes, on two hosts for PGM, which delivers
// nothing on the sending host, each with its own interface in -endpoint. No
// subscriptions come back to the publisher: the subscriber filters, and the
// publisher starts after -warmup, so start the subscriber first.
//
//	go run ./examples/weather
//	go run ./examples/weather -zips=10002,10007 -samples=500
//	go run ./examples/weather -role=sub -endpoint='epgm://10.0.0.2;239.192.1.1:5555'  # host B
//	go run ./examples/weather -role=pub -endpoint='epgm://10.0.0.1;239.192.1.1:5555'  # host A
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pebbe/zmq4"
	"github.com/reactivex/rxgo/v2"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqstream"
)

var (
	zipList  = flag.String("zips", "10001,10003,10005", "comma-separated zip codes to subscribe to, among 10001…10010 (-role=pub over TCP: the subscriptions to wait for)")
	samples  = flag.Int("samples", 100, "updates to average per zip code")
	timeout  = flag.Duration("timeout", 10*time.Second, "give up after this long (-role=pub: publish this long)")
	role     = flag.String("role", "both", "both, pub or sub")
	endpoint = flag.String("endpoint", "tcp://127.0.0.1:*", "where the publisher binds and the subscriber connects, or a multicast group both connect to")
	rate     = flag.Int("rate", 1000, "multicast only: the publisher's rate limit in kbit/s")
	warmup   = flag.Duration("warmup", time.Second, "multicast only: how long the publisher gives subscribers to join")
)

// glitch is the temperature a faulty sensor reports.
const glitch = -999

// reading returns the publisher's update number round for zip: deterministic, so
// that the subscriber can check its averages. Every tenth reading of a zip code is a
// sensor glitch.
func reading(zip, round int) (temp, humidity int) {
	if (zip+round)%10 == 0 {
		return glitch, 0
	}
	return 10 + 2*(zip%10) + (round*7)%11 - 5, 30 + (zip+3*round)%40
}

func main() { program.Run("weather", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var zips []string
	for z := range strings.SplitSeq(*zipList, ",") {
		if n, err := strconv.Atoi(z); err != nil || n < 10001 || n > 10010 {
			return fmt.Errorf("-zips: %q is not one of 10001…10010", z)
		}
		zips = append(zips, z)
	}
	slices.Sort(zips)
	zips = slices.Compact(zips) // libzmq passes a repeated subscription on once
	if *role != "both" && *role != "pub" && *role != "sub" {
		return fmt.Errorf("unknown -role %q", *role)
	}
	multicast := isMulticast(*endpoint)
	if multicast && *role == "both" {
		return errors.New("a multicast -endpoint needs -role=pub and -role=sub in two processes")
	}

	// Linger 0: once the subscriber has its samples, the updates still queued for it
	// are of no use, and Close need not wait to deliver them.
	zctx, err := zmqevented.NewContext(zmqevented.WithLinger(0))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	var pub, sub *zmqevented.Socket
	if *role != "sub" {
		if pub, err = publisher(zctx, *endpoint, multicast); err != nil {
			return err
		}
	}
	switch *role {
	case "sub":
		sub, err = subscriber(zctx, zips, *endpoint)
	case "both":
		var ep string
		if ep, err = pub.LastEndpoint(); err == nil {
			sub, err = subscriber(zctx, zips, ep)
		}
	}
	if err != nil {
		return err
	}

	// The publisher runs until the subscriber has what it needs.
	pubCtx, stopPublisher := context.WithCancel(ctx)
	defer stopPublisher()
	var g errgroup.Group
	if pub != nil {
		g.Go(func() error { return publish(pubCtx, pub, len(zips), multicast) })
	}
	if sub == nil {
		return g.Wait()
	}
	totals, err := subscribe(ctx, sub, len(zips))
	stopPublisher()
	if err := errors.Join(err, g.Wait()); err != nil {
		return err
	}
	return check(zips, totals)
}

// isMulticast tells a PGM or NORM endpoint.
func isMulticast(endpoint string) bool {
	for _, t := range []string{"pgm://", "epgm://", "norm://"} {
		if strings.HasPrefix(endpoint, t) {
			return true
		}
	}
	return false
}

// publisher makes the publishing XPUB: bound to endpoint, or connected to a multicast
// group (at most -rate kbit/s; beyond, Send waits in SNDHWM, as it waits for a slow
// subscriber over TCP).
func publisher(zctx *zmqevented.Context, endpoint string, multicast bool) (*zmqevented.Socket, error) {
	opts := []zmqevented.Option{zmqevented.WithXPubNoDrop(true)}
	if multicast {
		opts = append(opts, zmqevented.WithMulticastRate(*rate))
	}
	pub, err := zctx.NewSocket(zmq4.XPUB, opts...)
	if err != nil {
		return nil, err
	}
	if multicast {
		return pub, pub.Connect(endpoint)
	}
	if err := pub.Bind(endpoint); err != nil {
		return nil, err
	}
	if *role == "pub" {
		ep, err := pub.LastEndpoint()
		if err != nil {
			return nil, err
		}
		fmt.Println("publisher: listening on", ep)
	}
	return pub, nil
}

// subscriber makes the SUB, subscribed to zips and connected to endpoint.
func subscriber(zctx *zmqevented.Context, zips []string, endpoint string) (*zmqevented.Socket, error) {
	var opts []zmqevented.Option
	if isMulticast(endpoint) {
		// libzmq 4.3.4's PGM receiver can abort the process when a multipart message
		// meets a full RCVHWM (see zmqevented's package doc); the publisher does not wait
		// for a multicast subscriber anyway.
		opts = append(opts, zmqevented.WithRecvHWM(0))
	}
	for _, z := range zips {
		opts = append(opts, zmqevented.WithSubscribe(z)) // ZeroMQ filters at the publisher (over TCP)
	}
	sub, err := zctx.NewSocket(zmq4.SUB, opts...)
	if err != nil {
		return nil, err
	}
	if err := sub.Connect(endpoint); err != nil {
		return nil, err
	}
	if *role == "sub" {
		fmt.Println("subscriber: connected to", endpoint)
	}
	return sub, nil
}

// publish waits for the subscriptions (over multicast, -warmup instead: none come
// back), then sends rounds of updates, one per zip code, until ctx is done.
func publish(ctx context.Context, pub *zmqevented.Socket, subscriptions int, multicast bool) error {
	if multicast {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*warmup):
		}
		fmt.Println("publisher: multicast, no subscriptions come back; publishing")
	} else {
		var topics []string
		for range subscriptions {
			msg, err := pub.Recv(ctx) // "\x01" + the prefix
			if err != nil {
				return err
			}
			topics = append(topics, string(msg[0][1:]))
		}
		fmt.Printf("publisher: subscriptions in for %s, publishing\n", strings.Join(topics, " "))
	}
	sent := 0
	for round := 0; ; round++ {
		for zip := 10001; zip <= 10010; zip++ {
			temp, humidity := reading(zip, round)
			// Send waits while the subscriber is at its high-water mark (XPUB_NODROP).
			err := pub.SendMessage(ctx, strconv.Itoa(zip), strconv.Itoa(temp), strconv.Itoa(humidity))
			if ctx.Err() != nil {
				fmt.Printf("publisher: stopped after %d updates\n", sent)
				return nil
			}
			if err != nil {
				return err
			}
			sent++
		}
	}
}

// total is what the subscriber adds up for one zip code.
type total struct{ readings, temp, humidity int }

type update struct{ zip, temp, humidity int }

// subscribe takes the first samples rounds of updates of its zip codes off the
// socket and adds them up per zip code with rxgo operators.
func subscribe(ctx context.Context, sub *zmqevented.Socket, zips int) (_ map[int]*total, err error) {
	st, err := zmqstream.New(sub)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, st.Close()) }() // leaves the socket open

	item, err := st.Observable().
		Take(uint(zips * *samples)). // the first -samples rounds, one update per zip code each
		Map(func(_ context.Context, v any) (any, error) {
			msg, _ := v.([][]byte) // [zip, temperature, humidity]
			var u update
			var errs [3]error
			u.zip, errs[0] = strconv.Atoi(string(msg[0]))
			u.temp, errs[1] = strconv.Atoi(string(msg[1]))
			u.humidity, errs[2] = strconv.Atoi(string(msg[2]))
			return u, errors.Join(errs[:]...)
		}).
		Filter(func(v any) bool {
			u, _ := v.(update)
			return u.temp != glitch
		}).
		Reduce(func(_ context.Context, acc, v any) (any, error) {
			totals, _ := acc.(map[int]*total)
			if totals == nil {
				totals = map[int]*total{}
			}
			u, _ := v.(update)
			t := totals[u.zip]
			if t == nil {
				t = &total{}
				totals[u.zip] = t
			}
			t.readings++
			t.temp += u.temp
			t.humidity += u.humidity
			return totals, nil
		}).
		Get(rxgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if item.E != nil {
		return nil, item.E
	}
	totals, _ := item.V.(map[int]*total)
	return totals, nil
}

// check prints the averages and compares them with what the publisher sent.
func check(zips []string, totals map[int]*total) error {
	var errs []error
	for _, z := range zips {
		zip, _ := strconv.Atoi(z)
		var want total
		for round := range *samples {
			temp, humidity := reading(zip, round)
			if temp == glitch {
				continue
			}
			want.readings++
			want.temp += temp
			want.humidity += humidity
		}
		got := totals[zip]
		if got == nil {
			errs = append(errs, fmt.Errorf("zip %d: no readings", zip))
			continue
		}
		fmt.Printf("subscriber: zip %d: %d readings, %d glitches dropped, average %.2f °C, %.1f %% humidity\n",
			zip, got.readings, *samples-got.readings, float64(got.temp)/float64(got.readings), float64(got.humidity)/float64(got.readings))
		if *got != want {
			errs = append(errs, fmt.Errorf("zip %d: got %+v, the publisher sent %+v", zip, *got, want))
		}
	}
	if len(totals) != len(zips) {
		errs = append(errs, fmt.Errorf("readings for %d zip codes, subscribed to %d", len(totals), len(zips)))
	}
	if len(errs) == 0 {
		fmt.Println("subscriber: every average matches the publisher's data")
	}
	return errors.Join(errs...)
}
