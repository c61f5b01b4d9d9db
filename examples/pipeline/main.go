// Pipeline is the ZeroMQ guide's parallel pipeline with backpressure: a ventilator
// PUSHes tasks through a zmqsink.Sink to -workers workers, which read them as a
// zmqstream iterator, sleep a few milliseconds each and PUSH a result to a sink that
// counts them per worker. The queues are short (-hwm, and inproc, where high-water
// marks are exact; over TCP the kernel's buffers would hold hundreds of these small
// tasks), so the ventilator's Send waits for the workers, and it prints for how
// long. The program exits with status 1 unless every task came back exactly once.
//
//	go run ./examples/pipeline
//	go run ./examples/pipeline -tasks=1000 -workers=8
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/pebbe/zmq4"
	"golang.org/x/sync/errgroup"

	"github.com/zmqasync/zmqasync/examples/internal/program"
	"github.com/zmqasync/zmqasync/zmqevented"
	"github.com/zmqasync/zmqasync/zmqsink"
	"github.com/zmqasync/zmqasync/zmqstream"
)

var (
	tasks   = flag.Int("tasks", 200, "number of tasks")
	workers = flag.Int("workers", 4, "number of workers")
	hwm     = flag.Int("hwm", 5, "high-water mark of the task sockets, at each end of each worker's pipe")
	queue   = flag.Int("queue", 8, "length of the ventilator's zmqsink queue")
	timeout = flag.Duration("timeout", 10*time.Second, "give up after this long")
)

func main() { program.Run("pipeline", run) }

func run(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	zctx, err := zmqevented.NewContext()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, zctx.Close()) }()

	const tasksEndpoint, resultsEndpoint = "inproc://tasks", "inproc://results"
	results, err := bind(zctx, zmq4.PULL, resultsEndpoint)
	if err != nil {
		return err
	}
	taskPush, err := bind(zctx, zmq4.PUSH, tasksEndpoint, zmqevented.WithSendHWM(*hwm))
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	workCtx, stopWorkers := context.WithCancel(gctx)
	defer stopWorkers()
	for id := 1; id <= *workers; id++ {
		g.Go(func() error { return work(workCtx, zctx, id, tasksEndpoint, resultsEndpoint) })
	}
	g.Go(func() error { return ventilate(gctx, taskPush) })

	perWorker, collectErr := collect(gctx, results)
	stopWorkers() // the results are in: the workers may go
	if err := errors.Join(collectErr, g.Wait()); err != nil {
		return err
	}
	total := 0
	for id := 1; id <= *workers; id++ {
		fmt.Printf("sink: worker %d did %d tasks\n", id, perWorker[id])
		total += perWorker[id]
	}
	fmt.Printf("sink: total %d of %d tasks\n", total, *tasks)
	if total != *tasks {
		return fmt.Errorf("%d results for %d tasks", total, *tasks)
	}
	return nil
}

func bind(zctx *zmqevented.Context, t zmq4.Type, endpoint string, opts ...zmqevented.Option) (*zmqevented.Socket, error) {
	s, err := zctx.NewSocket(t, opts...)
	if err != nil {
		return nil, err
	}
	return s, s.Bind(endpoint)
}

// ventilate sends the tasks [number, milliseconds of work] through a Sink, whose
// Send waits while the workers' pipes are full.
func ventilate(ctx context.Context, push *zmqevented.Socket) error {
	// The PUSH stays open after the Sink's Close: Close means "handed to libzmq", not
	// "delivered" (libzmq #4660); the results are the acknowledgement, and the
	// Context closes the socket once they are in.
	k, err := zmqsink.New(push, zmqsink.WithQueue(*queue), zmqsink.WithCloseSocket(false))
	if err != nil {
		return err
	}
	start := time.Now()
	var waited time.Duration
	for i := range *tasks {
		t := time.Now()
		err := k.Send(ctx, []byte(strconv.Itoa(i)), []byte(strconv.Itoa(1+i%3)))
		waited += time.Since(t)
		if err != nil {
			return errors.Join(err, k.Shutdown(ctx))
		}
	}
	if err := k.Shutdown(ctx); err != nil { // waits until libzmq has every task
		return err
	}
	stats := k.Stats()
	fmt.Printf("ventilator: %d tasks sent in %v, %v of it waiting for the workers (backpressure)\n",
		stats.Sent, time.Since(start).Round(time.Millisecond), waited.Round(time.Millisecond))
	return nil
}

// work does tasks until ctx is done, sending [worker id, task number] for each.
func work(ctx context.Context, zctx *zmqevented.Context, id int, tasksEndpoint, resultsEndpoint string) (err error) {
	pull, err := zctx.NewSocket(zmq4.PULL, zmqevented.WithRecvHWM(*hwm))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pull.Close()) }()
	push, err := zctx.NewSocket(zmq4.PUSH)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, push.Close()) }()
	if err := errors.Join(pull.Connect(tasksEndpoint), push.Connect(resultsEndpoint)); err != nil {
		return err
	}

	st, err := zmqstream.New(pull)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }() // leaves the socket open

	for task, err := range st.All(ctx) { // receives the next task only when this loop asks
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped
			}
			return err
		}
		ms, err := strconv.Atoi(string(task[1]))
		if err != nil {
			return err
		}
		time.Sleep(time.Duration(ms) * time.Millisecond) // the work
		if err := push.Send(ctx, []byte(strconv.Itoa(id)), task[0]); err != nil {
			return err
		}
	}
	return nil
}

// collect receives one result per task and counts them per worker; a task that
// comes back twice or is unknown is an error.
func collect(ctx context.Context, results *zmqevented.Socket) (map[int]int, error) {
	perWorker := map[int]int{}
	done := make([]bool, *tasks)
	for n := range *tasks {
		msg, err := results.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("%d of %d results: %w", n, *tasks, err)
		}
		id, err1 := strconv.Atoi(string(msg[0]))
		task, err2 := strconv.Atoi(string(msg[1]))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if task < 0 || task >= *tasks || done[task] {
			return nil, fmt.Errorf("task %d came back from worker %d, unknown or twice", task, id)
		}
		done[task] = true
		perWorker[id]++
	}
	return perWorker, nil
}
