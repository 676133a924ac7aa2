package lambda_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// recordingObserver keeps what it is told.
type recordingObserver struct {
	mu        sync.Mutex
	throttles []lambda.ThrottleRecord
	invoked   []lambda.InvokeRecord
	received  []string // qualifiers
	dropped   []string // reasons
}

func (o *recordingObserver) Throttled(_ lambda.Scope, _ string, t lambda.ThrottleRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.throttles = append(o.throttles, t)
}

func (o *recordingObserver) Invoked(_ lambda.Scope, _ string, r lambda.InvokeRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.invoked = append(o.invoked, r)
}

func (o *recordingObserver) AsyncReceived(_ lambda.Scope, _, q string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.received = append(o.received, q)
}

func (o *recordingObserver) AsyncDropped(_ lambda.Scope, _, _, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropped = append(o.dropped, reason)
}

func (o *recordingObserver) snapshot() (t []lambda.ThrottleRecord, i []lambda.InvokeRecord, r, d []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append(t, o.throttles...), append(i, o.invoked...), append(r, o.received...), append(d, o.dropped...)
}

// TestObserverRecords: the observer learns the qualifier invoked, the
// version executed, throttles with their qualifier, and an asynchronous
// event's life: received once, each attempt with its age, dropped after its
// last retry.
func TestObserverRecords(t *testing.T) {
	g := &gateExecutor{}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	obs := &recordingObserver{}
	svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: g, Observer: lambda.Observers{obs},
		Async: lambda.AsyncOptions{RetryDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	ctx := context.Background()
	mustCreate(t, svc, "f", true)
	one := "1"
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: &one}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "live", "1"} {
		if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: q}); err != nil {
			t.Fatal(err)
		}
	}
	_, invoked, _, _ := obs.snapshot()
	want := []struct{ q, v string }{{"", "$LATEST"}, {"live", "1"}, {"1", "1"}}
	if len(invoked) != len(want) {
		t.Fatalf("invoked %+v", invoked)
	}
	for i, w := range want {
		if r := invoked[i]; r.Qualifier != w.q || r.ExecutedVersion != w.v || r.Async || r.FunctionError {
			t.Errorf("invocation %d: %+v, want qualifier %q version %q", i, r, w.q, w.v)
		}
	}

	if _, err := svc.PutFunctionConcurrency(ctx, sc, "f", ptr(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "live"}); err == nil {
		t.Fatal("not throttled")
	}
	if throttles, _, _, _ := obs.snapshot(); len(throttles) != 1 || throttles[0].Qualifier != "live" || throttles[0].Async ||
		throttles[0].Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
		t.Fatalf("throttles %+v", throttles)
	}
	if err := svc.DeleteFunctionConcurrency(ctx, sc, "f"); err != nil {
		t.Fatal(err)
	}

	g.mu.Lock()
	g.fail = true
	g.mu.Unlock()
	if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "live", InvocationType: lambda.InvokeEvent}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, _, _, d := obs.snapshot(); return len(d) > 0 })
	_, invoked, received, dropped := obs.snapshot()
	if len(received) != 1 || received[0] != "live" {
		t.Errorf("received %q", received)
	}
	if len(dropped) != 1 || dropped[0] != lambda.DropRetriesExhausted {
		t.Errorf("dropped %q", dropped)
	}
	attempts := invoked[len(want):]
	if len(attempts) != 3 {
		t.Fatalf("attempts %+v", attempts)
	}
	for i, r := range attempts {
		if !r.Async || !r.FunctionError || r.Qualifier != "live" || r.ExecutedVersion != "1" {
			t.Errorf("attempt %d: %+v", i, r)
		}
		if i > 0 && r.AsyncEventAge < attempts[i-1].AsyncEventAge {
			t.Errorf("attempt %d is younger (%v) than the one before (%v)", i, r.AsyncEventAge, attempts[i-1].AsyncEventAge)
		}
	}
}
