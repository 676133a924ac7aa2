package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/dashboard"
	"github.com/reservoir-dev/reservoir/internal/logs"
)

// dashboardTimeline gives the dashboard a function's scaling activities
// (Application Auto Scaling) and the state changes of the alarms on its
// metrics (CloudWatch), read in process.
type dashboardTimeline struct {
	as *autoscaling.Service
	cw *cloudwatch.Service
}

// timelinePages bounds the pages one timeline reads from each service.
const timelinePages = 20

func (t dashboardTimeline) Timeline(ctx context.Context, ar dashboard.AccountRegion, function string, since time.Time) ([]dashboard.TimelineEvent, error) {
	var out []dashboard.TimelineEvent
	sc := autoscaling.Scope{Account: ar.Account, Region: ar.Region}
	fifty := 50
	in := autoscaling.DescribeActivitiesInput{Namespace: autoscaling.NamespaceLambda, Dimension: autoscaling.DimensionLambdaPC,
		PageInput: autoscaling.PageInput{MaxResults: &fifty}}
	for range timelinePages {
		acts, next, err := t.as.DescribeScalingActivities(ctx, sc, in)
		if err != nil {
			return out, err
		}
		for _, a := range acts {
			if a.Resource.Function == function && !a.Start.Before(since) {
				out = append(out, dashboard.TimelineEvent{Time: a.Start.UTC(), Kind: dashboard.TimelineScaling,
					Qualifier: a.Resource.Qualifier, Name: a.ID, Text: a.Description, State: a.Status})
			}
		}
		if next == "" {
			break
		}
		in.NextToken = next
	}
	cs := cloudwatch.Scope{Account: ar.Account, Region: ar.Region}
	var alarms []string
	din := cloudwatch.DescribeAlarmsInput{MaxRecords: 100}
	for range timelinePages {
		res, err := t.cw.DescribeAlarms(ctx, cs, din)
		if err != nil {
			return out, err
		}
		for _, a := range res.MetricAlarms {
			if slices.Contains(a.Dimensions, cloudwatch.Dimension{Name: "FunctionName", Value: function}) {
				alarms = append(alarms, a.AlarmName)
			}
		}
		if res.NextToken == "" {
			break
		}
		din.NextToken = res.NextToken
	}
	for _, name := range alarms {
		hist, err := t.cw.DescribeAlarmHistory(ctx, cs, cloudwatch.DescribeAlarmHistoryInput{AlarmName: name,
			HistoryItemType: cloudwatch.HistoryStateUpdate, StartDate: since, MaxRecords: 100})
		if err != nil {
			return out, err
		}
		for _, h := range hist.AlarmHistoryItems {
			out = append(out, dashboard.TimelineEvent{Time: h.Timestamp.UTC(), Kind: dashboard.TimelineAlarm, Name: h.AlarmName,
				Text: h.HistorySummary, State: alarmNewState(h.HistoryData)})
		}
	}
	slices.SortStableFunc(out, func(a, b dashboard.TimelineEvent) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// alarmNewState reads newState.stateValue from a StateUpdate item's data.
func alarmNewState(data string) string {
	var d struct {
		NewState struct {
			StateValue string `json:"stateValue"`
		} `json:"newState"`
	}
	_ = json.Unmarshal([]byte(data), &d)
	return d.NewState.StateValue
}

// dashboardLogs gives the dashboard a log group's latest lines from
// CloudWatch Logs, in process.
type dashboardLogs struct{ l *logs.Service }

// logPages bounds the pages one look-up reads.
const logPages = 50

func (d dashboardLogs) Recent(ctx context.Context, ar dashboard.AccountRegion, group string, since time.Time, limit int) ([]dashboard.LogLine, error) {
	start := since.UnixMilli()
	in := logs.FilterLogEventsInput{Group: group, StartTime: &start}
	var out []dashboard.LogLine
	for range logPages {
		res, err := d.l.FilterLogEvents(ctx, logs.Scope{Account: ar.Account, Region: ar.Region}, in)
		if e := (*logs.Error)(nil); errors.As(err, &e) && e.Code == logs.CodeResourceNotFound {
			return nil, nil // a function that never ran has no group yet
		}
		if err != nil {
			return nil, err
		}
		for _, e := range res.Events {
			out = append(out, dashboard.LogLine{Time: time.UnixMilli(e.Timestamp).UTC(), Stream: e.StreamName, Message: e.Message})
		}
		if len(out) > limit {
			out = slices.Delete(out, 0, len(out)-limit)
		}
		if res.NextToken == "" {
			break
		}
		in.NextToken = res.NextToken
	}
	slices.SortStableFunc(out, func(a, b dashboard.LogLine) int { return cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()) })
	return out, nil
}
