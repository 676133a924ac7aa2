package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCLICloudWatch: the AWS CLI (which sends CloudWatch JSON 1.0) puts a
// metric alarm, describes it, and deletes it; put-metric-data and
// list-metrics find the metric; a missing alarm is ResourceNotFound.
func TestCLICloudWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end AWS CLI test; skipped with -short")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH")
	}
	t.Parallel()
	srv, _, env := startLogged(t)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", srv.URL, "--output", "json")...)
		cmd.Env = env
		cmd.WaitDelay = 5 * time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			return stderr.String(), err
		}
		return stdout.String(), nil
	}
	if out, err := run("cloudwatch", "put-metric-alarm", "--alarm-name", "cli-throttles", "--namespace", "AWS/Lambda",
		"--metric-name", "Throttles", "--dimensions", "Name=FunctionName,Value=fn", "--statistic", "Sum", "--period", "60",
		"--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold"); err != nil {
		t.Fatalf("put-metric-alarm: %v\n%s", err, out)
	}
	out, err := run("cloudwatch", "describe-alarms", "--alarm-names", "cli-throttles")
	if err != nil {
		t.Fatalf("describe-alarms: %v\n%s", err, out)
	}
	var alarms struct {
		MetricAlarms []struct {
			AlarmName, AlarmArn, StateValue, ComparisonOperator string
			Threshold                                           float64
			Dimensions                                          []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal([]byte(out), &alarms); err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].AlarmName != "cli-throttles" || alarms.MetricAlarms[0].Threshold != 1 ||
		!strings.HasSuffix(alarms.MetricAlarms[0].AlarmArn, ":alarm:cli-throttles") || len(alarms.MetricAlarms[0].Dimensions) != 1 {
		t.Errorf("describe-alarms: %s", out)
	}
	if out, err := run("cloudwatch", "put-metric-data", "--namespace", "Custom/CLI", "--metric-name", "Hits", "--value", "3",
		"--dimensions", "Route=/a"); err != nil {
		t.Fatalf("put-metric-data: %v\n%s", err, out)
	}
	out, err = run("cloudwatch", "list-metrics", "--namespace", "Custom/CLI")
	if err != nil || !strings.Contains(out, `"MetricName": "Hits"`) {
		t.Errorf("list-metrics: %v\n%s", err, out)
	}
	if out, err := run("cloudwatch", "delete-alarms", "--alarm-names", "cli-throttles"); err != nil {
		t.Fatalf("delete-alarms: %v\n%s", err, out)
	}
	out, err = run("cloudwatch", "set-alarm-state", "--alarm-name", "cli-throttles", "--state-value", "ALARM", "--state-reason", "test")
	if err == nil || !strings.Contains(out, "(ResourceNotFound)") {
		t.Errorf("set-alarm-state of a deleted alarm: %v\n%s", err, out)
	}
}
