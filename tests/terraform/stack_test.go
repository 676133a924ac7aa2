package terraform

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// stackHCL is a production-style Lambda service as a team writes it, with
// only the resources Reservoir serves today: an execution role with AWS's
// managed basic-execution policy, the function's log group with retention
// and tags, the function (published, reserved concurrency, logging into its
// group, created after its group and its role's policy), a `live` alias
// with provisioned concurrency, and alarms on Throttles and on provisioned
// concurrency spillover. Variables and outputs as a module has them; the
// test changes the variables through terraform.tfvars. A NONE function URL
// on the alias with the permission it needs answers a real request. Of issue
// 12's stack, the customer-managed policy, autoscaling and the event invoke
// config are left out (each has its own scenario).
const stackHCL = providerHCL + `
variable "function_name" {
  type = string
}

variable "log_retention_days" {
  type    = number
  default = 14
}

variable "reserved_concurrency" {
  type    = number
  default = 2
}

variable "provisioned_concurrency" {
  type    = number
  default = 1
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
  tags = merge(var.tags, { service = var.function_name, managed_by = "terraform" })
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

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  function_name                  = var.function_name
  role                           = aws_iam_role.this.arn
  handler                        = "index.handler"
  runtime                        = "python3.12"
  filename                       = "{{.Zip}}"
  source_code_hash               = filebase64sha256("{{.Zip}}")
  timeout                        = 30
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
  # create one without retention; the role needs its policy first.
  depends_on = [
    aws_cloudwatch_log_group.this,
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
  provisioned_concurrent_executions = var.provisioned_concurrency
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

output "alarm_arns" {
  value = [aws_cloudwatch_metric_alarm.throttles.arn, aws_cloudwatch_metric_alarm.spillover.arn]
}
`

// stackConfig fills stackHCL.
type stackConfig struct {
	shared
	Endpoint string
	Zip      string
}

// stackHandler sleeps so that concurrent calls overlap, and logs a line
// through Python's logging and one through print.
const stackHandler = `import logging
import os
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    logger.info("order %s received", event.get("order"))
    time.sleep(float(os.environ["SLEEP_SECONDS"]))
    print("order done")
    return {"ok": True}
`

