package cloudwatch_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// basicAlarm is an alarm on App/Errors Sum > 0 over one minute.
func basicAlarm(name string) cloudwatch.PutMetricAlarmInput {
	return cloudwatch.PutMetricAlarmInput{AlarmName: name, Namespace: "App", MetricName: "Errors", Statistic: cloudwatch.StatSum,
		Period: 60, EvaluationPeriods: 1, Threshold: ptr(0.0), ComparisonOperator: cloudwatch.GreaterThanThreshold}
}

func (e *env) putAlarm(scope cloudwatch.Scope, in cloudwatch.PutMetricAlarmInput) {
	e.t.Helper()
	if _, err := e.svc.PutMetricAlarm(e.ctx, scope, in); err != nil {
		e.t.Fatalf("PutMetricAlarm(%s): %v", in.AlarmName, err)
	}
}

func (e *env) describe(scope cloudwatch.Scope, name string) cloudwatch.MetricAlarm {
	e.t.Helper()
	out, err := e.svc.DescribeAlarms(e.ctx, scope, cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		e.t.Fatalf("DescribeAlarms(%s) = %+v, %v", name, out, err)
	}
	return out.MetricAlarms[0]
}

func (e *env) history(scope cloudwatch.Scope, in cloudwatch.DescribeAlarmHistoryInput) []cloudwatch.AlarmHistoryItem {
	e.t.Helper()
	out, err := e.svc.DescribeAlarmHistory(e.ctx, scope, in)
	if err != nil {
		e.t.Fatalf("DescribeAlarmHistory: %v", err)
	}
	return out.AlarmHistoryItems
}

func TestPutMetricAlarmCreatesAndUpdates(t *testing.T) {
	e := newEnv(t)
	in := basicAlarm("errors")
	in.AlarmDescription = "any error"
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:t"}
	in.Dimensions = []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}
	in.Tags = []cloudwatch.Tag{{Key: "team", Value: "core"}}
	in.TreatMissingData = cloudwatch.MissingDataNotBreaching
	e.putAlarm(scopeA(), in)
	a := e.describe(scopeA(), "errors")
	if a.StateValue != cloudwatch.StateInsufficientData || a.StateReason != "Unchecked: Initial alarm creation" ||
		a.AlarmArn != "arn:aws:cloudwatch:us-east-1:111111111111:alarm:errors" || !a.ActionsEnabled || a.AlarmDescription != "any error" ||
		*a.Threshold != 0 || a.TreatMissingData != "notBreaching" || !a.StateUpdatedTimestamp.Equal(epoch()) ||
		!a.AlarmConfigurationUpdatedTimestamp.Equal(epoch()) || len(a.Dimensions) != 1 {
		t.Errorf("new alarm: %+v", a)
	}
	h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{AlarmName: "errors"})
	if len(h) != 1 || h[0].HistoryItemType != cloudwatch.HistoryConfigurationUpdate || h[0].HistorySummary != `Alarm "errors" created` || !json.Valid([]byte(h[0].HistoryData)) {
		t.Errorf("history: %+v", h)
	}

	// An update keeps the state and the tags, whatever Tags says.
	_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "errors", StateValue: cloudwatch.StateOK, StateReason: "testing"})
	mustOK(t, err)
	e.clock.Advance(time.Minute)
	in.Threshold = ptr(3.0)
	in.Tags = []cloudwatch.Tag{{Key: "other", Value: "x"}}
	e.putAlarm(scopeA(), in)
	a = e.describe(scopeA(), "errors")
	if a.StateValue != cloudwatch.StateOK || *a.Threshold != 3 || !a.AlarmConfigurationUpdatedTimestamp.Equal(epoch().Add(time.Minute)) {
		t.Errorf("updated alarm: %+v", a)
	}
	tags, err := e.svc.ListTagsForResource(e.ctx, scopeA(), cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	mustOK(t, err)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "team" {
		t.Errorf("tags after update: %+v", tags.Tags)
	}
	h = e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{AlarmName: "errors", HistoryItemType: cloudwatch.HistoryConfigurationUpdate})
	if len(h) != 2 || h[0].HistorySummary != `Alarm "errors" updated` {
		t.Errorf("history after update: %+v", h)
	}
}

