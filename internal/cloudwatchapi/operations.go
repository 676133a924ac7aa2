package cloudwatchapi

import (
	"maps"
	"slices"
	"strconv"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// Operations names the operations served, sorted.
func Operations() []string {
	return slices.Sorted(maps.Keys(operations((*cloudwatch.Service)(nil))))
}

// operations is the operation table: each operation's required-member
// check and translation in, the domain's method, and translation out.
func operations(d Domain) map[string]awsproto.Operation {
	return map[string]awsproto.Operation{
		"PutMetricData":           op(putMetricDataIn, d.PutMetricData, none[cloudwatch.PutMetricDataOutput]),
		"GetMetricStatistics":     op(getMetricStatisticsIn, d.GetMetricStatistics, getMetricStatisticsOut),
		"GetMetricData":           op(getMetricDataIn, d.GetMetricData, getMetricDataOut),
		"ListMetrics":             op(listMetricsIn, d.ListMetrics, listMetricsOut),
		"PutMetricAlarm":          op(putMetricAlarmIn, d.PutMetricAlarm, none[cloudwatch.PutMetricAlarmOutput]),
		"DescribeAlarms":          op(describeAlarmsIn, d.DescribeAlarms, describeAlarmsOut),
		"DescribeAlarmsForMetric": op(describeAlarmsForMetricIn, d.DescribeAlarmsForMetric, describeAlarmsForMetricOut),
		"DeleteAlarms": op(func(w *alarmNamesInput) (cloudwatch.DeleteAlarmsInput, error) {
			return cloudwatch.DeleteAlarmsInput{AlarmNames: w.AlarmNames}, w.check()
		}, d.DeleteAlarms, none[cloudwatch.DeleteAlarmsOutput]),
		"DescribeAlarmHistory": op(describeAlarmHistoryIn, d.DescribeAlarmHistory, describeAlarmHistoryOut),
		"SetAlarmState":        op(setAlarmStateIn, d.SetAlarmState, none[cloudwatch.SetAlarmStateOutput]),
		"EnableAlarmActions": op(func(w *alarmNamesInput) (cloudwatch.EnableAlarmActionsInput, error) {
			return cloudwatch.EnableAlarmActionsInput{AlarmNames: w.AlarmNames}, w.check()
		}, d.EnableAlarmActions, none[cloudwatch.EnableAlarmActionsOutput]),
		"DisableAlarmActions": op(func(w *alarmNamesInput) (cloudwatch.DisableAlarmActionsInput, error) {
			return cloudwatch.DisableAlarmActionsInput{AlarmNames: w.AlarmNames}, w.check()
		}, d.DisableAlarmActions, none[cloudwatch.DisableAlarmActionsOutput]),
		"TagResource":         op(tagResourceIn, d.TagResource, none[cloudwatch.TagResourceOutput]),
		"UntagResource":       op(untagResourceIn, d.UntagResource, none[cloudwatch.UntagResourceOutput]),
		"ListTagsForResource": op(listTagsForResourceIn, d.ListTagsForResource, listTagsForResourceOut),
	}
}

// required collects the first missing required member, named as the query
// protocol names it (MetricData.member.2.MetricName).
type required struct{ missing string }

func (r *required) need(ok bool, name string) {
	if !ok && r.missing == "" {
		r.missing = name
	}
}

func (r *required) err() error {
	if r.missing == "" {
		return nil
	}
	return &cloudwatch.Error{Code: cloudwatch.CodeMissingParameter, Message: "The parameter " + r.missing + " is required."}
}

func member(list string, i int) string { return list + ".member." + strconv.Itoa(i+1) }

func (r *required) dimensions(list string, ds []dimension) {
	for i, d := range ds {
		r.need(d.Name != "", member(list, i)+".Name")
		r.need(d.Value != "", member(list, i)+".Value")
	}
}

func (r *required) data(list string, ms []metricDatum) {
	for i, m := range ms {
		name := member(list, i)
		r.need(m.MetricName != "", name+".MetricName")
		r.dimensions(name+".Dimensions", m.Dimensions)
		if s := m.StatisticValues; s != nil {
			r.need(s.SampleCount != nil, name+".StatisticValues.SampleCount")
			r.need(s.Sum != nil, name+".StatisticValues.Sum")
			r.need(s.Minimum != nil, name+".StatisticValues.Minimum")
			r.need(s.Maximum != nil, name+".StatisticValues.Maximum")
		}
	}
}

func (r *required) queries(list string, qs []metricDataQuery) {
	for i, q := range qs {
		name := member(list, i)
		r.need(q.Id != "", name+".Id")
		if ms := q.MetricStat; ms != nil {
			r.need(ms.Metric != nil, name+".MetricStat.Metric")
			r.need(ms.Period != nil, name+".MetricStat.Period")
			r.need(ms.Stat != "", name+".MetricStat.Stat")
			if ms.Metric != nil {
				r.dimensions(name+".MetricStat.Metric.Dimensions", ms.Metric.Dimensions)
			}
		}
	}
}

func (r *required) tags(list string, ts []tag) {
	for i, t := range ts {
		r.need(t.Key != "", member(list, i)+".Key") // an empty Value is a value
	}
}

// putMetricDataIn takes EntityMetricData's metrics as metrics of the
// namespace (their entity is not kept).
func putMetricDataIn(w *putMetricDataInput) (cloudwatch.PutMetricDataInput, error) {
	var r required
	r.need(w.Namespace != "", "Namespace")
	r.data("MetricData", w.MetricData)
	for i, e := range w.EntityMetricData {
		r.data(member("EntityMetricData", i)+".MetricData", e.MetricData)
	}
	if err := r.err(); err != nil {
		return cloudwatch.PutMetricDataInput{}, err
	}
	in := cloudwatch.PutMetricDataInput{Namespace: w.Namespace}
	for _, m := range w.MetricData {
		in.MetricData = append(in.MetricData, datumIn(m))
	}
	for _, e := range w.EntityMetricData {
		for _, m := range e.MetricData {
			in.MetricData = append(in.MetricData, datumIn(m))
		}
	}
	return in, nil
}

func getMetricStatisticsIn(w *getMetricStatisticsInput) (cloudwatch.GetMetricStatisticsInput, error) {
	var r required
	r.need(w.Namespace != "", "Namespace")
	r.need(w.MetricName != "", "MetricName")
	r.need(w.StartTime != nil, "StartTime")
	r.need(w.EndTime != nil, "EndTime")
	r.need(w.Period != nil, "Period")
	r.dimensions("Dimensions", w.Dimensions)
	return cloudwatch.GetMetricStatisticsInput{
		Namespace: w.Namespace, MetricName: w.MetricName, Dimensions: dimensionsIn(w.Dimensions),
		StartTime: timeOf(w.StartTime), EndTime: timeOf(w.EndTime), Period: int32Of(w.Period),
		Statistics: statisticsIn(w.Statistics), ExtendedStatistics: w.ExtendedStatistics, Unit: cloudwatch.Unit(w.Unit),
	}, r.err()
}

func getMetricStatisticsOut(o cloudwatch.GetMetricStatisticsOutput) *getMetricStatisticsOutput {
	out := &getMetricStatisticsOutput{Label: o.Label, Datapoints: make([]datapoint, len(o.Datapoints))}
	for i, d := range o.Datapoints {
		out.Datapoints[i] = datapoint{Timestamp: stamp(d.Timestamp), SampleCount: d.SampleCount, Average: d.Average,
			Sum: d.Sum, Minimum: d.Minimum, Maximum: d.Maximum, Unit: string(d.Unit), ExtendedStatistics: d.ExtendedStatistics}
	}
	return out
}

func getMetricDataIn(w *getMetricDataInput) (cloudwatch.GetMetricDataInput, error) {
	var r required
	r.need(w.MetricDataQueries != nil, "MetricDataQueries")
	r.need(w.StartTime != nil, "StartTime")
	r.need(w.EndTime != nil, "EndTime")
	r.queries("MetricDataQueries", w.MetricDataQueries)
	in := cloudwatch.GetMetricDataInput{
		MetricDataQueries: queriesIn(w.MetricDataQueries), StartTime: timeOf(w.StartTime), EndTime: timeOf(w.EndTime),
		NextToken: w.NextToken, ScanBy: w.ScanBy, MaxDatapoints: int32Of(w.MaxDatapoints),
	}
	if w.LabelOptions != nil {
		in.LabelOptions = &cloudwatch.LabelOptions{Timezone: w.LabelOptions.Timezone}
	}
	return in, r.err()
}

func getMetricDataOut(o cloudwatch.GetMetricDataOutput) *getMetricDataOutput {
	out := &getMetricDataOutput{MetricDataResults: make([]metricDataResult, len(o.MetricDataResults)),
		NextToken: o.NextToken, Messages: messagesOut(o.Messages)}
	for i, res := range o.MetricDataResults {
		ts := make([]awsproto.Timestamp, len(res.Timestamps))
		for j, t := range res.Timestamps {
			ts[j] = awsproto.NewTimestamp(t)
		}
		out.MetricDataResults[i] = metricDataResult{Id: res.Id, Label: res.Label, Timestamps: ts,
			Values: orEmpty(res.Values), StatusCode: res.StatusCode, Messages: messagesOut(res.Messages)}
	}
	return out
}

func listMetricsIn(w *listMetricsInput) (cloudwatch.ListMetricsInput, error) {
	var r required
	in := cloudwatch.ListMetricsInput{Namespace: w.Namespace, MetricName: w.MetricName, NextToken: w.NextToken,
		RecentlyActive: w.RecentlyActive, IncludeLinkedAccounts: w.IncludeLinkedAccounts != nil && *w.IncludeLinkedAccounts,
		OwningAccount: w.OwningAccount}
	for i, f := range w.Dimensions {
		r.need(f.Name != "", member("Dimensions", i)+".Name")
		in.Dimensions = append(in.Dimensions, cloudwatch.DimensionFilter{Name: f.Name, Value: f.Value})
	}
	return in, r.err()
}

func listMetricsOut(o cloudwatch.ListMetricsOutput) *listMetricsOutput {
	out := &listMetricsOutput{Metrics: make([]metric, len(o.Metrics)), NextToken: o.NextToken, OwningAccounts: o.OwningAccounts}
	for i, m := range o.Metrics {
		out.Metrics[i] = metricOut(m)
	}
	return out
}

func putMetricAlarmIn(w *putMetricAlarmInput) (cloudwatch.PutMetricAlarmInput, error) {
	var r required
	r.need(w.AlarmName != "", "AlarmName")
	r.dimensions("Dimensions", w.Dimensions)
	r.queries("Metrics", w.Metrics)
	r.tags("Tags", w.Tags)
	if err := r.err(); err != nil {
		return cloudwatch.PutMetricAlarmInput{}, err
	}
	if w.EvaluationCriteria != nil || w.EvaluationInterval != nil {
		return cloudwatch.PutMetricAlarmInput{}, &cloudwatch.Error{Code: cloudwatch.CodeInvalidParameterValue,
			Message: "Reservoir evaluates metric alarms only: EvaluationCriteria and EvaluationInterval (PromQL alarms) are not supported."}
	}
	return cloudwatch.PutMetricAlarmInput{
		AlarmName: w.AlarmName, AlarmDescription: w.AlarmDescription, ActionsEnabled: w.ActionsEnabled,
		OKActions: w.OKActions, AlarmActions: w.AlarmActions, InsufficientDataActions: w.InsufficientDataActions,
		MetricName: w.MetricName, Namespace: w.Namespace, Statistic: cloudwatch.Statistic(w.Statistic),
		ExtendedStatistic: w.ExtendedStatistic, Dimensions: dimensionsIn(w.Dimensions), Period: int32Of(w.Period),
		Unit: cloudwatch.Unit(w.Unit), EvaluationPeriods: int32Of(w.EvaluationPeriods), DatapointsToAlarm: int32Of(w.DatapointsToAlarm),
		Threshold: w.Threshold, ComparisonOperator: cloudwatch.ComparisonOperator(w.ComparisonOperator),
		TreatMissingData: w.TreatMissingData, EvaluateLowSampleCountPercentile: w.EvaluateLowSampleCountPercentile,
		Metrics: queriesIn(w.Metrics), Tags: tagsIn(w.Tags), ThresholdMetricId: w.ThresholdMetricId,
	}, nil
}

func describeAlarmsIn(w *describeAlarmsInput) (cloudwatch.DescribeAlarmsInput, error) {
	return cloudwatch.DescribeAlarmsInput{
		AlarmNames: w.AlarmNames, AlarmNamePrefix: w.AlarmNamePrefix, AlarmTypes: w.AlarmTypes,
		ChildrenOfAlarmName: w.ChildrenOfAlarmName, ParentsOfAlarmName: w.ParentsOfAlarmName,
		StateValue: cloudwatch.StateValue(w.StateValue), ActionPrefix: w.ActionPrefix,
		MaxRecords: int32Of(w.MaxRecords), NextToken: w.NextToken,
	}, nil
}

func describeAlarmsOut(o cloudwatch.DescribeAlarmsOutput) *describeAlarmsOutput {
	return &describeAlarmsOutput{CompositeAlarms: []compositeAlarm{}, MetricAlarms: alarmsOut(o.MetricAlarms), NextToken: o.NextToken}
}

func describeAlarmsForMetricIn(w *describeAlarmsForMetricInput) (cloudwatch.DescribeAlarmsForMetricInput, error) {
	var r required
	r.need(w.MetricName != "", "MetricName")
	r.need(w.Namespace != "", "Namespace")
	r.dimensions("Dimensions", w.Dimensions)
	return cloudwatch.DescribeAlarmsForMetricInput{
		MetricName: w.MetricName, Namespace: w.Namespace, Statistic: cloudwatch.Statistic(w.Statistic),
		ExtendedStatistic: w.ExtendedStatistic, Dimensions: dimensionsIn(w.Dimensions), Period: int32Of(w.Period),
		Unit: cloudwatch.Unit(w.Unit),
	}, r.err()
}

func describeAlarmsForMetricOut(o cloudwatch.DescribeAlarmsForMetricOutput) *describeAlarmsForMetricOutput {
	return &describeAlarmsForMetricOutput{MetricAlarms: alarmsOut(o.MetricAlarms)}
}

func (w *alarmNamesInput) check() error {
	var r required
	r.need(w.AlarmNames != nil, "AlarmNames")
	return r.err()
}

func describeAlarmHistoryIn(w *describeAlarmHistoryInput) (cloudwatch.DescribeAlarmHistoryInput, error) {
	return cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: w.AlarmName, AlarmTypes: w.AlarmTypes, HistoryItemType: cloudwatch.HistoryItemType(w.HistoryItemType),
		StartDate: timeOf(w.StartDate), EndDate: timeOf(w.EndDate), MaxRecords: int32Of(w.MaxRecords),
		NextToken: w.NextToken, ScanBy: w.ScanBy,
	}, nil
}

