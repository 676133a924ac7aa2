package cloudwatch_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// evalAt moves the clock to epoch + d and evaluates every alarm.
func (e *env) evalAt(d time.Duration) {
	e.t.Helper()
	if now := e.clock.Now(); epoch().Add(d).After(now) {
		e.clock.Advance(epoch().Add(d).Sub(now))
	}
	mustOK(e.t, e.svc.EvaluateAlarms(e.ctx))
}

// TestThresholdCrossedReason: AWS's reason text and reason data for a
// one-of-one alarm going to ALARM and back to OK.
func TestThresholdCrossedReason(t *testing.T) {
	e := newEnv(t)
	e.putAlarm(scopeA(), basicAlarm("errors"))
	e.put(scopeA(), "App", "Errors", epoch().Add(-30*time.Second), nil, 5) // minute 11:59
	e.evalAt(0)
	a := e.describe(scopeA(), "errors")
	want := "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (01/03/26 11:59:00)] was greater than the threshold (0.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."
	if a.StateValue != cloudwatch.StateAlarm || a.StateReason != want {
		t.Fatalf("state %s, reason %q\nwant %q", a.StateValue, a.StateReason, want)
	}
	var data struct {
		Version             string
		QueryDate           string
		StartDate           string
		Statistic           string
		Period              int
		RecentDatapoints    []float64
		Threshold           float64
		EvaluatedDatapoints []struct {
			Timestamp string
			Value     float64
		}
	}
	mustOK(t, json.Unmarshal([]byte(a.StateReasonData), &data))
	if data.Version != "1.0" || data.StartDate != "2026-03-01T11:59:00.000+0000" || data.QueryDate != "2026-03-01T12:00:00.000+0000" ||
		data.Statistic != "Sum" || data.Period != 60 || len(data.RecentDatapoints) != 1 || data.RecentDatapoints[0] != 5 ||
		len(data.EvaluatedDatapoints) != 1 || data.EvaluatedDatapoints[0].Timestamp != "2026-03-01T11:59:00.000+0000" {
		t.Errorf("reason data %s", a.StateReasonData)
	}
	if !strings.Contains(a.StateReasonData, `"threshold":0.0`) {
		t.Errorf("threshold not written as AWS does: %s", a.StateReasonData)
	}
	e.put(scopeA(), "App", "Errors", epoch().Add(30*time.Second), nil, 0)
	e.evalAt(time.Minute)
	a = e.describe(scopeA(), "errors")
	want = "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/03/26 12:00:00)] was not greater than the threshold (0.0) (minimum 1 datapoint for ALARM -> OK transition)."
	if a.StateValue != cloudwatch.StateOK || a.StateReason != want {
		t.Errorf("state %s, reason %q\nwant %q", a.StateValue, a.StateReason, want)
	}
	e.evalAt(2 * time.Minute) // no data in 12:01: missing → INSUFFICIENT_DATA
	a = e.describe(scopeA(), "errors")
	if a.StateValue != cloudwatch.StateInsufficientData || a.StateReason != "Insufficient Data: 1 datapoint was unknown." {
		t.Errorf("state %s, reason %q", a.StateValue, a.StateReason)
	}
}