func TestPutMetricAlarmErrors(t *testing.T) {
	e := newEnv(t, func(o *cloudwatch.Options) { o.MaxAlarms = 1 })
	for _, tc := range []struct {
		name string
		mod  func(in *cloudwatch.PutMetricAlarmInput)
		code cloudwatch.ErrorCode
		frag string
	}{
		{"no name", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmName = "" }, cloudwatch.CodeMissingParameter, "The parameter AlarmName is required."},
		{"no evaluation periods", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = 0 }, cloudwatch.CodeMissingParameter, "EvaluationPeriods"},
		{"no operator", func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = "" }, cloudwatch.CodeMissingParameter, "ComparisonOperator"},
		{"bad operator", func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = "Above" }, cloudwatch.CodeInvalidParameterValue, "enum"},
		{"anomaly operator", func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = cloudwatch.GreaterThanUpperThreshold },
			cloudwatch.CodeInvalidParameterValue, "Anomaly detection"},
		{"threshold metric", func(in *cloudwatch.PutMetricAlarmInput) { in.ThresholdMetricId = "ad1" }, cloudwatch.CodeInvalidParameterValue, "Anomaly detection"},
		{"no threshold", func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = nil }, cloudwatch.CodeMissingParameter, "Threshold"},
		{"two statistics", func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = "p99" }, cloudwatch.CodeInvalidParameterCombination, "Statistic"},
		{"no statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "" }, cloudwatch.CodeInvalidParameterCombination, "Statistic"},
		{"bad percentile", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic, in.ExtendedStatistic = "", "p200" }, cloudwatch.CodeInvalidParameterValue, "p200"},
		{"M above N", func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = 2 }, cloudwatch.CodeInvalidParameterValue, "DatapointsToAlarm"},
		{"missing data mode", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = "sometimes" }, cloudwatch.CodeInvalidParameterValue, "TreatMissingData"},
		{"period", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = 61 }, cloudwatch.CodeInvalidParameterValue, "Period"},
		{"no period", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = 0 }, cloudwatch.CodeMissingParameter, "Period"},
		{"too long", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = 10081 }, cloudwatch.CodeInvalidParameterValue, "604800"},
		{"six actions", func(in *cloudwatch.PutMetricAlarmInput) { in.OKActions = make([]string, 6) }, cloudwatch.CodeInvalidParameterValue, "oKActions"},
		{"metrics and name", func(in *cloudwatch.PutMetricAlarmInput) {
			in.Metrics = []cloudwatch.MetricDataQuery{{Id: "e", Expression: "1"}}
		}, cloudwatch.CodeInvalidParameterCombination, "mutually exclusive"},
		{"two returned", func(in *cloudwatch.PutMetricAlarmInput) {
			*in = cloudwatch.PutMetricAlarmInput{AlarmName: "x", EvaluationPeriods: 1, Threshold: ptr(1.0), ComparisonOperator: cloudwatch.GreaterThanThreshold,
				Metrics: []cloudwatch.MetricDataQuery{stat("a", "a", "Sum"), {Id: "b", Expression: "a", Period: 60}, {Id: "c", Expression: "a", Period: 60}}}
		}, cloudwatch.CodeInvalidParameterValue, "ReturnData"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := basicAlarm("x")
			tc.mod(&in)
			_, err := e.svc.PutMetricAlarm(e.ctx, scopeA(), in)
			wantCode(t, err, tc.code, "")
			if err != nil && !strings.Contains(err.Error(), tc.frag) {
				t.Errorf("%v does not mention %q", err, tc.frag)
			}
		})
	}
	e.putAlarm(scopeA(), basicAlarm("one"))
	_, err := e.svc.PutMetricAlarm(e.ctx, scopeA(), basicAlarm("two"))
	wantCode(t, err, cloudwatch.CodeLimitExceeded, "")
	e.putAlarm(scopeA(), basicAlarm("one")) // an update is not a new alarm
	e.putAlarm(scopeB(), basicAlarm("two")) // the limit is per scope
}

