package terraform

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// stackHCL is a production-style Lambda service as a team writes it: an
// execution role with AWS's managed basic-execution policy and a
// customer-managed policy of its own (it may invoke the failure
// destination), the function's log group with retention and tags, a layer
// with the shared code, the function (published, reserved concurrency,
// using the layer, logging into its group, created after its group and its
// role's policies), a `live` alias with provisioned concurrency managed by
// Application Auto Scaling (target tracking on
// LambdaProvisionedConcurrencyUtilization; the config's count left to the
// policy through ignore_changes), an event invoke config on the alias whose
// failures go to a second function (with its own group), a NONE function
// URL on the alias with the permission it needs, a second permission for an
// EventBridge rule, and alarms on Throttles and on provisioned concurrency
// spillover. Variables and outputs as a module has them; the test changes
// the variables through terraform.tfvars.
const stackHCL = providerHCL + `
variable "function_name" {
  type = string
}

variable "log_retention_days" {
  type    = number
  default = 14
}

variable "timeout" {
  type    = number
  default = 30
}

variable "reserved_concurrency" {
  type    = number
  default = 2
}

variable "provisioned_min" {
  type    = number
  default = 1
}

variable "provisioned_max" {
  type    = number
  default = 2
}

variable "async_max_event_age" {
  type    = number
  default = 3600
}

variable "throttle_threshold" {
  type    = number
  default = 10
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  tags             = merge(var.tags, { service = var.function_name, managed_by = "terraform" })
  failures_name    = "${var.function_name}-failures"
  scaling_resource = "function:${aws_lambda_alias.live.function_name}:${aws_lambda_alias.live.name}"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-exec"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "basic_execution" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

# Lambda invokes an asynchronous destination with the function's role.
data "aws_iam_policy_document" "app" {
  statement {
    sid       = "InvokeFailureDestination"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:aws:lambda:{{.Region}}:{{.Account}}:function:${local.failures_name}"]
  }
}

resource "aws_iam_policy" "app" {
  name        = "${var.function_name}-app"
  path        = "/service/"
  description = "what ${var.function_name} may do beyond logging"
  policy      = data.aws_iam_policy_document.app.json
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.app.arn
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "failures" {
  name              = "/aws/lambda/${local.failures_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_layer_version" "shared" {
  layer_name          = "${var.function_name}-shared"
  filename            = "{{.LayerZip}}"
  source_code_hash    = filebase64sha256("{{.LayerZip}}")
  compatible_runtimes = ["python3.12"]
  description         = "code shared by the service's functions"
}

resource "aws_lambda_function" "this" {
  function_name                  = var.function_name
  role                           = aws_iam_role.this.arn
  handler                        = "index.handler"
  runtime                        = "python3.12"
  filename                       = "{{.Zip}}"
  source_code_hash               = filebase64sha256("{{.Zip}}")
  layers                         = [aws_lambda_layer_version.shared.arn]
  timeout                        = var.timeout
  memory_size                    = 256
  publish                        = true
  reserved_concurrent_executions = var.reserved_concurrency

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  environment {
    variables = {
      SLEEP_SECONDS = "3"
    }
  }

  tags = local.tags

  # The group must exist before the function first logs, or Lambda would
  # create one without retention; the role needs its policies first.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy_attachment.basic_execution,
    aws_iam_role_policy_attachment.app,
  ]
}

# Where the function's failed asynchronous events end up.
resource "aws_lambda_function" "failures" {
  function_name    = local.failures_name
  role             = aws_iam_role.this.arn
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.FailuresZip}}"
  source_code_hash = filebase64sha256("{{.FailuresZip}}")
  timeout          = 10
  tags             = local.tags

  depends_on = [
    aws_cloudwatch_log_group.failures,
    aws_iam_role_policy_attachment.basic_execution,
  ]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  function_name                     = aws_lambda_alias.live.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = var.provisioned_min

  # Application Auto Scaling owns the count from here on.
  lifecycle {
    ignore_changes = [provisioned_concurrent_executions]
  }
}

resource "aws_appautoscaling_target" "live" {
  depends_on         = [aws_lambda_provisioned_concurrency_config.live]
  service_namespace  = "lambda"
  scalable_dimension = "lambda:function:ProvisionedConcurrency"
  resource_id        = local.scaling_resource
  min_capacity       = var.provisioned_min
  max_capacity       = var.provisioned_max
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "utilization" {
  name               = "${var.function_name}-live-utilization"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.live.service_namespace
  scalable_dimension = aws_appautoscaling_target.live.scalable_dimension
  resource_id        = aws_appautoscaling_target.live.resource_id

  target_tracking_scaling_policy_configuration {
    target_value = 0.7
    predefined_metric_specification {
      predefined_metric_type = "LambdaProvisionedConcurrencyUtilization"
    }
  }
}

resource "aws_lambda_function_event_invoke_config" "live" {
  function_name                = aws_lambda_alias.live.function_name
  qualifier                    = aws_lambda_alias.live.name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = var.async_max_event_age

  destination_config {
    on_failure {
      destination = aws_lambda_function.failures.arn
    }
  }
}

# A public URL on the alias. The provider itself grants lambda:InvokeFunctionUrl
# to everyone (statement FunctionURLAllowPublicAccess) after creating a NONE
# URL; since October 2025 a URL also needs lambda:InvokeFunction, which
# provider 5.100.0 can only grant without the InvokedViaFunctionUrl condition.
resource "aws_lambda_function_url" "live" {
  function_name      = aws_lambda_alias.live.function_name
  qualifier          = aws_lambda_alias.live.name
  authorization_type = "NONE"
}

resource "aws_lambda_permission" "url_invoke" {
  statement_id  = "FunctionURLInvokeAllowPublicAccess"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_alias.live.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "*"
}

# A nightly EventBridge rule (managed elsewhere) replays orders.
resource "aws_lambda_permission" "nightly" {
  statement_id   = "AllowNightlyReplay"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_alias.live.function_name
  qualifier      = aws_lambda_alias.live.name
  principal      = "events.amazonaws.com"
  source_arn     = "arn:aws:events:{{.Region}}:{{.Account}}:rule/${var.function_name}-nightly"
  source_account = "{{.Account}}"
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.function_name}-throttles"
  alarm_description   = "${var.function_name} is being throttled"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.throttle_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    FunctionName = aws_lambda_function.this.function_name
  }
  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "spillover" {
  alarm_name          = "${var.function_name}-live-spillover"
  alarm_description   = "${var.function_name}:live needs more provisioned concurrency"
  namespace           = "AWS/Lambda"
  metric_name         = "ProvisionedConcurrencySpilloverInvocations"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    FunctionName = aws_lambda_function.this.function_name
    Resource     = "${aws_lambda_function.this.function_name}:${aws_lambda_alias.live.name}"
  }
  tags = local.tags
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}

output "function_version" {
  value = aws_lambda_function.this.version
}

output "alias_arn" {
  value = aws_lambda_alias.live.arn
}

output "function_url" {
  value = aws_lambda_function_url.live.function_url
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}

output "layer_arn" {
  value = aws_lambda_layer_version.shared.arn
}

output "alarm_arns" {
  value = [aws_cloudwatch_metric_alarm.throttles.arn, aws_cloudwatch_metric_alarm.spillover.arn]
}
`