// testStack applies the production-style stack, plans clean, checks each
// resource through the SDK, changes retention and the alarm threshold in
// place, throttles the function for real and watches the Terraform-managed
// alarms go to ALARM and the logs land in the Terraform-managed group, then
// destroys it all.
func testStack(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	cfg := srv.AWSConfig(t) // no retries: each throttled call is one 429
	lc := lambda.NewFromConfig(cfg)
	ic := iam.NewFromConfig(cfg)
	cw := cloudwatch.NewFromConfig(cfg)
	cwl := cloudwatchlogs.NewFromConfig(cfg)
	w := tc.workdir(t)
	const (
		fn         = "orders-api"
		group      = "/aws/lambda/" + fn
		role       = fn + "-exec"
		basicExec  = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
		throttles  = fn + "-throttles"
		spillover  = fn + "-live-spillover"
		concurrent = 8 // calls at once on the alias: 1 provisioned, 1 spillover, 6 throttled
	)
	conf := stackConfig{Endpoint: rec.URL, Zip: writeZipSource(t, w.dir, "function.zip", stackHandler)}
	tfvars := func(retention, threshold int) string {
		return "function_name      = \"" + fn + "\"\n" +
			"log_retention_days = " + strconv.Itoa(retention) + "\n" +
			"throttle_threshold = " + strconv.Itoa(threshold) + "\n" +
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
		if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != group ||
			aws.ToInt32(out.LogGroups[0].RetentionInDays) != days {
			t.Fatalf("log groups under /aws/lambda/ = %s, want only %s with %d days", describeGroups(out), group, days)
		}
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
		w.writeFile("terraform.tfvars", tfvars(14, 10))
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 10 added, 0 changed, 0 destroyed.")

		var outputs map[string]struct{ Value any }
		if err := json.Unmarshal([]byte(w.must("output", "-json")), &outputs); err != nil {
			t.Fatalf("terraform output -json: %v", err)
		}
		fnARN := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn
		for name, want := range map[string]any{"function_arn": fnARN, "function_version": "1", "alias_arn": fnARN + ":live", "log_group_name": group} {
			if got := outputs[name].Value; got != want {
				t.Errorf("output %s = %v, want %v", name, got, want)
			}
		}

		attached, err := ic.ListAttachedRolePolicies(t.Context(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatalf("ListAttachedRolePolicies: %v", err)
		}
		if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) != basicExec {
			t.Errorf("policies attached to %s = %+v, want only %s", role, attached.AttachedPolicies, basicExec)
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
		alias, err := lc.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil {
			t.Fatalf("GetAlias: %v", err)
		}
		if v := aws.ToString(alias.FunctionVersion); v != "1" {
			t.Errorf("alias live points at %q, want the published version 1", v)
		}
		wantProvisioned(t, lc, fn, "live", 1)

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

	step("Update", func(t *testing.T, w *workdir) {
		w.writeFile("terraform.tfvars", tfvars(30, 2))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{
			"aws_cloudwatch_log_group.this":         "update",
			"aws_cloudwatch_metric_alarm.throttles": "update",
		})
		if summary != (planSummary{Change: 2}) {
			t.Errorf("plan summary = %+v, want 2 to change and nothing else", summary)
		}
		w.planIsClean()
		wantRetention(t, 30)
		if a := alarm(t, throttles); a == nil || aws.ToFloat64(a.Threshold) != 2 {
			t.Errorf("throttles alarm after the change = %+v, want threshold 2", a)
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
		var outputs map[string]struct{ Value any }
		if err := json.Unmarshal([]byte(w.must("output", "-json")), &outputs); err != nil {
			t.Fatalf("terraform output -json: %v", err)
		}
		u, _ := outputs["function_url"].Value.(string)
		cfg, err := lc.GetFunctionUrlConfig(t.Context(), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil || aws.ToString(cfg.FunctionUrl) != u || cfg.AuthType != types.FunctionUrlAuthTypeNone {
			t.Fatalf("GetFunctionUrlConfig = %+v, %v; output function_url %q", cfg, err, u)
		}
		// The alias's policy: the provider's own statement and ours.
		pol, err := lc.GetPolicy(t.Context(), &lambda.GetPolicyInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("GetPolicy live: %v", err)
		}
		var doc struct {
			Statement []struct {
				Sid, Action string
				Condition   map[string]map[string]string
			}
		}
		if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
			t.Fatalf("policy %s: %v", aws.ToString(pol.Policy), err)
		}
		got := map[string]string{}
		for _, st := range doc.Statement {
			got[st.Sid] = st.Action
			if st.Sid == "FunctionURLAllowPublicAccess" && st.Condition["StringEquals"]["lambda:FunctionUrlAuthType"] != "NONE" {
				t.Errorf("the provider's statement %+v lacks lambda:FunctionUrlAuthType NONE", st)
			}
		}
		if !maps.Equal(got, map[string]string{"FunctionURLAllowPublicAccess": "lambda:InvokeFunctionUrl",
			"FunctionURLInvokeAllowPublicAccess": "lambda:InvokeFunction"}) {
			t.Errorf("live's policy %s", aws.ToString(pol.Policy))
		}
		if status, body := getURL(t, u, ""); status != 200 || body != `{"ok": true}` {
			t.Errorf("GET %s = %d %s", u, status, body)
		}
		w.planIsClean()
	})

	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 10 destroyed.")
		_, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetFunction after destroy: %v, want ResourceNotFoundException", err)
		}
		_, err = lc.GetProvisionedConcurrencyConfig(t.Context(), &lambda.GetProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if !errors.As(err, &nf) {
			t.Errorf("GetProvisionedConcurrencyConfig after destroy: %v, want ResourceNotFoundException", err)
		}
		groups, err := cwl.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{})
		if err != nil || len(groups.LogGroups) != 0 {
			t.Errorf("log groups after destroy: %v %s", err, describeGroups(groups))
		}
		alarms, err := cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{})
		if err != nil || len(alarms.MetricAlarms) != 0 {
			t.Errorf("alarms after destroy: %v %+v", err, alarms)
		}
		_, err = ic.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String(role)})
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			t.Errorf("GetRole after destroy: %v, want NoSuchEntity", err)
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

// writeZipSource writes a deployment package whose index.py is src and
// returns its file name, relative to dir.
func writeZipSource(t *testing.T, dir, name, src string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "index.py", Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		_, err = f.Write([]byte(src))
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return name
}