func TestDescribeAlarms(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		in := basicAlarm(fmt.Sprintf("app-%d", i))
		if i%2 == 0 {
			in.OKActions = []string{"arn:aws:sns:us-east-1:111111111111:ok"}
		}
		if i == 3 {
			in.Dimensions = []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}
			in.Statistic, in.ExtendedStatistic = "", "p99"
		}
		e.putAlarm(scopeA(), in)
	}
	e.putAlarm(scopeA(), basicAlarm("zzz"))
	e.putAlarm(scopeB(), basicAlarm("app-b"))
	_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "app-1", StateValue: cloudwatch.StateAlarm, StateReason: "x"})
	mustOK(t, err)
	names := func(in cloudwatch.DescribeAlarmsInput) string {
		out, err := e.svc.DescribeAlarms(e.ctx, scopeA(), in)
		mustOK(t, err)
		var n []string
		for _, a := range out.MetricAlarms {
			n = append(n, a.AlarmName)
		}
		return strings.Join(n, ",") + "|" + out.NextToken
	}
	if got := names(cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: "app-"}); got != "app-0,app-1,app-2,app-3,app-4,app-5,app-6|" {
		t.Errorf("prefix: %s", got)
	}
	if got := names(cloudwatch.DescribeAlarmsInput{StateValue: cloudwatch.StateAlarm}); got != "app-1|" {
		t.Errorf("ALARM: %s", got)
	}
	if got := names(cloudwatch.DescribeAlarmsInput{ActionPrefix: "arn:aws:sns:us-east-1:111111111111:o"}); got != "app-0,app-2,app-4,app-6|" {
		t.Errorf("action prefix: %s", got)
	}
	if got := names(cloudwatch.DescribeAlarmsInput{AlarmTypes: []string{cloudwatch.AlarmTypeComposite}}); got != "|" {
		t.Errorf("composite: %s", got)
	}
	if got := names(cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"zzz", "missing", "app-6"}}); got != "app-6,zzz|" {
		t.Errorf("names: %s", got)
	}
	// Paging by MaxRecords.
	all := ""
	tok := ""
	for {
		out, err := e.svc.DescribeAlarms(e.ctx, scopeA(), cloudwatch.DescribeAlarmsInput{MaxRecords: 3, NextToken: tok})
		mustOK(t, err)
		if len(out.MetricAlarms) > 3 {
			t.Fatalf("page of %d", len(out.MetricAlarms))
		}
		for _, a := range out.MetricAlarms {
			all += a.AlarmName + " "
		}
		if tok = out.NextToken; tok == "" {
			break
		}
	}
	if all != "app-0 app-1 app-2 app-3 app-4 app-5 app-6 zzz " {
		t.Errorf("pages: %s", all)
	}
	_, err = e.svc.DescribeAlarms(e.ctx, scopeA(), cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: "a"})
	wantCode(t, err, cloudwatch.CodeInvalidParameterCombination, "")
	_, err = e.svc.DescribeAlarms(e.ctx, scopeA(), cloudwatch.DescribeAlarmsInput{NextToken: "x"})
	wantCode(t, err, cloudwatch.CodeInvalidNextToken, "")

	out, err := e.svc.DescribeAlarmsForMetric(e.ctx, scopeA(), cloudwatch.DescribeAlarmsForMetricInput{Namespace: "App", MetricName: "Errors",
		Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}})
	mustOK(t, err)
	if len(out.MetricAlarms) != 1 || out.MetricAlarms[0].AlarmName != "app-3" {
		t.Errorf("for metric with dimensions: %+v", out.MetricAlarms)
	}
	out, err = e.svc.DescribeAlarmsForMetric(e.ctx, scopeA(), cloudwatch.DescribeAlarmsForMetricInput{Namespace: "App", MetricName: "Errors", Statistic: cloudwatch.StatSum})
	mustOK(t, err)
	if len(out.MetricAlarms) != 7 {
		t.Errorf("for metric with Sum: %d alarms", len(out.MetricAlarms))
	}
	_, err = e.svc.DescribeAlarmsForMetric(e.ctx, scopeA(), cloudwatch.DescribeAlarmsForMetricInput{Namespace: "App"})
	wantCode(t, err, cloudwatch.CodeMissingParameter, "The parameter MetricName is required.")
}

