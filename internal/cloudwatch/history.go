package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// awsTime formats a time as CloudWatch's JSON documents (StateReasonData,
// HistoryData) do: 2026-05-12T19:30:00.000+0000.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// alarmDoc is an alarm as HistoryData shows it.
type alarmDoc struct {
	AlarmName               string           `json:"alarmName"`
	AlarmArn                string           `json:"alarmArn"`
	AlarmDescription        string           `json:"alarmDescription,omitempty"`
	ActionsEnabled          bool             `json:"actionsEnabled"`
	OKActions               []string         `json:"oKActions"`
	AlarmActions            []string         `json:"alarmActions"`
	InsufficientDataActions []string         `json:"insufficientDataActions"`
	MetricName              string           `json:"metricName,omitempty"`
	Namespace               string           `json:"namespace,omitempty"`
	Statistic               Statistic        `json:"statistic,omitempty"`
	ExtendedStatistic       string           `json:"extendedStatistic,omitempty"`
	Dimensions              []dimensionDoc   `json:"dimensions"`
	Period                  int32            `json:"period,omitempty"`
	Unit                    Unit             `json:"unit,omitempty"`
	EvaluationPeriods       int32            `json:"evaluationPeriods"`
	DatapointsToAlarm       int32            `json:"datapointsToAlarm,omitempty"`
	Threshold               float64          `json:"threshold"`
	ComparisonOperator      string           `json:"comparisonOperator"`
	TreatMissingData        string           `json:"treatMissingData,omitempty"`
	Metrics                 []map[string]any `json:"metrics"`
	StateValue              StateValue       `json:"stateValue"`
	ConfigurationUpdated    string           `json:"alarmConfigurationUpdatedTimestamp"`
}

type dimensionDoc struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func docOf(a *Alarm) alarmDoc {
	d := alarmDoc{
		AlarmName: a.AlarmName, AlarmArn: a.Scope.AlarmARN(a.AlarmName), AlarmDescription: a.AlarmDescription,
		ActionsEnabled: a.ActionsEnabled, OKActions: nonNil(a.OKActions), AlarmActions: nonNil(a.AlarmActions),
		InsufficientDataActions: nonNil(a.InsufficientDataActions), MetricName: a.MetricName, Namespace: a.Namespace,
		Statistic: a.Statistic, ExtendedStatistic: a.ExtendedStatistic, Dimensions: []dimensionDoc{}, Period: a.Period,
		Unit: a.Unit, EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm,
		ComparisonOperator: string(a.ComparisonOperator), TreatMissingData: a.TreatMissingData, Metrics: []map[string]any{},
		StateValue: a.StateValue, ConfigurationUpdated: awsTime(a.AlarmConfigurationUpdatedTimestamp),
	}
	if a.Threshold != nil {
		d.Threshold = *a.Threshold
	}
	for _, dim := range a.Dimensions {
		d.Dimensions = append(d.Dimensions, dimensionDoc(dim))
	}
	for _, q := range a.Metrics {
		m := map[string]any{"id": q.Id, "returnData": returnData(&q)}
		if q.Label != "" {
			m["label"] = q.Label
		}
		if q.Expression != "" {
			m["expression"] = q.Expression
		}
		if ms := q.MetricStat; ms != nil {
			dims := []dimensionDoc{}
			for _, dim := range ms.Metric.Dimensions {
				dims = append(dims, dimensionDoc(dim))
			}
			stat := map[string]any{"metric": map[string]any{"namespace": ms.Metric.Namespace, "metricName": ms.Metric.MetricName,
				"dimensions": dims}, "period": ms.Period, "stat": ms.Stat}
			if ms.Unit != "" {
				stat["unit"] = ms.Unit
			}
			m["metricStat"] = stat
		}
		d.Metrics = append(d.Metrics, m)
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cloudwatch: marshal %T: %v", v, err)) // only our own documents are marshaled
	}
	return string(b)
}

