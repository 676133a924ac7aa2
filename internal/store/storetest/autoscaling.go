package storetest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
)

// RunAutoscalingStoreContract checks that the stores made by newStore behave
// as autoscaling.Store documents. newStore returns a new, empty store that
// is closed when t ends; reopen, when not nil, closes it and returns the
// store reopened from the same file (durability across a restart).
func RunAutoscalingStoreContract(t *testing.T, newStore func(t *testing.T) (autoscaling.Store, func() autoscaling.Store)) {
	t.Run("Empty", func(t *testing.T) {
		s, _ := newStore(t)
		snap, err := s.LoadAutoscaling(context.Background())
		if err != nil || len(snap.Targets)+len(snap.Policies)+len(snap.Actions)+len(snap.Activities) != 0 {
			t.Fatalf("LoadAutoscaling of an empty store = %+v, %v", snap, err)
		}
	})
	t.Run("RoundTripAndReopen", func(t *testing.T) { testASRoundTrip(t, newStore) })
	t.Run("Deletes", func(t *testing.T) { testASDeletes(t, newStore) })
	t.Run("CanceledContext", func(t *testing.T) {
		s, _ := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.SaveAutoscaling(ctx, autoscaling.Change{Targets: []autoscaling.Target{FullTarget(asScope(), "f", "live")}}); err == nil {
			t.Fatal("SaveAutoscaling with a canceled context succeeded")
		}
		snap, err := s.LoadAutoscaling(context.Background())
		if err != nil || len(snap.Targets) != 0 {
			t.Fatalf("after a canceled save: %+v, %v", snap.Targets, err)
		}
	})
}

func asScope() autoscaling.Scope { return autoscaling.Scope{Account: accountA, Region: "eu-west-1"} }

// FullTarget is a target with every field set.
func FullTarget(sc autoscaling.Scope, fn, q string) autoscaling.Target {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return autoscaling.Target{Scope: sc, Resource: autoscaling.ResourceID{Function: fn, Qualifier: q}, ID: "0abc" + fn,
		Min: 1, Max: 9, Suspended: autoscaling.Suspended{DynamicScalingIn: true, DynamicScalingOut: true, Scheduled: true},
		Created: ts, Tags: map[string]string{"team": "core"}, LastScaleOut: ts.Add(time.Minute), LastScaleIn: ts.Add(2 * time.Minute), ScaleOutFrom: 3}
}

func fullPolicy(sc autoscaling.Scope, fn, q, name string) autoscaling.Policy {
	in, out, mag, cool, lo, hi := 30, 60, 2, 90, -1.5, 2.5
	// Both configurations, though a policy has one: the store keeps each.
	step := &autoscaling.StepScaling{AdjustmentType: autoscaling.PercentChangeInCapacity, MinAdjustmentMagnitude: &mag, Cooldown: &cool,
		MetricAggregationType: "Maximum", Steps: []autoscaling.StepAdjustment{{Upper: &lo, Adjustment: -1}, {Lower: &lo, Upper: &hi, Adjustment: 0},
			{Lower: &hi, Adjustment: 50}}}
	return autoscaling.Policy{StepScaling: step, Scope: sc, Resource: autoscaling.ResourceID{Function: fn, Qualifier: q}, Name: name, ID: "id-" + name,
		Type: autoscaling.PolicyTargetTracking, TargetTracking: &autoscaling.TargetTracking{TargetValue: 0.7, ResourceLabel: "l", Predefined: "LambdaProvisionedConcurrencyUtilization",
			Customized: &autoscaling.CustomizedMetric{Namespace: "N", MetricName: "M", Dimensions: []autoscaling.MetricDimension{{Name: "a", Value: "b"}},
				Statistic: "Maximum", Unit: "Count"}, ScaleInCooldown: &in, ScaleOutCooldown: &out, DisableScaleIn: true},
		Alarms: []autoscaling.AlarmRef{{Name: "hi", ARN: "arn:hi"}}, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func fullAction(sc autoscaling.Scope, fn, q, name string) autoscaling.ScheduledAction {
	lo, hi := 2, 5
	ts := time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)
	return autoscaling.ScheduledAction{Scope: sc, Resource: autoscaling.ResourceID{Function: fn, Qualifier: q}, Name: name, ID: "sid",
		Schedule: "cron(0 8 * * ? *)", Timezone: "Europe/Paris", Start: ts, End: ts.Add(time.Hour), Min: &lo, Max: &hi,
		Created: ts.Add(-time.Hour), LastFired: ts.Add(time.Minute)}
}

func fullActivity(sc autoscaling.Scope, fn, q, id string) autoscaling.Activity {
	ts := time.Date(2026, 7, 8, 9, 10, 11, 0, time.UTC)
	return autoscaling.Activity{Scope: sc, Resource: autoscaling.ResourceID{Function: fn, Qualifier: q}, ID: id,
		Description: "d", Cause: "c", Start: ts, End: ts.Add(time.Second), Status: autoscaling.StatusFailed, Message: "m"}
}

// nonZero fails when a field of v is its zero value (a fixture that
// misses a field would not test that the store keeps it).
func nonZero(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("%T fixture leaves %s zero", v, rv.Type().Field(i).Name)
		}
	}
}