func TestDeleteAlarms(t *testing.T) {
	e := newEnv(t)
	e.putAlarm(scopeA(), basicAlarm("a"))
	e.putAlarm(scopeA(), basicAlarm("b"))
	_, err := e.svc.DeleteAlarms(e.ctx, scopeA(), cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "nope"}})
	wantCode(t, err, cloudwatch.CodeResourceNotFound, "1 of the alarm names could not be found")
	e.describe(scopeA(), "a") // nothing was deleted
	_, err = e.svc.DeleteAlarms(e.ctx, scopeB(), cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a"}})
	wantCode(t, err, cloudwatch.CodeResourceNotFound, "")
	_, err = e.svc.DeleteAlarms(e.ctx, scopeA(), cloudwatch.DeleteAlarmsInput{})
	wantCode(t, err, cloudwatch.CodeMissingParameter, "The parameter AlarmNames is required.")
	_, err = e.svc.DeleteAlarms(e.ctx, scopeA(), cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "b", "a"}})
	mustOK(t, err)
	out, err := e.svc.DescribeAlarms(e.ctx, scopeA(), cloudwatch.DescribeAlarmsInput{})
	mustOK(t, err)
	if len(out.MetricAlarms) != 0 {
		t.Errorf("left: %+v", out.MetricAlarms)
	}
	// The history of a deleted alarm stays, with its deletion.
	h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{AlarmName: "a"})
	if len(h) != 2 || h[0].HistorySummary != `Alarm "a" deleted` {
		t.Errorf("history: %+v", h)
	}
}

func TestEnableDisableActions(t *testing.T) {
	e := newEnv(t)
	in := basicAlarm("a")
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:t"}
	e.putAlarm(scopeA(), in)
	_, err := e.svc.DisableAlarmActions(e.ctx, scopeA(), cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"a", "missing"}})
	mustOK(t, err)
	if e.describe(scopeA(), "a").ActionsEnabled {
		t.Error("still enabled")
	}
	_, err = e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: cloudwatch.StateAlarm, StateReason: "r"})
	mustOK(t, err)
	if got := e.sink.got(); len(got) != 0 {
		t.Errorf("disabled alarm ran %+v", got)
	}
	_, err = e.svc.EnableAlarmActions(e.ctx, scopeA(), cloudwatch.EnableAlarmActionsInput{AlarmNames: []string{"a"}})
	mustOK(t, err)
	if !e.describe(scopeA(), "a").ActionsEnabled {
		t.Error("not enabled")
	}
	_, err = e.svc.EnableAlarmActions(e.ctx, scopeA(), cloudwatch.EnableAlarmActionsInput{})
	wantCode(t, err, cloudwatch.CodeMissingParameter, "")
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.putAlarm(scopeA(), basicAlarm("a"))
	arn := scopeA().AlarmARN("a")
	_, err := e.svc.TagResource(e.ctx, scopeA(), cloudwatch.TagResourceInput{ResourceARN: arn, Tags: []cloudwatch.Tag{{Key: "k1", Value: "v1"}, {Key: "k2", Value: "v2"}}})
	mustOK(t, err)
	_, err = e.svc.TagResource(e.ctx, scopeA(), cloudwatch.TagResourceInput{ResourceARN: arn, Tags: []cloudwatch.Tag{{Key: "k1", Value: "new"}}})
	mustOK(t, err)
	_, err = e.svc.UntagResource(e.ctx, scopeA(), cloudwatch.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"k2", "absent"}})
	mustOK(t, err)
	out, err := e.svc.ListTagsForResource(e.ctx, scopeA(), cloudwatch.ListTagsForResourceInput{ResourceARN: arn})
	mustOK(t, err)
	if len(out.Tags) != 1 || out.Tags[0] != (cloudwatch.Tag{Key: "k1", Value: "new"}) {
		t.Errorf("tags: %+v", out.Tags)
	}
	_, err = e.svc.ListTagsForResource(e.ctx, scopeA(), cloudwatch.ListTagsForResourceInput{ResourceARN: scopeA().AlarmARN("nope")})
	wantCode(t, err, cloudwatch.CodeResourceNotFoundException, "")
	_, err = e.svc.ListTagsForResource(e.ctx, scopeB(), cloudwatch.ListTagsForResourceInput{ResourceARN: arn})
	wantCode(t, err, cloudwatch.CodeResourceNotFoundException, "")
	_, err = e.svc.TagResource(e.ctx, scopeA(), cloudwatch.TagResourceInput{ResourceARN: "not-an-arn", Tags: []cloudwatch.Tag{{Key: "k", Value: "v"}}})
	wantCode(t, err, cloudwatch.CodeInvalidParameterValue, "")
	many := make([]cloudwatch.Tag, 50)
	for i := range many {
		many[i] = cloudwatch.Tag{Key: fmt.Sprint("t", i)}
	}
	_, err = e.svc.TagResource(e.ctx, scopeA(), cloudwatch.TagResourceInput{ResourceARN: arn, Tags: many})
	wantCode(t, err, cloudwatch.CodeInvalidParameterValue, "")
}