func describeAlarmHistoryOut(o cloudwatch.DescribeAlarmHistoryOutput) *describeAlarmHistoryOutput {
	out := &describeAlarmHistoryOutput{AlarmHistoryItems: make([]alarmHistoryItem, len(o.AlarmHistoryItems)), NextToken: o.NextToken}
	for i, h := range o.AlarmHistoryItems {
		out.AlarmHistoryItems[i] = alarmHistoryItem{AlarmName: h.AlarmName, AlarmType: h.AlarmType, Timestamp: stamp(h.Timestamp),
			HistoryItemType: string(h.HistoryItemType), HistorySummary: h.HistorySummary, HistoryData: h.HistoryData}
	}
	return out
}

func setAlarmStateIn(w *setAlarmStateInput) (cloudwatch.SetAlarmStateInput, error) {
	var r required
	r.need(w.AlarmName != "", "AlarmName")
	r.need(w.StateValue != "", "StateValue")
	r.need(w.StateReason != "", "StateReason")
	return cloudwatch.SetAlarmStateInput{AlarmName: w.AlarmName, StateValue: cloudwatch.StateValue(w.StateValue),
		StateReason: w.StateReason, StateReasonData: w.StateReasonData}, r.err()
}

func tagResourceIn(w *tagResourceInput) (cloudwatch.TagResourceInput, error) {
	var r required
	r.need(w.ResourceARN != "", "ResourceARN")
	r.need(w.Tags != nil, "Tags")
	r.tags("Tags", w.Tags)
	return cloudwatch.TagResourceInput{ResourceARN: w.ResourceARN, Tags: tagsIn(w.Tags)}, r.err()
}

func untagResourceIn(w *untagResourceInput) (cloudwatch.UntagResourceInput, error) {
	var r required
	r.need(w.ResourceARN != "", "ResourceARN")
	r.need(w.TagKeys != nil, "TagKeys")
	return cloudwatch.UntagResourceInput{ResourceARN: w.ResourceARN, TagKeys: w.TagKeys}, r.err()
}

func listTagsForResourceIn(w *listTagsForResourceInput) (cloudwatch.ListTagsForResourceInput, error) {
	var r required
	r.need(w.ResourceARN != "", "ResourceARN")
	return cloudwatch.ListTagsForResourceInput{ResourceARN: w.ResourceARN}, r.err()
}

func listTagsForResourceOut(o cloudwatch.ListTagsForResourceOutput) *listTagsForResourceOutput {
	out := &listTagsForResourceOutput{Tags: make([]tag, len(o.Tags))}
	for i, t := range o.Tags {
		out.Tags[i] = tag{Key: t.Key, Value: t.Value}
	}
	return out
}