func testASRoundTrip(t *testing.T, newStore func(t *testing.T) (autoscaling.Store, func() autoscaling.Store)) {
	s, reopen := newStore(t)
	ctx := context.Background()
	tg, tg2 := FullTarget(asScope(), "f", "live"), FullTarget(autoscaling.Scope{Account: accountB, Region: "eu-west-1"}, "f", "live")
	p, a, act := fullPolicy(asScope(), "f", "live", "p"), fullAction(asScope(), "f", "live", "s"), fullActivity(asScope(), "f", "live", "x")
	for _, v := range []any{tg, p, *p.TargetTracking, *p.TargetTracking.Customized, a, act} {
		nonZero(t, v)
	}
	if err := s.SaveAutoscaling(ctx, autoscaling.Change{Targets: []autoscaling.Target{tg, tg2}, Policies: []autoscaling.Policy{p},
		Actions: []autoscaling.ScheduledAction{a}, Activities: []autoscaling.Activity{act}}); err != nil {
		t.Fatal(err)
	}
	// Replacing keeps one record per key.
	tg.Max = 20
	if err := s.SaveAutoscaling(ctx, autoscaling.Change{Targets: []autoscaling.Target{tg}}); err != nil {
		t.Fatal(err)
	}
	check := func(s autoscaling.Store, when string) {
		t.Helper()
		snap, err := s.LoadAutoscaling(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(snap.Targets, func(x, y autoscaling.Target) int { return strings.Compare(x.Scope.Account, y.Scope.Account) })
		if !reflect.DeepEqual(snap.Targets, []autoscaling.Target{tg, tg2}) {
			t.Errorf("%s: targets = %+v, want %+v", when, snap.Targets, []autoscaling.Target{tg, tg2})
		}
		if !reflect.DeepEqual(snap.Policies, []autoscaling.Policy{p}) || !reflect.DeepEqual(snap.Actions, []autoscaling.ScheduledAction{a}) ||
			!reflect.DeepEqual(snap.Activities, []autoscaling.Activity{act}) {
			t.Errorf("%s: snapshot = %+v", when, snap)
		}
	}
	check(s, "after saving")
	if reopen != nil {
		check(reopen(), "after reopening")
	}
}

func testASDeletes(t *testing.T, newStore func(t *testing.T) (autoscaling.Store, func() autoscaling.Store)) {
	s, _ := newStore(t)
	ctx := context.Background()
	sc := asScope()
	tg := FullTarget(sc, "f", "live")
	keep := FullTarget(sc, "f", "blue")
	c := autoscaling.Change{Targets: []autoscaling.Target{tg, keep},
		Policies:   []autoscaling.Policy{fullPolicy(sc, "f", "live", "p"), fullPolicy(sc, "f", "blue", "p")},
		Actions:    []autoscaling.ScheduledAction{fullAction(sc, "f", "live", "s")},
		Activities: []autoscaling.Activity{fullActivity(sc, "f", "live", "1"), fullActivity(sc, "f", "blue", "1")}}
	if err := s.SaveAutoscaling(ctx, c); err != nil {
		t.Fatal(err)
	}
	r := tg.Resource
	if err := s.SaveAutoscaling(ctx, autoscaling.Change{DeleteTargets: []autoscaling.TargetKey{{Scope: sc, Resource: r}},
		DeletePolicies: []autoscaling.NamedKey{{Scope: sc, Resource: r, Name: "p"}}, DeleteActions: []autoscaling.NamedKey{{Scope: sc, Resource: r, Name: "s"}},
		DeleteActivities: []autoscaling.Activity{fullActivity(sc, "f", "live", "1")}}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.LoadAutoscaling(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Targets) != 1 || snap.Targets[0].Resource.Qualifier != "blue" || len(snap.Policies) != 1 || snap.Policies[0].Resource.Qualifier != "blue" ||
		len(snap.Actions) != 0 || len(snap.Activities) != 1 || snap.Activities[0].Resource.Qualifier != "blue" {
		t.Errorf("after deleting live's records: %+v", snap)
	}
}
