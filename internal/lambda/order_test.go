package lambda_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// slowExecutor takes a random while over every Provision call before it
// applies it, as a busy executor might, so that calls made concurrently
// would land in another order than they were made. It keeps what the last
// applied call asked for per config, and reports it allocated and ready.
type slowExecutor struct {
	gateExecutor

	mu      sync.Mutex
	target  map[string]int
	applied int
}

func (x *slowExecutor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	x.mu.Lock()
	if x.target == nil {
		x.target = map[string]int{}
	}
	x.target[t.Key()] = n
	x.applied++
	x.mu.Unlock()
	if n > 0 {
		report(lambda.ProvisionProgress{Allocated: n, Ready: true})
	}
}

func (x *slowExecutor) targetOf(key string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.target[key]
}

// TestProvisionSideEffectsFollowWrites races provisioned-config writes and
// checks, after each round, that the executor was left with exactly what
// the durable state says: executor calls run under the function's writer
// slot, after its write, in write order.
func TestProvisionSideEffectsFollowWrites(t *testing.T) {
	x := &slowExecutor{}
	svc := newService(t, x, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	ctx := context.Background()
	key := lambda.ProvisionKey(sc, "f", "1")

	check := func(round int, what string) {
		t.Helper()
		pc, err := svc.GetProvisionedConcurrencyConfig(ctx, sc, "f", "1")
		var de *lambda.Error
		switch {
		case errors.As(err, &de) && de.Kind == lambda.KindProvisionedConfigNotFound:
			if got := x.targetOf(key); got != 0 {
				t.Fatalf("round %d (%s): no config, yet the executor keeps %d environments", round, what, got)
			}
		case err != nil:
			t.Fatal(err)
		default:
			if got := x.targetOf(key); got != pc.Requested {
				t.Fatalf("round %d (%s): config requests %d, the executor keeps %d", round, what, pc.Requested, got)
			}
			if pc.Status != lambda.ProvisionedReady || pc.Allocated != pc.Requested {
				t.Fatalf("round %d (%s): config %s with %d of %d allocated, want READY", round, what, pc.Status, pc.Allocated, pc.Requested)
			}
		}
	}
	race := func(ops ...func()) {
		var wg sync.WaitGroup
		for _, op := range ops {
			wg.Add(1)
			go func() { defer wg.Done(); op() }()
		}
		wg.Wait()
	}
	put := func(n int) func() {
		return func() {
			if _, err := svc.PutProvisionedConcurrencyConfig(ctx, sc, "f", "1", ptr(n)); err != nil {
				t.Error(err)
			}
		}
	}
	del := func() {
		if err := svc.DeleteProvisionedConcurrencyConfig(ctx, sc, "f", "1"); err != nil {
			t.Error(err)
		}
	}
	for round := range 40 {
		race(put(3), del)
		check(round, "Put(3) || Delete")
		race(put(3), put(5))
		check(round, "Put(3) || Put(5)")
		race(del, put(5), put(3))
		check(round, "Delete || Put(5) || Put(3)")
		del()
	}
}
