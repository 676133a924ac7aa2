package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
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

// TestCLIThrottlesToAlarm is the README's walkthrough: a function with
// reserved concurrency 0 is invoked three times by the AWS CLI (no retries:
// each call is one 429), get-metric-statistics counts exactly those 429s
// as AWS/Lambda Throttles, and an alarm on them goes to ALARM, with the
// transition in its history. It waits for real minutes (about one).
func TestCLIThrottlesToAlarm(t *testing.T) {
	c := start(t)
	const fn = "cli-throttled"
	c.createFunction(fn)
	c.json(nil, "put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", "0")
	cw := func(v any, args ...string) {
		t.Helper()
		stdout, stderr, code := c.runService("cloudwatch", args...)
		if code != 0 {
			t.Fatalf("aws cloudwatch %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		if v != nil && strings.TrimSpace(stdout) != "" {
			if err := json.Unmarshal([]byte(stdout), v); err != nil {
				t.Fatalf("aws cloudwatch %s: %v\n%s", args[0], err, stdout)
			}
		}
	}
	cw(nil, "put-metric-alarm", "--alarm-name", fn, "--namespace", "AWS/Lambda", "--metric-name", "Throttles",
		"--dimensions", "Name=FunctionName,Value="+fn, "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1",
		"--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold", "--treat-missing-data", "notBreaching")
	start := time.Now()
	const calls = 3
	for range calls {
		c.fails("TooManyRequestsException", "Rate Exceeded.", "invoke", "--function-name", fn, filepath.Join(c.dir, "out.json"))
	}

	sum := func() float64 {
		var out struct{ Datapoints []struct{ Sum float64 } }
		cw(&out, "get-metric-statistics", "--namespace", "AWS/Lambda", "--metric-name", "Throttles",
			"--dimensions", "Name=FunctionName,Value="+fn, "--statistics", "Sum", "--period", "60",
			"--start-time", start.Add(-5*time.Minute).UTC().Format(time.RFC3339),
			"--end-time", time.Now().Add(5*time.Minute).UTC().Format(time.RFC3339))
		total := 0.0
		for _, p := range out.Datapoints {
			total += p.Sum
		}
		return total
	}
	state := func() string {
		var out struct {
			MetricAlarms []struct{ StateValue, StateReason string }
		}
		cw(&out, "describe-alarms", "--alarm-names", fn)
		if len(out.MetricAlarms) != 1 {
			t.Fatalf("describe-alarms: %+v", out)
		}
		return out.MetricAlarms[0].StateValue
	}
	// A minute's data arrives as it ends and alarms are evaluated 5 s
	// later: the first minute boundary after the calls, plus margin.
	deadline := start.Add(time.Minute + 45*time.Second)
	for got := sum(); got != calls; got = sum() {
		if got > calls || time.Now().After(deadline) {
			t.Fatalf("Throttles Sum = %v, the CLI saw %d 429s", got, calls)
		}
		time.Sleep(2 * time.Second)
	}
	for s := state(); s != "ALARM"; s = state() {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("the alarm on Throttles is %s, not ALARM, after the throttles", s)
		}
		time.Sleep(2 * time.Second)
	}
	var hist struct {
		AlarmHistoryItems []struct{ HistoryItemType, HistorySummary string }
	}
	cw(&hist, "describe-alarm-history", "--alarm-name", fn, "--history-item-type", "StateUpdate")
	found := false
	for _, h := range hist.AlarmHistoryItems {
		found = found || strings.Contains(h.HistorySummary, "to ALARM")
	}
	if !found {
		t.Errorf("no StateUpdate to ALARM in the history: %+v", hist.AlarmHistoryItems)
	}
	if got := sum(); got != calls {
		t.Errorf("Throttles Sum = %v at the end, the CLI saw %d 429s", got, calls)
	}
}
