package lambda_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func eventService(t *testing.T, exec lambda.Executor, clock func() time.Time, obs lambda.InvokeObserver) (*lambda.Service, *boltstore.Store) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: exec, Clock: clock, Observer: lambda.Observers{obs},
		Async: lambda.AsyncOptions{RetryDelay: time.Millisecond, ThrottleBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc, st
}

// TestEventAgeFromConfig: a throttled event older than its qualifier's
// MaximumEventAgeInSeconds is dropped as EventAgeExceeded (the observer
// counts it) and its record, with that condition, is stored for the
// OnFailure function before the event leaves the queue. The clock is fake:
// a minute passes at once.
func TestEventAgeFromConfig(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	g := &gateExecutor{release: make(chan struct{})}
	obs := &recordingObserver{}
	svc, st := eventService(t, g, clock.Now, obs)
	ctx := context.Background()
	mustCreate(t, svc, "f", false)
	mustCreate(t, svc, "sink", false)
	if _, err := svc.PutFunctionConcurrency(ctx, sc, "f", ptr(1)); err != nil {
		t.Fatal(err)
	}
	sink := sc.FunctionARN("sink")
	if _, err := svc.PutFunctionEventInvokeConfig(ctx, sc, lambda.EventInvokeInput{FunctionName: "f", MaximumEventAgeInSeconds: ptr(60),
		HasDestinationConfig: true, OnFailure: &sink}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"holds-the-slot", "throttled"} {
		if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", InvocationType: lambda.InvokeEvent, RequestID: id, Payload: []byte(`{"id":"` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { calls, _, _ := g.stats(); return calls == 1 })
	time.Sleep(20 * time.Millisecond) // the throttled event retries meanwhile, and stays
	if _, _, _, d := obs.snapshot(); len(d) != 0 {
		t.Fatalf("dropped before its maximum age: %q", d)
	}
	clock.Add(61 * time.Second)
	waitFor(t, func() bool { _, _, _, d := obs.snapshot(); return len(d) == 1 })
	if _, _, _, d := obs.snapshot(); d[0] != lambda.DropEventAgeExceeded {
		t.Fatalf("dropped %q", d)
	}
	// The record waits for the sink (the gate holds every run): stored.
	var rec lambda.InvocationRecord
	waitFor(t, func() bool {
		for _, ev := range storedEvents(t, st) {
			if ev.FunctionName == sink {
				return json.Unmarshal(ev.Payload, &rec) == nil
			}
		}
		return false
	})
	if rec.Version != "1.0" || rec.RequestContext.RequestID != "throttled" || rec.RequestContext.Condition != "EventAgeExceeded" ||
		rec.RequestContext.FunctionARN != sc.FunctionARN("f")+":$LATEST" || rec.RequestContext.ApproximateInvokeCount != 0 ||
		string(rec.RequestPayload) != `{"id":"throttled"}` || rec.ResponseContext != nil || rec.Timestamp != "2026-01-02T03:05:06.000Z" {
		t.Errorf("record %+v", rec)
	}
	waitFor(t, func() bool { // it leaves the store after its record is in
		for _, ev := range storedEvents(t, st) {
			if ev.RequestID == "throttled" {
				return false
			}
		}
		return true
	})
	close(g.release)
	waitFor(t, func() bool { return len(storedEvents(t, st)) == 0 })
	if calls, _, _ := g.stats(); calls != 2 {
		t.Errorf("%d runs, want 2: the held event and the sink's record (never the expired event)", calls)
	}
}

// TestRetriesFromConfig: an alias's MaximumRetryAttempts applies to events
// sent to the alias only; unqualified events keep the default of two retries.
func TestRetriesFromConfig(t *testing.T) {
	g := &gateExecutor{fail: true}
	obs := &recordingObserver{}
	svc, _ := eventService(t, g, nil, obs)
	ctx := context.Background()
	mustCreate(t, svc, "f", true)
	one := "1"
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: &one}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1} {
		if _, err := svc.PutFunctionEventInvokeConfig(ctx, sc, lambda.EventInvokeInput{FunctionName: "f", Qualifier: "live", MaximumRetryAttempts: ptr(n)}); err != nil {
			t.Fatal(err)
		}
		before, _, _ := g.stats()
		if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "live", InvocationType: lambda.InvokeEvent}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { _, _, _, d := obs.snapshot(); return len(d) == n+1 })
		if calls, _, _ := g.stats(); calls-before != n+1 {
			t.Errorf("MaximumRetryAttempts %d: %d attempts", n, calls-before)
		}
	}
	before, _, _ := g.stats()
	if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", InvocationType: lambda.InvokeEvent}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, _, _, d := obs.snapshot(); return len(d) == 3 })
	if calls, _, _ := g.stats(); calls-before != 3 {
		t.Errorf("unqualified, no config: %d attempts, want 3", calls-before)
	}
	for _, d := range func() []string { _, _, _, d := obs.snapshot(); return d }() {
		if d != lambda.DropRetriesExhausted {
			t.Errorf("dropped %q", d)
		}
	}
}

// TestEventInvokeConfigsSurviveRestart: configs are durable, and an Update
// of the retries keeps a destination whose function was deleted since.
func TestEventInvokeConfigsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	svc, _, stop := serviceOn(t, path, &gateExecutor{}, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	mustCreate(t, svc, "sink", false)
	sink := sc.FunctionARN("sink")
	if _, err := svc.PutFunctionEventInvokeConfig(ctx, sc, lambda.EventInvokeInput{FunctionName: "f", Qualifier: "1", MaximumRetryAttempts: ptr(0),
		HasDestinationConfig: true, OnSuccess: &sink}); err != nil {
		t.Fatal(err)
	}
	stop()
	svc, _, _ = serviceOn(t, path, &gateExecutor{}, lambda.AsyncOptions{})
	got, err := svc.GetFunctionEventInvokeConfig(ctx, sc, "f:1", "")
	if err != nil || got.FunctionARN != sc.FunctionARN("f")+":1" || got.MaximumRetryAttempts == nil || *got.MaximumRetryAttempts != 0 ||
		got.MaximumEventAgeInSeconds != nil || got.OnSuccess != sink || got.OnFailure != "" {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if err := svc.DeleteFunction(ctx, sc, "sink", ""); err != nil {
		t.Fatal(err)
	}
	up, err := svc.UpdateFunctionEventInvokeConfig(ctx, sc, lambda.EventInvokeInput{FunctionName: "f", Qualifier: "1", MaximumRetryAttempts: ptr(2)})
	if err != nil || *up.MaximumRetryAttempts != 2 || up.OnSuccess != sink {
		t.Fatalf("update: %+v %v", up, err)
	}
}