// TestOperators: each operator, on a value below, at and above the
// threshold.
func TestOperators(t *testing.T) {
	for _, tc := range []struct {
		op   cloudwatch.ComparisonOperator
		want [3]cloudwatch.StateValue // value 4, 5, 6 against threshold 5
	}{
		{cloudwatch.GreaterThanThreshold, [3]cloudwatch.StateValue{"OK", "OK", "ALARM"}},
		{cloudwatch.GreaterThanOrEqualToThreshold, [3]cloudwatch.StateValue{"OK", "ALARM", "ALARM"}},
		{cloudwatch.LessThanThreshold, [3]cloudwatch.StateValue{"ALARM", "OK", "OK"}},
		{cloudwatch.LessThanOrEqualToThreshold, [3]cloudwatch.StateValue{"ALARM", "ALARM", "OK"}},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			e := newEnv(t)
			for i, v := range []float64{4, 5, 6} {
				in := basicAlarm(fmt.Sprint("v", v))
				in.MetricName = fmt.Sprint("m", i)
				in.Threshold = ptr(5.0)
				in.ComparisonOperator = tc.op
				e.putAlarm(scopeA(), in)
				e.put(scopeA(), "App", in.MetricName, epoch().Add(-time.Second), nil, v)
			}
			e.evalAt(0)
			for i, v := range []float64{4, 5, 6} {
				if got := e.describe(scopeA(), fmt.Sprint("v", v)).StateValue; got != tc.want[i] {
					t.Errorf("value %v: %s, want %s", v, got, tc.want[i])
				}
			}
		})
	}
}

// TestMissingDataTable: AWS's table of a 3-out-of-5 alarm ("Configuring
// how CloudWatch alarms treat missing data"): 0 is a datapoint within the
// threshold, X one breaching it, - a missing one; oldest first. "retain"
// means the state the alarm had (OK here).
func TestMissingDataTable(t *testing.T) {
	rows := []struct {
		points string
		want   map[string]string // mode → state
	}{
		{"0 - X - X", map[string]string{"missing": "OK", "ignore": "OK", "breaching": "ALARM", "notBreaching": "OK"}},
		{"- - - - 0", map[string]string{"missing": "OK", "ignore": "OK", "breaching": "OK", "notBreaching": "OK"}},
		{"- - - - -", map[string]string{"missing": "INSUFFICIENT_DATA", "ignore": "retain", "breaching": "ALARM", "notBreaching": "OK"}},
		{"0 X X - X", map[string]string{"missing": "ALARM", "ignore": "ALARM", "breaching": "ALARM", "notBreaching": "ALARM"}},
		{"- - X - -", map[string]string{"missing": "ALARM", "ignore": "retain", "breaching": "ALARM", "notBreaching": "OK"}},
	}
	for _, row := range rows {
		for _, mode := range []string{"missing", "ignore", "breaching", "notBreaching"} {
			t.Run(row.points+"/"+mode, func(t *testing.T) {
				e := newEnv(t)
				in := basicAlarm("a")
				in.EvaluationPeriods, in.DatapointsToAlarm = 5, 3
				in.Threshold = ptr(5.0)
				in.TreatMissingData = mode
				e.putAlarm(scopeA(), in)
				_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: cloudwatch.StateOK, StateReason: "start"})
				mustOK(t, err)
				for i, p := range strings.Fields(row.points) {
					at := epoch().Add(time.Duration(i-5) * time.Minute)
					switch p {
					case "0":
						e.put(scopeA(), "App", "Errors", at, nil, 1)
					case "X":
						e.put(scopeA(), "App", "Errors", at, nil, 10)
					}
				}
				e.evalAt(0)
				want := row.want[mode]
				a := e.describe(scopeA(), "a")
				if want == "retain" {
					if a.StateValue != cloudwatch.StateOK || a.StateReason != "start" {
						t.Errorf("state %s (%s), want it kept", a.StateValue, a.StateReason)
					}
					return
				}
				if string(a.StateValue) != want {
					t.Errorf("state %s (%s), want %s", a.StateValue, a.StateReason, want)
				}
			})
		}
	}
}

