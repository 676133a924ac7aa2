package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

func f64(v float64) *float64 { return &v }

// stepPolicy puts a StepScaling policy on the engine's target.
func (e *engine) stepPolicy(name string, ss autoscaling.StepScaling) autoscaling.Policy {
	e.t.Helper()
	p, err := e.as.PutScalingPolicy(context.Background(), e.sc, autoscaling.PutPolicyInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Name: name, Type: autoscaling.PolicyStepScaling, StepScaling: &ss})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// userAlarm is a user's own alarm on the alias's utilization (Average,
// one-minute periods) whose alarm action is the policy's ARN.
func (e *engine) userAlarm(name string, op cloudwatch.ComparisonOperator, threshold float64, periods int32, policyARN string) {
	e.t.Helper()
	if _, err := e.cw.PutMetricAlarm(context.Background(), cloudwatch.Scope(e.sc), cloudwatch.PutMetricAlarmInput{
		AlarmName: name, AlarmActions: []string{policyARN}, Namespace: "AWS/Lambda", MetricName: "ProvisionedConcurrencyUtilization",
		Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: "orders"}, {Name: "Resource", Value: "orders:live"}},
		Statistic:  cloudwatch.StatAverage, Period: 60, EvaluationPeriods: periods, Threshold: &threshold, ComparisonOperator: op,
	}); err != nil {
		e.t.Fatal(err)
	}
}

// A ChangeInCapacity step policy on a user's alarm (utilization ≥ 0.7):
// the step is chosen by how far the metric is above the threshold (+1
// within 0.2 of it, +3 beyond), and the alarm's action repeats every
// minute it stays in ALARM; the policy reports the user's alarm as its own.
func TestEngineStepScalingChangeInCapacity(t *testing.T) {
	fn := &loadModel{load: 0.5}
	e := startEngine(t, t.TempDir(), fn, alignedClock())
	e.register(1, 10)
	e.warm()
	p := e.stepPolicy("steps", autoscaling.StepScaling{AdjustmentType: autoscaling.ChangeInCapacity, Steps: []autoscaling.StepAdjustment{
		{Lower: f64(0.2), Adjustment: 3}, {Lower: f64(0), Upper: f64(0.2), Adjustment: 1}}})
	if len(p.Alarms) != 0 {
		t.Errorf("a new step policy has alarms %+v", p.Alarms)
	}
	e.userAlarm("orders-busy", cloudwatch.GreaterThanOrEqualToThreshold, 0.7, 1, p.ARN())

	e.setLoad(0.8) // utilization 0.8: 0.1 above the threshold
	e.minute()
	if got := e.capacity(); got != 2 {
		t.Fatalf("at 0.8 utilization: capacity %d, want 1 + 1", got)
	}
	e.minute() // 0.8 / 2 = 0.4: the alarm goes back to OK
	if got := e.capacity(); got != 2 {
		t.Fatalf("at 0.4 utilization: capacity %d, want 2", got)
	}
	e.setLoad(4) // utilization 1: 0.3 above, the +3 step
	e.minute()
	if got := e.capacity(); got != 5 {
		t.Fatalf("at full utilization: capacity %d, want 2 + 3", got)
	}
	e.minute() // 4 / 5 = 0.8: still in ALARM, the repeated action takes +1
	if got := e.capacity(); got != 6 {
		t.Fatalf("a minute later at 0.8: capacity %d, want 5 + 1", got)
	}
	for range 3 { // 4 / 6 = 0.67: OK, nothing moves
		e.minute()
	}
	if want := []int{1, 2, 5, 6}; fmt.Sprint(fn.set) != fmt.Sprint(want) {
		t.Errorf("capacities set = %v, want %v", fn.set, want)
	}
	acts := e.activities()
	if len(acts) != 4 || acts[0].Description != "Setting desired concurrency to 6." || acts[0].Status != autoscaling.StatusSuccessful ||
		acts[0].Cause != "monitor alarm orders-busy in state ALARM triggered policy steps" {
		t.Errorf("activities = %+v", acts)
	}
	ps, _, err := e.as.DescribeScalingPolicies(context.Background(), e.sc, autoscaling.DescribePoliciesInput{Namespace: "lambda"})
	if err != nil || len(ps) != 1 || len(ps[0].Alarms) != 1 || ps[0].Alarms[0].Name != "orders-busy" ||
		ps[0].Alarms[0].ARN != "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-busy" {
		t.Errorf("DescribeScalingPolicies = %+v, %v; want the user's alarm listed", ps, err)
	}
}