// stackConfig fills stackHCL.
type stackConfig struct {
	shared
	Endpoint    string
	Zip         string
	LayerZip    string
	FailuresZip string
}

// stackLayer is the layer's code, where AWS's Python runtime looks for it
// (/opt/python).
const stackLayer = `def label(order):
    return "order %s" % order
`

// stackHandler sleeps so that concurrent calls overlap, and logs a line
// through Python's logging and one through print; an event with "fail"
// raises. Its labels come from the layer.
const stackHandler = `import logging
import os
import time

from orders_lib import label

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("cannot process " + label(event.get("order")))
    logger.info("%s received", label(event.get("order")))
    time.sleep(float(os.environ["SLEEP_SECONDS"]))
    print("order done")
    return {"ok": True}
`

// stackFailuresHandler prints the invocation record it receives, on one
// line, for the test to read from its log group.
const stackFailuresHandler = `import json


def handler(event, context):
    print("FAILED " + json.dumps(event))
`

// testStack applies the production-style stack with the real provider under
// --auth sigv4 and --strict-roles, plans clean, checks each resource
// through the SDK, changes retention, the function's timeout (a new
// version, which the alias and its provisioned concurrency follow), the
// async event age and the alarm threshold in place, throttles the function
// for real and watches the Terraform-managed alarms go to ALARM and the logs
// land in the Terraform-managed group, calls the function URL (Go and curl),
// sends an event that fails and finds its invocation record in the failure
// destination's log group, imports every resource the provider can import
// cleanly, and destroys it all.
func testStack(t *testing.T, tc *toolchain) {
	srv, cfg := startSigV4(t, reservoirtest.Options{ // cfg: no retries, each throttled call is one 429
		StrictRoles:     true,
		AsyncRetryDelay: time.Second, // AWS waits a minute before the retry
	})
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(cfg)
	ic := iam.NewFromConfig(cfg)
	cw := cloudwatch.NewFromConfig(cfg)
	cwl := cloudwatchlogs.NewFromConfig(cfg)
	ac := aas.NewFromConfig(cfg)
	w := tc.workdir(t)
	const (
		fn          = "orders-api"
		failures    = fn + "-failures"
		group       = "/aws/lambda/" + fn
		failGroup   = "/aws/lambda/" + failures
		role        = fn + "-exec"
		basicExec   = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
		appPolicy   = "arn:aws:iam::" + account + ":policy/service/" + fn + "-app"
		layer       = fn + "-shared"
		throttles   = fn + "-throttles"
		spillover   = fn + "-live-spillover"
		scalingID   = "function:" + fn + ":live"
		scalingDim  = "lambda:function:ProvisionedConcurrency"
		scalingPol  = fn + "-live-utilization"
		concurrent  = 8 // calls at once on the alias: 1 provisioned, 1 spillover, 6 throttled
		resources   = 19
		notImported = 3 // the two functions and the layer version: their files cannot be read back
	)
	fnARN := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn
	layerARN := "arn:aws:lambda:" + region + ":" + account + ":layer:" + layer + ":1"
	conf := stackConfig{
		Endpoint:    rec.URL,
		Zip:         writeZipFiles(t, w.dir, "function.zip", map[string]string{"index.py": stackHandler}),
		LayerZip:    writeZipFiles(t, w.dir, "layer.zip", map[string]string{"python/orders_lib.py": stackLayer}),
		FailuresZip: writeZipFiles(t, w.dir, "failures.zip", map[string]string{"index.py": stackFailuresHandler}),
	}
	tfvars := func(retention, timeout, eventAge, threshold int) string {
		return "function_name       = \"" + fn + "\"\n" +
			"log_retention_days  = " + strconv.Itoa(retention) + "\n" +
			"timeout             = " + strconv.Itoa(timeout) + "\n" +
			"async_max_event_age = " + strconv.Itoa(eventAge) + "\n" +
			"throttle_threshold  = " + strconv.Itoa(threshold) + "\n" +
			"tags = {\n  team = \"payments\"\n  env  = \"staging\"\n}\n"
	}
	alarm := func(t *testing.T, name string) *cwtypes.MetricAlarm {
		t.Helper()
		out, err := cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) == 0 {
			return nil
		}
		return &out.MetricAlarms[0]
	}
	wantRetention := func(t *testing.T, days int32) {
		t.Helper()
		out, err := cwl.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
		if err != nil {
			t.Fatalf("DescribeLogGroups: %v", err)
		}
		got := map[string]int32{}
		for _, g := range out.LogGroups {
			got[aws.ToString(g.LogGroupName)] = aws.ToInt32(g.RetentionInDays)
		}
		if !maps.Equal(got, map[string]int32{group: days, failGroup: days}) {
			t.Fatalf("log groups under /aws/lambda/ = %s, want only %s and %s with %d days", describeGroups(out), group, failGroup, days)
		}
	}
	wantAsync := func(t *testing.T, maxAge int32) {
		t.Helper()
		out, err := lc.GetFunctionEventInvokeConfig(t.Context(), &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("GetFunctionEventInvokeConfig: %v", err)
		}
		if aws.ToInt32(out.MaximumRetryAttempts) != 1 || aws.ToInt32(out.MaximumEventAgeInSeconds) != maxAge ||
			out.DestinationConfig == nil || out.DestinationConfig.OnFailure == nil ||
			aws.ToString(out.DestinationConfig.OnFailure.Destination) != "arn:aws:lambda:"+region+":"+account+":function:"+failures {
			t.Errorf("event invoke config on live = %+v, want 1 retry, %d s, failures to %s", out, maxAge, failures)
		}
	}
	// waitReady waits for live's provisioned config to be READY with one
	// environment on version, as after an apply that moved the alias.
	waitReady := func(t *testing.T, version string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			got, err := lc.GetProvisionedConcurrencyConfig(t.Context(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
			if err != nil {
				t.Fatalf("GetProvisionedConcurrencyConfig: %v", err)
			}
			if got.Status == types.ProvisionedConcurrencyStatusEnumReady {
				break
			}
			if got.Status == types.ProvisionedConcurrencyStatusEnumFailed || time.Now().After(deadline) {
				t.Fatalf("live's provisioned config is %s (%s), not READY", got.Status, aws.ToString(got.StatusReason))
			}
			time.Sleep(250 * time.Millisecond)
		}
		alias, err := lc.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil {
			t.Fatalf("GetAlias: %v", err)
		}
		if v := aws.ToString(alias.FunctionVersion); v != version {
			t.Errorf("alias live points at %q, want the published version %s", v, version)
		}
		wantProvisioned(t, lc, fn, "live", 1)
	}
	outputs := func(t *testing.T, w *workdir) map[string]any {
		t.Helper()
		var out map[string]struct{ Value any }
		if err := json.Unmarshal([]byte(w.must("output", "-json")), &out); err != nil {
			t.Fatalf("terraform output -json: %v", err)
		}
		values := map[string]any{}
		for k, v := range out {
			values[k] = v.Value
		}
		return values
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			f(t, w.bind(t))
		}) {
			t.FailNow()
		}
	}
	defer rec.checkNoServerErrors(t)
	defer func() {
		var refused []string
		for _, e := range rec.exchanges() {
			if e.Status >= 400 {
				refused = append(refused, "  "+e.String())
			}
		}
		t.Logf("%d provider requests, %d answered with an error:\n%s", len(rec.exchanges()), len(refused), strings.Join(refused, "\n"))
	}()

	step("Apply", func(t *testing.T, w *workdir) {
		w.writeFile("main.tf", render(t, stackHCL, conf))
		w.writeFile("terraform.tfvars", tfvars(14, 30, 3600, 10))
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: "+strconv.Itoa(resources)+" added, 0 changed, 0 destroyed.")

		out := outputs(t, w)
		for name, want := range map[string]any{"function_arn": fnARN, "function_version": "1", "alias_arn": fnARN + ":live",
			"log_group_name": group, "layer_arn": layerARN} {
			if got := out[name]; got != want {
				t.Errorf("output %s = %v, want %v", name, got, want)
			}
		}

		// Signatures are checked: a wrong secret is refused.
		bad := cfg.Copy()
		bad.Credentials = credentials.NewStaticCredentialsProvider(account, "not-"+providerSecret, "")
		_, err := lambda.NewFromConfig(bad).GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
			t.Errorf("GetFunction signed with a wrong secret: %v, want a 403", err)
		}

		attached, err := ic.ListAttachedRolePolicies(t.Context(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatalf("ListAttachedRolePolicies: %v", err)
		}
		var arns []string
		for _, p := range attached.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
		slices.Sort(arns)
		if !slices.Equal(arns, []string{appPolicy, basicExec}) {
			t.Errorf("policies attached to %s = %v, want %s and %s", role, arns, basicExec, appPolicy)
		}
		pol, err := ic.GetPolicy(t.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(appPolicy)})
		if err != nil || aws.ToInt32(pol.Policy.AttachmentCount) != 1 || aws.ToString(pol.Policy.Path) != "/service/" {
			t.Errorf("GetPolicy %s = %+v, %v; want path /service/, attached once", appPolicy, pol, err)
		}

		wantRetention(t, 14)
		got, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatalf("GetFunction: %v", err)
		}
		if r := aws.ToString(got.Configuration.Role); r != "arn:aws:iam::"+account+":role/"+role {
			t.Errorf("function role = %s", r)
		}
		if lg := got.Configuration.LoggingConfig; lg == nil || aws.ToString(lg.LogGroup) != group || lg.LogFormat != types.LogFormatText {
			t.Errorf("LoggingConfig = %+v, want Text into %s", lg, group)
		}
		if got.Concurrency == nil || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 2 {
			t.Errorf("GetFunction Concurrency = %+v, want 2 reserved", got.Concurrency)
		}
		if ls := got.Configuration.Layers; len(ls) != 1 || aws.ToString(ls[0].Arn) != layerARN {
			t.Errorf("function layers = %+v, want %s", ls, layerARN)
		}
		waitReady(t, "1")
		wantAsync(t, 3600)

		ts, err := ac.DescribeScalableTargets(t.Context(), &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ts.ScalableTargets) != 1 || aws.ToString(ts.ScalableTargets[0].ResourceId) != scalingID ||
			aws.ToInt32(ts.ScalableTargets[0].MinCapacity) != 1 || aws.ToInt32(ts.ScalableTargets[0].MaxCapacity) != 2 {
			t.Errorf("scalable targets = %+v (%v), want %s from 1 to 2", ts, err, scalingID)
		}
		ps, err := ac.DescribeScalingPolicies(t.Context(), &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ps.ScalingPolicies) != 1 || aws.ToString(ps.ScalingPolicies[0].PolicyName) != scalingPol ||
			ps.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration == nil ||
			aws.ToFloat64(ps.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue) != 0.7 {
			t.Errorf("scaling policies = %+v (%v), want %s tracking 0.7", ps, err, scalingPol)
		}

		for name, want := range map[string]map[string]string{
			throttles: {"FunctionName": fn},
			spillover: {"FunctionName": fn, "Resource": fn + ":live"},
		} {
			a := alarm(t, name)
			if a == nil {
				t.Fatalf("alarm %s is missing", name)
			}
			dims := map[string]string{}
			for _, d := range a.Dimensions {
				dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
			}
			if aws.ToString(a.Namespace) != "AWS/Lambda" || aws.ToInt32(a.Period) != 60 || !maps.Equal(dims, want) {
				t.Errorf("alarm %s: namespace %s period %d dimensions %v, want AWS/Lambda 60 %v",
					name, aws.ToString(a.Namespace), aws.ToInt32(a.Period), dims, want)
			}
			if a.StateValue == cwtypes.StateValueAlarm {
				t.Errorf("alarm %s is in ALARM before any load", name)
			}
		}
		if a := alarm(t, throttles); aws.ToFloat64(a.Threshold) != 10 {
			t.Errorf("throttles threshold = %v, want 10", aws.ToFloat64(a.Threshold))
		}
	})

	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })

	// A new timeout publishes version 2: the alias follows it and its
	// provisioned concurrency moves along, outside Terraform's view.
	step("Update", func(t *testing.T, w *workdir) {
		w.writeFile("terraform.tfvars", tfvars(30, 20, 1800, 2))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{
			"aws_cloudwatch_log_group.this":                "update",
			"aws_cloudwatch_log_group.failures":            "update",
			"aws_cloudwatch_metric_alarm.throttles":        "update",
			"aws_lambda_function.this":                     "update",
			"aws_lambda_alias.live":                        "update",
			"aws_lambda_function_event_invoke_config.live": "update",
		})
		if summary != (planSummary{Change: 6}) {
			t.Errorf("plan summary = %+v, want 6 to change and nothing else", summary)
		}
		w.planIsClean()
		wantRetention(t, 30)
		if a := alarm(t, throttles); a == nil || aws.ToFloat64(a.Threshold) != 2 {
			t.Errorf("throttles alarm after the change = %+v, want threshold 2", a)
		}
		wantAsync(t, 1800)
		waitReady(t, "2")
		v2, err := lc.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil || aws.ToInt32(v2.Timeout) != 20 || aws.ToString(v2.Version) != "2" {
			t.Errorf("live's configuration = %+v, %v; want version 2 with a 20 s timeout", v2, err)
		}
		if got := outputs(t, w)["function_version"]; got != "2" {
			t.Errorf("output function_version = %v, want 2", got)
		}
	})

	step("ThrottleToAlarm", func(t *testing.T, w *workdir) {
		start := time.Now()
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			ok, throttled int
			other         []error
		)
		for i := range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := lc.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"),
					Payload: []byte(`{"order": ` + strconv.Itoa(i) + `}`)})
				var tooMany *types.TooManyRequestsException
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.As(err, &tooMany):
					throttled++
				case err == nil && out.FunctionError == nil:
					ok++
				case err == nil:
					other = append(other, errors.New("function error "+aws.ToString(out.FunctionError)+": "+string(out.Payload)))
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		// Reserved concurrency 2: the provisioned environment and one
		// spillover on demand run; every other call is throttled.
		if len(other) > 0 || ok != 2 || throttled != concurrent-2 {
			t.Fatalf("%d calls at once on %s:live with reserved concurrency 2: %d ran, %d throttled, other errors %v",
				concurrent, fn, ok, throttled, other)
		}
		t.Logf("%d calls: %d ran, %d throttled (429) in %s", concurrent, ok, throttled, time.Since(start).Round(time.Millisecond))

		sum := func(metric string, dims map[string]string) float64 {
			t.Helper()
			var d []cwtypes.Dimension
			for k, v := range dims {
				d = append(d, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
			}
			out, err := cw.GetMetricStatistics(t.Context(), &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: d,
				StartTime: aws.Time(start.Add(-5 * time.Minute)), EndTime: aws.Time(time.Now().Add(5 * time.Minute)),
				Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
			})
			if err != nil {
				t.Fatalf("GetMetricStatistics %s: %v", metric, err)
			}
			total := 0.0
			for _, p := range out.Datapoints {
				total += aws.ToFloat64(p.Sum)
			}
			return total
		}
		// A minute's data is published as it ends and alarms are evaluated
		// 5 s later: the calls' minute (or the next, if they straddled a
		// boundary) plus margin on a busy machine.
		deadline := start.Add(2*time.Minute + 30*time.Second)
		fnDims := map[string]string{"FunctionName": fn}
		liveDims := map[string]string{"FunctionName": fn, "Resource": fn + ":live"}
		// waitSum polls until the metric's sum reaches want; a call that
		// ran is counted when it ends, maybe in the minute after the
		// throttles.
		waitSum := func(metric string, dims map[string]string, want int) {
			t.Helper()
			for got := sum(metric, dims); got != float64(want); got = sum(metric, dims) {
				if got > float64(want) || time.Now().After(deadline) {
					t.Fatalf("%s Sum %v = %v, want %d", metric, dims, got, want)
				}
				time.Sleep(2 * time.Second)
			}
		}
		waitSum("Throttles", fnDims, throttled) // exactly the 429s the client saw
		waitSum("ProvisionedConcurrencySpilloverInvocations", liveDims, 1)
		waitSum("ProvisionedConcurrencyInvocations", liveDims, 1)
		for _, name := range []string{throttles, spillover} {
			for a := alarm(t, name); a.StateValue != cwtypes.StateValueAlarm; a = alarm(t, name) {
				if time.Now().After(deadline) {
					t.Fatalf("alarm %s is %s (%s), not ALARM, after the load", name, a.StateValue, aws.ToString(a.StateReason))
				}
				time.Sleep(2 * time.Second)
			}
		}
		if got := sum("Throttles", fnDims); got != float64(throttled) {
			t.Errorf("Throttles Sum = %v at the end, the client saw %d 429s", got, throttled)
		}

		// The two calls that ran logged into the Terraform-managed group,
		// which kept its retention: no second group was created.
		var reports []string
		logDeadline := time.Now().Add(10 * time.Second)
		for {
			out, err := cwl.FilterLogEvents(t.Context(), &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String(group), FilterPattern: aws.String("REPORT"),
			})
			if err != nil {
				t.Fatalf("FilterLogEvents: %v", err)
			}
			reports = reports[:0]
			for _, e := range out.Events {
				reports = append(reports, aws.ToString(e.Message))
			}
			if len(reports) >= ok || time.Now().After(logDeadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(reports) != ok {
			t.Errorf("REPORT lines in %s = %d %q, want one per call that ran (%d)", group, len(reports), reports, ok)
		}
		for _, r := range reports {
			if !strings.HasPrefix(r, "REPORT RequestId: ") || !strings.Contains(r, "Memory Size: 256 MB") {
				t.Errorf("REPORT line %q", r)
			}
		}
		out, err := cwl.FilterLogEvents(t.Context(), &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(group), FilterPattern: aws.String(`"order done"`),
		})
		if err != nil || len(out.Events) != ok {
			t.Errorf("\"order done\" lines in %s: %d (%v), want %d", group, len(out.Events), err, ok)
		}
		wantRetention(t, 30)
		// Nothing in the stack drifted under load.
		w.planIsClean()
	})

	// After the load, so that its call counts in no metric the alarms watch.
	step("FunctionURL", func(t *testing.T, w *workdir) {
		u, _ := outputs(t, w)["function_url"].(string)
		cfg, err := lc.GetFunctionUrlConfig(t.Context(), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil || aws.ToString(cfg.FunctionUrl) != u || cfg.AuthType != types.FunctionUrlAuthTypeNone {
			t.Fatalf("GetFunctionUrlConfig = %+v, %v; output function_url %q", cfg, err, u)
		}
		// The alias's policy: the provider's own statement and our two.
		pol, err := lc.GetPolicy(t.Context(), &lambda.GetPolicyInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("GetPolicy live: %v", err)
		}
		var doc struct {
			Statement []struct {
				Sid, Action string
				Principal   any
				Condition   map[string]map[string]string
			}
		}
		if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
			t.Fatalf("policy %s: %v", aws.ToString(pol.Policy), err)
		}
		got := map[string]string{}
		for _, st := range doc.Statement {
			got[st.Sid] = st.Action
			switch st.Sid {
			case "FunctionURLAllowPublicAccess":
				if st.Condition["StringEquals"]["lambda:FunctionUrlAuthType"] != "NONE" {
					t.Errorf("the provider's statement %+v lacks lambda:FunctionUrlAuthType NONE", st)
				}
			case "AllowNightlyReplay":
				if p, _ := st.Principal.(map[string]any); p["Service"] != "events.amazonaws.com" ||
					st.Condition["ArnLike"]["AWS:SourceArn"] != "arn:aws:events:"+region+":"+account+":rule/"+fn+"-nightly" ||
					st.Condition["StringEquals"]["AWS:SourceAccount"] != account {
					t.Errorf("the EventBridge statement %+v", st)
				}
			}
		}
		if !maps.Equal(got, map[string]string{"FunctionURLAllowPublicAccess": "lambda:InvokeFunctionUrl",
			"FunctionURLInvokeAllowPublicAccess": "lambda:InvokeFunction", "AllowNightlyReplay": "lambda:InvokeFunction"}) {
			t.Errorf("live's policy %s", aws.ToString(pol.Policy))
		}
		// Unsigned, as a browser calls it: a NONE URL needs no signature,
		// even under --auth sigv4.
		if status, body := getURL(t, u, "", ""); status != 200 || body != `{"ok": true}` {
			t.Errorf("GET %s = %d %s", u, status, body)
		}
		// curl resolves *.localhost to the loopback address itself.
		if curl, err := exec.LookPath("curl"); err == nil {
			out, err := exec.CommandContext(t.Context(), curl, "-sS", "--max-time", "60", "-w", "\n%{http_code}", u).CombinedOutput()
			if err != nil || string(out) != "{\"ok\": true}\n200" {
				t.Errorf("curl %s: %v\n%s", u, err, out)
			}
		} else {
			t.Log("curl is not installed: the URL was called from Go only")
		}
	})

	// An event that fails on both attempts (maximum_retry_attempts = 1)
	// reaches the on-failure destination as AWS's invocation record, which
	// the destination function logs into its Terraform-managed group.
	step("AsyncFailureToDestination", func(t *testing.T, w *workdir) {
		out, err := lc.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"order": "A-1", "fail": true}`)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("async Invoke = %+v, %v; want 202", out, err)
		}
		var lines []string
		deadline := time.Now().Add(2 * time.Minute)
		for len(lines) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no invocation record in %s after 2 minutes", failGroup)
			}
			time.Sleep(500 * time.Millisecond)
			got, err := cwl.FilterLogEvents(t.Context(), &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String(failGroup), FilterPattern: aws.String("FAILED"),
			})
			if err != nil {
				t.Fatalf("FilterLogEvents %s: %v", failGroup, err)
			}
			for _, e := range got.Events {
				lines = append(lines, aws.ToString(e.Message))
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%d invocation records in %s, want 1: %q", len(lines), failGroup, lines)
		}
		var record struct {
			RequestContext struct {
				FunctionArn            string
				Condition              string
				ApproximateInvokeCount int
			}
			RequestPayload  map[string]any
			ResponseContext struct {
				StatusCode      int
				ExecutedVersion string
				FunctionError   string
			}
			ResponsePayload struct {
				ErrorMessage string
				ErrorType    string
			}
		}
		body, ok := strings.CutPrefix(strings.TrimSpace(lines[0]), "FAILED ")
		if err := json.Unmarshal([]byte(body), &record); !ok || err != nil {
			t.Fatalf("invocation record %q: %v", lines[0], err)
		}
		rc, resp := record.RequestContext, record.ResponseContext
		if rc.FunctionArn != fnARN+":live" || rc.Condition != "RetriesExhausted" || rc.ApproximateInvokeCount != 2 ||
			record.RequestPayload["order"] != "A-1" || resp.StatusCode != 200 || resp.ExecutedVersion != "2" ||
			resp.FunctionError != "Unhandled" || record.ResponsePayload.ErrorMessage != "cannot process order A-1" {
			t.Errorf("invocation record %s", body)
		}
	})

	// Every resource the provider can import leaves the state and comes
	// back through import blocks, and the plan is clean. The functions and
	// the layer version stay: their deployment files cannot be read back
	// (an imported function plans an in-place update, an imported layer
	// version a replacement, on AWS too).
	step("Import", func(t *testing.T, w *workdir) {
		imports := map[string]string{
			"aws_iam_role.this": role,
			"aws_iam_role_policy_attachment.basic_execution": role + "/" + basicExec,
			"aws_iam_policy.app":                             appPolicy,
			"aws_iam_role_policy_attachment.app":             role + "/" + appPolicy,
			"aws_cloudwatch_log_group.this":                  group,
			"aws_cloudwatch_log_group.failures":              failGroup,
			"aws_lambda_alias.live":                          fn + "/live",
			"aws_lambda_provisioned_concurrency_config.live": fn + ",live",
			"aws_appautoscaling_target.live":                 "lambda/" + scalingID + "/" + scalingDim,
			"aws_appautoscaling_policy.utilization":          "lambda/" + scalingID + "/" + scalingDim + "/" + scalingPol,
			"aws_lambda_function_event_invoke_config.live":   fn + ":live",
			"aws_lambda_function_url.live":                   fn + "/live",
			"aws_lambda_permission.url_invoke":               fn + ":live/FunctionURLInvokeAllowPublicAccess",
			"aws_lambda_permission.nightly":                  fn + ":live/AllowNightlyReplay",
			"aws_cloudwatch_metric_alarm.throttles":          throttles,
			"aws_cloudwatch_metric_alarm.spillover":          spillover,
		}
		if len(imports) != resources-notImported {
			t.Fatalf("%d imports for %d resources, %d of which are not imported", len(imports), resources, notImported)
		}
		var blocks strings.Builder
		addrs := slices.Sorted(maps.Keys(imports))
		for _, addr := range addrs {
			blocks.WriteString("import {\n  to = " + addr + "\n  id = \"" + imports[addr] + "\"\n}\n\n")
		}
		w.must(append([]string{"state", "rm", "-no-color"}, addrs...)...)
		w.writeFile("imports.tf", blocks.String())
		n := strconv.Itoa(len(imports))
		out := w.apply()
		wantOutput(t, out, "Plan: "+n+" to import, 0 to add, 0 to change, 0 to destroy.")
		wantOutput(t, out, "Resources: "+n+" imported, 0 added, 0 changed, 0 destroyed.")
		w.planIsClean()
	})

	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: "+strconv.Itoa(resources)+" destroyed.")
		ctx := t.Context()
		fns, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil || len(fns.Functions) != 0 {
			t.Errorf("functions after destroy: %+v (%v)", fns, err)
		}
		var nf *types.ResourceNotFoundException
		_, err = lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if !errors.As(err, &nf) {
			t.Errorf("GetProvisionedConcurrencyConfig after destroy: %v, want ResourceNotFoundException", err)
		}
		_, err = lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if !errors.As(err, &nf) {
			t.Errorf("GetFunctionEventInvokeConfig after destroy: %v, want ResourceNotFoundException", err)
		}
		_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if !errors.As(err, &nf) {
			t.Errorf("GetFunctionUrlConfig after destroy: %v, want ResourceNotFoundException", err)
		}
		_, err = lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)})
		if !errors.As(err, &nf) {
			t.Errorf("GetLayerVersion after destroy: %v, want ResourceNotFoundException", err)
		}
		groups, err := cwl.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
		if err != nil || len(groups.LogGroups) != 0 {
			t.Errorf("log groups after destroy: %v %s", err, describeGroups(groups))
		}
		// The scaling policy's own TargetTracking alarms went with it.
		alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil || len(alarms.MetricAlarms) != 0 {
			t.Errorf("alarms after destroy: %v %+v", err, alarms)
		}
		ts, err := ac.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ts.ScalableTargets) != 0 {
			t.Errorf("scalable targets after destroy: %+v (%v)", ts, err)
		}
		ps, err := ac.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceLambda})
		if err != nil || len(ps.ScalingPolicies) != 0 {
			t.Errorf("scaling policies after destroy: %+v (%v)", ps, err)
		}
		var nse *iamtypes.NoSuchEntityException
		_, err = ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if !errors.As(err, &nse) {
			t.Errorf("GetRole after destroy: %v, want NoSuchEntity", err)
		}
		_, err = ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(appPolicy)})
		if !errors.As(err, &nse) {
			t.Errorf("GetPolicy %s after destroy: %v, want NoSuchEntity", appPolicy, err)
		}
	})
}

func describeGroups(out *cloudwatchlogs.DescribeLogGroupsOutput) string {
	if out == nil {
		return "none"
	}
	var s []string
	for _, g := range out.LogGroups {
		s = append(s, aws.ToString(g.LogGroupName)+" ("+strconv.Itoa(int(aws.ToInt32(g.RetentionInDays)))+" days)")
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// writeZipFiles writes a deployment package of files (name → content) and
// returns its file name, relative to dir.
func writeZipFiles(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, path := range slices.Sorted(maps.Keys(files)) {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err == nil {
			_, err = f.Write([]byte(files[path]))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}