// TestMOutOfN: a 2-out-of-3 alarm over a series of minutes, and the
// reason naming the breaching datapoints, newest first.
func TestMOutOfN(t *testing.T) {
	e := newEnv(t)
	in := basicAlarm("a")
	in.EvaluationPeriods, in.DatapointsToAlarm = 3, 2
	in.Threshold = ptr(5.0)
	e.putAlarm(scopeA(), in)
	values := []float64{9, 1, 1, 9, 1, 9, 9, 1, 1}
	// The window after minute i is minutes i-2..i; a missing-mode alarm
	// with fewer present points than M goes to ALARM when every present
	// point breaches (the first window).
	want := []cloudwatch.StateValue{"ALARM" /*- - 9*/, "OK" /*- 9 1*/, "OK" /*9 1 1*/, "OK" /*1 1 9*/, "OK", /*1 9 1*/
		"ALARM" /*9 1 9*/, "ALARM" /*1 9 9*/, "ALARM" /*9 9 1*/, "OK" /*9 1 1*/}
	for i, v := range values {
		e.put(scopeA(), "App", "Errors", epoch().Add(time.Duration(i)*time.Minute+time.Second), nil, v)
		e.evalAt(time.Duration(i+1) * time.Minute)
		a := e.describe(scopeA(), "a")
		if a.StateValue != want[i] {
			t.Errorf("after minute %d (%v): %s, want %s", i, values[:i+1], a.StateValue, want[i])
		}
		if i == 5 && !strings.HasPrefix(a.StateReason, "Threshold Crossed: 2 out of the last 3 datapoints [9.0 (01/03/26 12:05:00), 9.0 (01/03/26 12:03:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).") {
			t.Errorf("reason %q", a.StateReason)
		}
	}
}

// TestActionsOncePerTransition: actions run once per state change, for the
// state entered; failures are recorded; repeated evaluations in the same
// state run nothing, except scaling policies, which repeat once a minute
// while in ALARM.
func TestActionsOncePerTransition(t *testing.T) {
	e := newEnv(t)
	policy := "arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:5b5a:resource/lambda/function:f:live:policyName/up"
	in := basicAlarm("a")
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:page", policy}
	in.OKActions = []string{"arn:aws:sns:us-east-1:111111111111:calm"}
	in.InsufficientDataActions = []string{"arn:aws:sns:us-east-1:111111111111:unknown"}
	in.TreatMissingData = cloudwatch.MissingDataBreaching
	e.sink.fail["arn:aws:sns:us-east-1:111111111111:page"] = true
	e.putAlarm(scopeA(), in)
	e.evalAt(0) // missing is breaching: ALARM
	e.evalAt(0) // same minute again: nothing
	got := e.sink.got()
	if len(got) != 2 || got[0].State != cloudwatch.StateAlarm || got[0].Previous != cloudwatch.StateInsufficientData || got[1].ActionARN != policy || got[1].Repeat {
		t.Fatalf("first transition: %+v", got)
	}
	e.sink.reset()
	e.evalAt(time.Minute)
	e.evalAt(time.Minute + 30*time.Second)
	got = e.sink.got()
	if len(got) != 1 || got[0].ActionARN != policy || !got[0].Repeat {
		t.Errorf("while in ALARM: %+v", got)
	}
	e.sink.reset()
	e.put(scopeA(), "App", "Errors", epoch().Add(2*time.Minute), nil, 0)
	e.evalAt(3 * time.Minute)
	e.evalAt(3*time.Minute + time.Second)
	got = e.sink.got()
	if len(got) != 1 || got[0].ActionARN != in.OKActions[0] || got[0].State != cloudwatch.StateOK || got[0].Previous != cloudwatch.StateAlarm {
		t.Errorf("to OK: %+v", got)
	}
	h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cloudwatch.HistoryAction, ScanBy: cloudwatch.ScanByTimestampAscending})
	if len(h) != 3 || !strings.HasPrefix(h[0].HistorySummary, `Failed to execute action arn:aws:sns:us-east-1:111111111111:page. Received error: "policy not found"`) ||
		h[1].HistorySummary != "Successfully executed action "+policy || h[2].HistorySummary != "Successfully executed action "+in.OKActions[0] {
		t.Errorf("action history: %+v", h)
	}
	if st := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cloudwatch.HistoryStateUpdate}); len(st) != 2 {
		t.Errorf("state history: %+v", st)
	}
}