func TestSetAlarmStateAndHistory(t *testing.T) {
	e := newEnv(t)
	in := basicAlarm("a")
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:alarm"}
	in.OKActions = []string{"arn:aws:sns:us-east-1:111111111111:ok"}
	e.putAlarm(scopeA(), in)
	set := func(state cloudwatch.StateValue) {
		t.Helper()
		e.clock.Advance(time.Second)
		_, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: state, StateReason: "manual " + string(state),
			StateReasonData: `{"why":"test"}`})
		mustOK(t, err)
	}
	set(cloudwatch.StateAlarm)
	set(cloudwatch.StateAlarm) // no transition: no action
	set(cloudwatch.StateOK)
	a := e.describe(scopeA(), "a")
	if a.StateValue != cloudwatch.StateOK || a.StateReason != "manual OK" || a.StateReasonData != `{"why":"test"}` ||
		!a.StateTransitionedTimestamp.Equal(epoch().Add(3*time.Second)) {
		t.Errorf("alarm: %+v", a)
	}
	got := e.sink.got()
	if len(got) != 2 || got[0].ActionARN != in.AlarmActions[0] || got[0].State != cloudwatch.StateAlarm || got[0].Previous != cloudwatch.StateInsufficientData ||
		got[1].ActionARN != in.OKActions[0] || got[1].AlarmARN != scopeA().AlarmARN("a") {
		t.Errorf("actions: %+v", got)
	}
	h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{AlarmName: "a", HistoryItemType: cloudwatch.HistoryStateUpdate, ScanBy: cloudwatch.ScanByTimestampAscending})
	if len(h) != 2 || h[0].HistorySummary != "Alarm updated from INSUFFICIENT_DATA to ALARM" || h[1].HistorySummary != "Alarm updated from ALARM to OK" {
		t.Fatalf("state history: %+v", h)
	}
	var doc struct {
		OldState struct{ StateValue string }
		NewState struct {
			StateValue      string
			StateReasonData map[string]string
		}
	}
	mustOK(t, json.Unmarshal([]byte(h[1].HistoryData), &doc))
	if doc.OldState.StateValue != "ALARM" || doc.NewState.StateValue != "OK" || doc.NewState.StateReasonData["why"] != "test" {
		t.Errorf("history data %s", h[1].HistoryData)
	}
	acts := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cloudwatch.HistoryAction})
	if len(acts) != 2 || acts[0].HistorySummary != "Successfully executed action arn:aws:sns:us-east-1:111111111111:ok" {
		t.Errorf("action history: %+v", acts)
	}
	// Newest first by default; dates bound the scan; pages of MaxRecords.
	all := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{})
	if len(all) != 5 || all[0].Timestamp.Before(all[4].Timestamp) {
		t.Errorf("all history: %+v", all)
	}
	if got := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{StartDate: epoch().Add(time.Second), EndDate: epoch().Add(2 * time.Second)}); len(got) != 2 {
		t.Errorf("[1s, 2s]: %+v", got)
	}
	out, err := e.svc.DescribeAlarmHistory(e.ctx, scopeA(), cloudwatch.DescribeAlarmHistoryInput{MaxRecords: 3})
	mustOK(t, err)
	out2, err := e.svc.DescribeAlarmHistory(e.ctx, scopeA(), cloudwatch.DescribeAlarmHistoryInput{MaxRecords: 3, NextToken: out.NextToken})
	mustOK(t, err)
	if len(out.AlarmHistoryItems) != 3 || len(out2.AlarmHistoryItems) != 2 || out2.NextToken != "" || out2.AlarmHistoryItems[1] != all[4] {
		t.Errorf("pages: %d %d", len(out.AlarmHistoryItems), len(out2.AlarmHistoryItems))
	}
	if got := e.history(scopeB(), cloudwatch.DescribeAlarmHistoryInput{}); len(got) != 0 {
		t.Errorf("scope B sees %+v", got)
	}

	_, err = e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "nope", StateValue: cloudwatch.StateOK, StateReason: "r"})
	wantCode(t, err, cloudwatch.CodeResourceNotFound, "")
	_, err = e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: cloudwatch.StateOK, StateReason: "r", StateReasonData: "{"})
	wantCode(t, err, cloudwatch.CodeInvalidFormat, "")
	_, err = e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: "a", StateValue: "BROKEN", StateReason: "r"})
	wantCode(t, err, cloudwatch.CodeInvalidParameterValue, "")
}
