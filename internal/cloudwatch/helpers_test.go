package cloudwatch_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// epoch is the fake clock's start: a round minute.
func epoch() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func scopeA() cloudwatch.Scope { return cloudwatch.Scope{Account: "111111111111", Region: "us-east-1"} }
func scopeB() cloudwatch.Scope { return cloudwatch.Scope{Account: "222222222222", Region: "us-east-1"} }

func ptr[T any](v T) *T { return &v }

// sink records the actions it is given and fails those whose ARN is in
// fail.
type sink struct {
	mu      sync.Mutex
	actions []cloudwatch.AlarmAction
	fail    map[string]bool
}

func (k *sink) take(_ context.Context, a cloudwatch.AlarmAction) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.actions = append(k.actions, a)
	if k.fail[a.ActionARN] {
		return errors.New("policy not found")
	}
	return nil
}

func (k *sink) got() []cloudwatch.AlarmAction {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]cloudwatch.AlarmAction(nil), k.actions...)
}

func (k *sink) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.actions = nil
}

// env is a service over a fresh bbolt file and a fake clock; the evaluator
// loop is off (tests call EvaluateAlarms) unless a mutator turns it on.
type env struct {
	t     testing.TB
	svc   *cloudwatch.Service
	store *boltstore.Store
	clock *clockwork.FakeClock
	sink  *sink
	path  string
	ctx   context.Context
}

func newEnv(t testing.TB, mutate ...func(o *cloudwatch.Options)) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, clock: clockwork.NewFakeClockAt(epoch()), sink: &sink{fail: map[string]bool{}}, path: path, ctx: context.Background()}
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

func (e *env) start(mutate ...func(o *cloudwatch.Options)) {
	e.t.Helper()
	o := cloudwatch.Options{Store: e.store, Clock: e.clock, Actions: e.sink.take, EvaluationInterval: -1}
	for _, m := range mutate {
		m(&o)
	}
	svc, err := cloudwatch.NewService(e.ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

// restart closes the service and the store and opens both again.
func (e *env) restart(mutate ...func(o *cloudwatch.Options)) {
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

// put stores values of a metric at a time through PutMetricData.
func (e *env) put(scope cloudwatch.Scope, ns, name string, at time.Time, dims []cloudwatch.Dimension, values ...float64) {
	e.t.Helper()
	d := cloudwatch.MetricDatum{MetricName: name, Dimensions: dims, Timestamp: at, Unit: cloudwatch.UnitCount}
	if len(values) == 1 {
		d.Value = &values[0]
	} else {
		d.Values = values
	}
	if _, err := e.svc.PutMetricData(e.ctx, scope, cloudwatch.PutMetricDataInput{Namespace: ns, MetricData: []cloudwatch.MetricDatum{d}}); err != nil {
		e.t.Fatalf("PutMetricData: %v", err)
	}
}

// wantCode checks that err is a *cloudwatch.Error with code (and, when
// msg is not empty, that message).
func wantCode(t testing.TB, err error, code cloudwatch.ErrorCode, msg string) {
	t.Helper()
	var ce *cloudwatch.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ce.Code != code {
		t.Errorf("code %s (%s), want %s", ce.Code, ce.Message, code)
	}
	if msg != "" && ce.Message != msg {
		t.Errorf("message %q, want %q", ce.Message, msg)
	}
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func asError(err error, target **cloudwatch.Error) bool { return errors.As(err, target) }
