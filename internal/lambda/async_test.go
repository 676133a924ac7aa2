package lambda_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// serviceOn runs a service on the store file at path until the returned
// stop is called (or the test ends).
func serviceOn(t *testing.T, path string, exec lambda.Executor, async lambda.AsyncOptions) (*lambda.Service, *boltstore.Store, func()) {
	t.Helper()
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: exec, Async: async})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			svc.Close()
			st.Close()
		}
	}
	t.Cleanup(stop)
	return svc, st, stop
}

func storedEvents(t *testing.T, st *boltstore.Store) []lambda.AsyncEvent {
	t.Helper()
	events, err := st.LoadAsyncEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestAsyncEventsSurviveRestart: events accepted but not yet run when the
// service stops run after it starts again, each once, and leave the store
// when they have run.
func TestAsyncEventsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	g := &gateExecutor{release: make(chan struct{})}
	svc, st, stop := serviceOn(t, path, g, lambda.AsyncOptions{ThrottleBackoff: time.Millisecond})
	mustCreate(t, svc, "f", false)
	if _, err := svc.PutFunctionConcurrency(context.Background(), sc, "f", ptr(1)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("event-%d", i)
		ids = append(ids, id)
		out, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: "f", InvocationType: "Event",
			RequestID: id, Payload: []byte(`{"n":` + fmt.Sprint(i) + `}`)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event %d: %+v %v", i, out, err)
		}
	}
	if n := len(storedEvents(t, st)); n != 5 {
		t.Fatalf("%d events stored after five 202s, want 5", n)
	}
	// One event runs (the reservation is 1) and is held; stop the service
	// with the others still queued, letting the running one end.
	waitFor(t, func() bool { calls, _, _ := g.stats(); return calls == 1 })
	go func() { time.Sleep(50 * time.Millisecond); close(g.release) }()
	stop()
	g.mu.Lock()
	first := g.ids[0]
	g.mu.Unlock()

	g2 := &gateExecutor{}
	_, st2, _ := serviceOn(t, path, g2, lambda.AsyncOptions{ThrottleBackoff: time.Millisecond})
	waitFor(t, func() bool { calls, _, _ := g2.stats(); return calls == 4 })
	waitFor(t, func() bool { return len(storedEvents(t, st2)) == 0 })
	time.Sleep(50 * time.Millisecond) // nothing runs twice
	g2.mu.Lock()
	ran := append([]string{first}, g2.ids...)
	g2.mu.Unlock()
	slices.Sort(ran)
	if !slices.Equal(ran, ids) {
		t.Fatalf("events run: %v, want each of %v once", ran, ids)
	}
}

// TestAsyncRetryStateIsStored: a failed event waiting for its retry is
// stored with its attempts and the time of the retry, which a restart keeps.
func TestAsyncRetryStateIsStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	g := &gateExecutor{fail: true}
	svc, st, stop := serviceOn(t, path, g, lambda.AsyncOptions{RetryDelay: time.Hour})
	mustCreate(t, svc, "f", false)
	before := time.Now()
	if _, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: "f", InvocationType: "Event", RequestID: "retry-me"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		ev := storedEvents(t, st)
		return len(ev) == 1 && ev[0].Attempts == 1
	})
	ev := storedEvents(t, st)[0]
	if ev.RequestID != "retry-me" || ev.NotBefore.Before(before.Add(time.Hour)) || ev.NotBefore.After(time.Now().Add(time.Hour)) {
		t.Fatalf("stored retry %+v, want attempts 1 and the retry an hour after the failure", ev)
	}
	stop()

	g2 := &gateExecutor{}
	_, st2, _ := serviceOn(t, path, g2, lambda.AsyncOptions{RetryDelay: time.Hour})
	time.Sleep(100 * time.Millisecond)
	if calls, _, _ := g2.stats(); calls != 0 {
		t.Fatal("the retry ran at once after the restart, not when it was due")
	}
	if ev := storedEvents(t, st2); len(ev) != 1 || ev[0].Attempts != 1 {
		t.Fatalf("after the restart: %+v", ev)
	}
}

// TestAsyncEventsLeaveTheStore: events that end, run, failed for the last
// time or dropped, are removed.
func TestAsyncEventsLeaveTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	g := &gateExecutor{fail: true}
	svc, st, _ := serviceOn(t, path, g, lambda.AsyncOptions{RetryDelay: time.Millisecond})
	mustCreate(t, svc, "failing", false)
	mustCreate(t, svc, "zero", false)
	if _, err := svc.PutFunctionConcurrency(context.Background(), sc, "zero", ptr(0)); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"failing", "zero"} {
		if _, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: fn, InvocationType: "Event"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return len(storedEvents(t, st)) == 0 })
	if calls, _, _ := g.stats(); calls != 3 {
		t.Errorf("%d attempts of the failing event, want 3", calls)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
