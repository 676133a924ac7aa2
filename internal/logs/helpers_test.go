package logs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// epoch is the fake clock's start: a recent, round time.
func epoch() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func scopeA() logs.Scope { return logs.Scope{Account: "111111111111", Region: "us-east-1"} }
func scopeB() logs.Scope { return logs.Scope{Account: "222222222222", Region: "us-east-1"} }

func ptr[T any](v T) *T { return &v }

// env is a service over a fresh bbolt file and a fake clock.
type env struct {
	t     *testing.T
	svc   *logs.Service
	store *boltstore.Store
	clock *clockwork.FakeClock
	path  string
	ctx   context.Context
}

func newEnv(t *testing.T, mutate ...func(o *logs.Options)) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, clock: clockwork.NewFakeClockAt(epoch()), path: path, ctx: context.Background()}
	e.start(mutate...)
	t.Cleanup(func() {
		if e.svc != nil {
			if err := e.svc.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if err := e.store.Close(); err != nil {
			t.Errorf("store Close: %v", err)
		}
	})
	return e
}

func (e *env) start(mutate ...func(o *logs.Options)) {
	e.t.Helper()
	o := logs.Options{Store: e.store, Clock: e.clock}
	for _, m := range mutate {
		m(&o)
	}
	svc, err := logs.NewService(e.ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

// restart closes the service and the store and opens both again from the
// file, as a new process would.
func (e *env) restart(mutate ...func(o *logs.Options)) {
	e.t.Helper()
	if err := e.svc.Close(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.svc = nil
	if err := e.store.Close(); err != nil {
		e.t.Fatal(err)
	}
	st, err := boltstore.Open(e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = st
	e.start(mutate...)
}

func (e *env) now() int64 { return e.clock.Now().UnixMilli() }

func (e *env) mustCreateGroup(scope logs.Scope, name string) {
	e.t.Helper()
	if err := e.svc.CreateLogGroup(e.ctx, scope, logs.CreateLogGroupInput{Name: name}); err != nil {
		e.t.Fatalf("CreateLogGroup(%s): %v", name, err)
	}
}

func (e *env) mustCreateStream(scope logs.Scope, group, name string) {
	e.t.Helper()
	if err := e.svc.CreateLogStream(e.ctx, scope, group, name); err != nil {
		e.t.Fatalf("CreateLogStream(%s, %s): %v", group, name, err)
	}
}

func (e *env) mustPut(scope logs.Scope, group, stream string, events ...logs.InputEvent) logs.PutLogEventsOutput {
	e.t.Helper()
	out, err := e.svc.PutLogEvents(e.ctx, scope, logs.PutLogEventsInput{Group: group, Stream: stream, Events: events})
	if err != nil {
		e.t.Fatalf("PutLogEvents(%s, %s): %v", group, stream, err)
	}
	return out
}

// at makes events at the given offsets (ms) from now, messages m0, m1...
func (e *env) at(offsets ...int64) []logs.InputEvent {
	out := make([]logs.InputEvent, len(offsets))
	for i, off := range offsets {
		out[i] = logs.InputEvent{Timestamp: e.now() + off, Message: "m" + strconv.Itoa(i)}
	}
	return out
}

// wantErr checks that err is the domain error code with message msg ("":
// any message).
func wantErr(t *testing.T, err error, code logs.ErrorCode, msg string) {
	t.Helper()
	var le *logs.Error
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want %s %q", err, code, msg)
	}
	if le.Code != code || msg != "" && le.Message != msg {
		t.Fatalf("error %s %q, want %s %q", le.Code, le.Message, code, msg)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline:
// tests wait on conditions, never on fixed sleeps.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (e *env) filterAll(scope logs.Scope, in logs.FilterLogEventsInput) []logs.FilteredEvent {
	e.t.Helper()
	var all []logs.FilteredEvent
	for pages := 0; ; pages++ {
		out, err := e.svc.FilterLogEvents(e.ctx, scope, in)
		if err != nil {
			e.t.Fatalf("FilterLogEvents: %v", err)
		}
		all = append(all, out.Events...)
		if out.NextToken == "" {
			return all
		}
		if pages > 100000 {
			e.t.Fatal("FilterLogEvents never ends")
		}
		in.NextToken = out.NextToken
	}
}

func filteredMessages(evs []logs.FilteredEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Message
	}
	return out
}

func outputMessages(evs []logs.OutputEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Message
	}
	return out
}
