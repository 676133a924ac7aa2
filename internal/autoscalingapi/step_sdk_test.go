package autoscalingapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// A StepScaling policy through the SDK: refused step adjustments are
// ValidationExceptions that register nothing; a valid policy reads back
// as put, lists the user's alarm that names it, and when that alarm goes
// to ALARM (SetAlarmState) the step matching the metric's distance above
// the threshold changes the alias's provisioned concurrency, recorded as
// an activity.
func TestSDKStepScaling(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	rid := "function:orders:live"
	must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid),
		ScalableDimension: dim, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(20)}))

	put := func(cfg *types.StepScalingPolicyConfiguration) (*aas.PutScalingPolicyOutput, error) {
		return f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
			PolicyName: aws.String("queue"), PolicyType: types.PolicyTypeStepScaling, StepScalingPolicyConfiguration: cfg})
	}
	step := func(lo, hi *float64, adj int32) types.StepAdjustment {
		return types.StepAdjustment{MetricIntervalLowerBound: lo, MetricIntervalUpperBound: hi, ScalingAdjustment: aws.Int32(adj)}
	}
	for name, cfg := range map[string]*types.StepScalingPolicyConfiguration{
		"gap": {AdjustmentType: types.AdjustmentTypeChangeInCapacity, StepAdjustments: []types.StepAdjustment{
			step(aws.Float64(0), aws.Float64(10), 1), step(aws.Float64(20), nil, 2)}},
		"both bounds null": {AdjustmentType: types.AdjustmentTypeChangeInCapacity, StepAdjustments: []types.StepAdjustment{step(nil, nil, 1)}},
		"positive upper bound without an unbounded step": {AdjustmentType: types.AdjustmentTypeChangeInCapacity,
			StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), aws.Float64(10), 1)}},
		"magnitude without percent": {AdjustmentType: types.AdjustmentTypeChangeInCapacity, MinAdjustmentMagnitude: aws.Int32(2),
			StepAdjustments: []types.StepAdjustment{step(aws.Float64(0), nil, 1)}},
	} {
		_, err := put(cfg)
		wantAPIError(t, name, err, "ValidationException", "")
	}
	if ps := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns})); len(ps.ScalingPolicies) != 0 {
		t.Fatalf("policies after refusals: %+v", ps.ScalingPolicies)
	}

	cfg := &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity, Cooldown: aws.Int32(60),
		MetricAggregationType: types.MetricAggregationTypeMaximum, StepAdjustments: []types.StepAdjustment{
			step(aws.Float64(0), aws.Float64(50), 2), step(aws.Float64(50), nil, 5)}}
	out := must(put(cfg))
	if len(out.Alarms) != 0 {
		t.Errorf("a new step policy has alarms %+v", out.Alarms)
	}
	// The user's alarm on their own metric, naming the policy.
	must(f.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Orders"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("QueueDepth"), Value: aws.Float64(120), Timestamp: aws.Time(time.Now().Add(-time.Minute))}}}))
	must(f.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("orders-queue"), AlarmActions: []string{*out.PolicyARN},
		Namespace: aws.String("Orders"), MetricName: aws.String("QueueDepth"), Statistic: cwtypes.StatisticMaximum, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}))

	ps := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, ResourceId: aws.String(rid)}))
	if len(ps.ScalingPolicies) != 1 {
		t.Fatalf("policies = %+v", ps.ScalingPolicies)
	}
	p := ps.ScalingPolicies[0]
	got := p.StepScalingPolicyConfiguration
	if p.PolicyType != types.PolicyTypeStepScaling || got == nil || got.AdjustmentType != cfg.AdjustmentType || aws.ToInt32(got.Cooldown) != 60 ||
		got.MetricAggregationType != types.MetricAggregationTypeMaximum || len(got.StepAdjustments) != 2 ||
		aws.ToFloat64(got.StepAdjustments[1].MetricIntervalLowerBound) != 50 || got.StepAdjustments[1].MetricIntervalUpperBound != nil ||
		aws.ToInt32(got.StepAdjustments[1].ScalingAdjustment) != 5 || p.TargetTrackingScalingPolicyConfiguration != nil {
		t.Errorf("described policy = %+v (config %+v)", p, got)
	}
	if len(p.Alarms) != 1 || aws.ToString(p.Alarms[0].AlarmName) != "orders-queue" {
		t.Errorf("policy alarms = %+v, want the user's alarm", p.Alarms)
	}

	// 120 is 20 above the threshold 100: the [0, 50) step, +2 from 1.
	must(f.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("orders-queue"), StateValue: cwtypes.StateValueAlarm,
		StateReason: aws.String("test")}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		pc, err := f.lam.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("orders"),
			Qualifier: aws.String("live")})
		if err == nil && aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioned config %+v, %v; want 3 requested after the step", pc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	acts := must(f.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: aws.String(rid)}))
	found := false
	for _, a := range acts.ScalingActivities {
		found = found || aws.ToString(a.Description) == "Setting desired concurrency to 3." &&
			aws.ToString(a.Cause) == "monitor alarm orders-queue in state ALARM triggered policy queue"
	}
	if !found {
		t.Errorf("activities = %+v, want the step's", acts.ScalingActivities)
	}
}