// TestNoSinkRecordsFailure: without an ActionSink every action is recorded
// as not taken.
func TestNoSinkRecordsFailure(t *testing.T) {
	e := newEnv(t, func(o *cloudwatch.Options) { o.Actions = nil })
	in := basicAlarm("a")
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:t"}
	e.putAlarm(scopeA(), in)
	_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: cloudwatch.StateAlarm, StateReason: "r"})
	mustOK(t, err)
	h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cloudwatch.HistoryAction})
	if len(h) != 1 || !strings.HasPrefix(h[0].HistorySummary, "Failed to execute action arn:aws:sns:us-east-1:111111111111:t") {
		t.Errorf("history: %+v", h)
	}
}

// TestMetricMathAlarm: an alarm on an expression over two metrics, and a
// percentile alarm.
func TestMetricMathAlarm(t *testing.T) {
	e := newEnv(t)
	e.putAlarm(scopeA(), cloudwatch.PutMetricAlarmInput{AlarmName: "error-rate", EvaluationPeriods: 1, Threshold: ptr(10.0),
		ComparisonOperator: cloudwatch.GreaterThanThreshold, Metrics: []cloudwatch.MetricDataQuery{
			stat("errors", "Errors", "Sum"), stat("calls", "Invocations", "Sum"),
			{Id: "rate", Expression: "100 * errors / calls", Label: "Error rate"},
		}})
	in := basicAlarm("p90")
	in.MetricName, in.Statistic, in.ExtendedStatistic = "Duration", "", "p90"
	in.Threshold = ptr(100.0)
	e.putAlarm(scopeA(), in)
	at := epoch().Add(-time.Minute)
	e.put(scopeA(), "App", "Errors", at, nil, 3)
	e.put(scopeA(), "App", "Invocations", at, nil, 20)
	vals := make([]float64, 100)
	for i := range vals {
		vals[i] = float64(i + 1) // p90 = 90
	}
	e.put(scopeA(), "App", "Duration", at, nil, vals...)
	e.evalAt(0)
	if a := e.describe(scopeA(), "error-rate"); a.StateValue != cloudwatch.StateAlarm || !strings.Contains(a.StateReason, "[15.0 (01/03/26 11:59:00)]") {
		t.Errorf("error rate: %s %q", a.StateValue, a.StateReason)
	}
	if a := e.describe(scopeA(), "p90"); a.StateValue != cloudwatch.StateOK {
		t.Errorf("p90: %s %q", a.StateValue, a.StateReason)
	}
}

// TestEvaluatorLoop: with the evaluator on, a new alarm is evaluated at
// once, and an alarm changes state at the next minute of the clock without
// anyone calling EvaluateAlarms.
func TestEvaluatorLoop(t *testing.T) {
	e := newEnv(t, func(o *cloudwatch.Options) { o.EvaluationInterval = 0 })
	e.clock.Advance(10 * time.Second)
	e.put(scopeA(), "App", "Errors", epoch().Add(-30*time.Second), nil, 5)
	e.putAlarm(scopeA(), basicAlarm("a"))
	// PutMetricAlarm asks for an evaluation at once: no clock tick needed.
	deadline := time.Now().Add(10 * time.Second)
	for e.describe(scopeA(), "a").StateValue != cloudwatch.StateAlarm {
		if time.Now().After(deadline) {
			t.Fatal("PutMetricAlarm did not evaluate the new alarm")
		}
		time.Sleep(time.Millisecond)
	}
	_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: cloudwatch.StateOK, StateReason: "r"})
	mustOK(t, err)
	// At the next minute the evaluator overrides the set state: the data
	// has aged out of the window (missing), so INSUFFICIENT_DATA.
	for e.describe(scopeA(), "a").StateValue != cloudwatch.StateInsufficientData {
		if time.Now().After(deadline) {
			t.Fatal("the evaluator never moved the alarm to INSUFFICIENT_DATA")
		}
		e.clock.Advance(10 * time.Second)
		time.Sleep(time.Millisecond)
	}
}
