package autoscalingapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
	dim     = types.ScalableDimensionLambdaFunctionProvisionedConcurrency
	ns      = types.ServiceNamespaceLambda
)

// must returns v, or stops the test with a panic naming err (an arrange
// or act step the test does not expect to fail).
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func tinyZip(t *testing.T) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("index.py")
	_, _ = f.Write([]byte("def handler(e, c):\n    return e\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type fixture struct {
	aas *aas.Client
	lam *lambda.Client
	cw  *cloudwatch.Client
	iam *iam.Client
}

// start runs a server with a function "orders", version 1 and alias "live".
func start(t *testing.T) fixture {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	cfg := srv.AWSConfigFor(account, region)
	f := fixture{aas: aas.NewFromConfig(cfg), lam: lambda.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg)}
	ctx := context.Background()
	createFunction(t, f.lam, "orders")
	must(f.lam.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must(f.lam.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	return f
}

func createFunction(t *testing.T, c *lambda.Client, name string) {
	ctx := context.Background()
	must(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: ltypes.RuntimePython312,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::" + account + ":role/r"), Code: &ltypes.FunctionCode{ZipFile: tinyZip(t)}}))
	w := lambda.NewFunctionActiveV2Waiter(c)
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSDKTargetsPoliciesSchedulesTags(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	rid := "function:orders:live"

	// Bad input: AWS-shaped errors, nothing registered.
	_, err := f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/s"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)})
	wantAPIError(t, "ecs namespace", err, "ValidationException", "Unsupported service namespace, resource type or scalable dimension")
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("ecs namespace: %T, want the modelled ValidationException", err)
	}
	for _, tc := range []struct{ rid, msg string }{
		{"function:orders:$LATEST", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"function:nope:live", ""},
		{"function:orders:gone", ""},
		{"function:orders", "Unsupported service namespace, resource type or scalable dimension"},
	} {
		_, err := f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(tc.rid),
			ScalableDimension: dim, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)})
		wantAPIError(t, tc.rid, err, "ValidationException", tc.msg)
	}
	_, err = f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid),
		ScalableDimension: dim, MinCapacity: aws.Int32(5), MaxCapacity: aws.Int32(2)})
	wantAPIError(t, "min > max", err, "ValidationException", "Minimum capacity cannot be greater than maximum capacity")
	_, err = f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		PolicyName: aws.String("p"), PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.7),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeLambdaProvisionedConcurrencyUtilization}}})
	wantAPIError(t, "policy without target", err, "ObjectNotFoundException",
		"No scalable target registered for service namespace: lambda, resource ID: function:orders:live, scalable dimension: lambda:function:ProvisionedConcurrency")
	_, err = f.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim})
	wantAPIError(t, "deregister missing", err, "ObjectNotFoundException", "")
	if ts := must(f.aas.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns})); len(ts.ScalableTargets) != 0 {
		t.Fatalf("targets after refusals = %+v", ts.ScalableTargets)
	}

	// Register: the capacity is brought to the minimum through Lambda.
	reg := must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid),
		ScalableDimension: dim, MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(10), Tags: map[string]string{"team": "core"}}))
	if !strings.HasPrefix(aws.ToString(reg.ScalableTargetARN), "arn:aws:application-autoscaling:"+region+":"+account+":scalable-target/0") {
		t.Errorf("ScalableTargetARN = %q", aws.ToString(reg.ScalableTargetARN))
	}
	pc := must(f.lam.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")}))
	if aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 2 {
		t.Errorf("provisioned after registering min 2 = %d", aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions))
	}
	// An update changes only what it names.
	must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid),
		ScalableDimension: dim, MaxCapacity: aws.Int32(8), SuspendedState: &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}}))
	ts := must(f.aas.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, ResourceIds: []string{rid}}))
	if len(ts.ScalableTargets) != 1 {
		t.Fatalf("targets = %+v", ts.ScalableTargets)
	}
	tg := ts.ScalableTargets[0]
	role := "arn:aws:iam::" + account + ":role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
	if aws.ToInt32(tg.MinCapacity) != 2 || aws.ToInt32(tg.MaxCapacity) != 8 || aws.ToString(tg.RoleARN) != role || tg.CreationTime == nil ||
		tg.SuspendedState == nil || !aws.ToBool(tg.SuspendedState.ScheduledScalingSuspended) || aws.ToBool(tg.SuspendedState.DynamicScalingInSuspended) ||
		aws.ToString(tg.ScalableTargetARN) != aws.ToString(reg.ScalableTargetARN) {
		t.Errorf("target = %+v", tg)
	}
	r := must(f.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency")}))
	if aws.ToString(r.Role.Arn) != role {
		t.Errorf("IAM GetRole arn = %q, want %q", aws.ToString(r.Role.Arn), role)
	}

	// Tags on the target's ARN.
	arn := reg.ScalableTargetARN
	must(f.aas.TagResource(ctx, &aas.TagResourceInput{ResourceARN: arn, Tags: map[string]string{"env": "prod"}}))
	must(f.aas.UntagResource(ctx, &aas.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"team"}}))
	tags := must(f.aas.ListTagsForResource(ctx, &aas.ListTagsForResourceInput{ResourceARN: arn}))
	if len(tags.Tags) != 1 || tags.Tags["env"] != "prod" {
		t.Errorf("tags = %v", tags.Tags)
	}
	_, err = f.aas.ListTagsForResource(ctx, &aas.ListTagsForResourceInput{ResourceARN: aws.String(aws.ToString(arn) + "0")})
	wantAPIError(t, "tags of unknown ARN", err, "ResourceNotFoundException", "")

	// A target-tracking policy and its two alarms.
	put := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		PolicyName: aws.String("util"), PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.7), ScaleInCooldown: aws.Int32(60),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeLambdaProvisionedConcurrencyUtilization}}}))
	if !strings.HasPrefix(aws.ToString(put.PolicyARN), "arn:aws:autoscaling:"+region+":"+account+":scalingPolicy:") ||
		!strings.HasSuffix(aws.ToString(put.PolicyARN), ":resource/lambda/function:orders:live:policyName/util") || len(put.Alarms) != 2 {
		t.Fatalf("PutScalingPolicy = %+v", put)
	}
	alarms := must(f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-function:orders:live-Alarm")}))
	if len(alarms.MetricAlarms) != 2 {
		t.Fatalf("alarms = %+v", alarms.MetricAlarms)
	}
	for _, a := range alarms.MetricAlarms {
		hi := strings.Contains(aws.ToString(a.AlarmName), "-AlarmHigh-")
		th, n := 0.63, int32(15)
		if hi {
			th, n = 0.7, 3
		}
		if math.Abs(aws.ToFloat64(a.Threshold)-th) > 1e-9 || aws.ToInt32(a.EvaluationPeriods) != n || len(a.AlarmActions) != 1 || a.AlarmActions[0] != aws.ToString(put.PolicyARN) {
			t.Errorf("alarm %s: threshold %v, periods %d, actions %v", aws.ToString(a.AlarmName), aws.ToFloat64(a.Threshold), aws.ToInt32(a.EvaluationPeriods), a.AlarmActions)
		}
	}
	ps := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, ResourceId: aws.String(rid)}))
	if len(ps.ScalingPolicies) != 1 || aws.ToString(ps.ScalingPolicies[0].PolicyARN) != aws.ToString(put.PolicyARN) || len(ps.ScalingPolicies[0].Alarms) != 2 ||
		aws.ToInt32(ps.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.ScaleInCooldown) != 60 {
		t.Errorf("policies = %+v", ps.ScalingPolicies)
	}
	// Updating keeps the ARN and the alarms' names, and moves the thresholds.
	put2 := must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		PolicyName: aws.String("util"), PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.5),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeLambdaProvisionedConcurrencyUtilization}}}))
	if aws.ToString(put2.PolicyARN) != aws.ToString(put.PolicyARN) || aws.ToString(put2.Alarms[0].AlarmName) != aws.ToString(put.Alarms[0].AlarmName) {
		t.Errorf("update changed identity: %+v vs %+v", put2, put)
	}
	hi := must(f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{aws.ToString(put.Alarms[0].AlarmName)}}))
	if len(hi.MetricAlarms) != 1 || aws.ToFloat64(hi.MetricAlarms[0].Threshold) != 0.5 {
		t.Errorf("high alarm after the update = %+v", hi.MetricAlarms)
	}

	// Scheduled actions.
	_, err = f.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		ScheduledActionName: aws.String("bad"), Schedule: aws.String("cron(0 8 * * *)")})
	wantAPIError(t, "five-field cron", err, "ValidationException", "")
	must(f.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		ScheduledActionName: aws.String("morning"), Schedule: aws.String("cron(0 8 ? * MON-FRI *)"), Timezone: aws.String("Europe/Paris"),
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(4), MaxCapacity: aws.Int32(8)}}))
	sa := must(f.aas.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns}))
	if len(sa.ScheduledActions) != 1 || aws.ToString(sa.ScheduledActions[0].Timezone) != "Europe/Paris" ||
		aws.ToInt32(sa.ScheduledActions[0].ScalableTargetAction.MinCapacity) != 4 ||
		!strings.HasSuffix(aws.ToString(sa.ScheduledActions[0].ScheduledActionARN), ":resource/lambda/function:orders:live:scheduledActionName/morning") {
		t.Errorf("scheduled actions = %+v", sa.ScheduledActions)
	}
	must(f.aas.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		ScheduledActionName: aws.String("morning")}))
	_, err = f.aas.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		ScheduledActionName: aws.String("morning")})
	wantAPIError(t, "delete missing scheduled action", err, "ObjectNotFoundException", "")

	// The registration's activity.
	acts := must(f.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: aws.String(rid)}))
	if len(acts.ScalingActivities) != 1 || aws.ToString(acts.ScalingActivities[0].Description) != "Setting desired concurrency to 2." ||
		acts.ScalingActivities[0].StatusCode != types.ScalingActivityStatusCodeSuccessful {
		t.Errorf("activities = %+v", acts.ScalingActivities)
	}

	// Deleting the policy deletes its alarms; deregistering removes all.
	must(f.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim, PolicyName: aws.String("util")}))
	if a := must(f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})); len(a.MetricAlarms) != 0 {
		t.Errorf("alarms after DeleteScalingPolicy = %d", len(a.MetricAlarms))
	}
	_, err = f.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim, PolicyName: aws.String("util")})
	wantAPIError(t, "delete missing policy", err, "ObjectNotFoundException",
		"No scaling policy found for service namespace: lambda, resource ID: function:orders:live, scalable dimension: lambda:function:ProvisionedConcurrency, policy name: util")
	must(f.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		PolicyName: aws.String("again"), TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.7),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeLambdaProvisionedConcurrencyUtilization}}}))
	must(f.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim}))
	if a := must(f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})); len(a.MetricAlarms) != 0 {
		t.Errorf("alarms after DeregisterScalableTarget = %d", len(a.MetricAlarms))
	}
	if p := must(f.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns})); len(p.ScalingPolicies) != 0 {
		t.Errorf("policies after deregistering = %+v", p.ScalingPolicies)
	}
}

func TestSDKDescribePaging(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		createFunction(t, f.lam, name)
		must(f.lam.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)}))
	}
	for _, id := range []string{"c:1", "a:1", "orders:live", "b:1"} {
		must(f.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String("function:" + id),
			ScalableDimension: dim, MinCapacity: aws.Int32(0), MaxCapacity: aws.Int32(3)}))
	}
	var got []string
	p := aas.NewDescribeScalableTargetsPaginator(f.aas, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, MaxResults: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, tg := range out.ScalableTargets {
			got = append(got, aws.ToString(tg.ResourceId))
		}
	}
	if pages != 2 || strings.Join(got, ",") != "function:a:1,function:b:1,function:c:1,function:orders:live" {
		t.Errorf("pages %d, targets %v", pages, got)
	}
}
