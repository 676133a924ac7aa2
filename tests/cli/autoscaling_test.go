package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIApplicationAutoScaling: the AWS CLI registers a scalable target on
// an alias, puts a target-tracking policy (whose two alarms CloudWatch then
// lists), describes targets, policies and activities, gets AWS's error
// shapes for a $LATEST target and a missing policy, and deregisters.
func TestCLIApplicationAutoScaling(t *testing.T) {
	c := start(t)
	c.createFunction("scaled")
	c.json(nil, "publish-version", "--function-name", "scaled")
	c.json(nil, "create-alias", "--function-name", "scaled", "--name", "live", "--function-version", "1")
	aas := func(v any, args ...string) {
		t.Helper()
		stdout, stderr, code := c.runService("application-autoscaling", args...)
		if code != 0 {
			t.Fatalf("aws application-autoscaling %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(stdout), v); err != nil {
				t.Fatalf("aws application-autoscaling %s: %v\n%s", strings.Join(args, " "), err, stdout)
			}
		}
	}
	fails := func(code, msg string, args ...string) {
		t.Helper()
		stdout, stderr, exit := c.runService("application-autoscaling", args...)
		if (exit != 254 && exit != 255) || !strings.Contains(stderr, "("+code+")") || !strings.Contains(stderr, msg) {
			t.Errorf("aws application-autoscaling %s exited %d, want (%s) %q:\n%s%s", strings.Join(args, " "), exit, code, msg, stdout, stderr)
		}
	}
	ids := []string{"--service-namespace", "lambda", "--scalable-dimension", "lambda:function:ProvisionedConcurrency", "--resource-id"}
	with := func(resource string, rest ...string) []string {
		return append(append(append([]string{}, rest[0]), append(ids, resource)...), rest[1:]...)
	}

	fails("ValidationException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
		with("function:scaled:$LATEST", "register-scalable-target", "--min-capacity", "1", "--max-capacity", "2")...)
	var reg struct{ ScalableTargetARN string }
	aas(&reg, with("function:scaled:live", "register-scalable-target", "--min-capacity", "1", "--max-capacity", "3")...)
	if !strings.Contains(reg.ScalableTargetARN, ":scalable-target/") {
		t.Errorf("ScalableTargetARN = %q", reg.ScalableTargetARN)
	}
	var targets struct {
		ScalableTargets []struct {
			ResourceId, RoleARN      string
			MinCapacity, MaxCapacity int
		}
	}
	aas(&targets, "describe-scalable-targets", "--service-namespace", "lambda")
	if len(targets.ScalableTargets) != 1 || targets.ScalableTargets[0].MaxCapacity != 3 ||
		!strings.HasSuffix(targets.ScalableTargets[0].RoleARN, ":role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency") {
		t.Errorf("describe-scalable-targets = %+v", targets)
	}

	var put struct {
		PolicyARN string
		Alarms    []struct{ AlarmName, AlarmARN string }
	}
	aas(&put, with("function:scaled:live", "put-scaling-policy", "--policy-name", "util", "--policy-type", "TargetTrackingScaling",
		"--target-tracking-scaling-policy-configuration",
		`{"TargetValue": 0.7, "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"}}`)...)
	if len(put.Alarms) != 2 || !strings.HasPrefix(put.Alarms[0].AlarmName, "TargetTracking-function:scaled:live-AlarmHigh-") ||
		!strings.HasPrefix(put.Alarms[1].AlarmName, "TargetTracking-function:scaled:live-AlarmLow-") {
		t.Errorf("put-scaling-policy = %+v", put)
	}
	stdout, stderr, code := c.runService("cloudwatch", "describe-alarms", "--alarm-name-prefix", "TargetTracking-function:scaled:live")
	if code != 0 || strings.Count(stdout, `"AlarmName"`) != 2 || !strings.Contains(stdout, put.PolicyARN) {
		t.Errorf("cloudwatch describe-alarms exited %d:\n%s%s", code, stdout, stderr)
	}
	var policies struct {
		ScalingPolicies []struct {
			PolicyName                               string
			TargetTrackingScalingPolicyConfiguration struct{ TargetValue float64 }
		}
	}
	aas(&policies, "describe-scaling-policies", "--service-namespace", "lambda")
	if len(policies.ScalingPolicies) != 1 || policies.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue != 0.7 {
		t.Errorf("describe-scaling-policies = %+v", policies)
	}
	fails("ObjectNotFoundException", "No scaling policy found for service namespace: lambda, resource ID: function:scaled:live",
		with("function:scaled:live", "delete-scaling-policy", "--policy-name", "nope")...)

	var acts struct {
		ScalingActivities []struct{ Description, StatusCode string }
	}
	aas(&acts, "describe-scaling-activities", "--service-namespace", "lambda", "--resource-id", "function:scaled:live")
	if len(acts.ScalingActivities) != 1 || acts.ScalingActivities[0].Description != "Setting desired concurrency to 1." {
		t.Errorf("describe-scaling-activities = %+v", acts)
	}
	aas(nil, with("function:scaled:live", "deregister-scalable-target")...)
	stdout, _, _ = c.runService("cloudwatch", "describe-alarms")
	if strings.Contains(stdout, "TargetTracking-") {
		t.Errorf("alarms left after deregistering:\n%s", stdout)
	}
}