// configHistory is the ConfigurationUpdate item of an alarm's creation,
// update or deletion (kind "Create", "Update" or "Delete"). AWS's summaries;
// the HistoryData layout (type, version, createdAlarm / updatedAlarm /
// deletedAlarm) is chosen after AWS's.
func configHistory(a *Alarm, kind string, now time.Time) []HistoryRecord {
	verb := map[string]string{"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
	key := map[string]string{"Create": "createdAlarm", "Update": "updatedAlarm", "Delete": "deletedAlarm"}[kind]
	data := map[string]any{"version": "1.0", "type": kind, key: docOf(a)}
	return []HistoryRecord{{Scope: a.Scope, AlarmHistoryItem: AlarmHistoryItem{
		AlarmName: a.AlarmName, AlarmType: AlarmTypeMetric, Timestamp: now, HistoryItemType: HistoryConfigurationUpdate,
		HistorySummary: fmt.Sprintf("Alarm %q %s", a.AlarmName, verb), HistoryData: mustJSON(data),
	}}}
}

// stateHistory is the StateUpdate item of a state change.
func stateHistory(a *Alarm, old StateValue, oldReason string, now time.Time) HistoryRecord {
	newState := map[string]any{"stateValue": a.StateValue, "stateReason": a.StateReason}
	if a.StateReasonData != "" && json.Valid([]byte(a.StateReasonData)) {
		newState["stateReasonData"] = json.RawMessage(a.StateReasonData)
	}
	data := map[string]any{"version": "1.0", "oldState": map[string]any{"stateValue": old, "stateReason": oldReason}, "newState": newState}
	return HistoryRecord{Scope: a.Scope, AlarmHistoryItem: AlarmHistoryItem{
		AlarmName: a.AlarmName, AlarmType: AlarmTypeMetric, Timestamp: now, HistoryItemType: HistoryStateUpdate,
		HistorySummary: fmt.Sprintf("Alarm updated from %s to %s", old, a.StateValue), HistoryData: mustJSON(data),
	}}
}

// actionHistory is the Action item of one action: "Successfully executed
// action <arn>" or "Failed to execute action <arn>. Received error: "<err>""
// (chosen after AWS's SNS failures).
func actionHistory(act *AlarmAction, err error) HistoryRecord {
	data := map[string]any{"actionState": "Succeeded", "stateUpdateTimestamp": act.Timestamp.UnixMilli(), "notificationResource": act.ActionARN}
	summary := "Successfully executed action " + act.ActionARN
	if err != nil {
		data["actionState"] = "Failed"
		data["error"] = err.Error()
		summary = fmt.Sprintf("Failed to execute action %s. Received error: %q", act.ActionARN, err.Error())
		if len(summary) > 255 {
			summary = summary[:252] + "..."
		}
	}
	return HistoryRecord{Scope: act.Scope, AlarmHistoryItem: AlarmHistoryItem{
		AlarmName: act.AlarmName, AlarmType: AlarmTypeMetric, Timestamp: act.Timestamp, HistoryItemType: HistoryAction,
		HistorySummary: summary, HistoryData: mustJSON(data),
	}}
}

// DescribeAlarmHistory returns a scope's alarm history (kept 30 days, also
// for deleted alarms), newest first unless ScanBy is TimestampAscending,
// filtered by AlarmName, HistoryItemType, StartDate and EndDate (both
// inclusive), MaxRecords (default 100) a page.
func (s *Service) DescribeAlarmHistory(ctx context.Context, scope Scope, in DescribeAlarmHistoryInput) (DescribeAlarmHistoryOutput, error) {
	var v violations
	if in.AlarmName != "" {
		v.checkLen("alarmName", in.AlarmName, 1, maxNameLen)
	}
	switch in.HistoryItemType {
	case "", HistoryConfigurationUpdate, HistoryStateUpdate, HistoryAction, "AlarmContributorStateUpdate", "AlarmContributorAction":
	default:
		v.add("historyItemType", cEnum, "ConfigurationUpdate, StateUpdate, Action, AlarmContributorStateUpdate, AlarmContributorAction")
	}
	if in.ScanBy != "" && in.ScanBy != ScanByTimestampAscending && in.ScanBy != ScanByTimestampDescending {
		v.add("scanBy", cEnum, "TimestampDescending, TimestampAscending")
	}
	if in.MaxRecords < 0 {
		v.add("maxRecords", cMinValue, 1)
	} else if in.MaxRecords > 100 {
		v.add("maxRecords", cMaxValue, 100)
	}
	for i, t := range in.AlarmTypes {
		if t != AlarmTypeMetric && t != AlarmTypeComposite {
			v.add(fmt.Sprintf("alarmTypes.member.%d", i+1), cEnum, "CompositeAlarm, MetricAlarm")
		}
	}
	if err := v.err(); err != nil {
		return DescribeAlarmHistoryOutput{}, err
	}
	offset := 0
	if in.NextToken != "" {
		n, ok := decodeToken("dah", in.NextToken)
		if !ok {
			return DescribeAlarmHistoryOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
		}
		offset = n
	}
	limit := int(in.MaxRecords)
	if limit == 0 {
		limit = 100
	}
	out := DescribeAlarmHistoryOutput{AlarmHistoryItems: []AlarmHistoryItem{}}
	if len(in.AlarmTypes) > 0 && !contains(in.AlarmTypes, AlarmTypeMetric) {
		return out, nil
	}
	from, to := in.StartDate, in.EndDate
	// The store keys history by nanoseconds since the epoch: clamp the
	// range to what an int64 of nanoseconds holds.
	if lo := time.Unix(0, math.MinInt64); from.IsZero() || from.Before(lo) {
		from = lo
	}
	if hi := time.Unix(0, math.MaxInt64); to.IsZero() || to.After(hi) {
		to = hi
	}
	skipped, more := 0, false
	err := s.store.ScanAlarmHistory(ctx, scope, from, to, in.ScanBy != ScanByTimestampAscending, func(h HistoryRecord) bool {
		if in.AlarmName != "" && h.AlarmName != in.AlarmName || in.HistoryItemType != "" && h.HistoryItemType != in.HistoryItemType {
			return true
		}
		if skipped < offset {
			skipped++
			return true
		}
		if len(out.AlarmHistoryItems) == limit {
			more = true
			return false
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, h.AlarmHistoryItem)
		return true
	})
	if err != nil {
		return DescribeAlarmHistoryOutput{}, err
	}
	if skipped < offset {
		return DescribeAlarmHistoryOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
	}
	if more {
		out.NextToken = encodeToken("dah", offset+limit)
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
