package terraform

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// testAutoScaling applies aws_lambda_provisioned_concurrency_config,
// aws_appautoscaling_target, a target-tracking aws_appautoscaling_policy and
// aws_appautoscaling_scheduled_action on a function alias, plans clean,
// changes the max and the target value, imports the provisioned config, the
// target and the policy into a fresh state, and destroys, checking Reservoir
// through the SDK after each step.
func testAutoScaling(t *testing.T, tc *toolchain) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	rec := newRecorder(t, srv.URL)
	cfg := srv.AWSConfigFor(account, region)
	ac, cw, lc := aas.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg), lambda.NewFromConfig(cfg)
	w := tc.workdir(t)
	conf := scalingConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-scale", Max: 5, Target: 0.7}
	const (
		rid        = "function:tf-scale:live"
		targetAddr = "aws_appautoscaling_target.pc"
		policyAddr = "aws_appautoscaling_policy.util"
		schedAddr  = "aws_appautoscaling_scheduled_action.peak"
		pcAddr     = "aws_lambda_provisioned_concurrency_config.live"
	)
	defer rec.checkNoServerErrors(t)
	want := func(t *testing.T, max int32, target float64) {
		t.Helper()
		ctx := t.Context()
		ts, err := ac.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ts.ScalableTargets) != 1 || aws.ToInt32(ts.ScalableTargets[0].MaxCapacity) != max ||
			aws.ToString(ts.ScalableTargets[0].ResourceId) != rid {
			t.Fatalf("targets = %+v (%v), want %s with max %d", ts, err, rid, max)
		}
		ps, err := ac.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ps.ScalingPolicies) != 1 || aws.ToFloat64(ps.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue) != target {
			t.Fatalf("policies = %+v (%v), want target %v", ps, err, target)
		}
		alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-" + rid)})
		if err != nil || len(alarms.MetricAlarms) != 2 {
			t.Fatalf("the policy's alarms = %+v (%v)", alarms, err)
		}
		for _, a := range alarms.MetricAlarms {
			if th := aws.ToFloat64(a.Threshold); th != target && th != target*0.9 {
				t.Errorf("alarm %s threshold %v, want %v or %v", aws.ToString(a.AlarmName), th, target, target*0.9)
			}
		}
		sa, err := ac.DescribeScheduledActions(ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(sa.ScheduledActions) != 1 || aws.ToInt32(sa.ScheduledActions[0].ScalableTargetAction.MaxCapacity) != max {
			t.Fatalf("scheduled actions = %+v (%v)", sa, err)
		}
		pc, err := lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("tf-scale"), Qualifier: aws.String("live")})
		if err != nil || aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 1 {
			t.Errorf("the alias's provisioned config = %+v (%v), want the target's min 1", pc, err)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, scalingHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 6 added, 0 changed, 0 destroyed.")
		want(t, 5, 0.7)
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Update", func(t *testing.T, w *workdir) {
		conf.Max, conf.Target = 8, 0.5
		w.writeFile("main.tf", render(t, scalingHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{targetAddr: "update", policyAddr: "update", schedAddr: "update"})
		if summary != (planSummary{Change: 3}) {
			t.Errorf("plan summary = %+v, want 3 to change", summary)
		}
		want(t, 8, 0.5)
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", targetAddr, policyAddr, pcAddr)
		wantOutput(t, w.must("import", "-input=false", "-no-color", pcAddr, "tf-scale,live"), "Import successful!")
		wantOutput(t, w.must("import", "-input=false", "-no-color", targetAddr, "lambda/"+rid+"/lambda:function:ProvisionedConcurrency"), "Import successful!")
		wantOutput(t, w.must("import", "-input=false", "-no-color", policyAddr, "lambda/"+rid+"/lambda:function:ProvisionedConcurrency/util"), "Import successful!")
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 6 destroyed.")
		ts, err := ac.DescribeScalableTargets(t.Context(), &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ts.ScalableTargets) != 0 {
			t.Errorf("targets after destroy: %+v (%v)", ts, err)
		}
		alarms, err := cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{})
		if err != nil || len(alarms.MetricAlarms) != 0 {
			t.Errorf("alarms after destroy: %+v (%v)", alarms, err)
		}
		fns, err := lc.ListFunctions(t.Context(), &lambda.ListFunctionsInput{})
		if err != nil || len(fns.Functions) != 0 {
			t.Errorf("functions after destroy: %+v (%v)", fns, err)
		}
	})
	t.Logf("the provider's Application Auto Scaling calls:\n%s", logsCalls(rec))
}
