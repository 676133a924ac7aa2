package cloudwatch_test

import (
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// TestSurvivesRestart: acknowledged metric data, published data flushed by
// Close, alarms with their state, tags and history are all there after a
// restart, and the evaluator picks up where it was.
func TestSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-time.Minute)
	e.put(scopeA(), "App", "Errors", at, []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}, 1, 2, 3)
	e.svc.Publish(scopeA(), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "Invocations", Timestamp: at, Unit: cloudwatch.UnitCount,
		Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 7, Minimum: 7, Maximum: 7}}})
	in := basicAlarm("a")
	in.Tags = []cloudwatch.Tag{{Key: "k", Value: "v"}}
	in.Dimensions = []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}
	e.putAlarm(scopeA(), in)
	e.evalAt(0)
	before := e.describe(scopeA(), "a")
	if before.StateValue != cloudwatch.StateAlarm {
		t.Fatalf("alarm before restart: %s", before.StateValue)
	}
	hist := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{})

	e.restart()
	after := e.describe(scopeA(), "a")
	if after.StateValue != before.StateValue || after.StateReason != before.StateReason || after.StateReasonData != before.StateReasonData ||
		!after.StateTransitionedTimestamp.Equal(before.StateTransitionedTimestamp) || *after.Threshold != 0 || after.AlarmArn != before.AlarmArn {
		t.Errorf("alarm after restart:\n%+v\nwant\n%+v", after, before)
	}
	tags, err := e.svc.ListTagsForResource(e.ctx, scopeA(), cloudwatch.ListTagsForResourceInput{ResourceARN: after.AlarmArn})
	mustOK(t, err)
	if len(tags.Tags) != 1 {
		t.Errorf("tags after restart: %+v", tags.Tags)
	}
	if h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{}); len(h) != len(hist) || h[0] != hist[0] {
		t.Errorf("history after restart: %d items, want %d", len(h), len(hist))
	}
	for _, name := range []string{"Errors", "Invocations"} {
		ns := "App"
		if name == "Invocations" {
			ns = "AWS/Lambda"
		}
		out, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Namespace: ns, MetricName: name})
		mustOK(t, err)
		if len(out.Metrics) != 1 {
			t.Errorf("%s not listed after restart", name)
		}
	}
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "AWS/Lambda", MetricName: "Invocations",
		StartTime: at, EndTime: epoch(), Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSum}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 7 {
		t.Errorf("published data after restart: %+v", out.Datapoints)
	}
	// Still breaching in the same minute: no second transition.
	e.evalAt(30 * time.Second)
	if h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cloudwatch.HistoryStateUpdate}); len(h) != 1 {
		t.Errorf("state changes after restart: %+v", h)
	}
}

// TestSweep: data older than the retention is deleted and its metrics are
// no longer listed; history older than its retention goes too; recent data
// stays.
func TestSweep(t *testing.T) {
	e := newEnv(t)
	e.put(scopeA(), "App", "old", epoch().Add(-13*24*time.Hour), nil, 1)
	e.put(scopeA(), "App", "both", epoch().Add(-13*24*time.Hour), nil, 1)
	e.put(scopeA(), "App", "both", epoch(), nil, 2)
	e.putAlarm(scopeA(), basicAlarm("a"))
	e.clock.Advance(3 * 24 * time.Hour)
	mustOK(t, e.svc.Sweep(e.ctx))
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "both",
		StartTime: epoch().Add(-14 * 24 * time.Hour), EndTime: epoch().Add(time.Hour), Period: 3600, Statistics: []cloudwatch.Statistic{cloudwatch.StatSum}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 2 {
		t.Errorf("both after the sweep: %+v", out.Datapoints)
	}
	series, err := e.store.LoadMetricSeries(e.ctx)
	mustOK(t, err)
	if len(series) != 1 || series[0].Key.MetricName != "both" {
		t.Errorf("stored series after the sweep: %+v", series)
	}
	if h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{}); len(h) != 1 {
		t.Errorf("history before its expiry: %+v", h)
	}
	e.clock.Advance(28 * 24 * time.Hour)
	mustOK(t, e.svc.Sweep(e.ctx))
	if h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{}); len(h) != 0 {
		t.Errorf("history after 31 days: %+v", h)
	}
	out2, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{})
	mustOK(t, err)
	if len(out2.Metrics) != 0 {
		t.Errorf("metrics after 31 days: %+v", out2.Metrics)
	}
}