// PercentChangeInCapacity with MinAdjustmentMagnitude and a Cooldown: a
// scale-out within the cooldown counts what the first one added, so only
// a larger step proceeds; after the cooldown the steps apply to the new
// capacity, clamped to the max.
func TestEngineStepScalingPercentCooldown(t *testing.T) {
	fn := &loadModel{load: 1}
	e := startEngine(t, t.TempDir(), fn, alignedClock())
	e.register(2, 10)
	e.warm()
	mag, cool := 2, 300
	p := e.stepPolicy("pct", autoscaling.StepScaling{AdjustmentType: autoscaling.PercentChangeInCapacity, MinAdjustmentMagnitude: &mag,
		Cooldown: &cool, MetricAggregationType: "Maximum", Steps: []autoscaling.StepAdjustment{
			{Lower: f64(0), Upper: f64(0.25), Adjustment: 50}, {Lower: f64(0.25), Adjustment: 200}}})
	e.userAlarm("orders-pct", cloudwatch.GreaterThanOrEqualToThreshold, 0.7, 1, p.ARN())

	e.setLoad(1.6) // 0.8 on 2: +50 % is 1, raised to the magnitude 2
	e.minute()
	if got := e.capacity(); got != 4 {
		t.Fatalf("after +50%% of 2 with magnitude 2: capacity %d, want 4", got)
	}
	e.setLoad(10) // utilization 1: the +200 % step, from the 2 the cooldown started at
	e.minute()
	if got := e.capacity(); got != 6 {
		t.Fatalf("a larger step within the cooldown: capacity %d, want 2 + 200%% of 2 = 6", got)
	}
	for range 3 { // the same step again within the cooldown adds nothing
		e.minute()
	}
	if got := e.capacity(); got != 6 {
		t.Fatalf("the same step within the cooldown: capacity %d, want 6", got)
	}
	e.minute() // five minutes after the first scale-out: 6 + 200 %, clamped to 10
	if got := e.capacity(); got != 10 {
		t.Fatalf("after the cooldown: capacity %d, want the max 10", got)
	}
}

// ExactCapacity on a scale-in alarm (utilization < 0.3 for two minutes):
// suspended dynamic scale-in holds it, resuming lets it set the capacity;
// an alarm value no step covers changes nothing and is recorded in the
// alarm's history with AWS's message.
func TestEngineStepScalingExactSuspendedAndNoStep(t *testing.T) {
	fn := &loadModel{load: 4}
	e := startEngine(t, t.TempDir(), fn, alignedClock())
	e.register(8, 10)
	e.register(1, 10) // the capacity stays 8, within the new bounds
	if got := e.capacity(); got != 8 {
		t.Fatalf("capacity %d after a min of 8, then 1, want 8", got)
	}
	e.warm()
	yes, no := true, false
	if _, err := e.as.RegisterScalableTarget(context.Background(), e.sc, autoscaling.RegisterInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Suspended: autoscaling.SuspendedUpdate{DynamicScalingIn: &yes}}); err != nil {
		t.Fatal(err)
	}
	in := e.stepPolicy("in", autoscaling.StepScaling{AdjustmentType: autoscaling.ExactCapacity, Steps: []autoscaling.StepAdjustment{
		{Upper: f64(0), Adjustment: 2}}})
	e.userAlarm("orders-idle", cloudwatch.LessThanThreshold, 0.3, 2, in.ARN())
	// A policy whose only step is above the threshold, on a low alarm.
	wrong := e.stepPolicy("wrong", autoscaling.StepScaling{AdjustmentType: autoscaling.ChangeInCapacity, Steps: []autoscaling.StepAdjustment{
		{Lower: f64(0), Adjustment: -1}}})
	e.userAlarm("orders-idle-wrong", cloudwatch.LessThanThreshold, 0.3, 2, wrong.ARN())

	e.setLoad(0.8) // 0.1 on 8
	for range 4 {
		e.minute()
	}
	if got := e.capacity(); got != 8 {
		t.Fatalf("with scale-in suspended: capacity %d, want 8", got)
	}
	if _, err := e.as.RegisterScalableTarget(context.Background(), e.sc, autoscaling.RegisterInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Suspended: autoscaling.SuspendedUpdate{DynamicScalingIn: &no}}); err != nil {
		t.Fatal(err)
	}
	e.minute()
	if got := e.capacity(); got != 2 {
		t.Fatalf("after resuming scale-in: capacity %d, want the exact 2", got)
	}
	h, err := e.cw.DescribeAlarmHistory(context.Background(), cloudwatch.Scope(e.sc), cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: "orders-idle-wrong", HistoryItemType: "Action"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range h.AlarmHistoryItems {
		found = found || strings.Contains(it.HistoryData, "No step adjustment found for metric value") && strings.Contains(it.HistoryData, "breach threshold 0.3")
	}
	if !found {
		t.Errorf("alarm history of the uncovered alarm = %+v, want the failed action with AWS's message", h.AlarmHistoryItems)
	}
}

// A target-tracking policy put again as StepScaling loses its two alarms
// (a step policy's alarms are the user's); put back as target tracking,
// it has two again.
func TestEnginePolicyChangingTypeDropsItsAlarms(t *testing.T) {
	e := startEngine(t, t.TempDir(), &loadModel{}, alignedClock())
	e.register(1, 10)
	count := func() int {
		t.Helper()
		out, err := e.cw.DescribeAlarms(context.Background(), cloudwatch.Scope(e.sc), cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: "TargetTracking-"})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.MetricAlarms)
	}
	e.policy(autoscaling.TargetTracking{TargetValue: 0.7, Predefined: autoscaling.PredefinedLambdaPCUtil})
	if n := count(); n != 2 {
		t.Fatalf("target tracking: %d alarms, want 2", n)
	}
	p := e.stepPolicy("util", autoscaling.StepScaling{AdjustmentType: autoscaling.ChangeInCapacity, Steps: []autoscaling.StepAdjustment{
		{Lower: f64(0), Adjustment: 1}}})
	if n := count(); n != 0 || len(p.Alarms) != 0 || p.TargetTracking != nil {
		t.Fatalf("as step scaling: %d alarms left, policy %+v", n, p)
	}
	e.policy(autoscaling.TargetTracking{TargetValue: 0.5, Predefined: autoscaling.PredefinedLambdaPCUtil})
	if n := count(); n != 2 {
		t.Fatalf("target tracking again: %d alarms, want 2", n)
	}
}
