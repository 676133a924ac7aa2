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

// recentStreams bounds the streams one look-up reads: the ones written
// last, each read backwards from its end.
const recentStreams = 50

// Recent reads backwards from now: the group's streams written since
// since, latest first, and each one's last limit events; so the cost is
// the streams' count times limit, not the 15 minutes' volume.
func (d dashboardLogs) Recent(ctx context.Context, ar dashboard.AccountRegion, group string, since time.Time, limit int) ([]dashboard.LogLine, error) {
	sc := logs.Scope{Account: ar.Account, Region: ar.Region}
	n := recentStreams
	streams, err := d.l.DescribeLogStreams(ctx, sc, logs.DescribeLogStreamsInput{Group: group, OrderBy: logs.OrderByLastEventTime,
		Descending: true, Limit: &n})
	if e := (*logs.Error)(nil); errors.As(err, &e) && e.Code == logs.CodeResourceNotFound {
		return nil, nil // a function that never ran has no group yet
	}
	if err != nil {
		return nil, err
	}
	start := since.UnixMilli()
	var out []dashboard.LogLine
	for _, st := range streams.Streams {
		if st.LastEventTimestamp == nil || *st.LastEventTimestamp < start {
			break // the rest were written before since
		}
		res, err := d.l.GetLogEvents(ctx, sc, logs.GetLogEventsInput{Group: group, Stream: st.Name, StartTime: &start, Limit: &limit})
		if err != nil {
			return nil, err
		}
		for _, e := range res.Events {
			out = append(out, dashboard.LogLine{Time: time.UnixMilli(e.Timestamp).UTC(), Stream: st.Name, Message: e.Message})
		}
	}
	slices.SortStableFunc(out, func(a, b dashboard.LogLine) int { return cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()) })
	return out[max(0, len(out)-limit):], nil
}
