package cloudwatch_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// TestConcurrentUse runs publishers, PutMetricData, alarm writes and
// deletions, SetAlarmState and evaluations side by side (run it under
// -race): nothing is lost from the metric data, and every remaining
// alarm's history holds its creation.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				e.svc.Publish(scopeA(), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "Invocations", Timestamp: at,
					Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}}})
				e.put(scopeA(), "App", "Errors", at, nil, float64(w*100+i))
			}
		})
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("w%d-%d", w, i)
				if _, err := e.svc.PutMetricAlarm(e.ctx, scopeA(), basicAlarm(name)); err != nil {
					t.Error(err)
				}
				if _, err := e.svc.SetAlarmState(e.ctx, scopeA(), cloudwatch.SetAlarmStateInput{AlarmName: name, StateValue: cloudwatch.StateOK, StateReason: "r"}); err != nil {
					t.Error(err)
				}
				if i%2 == 1 {
					if _, err := e.svc.DeleteAlarms(e.ctx, scopeA(), cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := e.svc.EvaluateAlarms(e.ctx); err != nil {
				t.Error(err)
			}
			if err := e.svc.Flush(e.ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	mustOK(t, e.svc.Flush(e.ctx))
	for _, m := range []struct{ ns, name string }{{"AWS/Lambda", "Invocations"}, {"App", "Errors"}} {
		out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: m.ns, MetricName: m.name,
			StartTime: at, EndTime: epoch(), Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSampleCount}})
		mustOK(t, err)
		if len(out.Datapoints) != 1 || *out.Datapoints[0].SampleCount != 200 {
			t.Errorf("%s: %+v", m.name, out.Datapoints)
		}
	}
	out, err := e.svc.DescribeAlarms(e.ctx, scopeA(), cloudwatch.DescribeAlarmsInput{MaxRecords: 100})
	mustOK(t, err)
	if len(out.MetricAlarms) != 20 {
		t.Errorf("%d alarms left, want 20", len(out.MetricAlarms))
	}
	for _, a := range out.MetricAlarms {
		h := e.history(scopeA(), cloudwatch.DescribeAlarmHistoryInput{AlarmName: a.AlarmName, HistoryItemType: cloudwatch.HistoryConfigurationUpdate})
		if len(h) != 1 {
			t.Errorf("%s: %+v", a.AlarmName, h)
		}
	}
}
