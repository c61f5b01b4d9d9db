package zmqfuture_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/zmqasync/zmqasync/zmqfuture"
)

func Example() {
	ctx := context.Background()

	f := zmqfuture.Go(ctx, func(context.Context) (int, error) {
		return 6 * 7, nil // blocking work goes here, honouring its ctx
	})
	s := zmqfuture.Map(f, func(n int) (string, error) { return "answer=" + strconv.Itoa(n), nil })

	v, err := zmqfuture.WithTimeout(s, time.Second).Await(ctx)
	fmt.Println(v, err)
	// Output: answer=42 <nil>
}

func ExampleGo() {
	ctx := context.Background()
	f := zmqfuture.Go(ctx, func(ctx context.Context) (string, error) {
		<-ctx.Done() // work that runs until cancelled
		return "stopped", context.Cause(ctx)
	})

	f.Cancel(errors.New("shutting down"))
	v, err := f.Await(ctx)
	fmt.Println(v, err)
	// Output: stopped shutting down
}

func ExamplePromise() {
	p := zmqfuture.NewPromise[string]()

	f := p.Future() // hand this to consumers

	// The producer completes the promise; the first completion wins.
	p.Resolve("hello")

	v, err := f.Await(context.Background())
	fmt.Println(v, err)
	fmt.Println(p.Reject(errors.New("too late")))
	// Output:
	// hello <nil>
	// false
}

func ExamplePromise_Context() {
	p := zmqfuture.NewPromise[int]()
	work := p.Context() // the producer watches this

	p.Future().Cancel(nil) // a consumer gives up

	<-work.Done()
	fmt.Println(context.Cause(work))
	_, err := p.Future().Await(context.Background())
	fmt.Println(errors.Is(err, context.Canceled))
	fmt.Println(p.Resolve(1))
	// Output:
	// zmqfuture: canceled
	// true
	// false
}

func ExampleFuture_Await() {
	p := zmqfuture.NewPromise[int]()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := p.Future().Await(ctx) // ctx bounds only this wait
	fmt.Println(err)

	p.Resolve(1) // the future was left untouched
	fmt.Println(p.Future().Await(context.Background()))
	// Output:
	// context deadline exceeded
	// 1 <nil>
}

func ExampleMap() {
	p := zmqfuture.NewPromise[int]()
	double := zmqfuture.Map(p.Future(), func(n int) (int, error) { return 2 * n, nil })
	text := zmqfuture.Map(double, func(n int) (string, error) { return fmt.Sprint("got ", n), nil })

	p.Resolve(21) // runs both functions before returning
	r, ok := text.Result()
	fmt.Println(r.Value, r.Err, ok)
	// Output: got 42 <nil> true
}

func ExampleThen() {
	ctx := context.Background()
	user := zmqfuture.Ready("ada")
	greeting := zmqfuture.Then(user, func(ctx context.Context, name string) *zmqfuture.Future[string] {
		return zmqfuture.Go(ctx, func(context.Context) (string, error) {
			return "hello, " + name, nil // e.g. a request that needs the name
		})
	})

	fmt.Println(greeting.Await(ctx))
	// Output: hello, ada <nil>
}

func ExampleAll() {
	ctx := context.Background()
	fs := make([]*zmqfuture.Future[int], 4)
	for i := range fs {
		fs[i] = zmqfuture.Go(ctx, func(context.Context) (int, error) { return i * i, nil })
	}

	squares, err := zmqfuture.All(ctx, fs...).Await(ctx)
	fmt.Println(squares, err)

	boom := errors.New("boom")
	slow := zmqfuture.NewPromise[int]()
	_, err = zmqfuture.All(ctx, slow.Future(), zmqfuture.Failed[int](boom)).Await(ctx)
	fmt.Println(err)
	fmt.Println(context.Cause(slow.Context()))
	// Output:
	// [0 1 4 9] <nil>
	// boom
	// zmqfuture: canceled: boom
}

func ExampleRace() {
	ctx := context.Background()
	slow := zmqfuture.NewPromise[string]()
	fast := zmqfuture.Ready("fast")

	fmt.Println(zmqfuture.Race(ctx, slow.Future(), fast).Await(ctx))
	_, err := slow.Future().Await(ctx) // the loser was cancelled
	fmt.Println(err)
	// Output:
	// fast <nil>
	// zmqfuture: canceled
}

func ExampleAny() {
	ctx := context.Background()
	errA, errB := errors.New("a is down"), errors.New("b is down")

	_, err := zmqfuture.Any(ctx, zmqfuture.Failed[int](errA), zmqfuture.Failed[int](errB)).Await(ctx)
	fmt.Println(err)
	fmt.Println(errors.Is(err, errA), errors.Is(err, errB))
	// Output:
	// zmqfuture: all 2 futures failed: a is down; b is down
	// true true
}

func ExampleWithTimeout() {
	ctx := context.Background()
	never := zmqfuture.NewPromise[int]()

	_, err := zmqfuture.WithTimeout(never.Future(), 10*time.Millisecond).Await(ctx)
	fmt.Println(err)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	fmt.Println(context.Cause(never.Context())) // the input was cancelled
	// Output:
	// zmqfuture: timeout
	// true
	// zmqfuture: timeout
}
