package cloudwatchapi

import (
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// The wire shapes of CloudWatch 2010-08-01, with botocore's member names:
// a field's name is its member name (json tags only add omitempty), which
// JSON, CBOR and the query protocol all read. Required numbers, booleans
// and times are pointers, so that absent is not zero; required strings and
// lists are absent when empty (strings) or nil (lists). Outputs leave out
// what AWS leaves out: empty optional strings, unset numbers and times.

type dimension struct {
	Name  string
	Value string
}

type statisticSet struct {
	SampleCount *float64
	Sum         *float64
	Minimum     *float64
	Maximum     *float64
}

type metricDatum struct {
	MetricName        string
	Dimensions        []dimension
	Timestamp         *awsproto.Timestamp
	Value             *float64
	StatisticValues   *statisticSet
	Values            []float64
	Counts            []float64
	Unit              string
	StorageResolution *int32
}

// entity is the entity EntityMetricData's metrics are about; Reservoir
// stores the metrics and not the entity.
type entity struct {
	KeyAttributes map[string]string
	Attributes    map[string]string
}

type entityMetricData struct {
	Entity     *entity
	MetricData []metricDatum
}

type putMetricDataInput struct {
	Namespace              string
	MetricData             []metricDatum
	EntityMetricData       []entityMetricData
	StrictEntityValidation *bool
}

type getMetricStatisticsInput struct {
	Namespace          string
	MetricName         string
	Dimensions         []dimension
	StartTime          *awsproto.Timestamp
	EndTime            *awsproto.Timestamp
	Period             *int32
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

type datapoint struct {
	Timestamp          awsproto.Timestamp `json:",omitzero"`
	SampleCount        *float64           `json:",omitempty"`
	Average            *float64           `json:",omitempty"`
	Sum                *float64           `json:",omitempty"`
	Minimum            *float64           `json:",omitempty"`
	Maximum            *float64           `json:",omitempty"`
	Unit               string             `json:",omitempty"`
	ExtendedStatistics map[string]float64 `json:",omitempty"`
}

type getMetricStatisticsOutput struct {
	Label      string
	Datapoints []datapoint
}

type metric struct {
	Namespace  string      `json:",omitempty"`
	MetricName string      `json:",omitempty"`
	Dimensions []dimension `json:",omitempty"`
}

type metricStat struct {
	Metric *metric
	Period *int32
	Stat   string
	Unit   string `json:",omitempty"`
}

type metricDataQuery struct {
	Id         string
	MetricStat *metricStat `json:",omitempty"`
	Expression string      `json:",omitempty"`
	Label      string      `json:",omitempty"`
	ReturnData *bool       `json:",omitempty"`
	Period     *int32      `json:",omitempty"`
	AccountId  string      `json:",omitempty"`
}

type labelOptions struct {
	Timezone string
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery
	StartTime         *awsproto.Timestamp
	EndTime           *awsproto.Timestamp
	NextToken         string
	ScanBy            string
	MaxDatapoints     *int32
	LabelOptions      *labelOptions
}

type messageData struct {
	Code  string `json:",omitempty"`
	Value string `json:",omitempty"`
}

type metricDataResult struct {
	Id         string
	Label      string `json:",omitempty"`
	Timestamps []awsproto.Timestamp
	Values     []float64
	StatusCode string        `json:",omitempty"`
	Messages   []messageData `json:",omitempty"`
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult
	NextToken         string        `json:",omitempty"`
	Messages          []messageData `json:",omitempty"`
}

type dimensionFilter struct {
	Name  string
	Value string `json:",omitempty"`
}

type listMetricsInput struct {
	Namespace             string
	MetricName            string
	Dimensions            []dimensionFilter
	NextToken             string
	RecentlyActive        string
	IncludeLinkedAccounts *bool
	OwningAccount         string
}

type listMetricsOutput struct {
	Metrics        []metric
	NextToken      string   `json:",omitempty"`
	OwningAccounts []string `json:",omitempty"`
}

type tag struct {
	Key   string
	Value string
}

type putMetricAlarmInput struct {
	AlarmName                        string
	AlarmDescription                 string
	ActionsEnabled                   *bool
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	MetricName                       string
	Namespace                        string
	Statistic                        string
	ExtendedStatistic                string
	Dimensions                       []dimension
	Period                           *int32
	Unit                             string
	EvaluationPeriods                *int32
	DatapointsToAlarm                *int32
	Threshold                        *float64
	ComparisonOperator               string
	TreatMissingData                 string
	EvaluateLowSampleCountPercentile string
	Metrics                          []metricDataQuery
	Tags                             []tag
	ThresholdMetricId                string
	// EvaluationCriteria (PromQL alarms) and EvaluationInterval are
	// refused: Reservoir evaluates metric alarms only.
	EvaluationCriteria *struct{} `json:",omitempty"`
	EvaluationInterval *int32    `json:",omitempty"`
}

type metricAlarm struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string             `json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp awsproto.Timestamp `json:",omitzero"`
	ActionsEnabled                     bool
	OKActions                          []string
	AlarmActions                       []string
	InsufficientDataActions            []string
	StateValue                         string
	StateReason                        string             `json:",omitempty"`
	StateReasonData                    string             `json:",omitempty"`
	StateUpdatedTimestamp              awsproto.Timestamp `json:",omitzero"`
	MetricName                         string             `json:",omitempty"`
	Namespace                          string             `json:",omitempty"`
	Statistic                          string             `json:",omitempty"`
	ExtendedStatistic                  string             `json:",omitempty"`
	Dimensions                         []dimension
	Period                             int32              `json:",omitempty"`
	Unit                               string             `json:",omitempty"`
	EvaluationPeriods                  int32              `json:",omitempty"`
	DatapointsToAlarm                  int32              `json:",omitempty"`
	Threshold                          *float64           `json:",omitempty"`
	ComparisonOperator                 string             `json:",omitempty"`
	TreatMissingData                   string             `json:",omitempty"`
	EvaluateLowSampleCountPercentile   string             `json:",omitempty"`
	Metrics                            []metricDataQuery  `json:",omitempty"`
	ThresholdMetricId                  string             `json:",omitempty"`
	EvaluationState                    string             `json:",omitempty"`
	StateTransitionedTimestamp         awsproto.Timestamp `json:",omitzero"`
}

type describeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          string
	ActionPrefix        string
	MaxRecords          *int32
	NextToken           string
}

// compositeAlarm stands for the composite alarms Reservoir has none of.
type compositeAlarm struct{}

type describeAlarmsOutput struct {
	CompositeAlarms []compositeAlarm
	MetricAlarms    []metricAlarm
	NextToken       string `json:",omitempty"`
}

type describeAlarmsForMetricInput struct {
	MetricName        string
	Namespace         string
	Statistic         string
	ExtendedStatistic string
	Dimensions        []dimension
	Period            *int32
	Unit              string
}

type describeAlarmsForMetricOutput struct {
	MetricAlarms []metricAlarm
}

type alarmNamesInput struct {
	AlarmNames []string
}

type describeAlarmHistoryInput struct {
	AlarmName          string
	AlarmContributorId string
	AlarmTypes         []string
	HistoryItemType    string
	StartDate          *awsproto.Timestamp
	EndDate            *awsproto.Timestamp
	MaxRecords         *int32
	NextToken          string
	ScanBy             string
}

type alarmHistoryItem struct {
	AlarmName       string
	AlarmType       string             `json:",omitempty"`
	Timestamp       awsproto.Timestamp `json:",omitzero"`
	HistoryItemType string
	HistorySummary  string
	HistoryData     string `json:",omitempty"`
}

type describeAlarmHistoryOutput struct {
	AlarmHistoryItems []alarmHistoryItem
	NextToken         string `json:",omitempty"`
}

type setAlarmStateInput struct {
	AlarmName       string
	StateValue      string
	StateReason     string
	StateReasonData string
}

type tagResourceInput struct {
	ResourceARN string
	Tags        []tag
}

type untagResourceInput struct {
	ResourceARN string
	TagKeys     []string
}

type listTagsForResourceInput struct {
	ResourceARN string
}

type listTagsForResourceOutput struct {
	Tags []tag
}

// empty is the output of the operations without one.
type empty struct{}

// Conversions to the domain.

func timeOf(t *awsproto.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func int32Of(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func dimensionsIn(ds []dimension) []cloudwatch.Dimension {
	if ds == nil {
		return nil
	}
	out := make([]cloudwatch.Dimension, len(ds))
	for i, d := range ds {
		out[i] = cloudwatch.Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

func datumIn(d metricDatum) cloudwatch.MetricDatum {
	out := cloudwatch.MetricDatum{
		MetricName: d.MetricName, Dimensions: dimensionsIn(d.Dimensions), Timestamp: timeOf(d.Timestamp),
		Value: d.Value, Values: d.Values, Counts: d.Counts, Unit: cloudwatch.Unit(d.Unit),
		StorageResolution: int32Of(d.StorageResolution),
	}
	if s := d.StatisticValues; s != nil {
		// validate has made sure every member is there.
		out.StatisticValues = &cloudwatch.StatisticSet{SampleCount: *s.SampleCount, Sum: *s.Sum, Minimum: *s.Minimum, Maximum: *s.Maximum}
	}
	return out
}

func statisticsIn(ss []string) []cloudwatch.Statistic {
	if ss == nil {
		return nil
	}
	out := make([]cloudwatch.Statistic, len(ss))
	for i, s := range ss {
		out[i] = cloudwatch.Statistic(s)
	}
	return out
}

func queriesIn(qs []metricDataQuery) []cloudwatch.MetricDataQuery {
	if qs == nil {
		return nil
	}
	out := make([]cloudwatch.MetricDataQuery, len(qs))
	for i, q := range qs {
		out[i] = cloudwatch.MetricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label,
			ReturnData: q.ReturnData, Period: int32Of(q.Period), AccountId: q.AccountId}
		if ms := q.MetricStat; ms != nil {
			// validate has made sure Metric and Period are there.
			out[i].MetricStat = &cloudwatch.MetricStat{
				Metric: cloudwatch.Metric{Namespace: ms.Metric.Namespace, MetricName: ms.Metric.MetricName, Dimensions: dimensionsIn(ms.Metric.Dimensions)},
				Period: *ms.Period, Stat: ms.Stat, Unit: cloudwatch.Unit(ms.Unit),
			}
		}
	}
	return out
}

func tagsIn(ts []tag) []cloudwatch.Tag {
	if ts == nil {
		return nil
	}
	out := make([]cloudwatch.Tag, len(ts))
	for i, t := range ts {
		out[i] = cloudwatch.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// Conversions from the domain.

// orEmpty is s, or an empty list for nil: lists AWS always returns.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func stamp(t time.Time) awsproto.Timestamp {
	if t.IsZero() {
		return awsproto.Timestamp{}
	}
	return awsproto.NewTimestamp(t)
}

func dimensionsOut(ds []cloudwatch.Dimension) []dimension {
	out := make([]dimension, len(ds))
	for i, d := range ds {
		out[i] = dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

func metricOut(m cloudwatch.Metric) metric {
	return metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: dimensionsOut(m.Dimensions)}
}

func queriesOut(qs []cloudwatch.MetricDataQuery) []metricDataQuery {
	if len(qs) == 0 {
		return nil
	}
	out := make([]metricDataQuery, len(qs))
	for i, q := range qs {
		out[i] = metricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData, AccountId: q.AccountId}
		if q.Period != 0 {
			p := q.Period
			out[i].Period = &p
		}
		if ms := q.MetricStat; ms != nil {
			m, p := metricOut(ms.Metric), ms.Period
			out[i].MetricStat = &metricStat{Metric: &m, Period: &p, Stat: ms.Stat, Unit: string(ms.Unit)}
		}
	}
	return out
}

func alarmOut(a cloudwatch.MetricAlarm) metricAlarm {
	return metricAlarm{
		AlarmName: a.AlarmName, AlarmArn: a.AlarmArn, AlarmDescription: a.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: stamp(a.AlarmConfigurationUpdatedTimestamp),
		ActionsEnabled:                     a.ActionsEnabled,
		OKActions:                          orEmpty(a.OKActions), AlarmActions: orEmpty(a.AlarmActions),
		InsufficientDataActions: orEmpty(a.InsufficientDataActions),
		StateValue:              string(a.StateValue), StateReason: a.StateReason, StateReasonData: a.StateReasonData,
		StateUpdatedTimestamp: stamp(a.StateUpdatedTimestamp),
		MetricName:            a.MetricName, Namespace: a.Namespace, Statistic: string(a.Statistic), ExtendedStatistic: a.ExtendedStatistic,
		Dimensions: dimensionsOut(a.Dimensions), Period: a.Period, Unit: string(a.Unit),
		EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm, Threshold: a.Threshold,
		ComparisonOperator: string(a.ComparisonOperator), TreatMissingData: a.TreatMissingData,
		EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile, Metrics: queriesOut(a.Metrics),
		ThresholdMetricId: a.ThresholdMetricId, EvaluationState: a.EvaluationState,
		StateTransitionedTimestamp: stamp(a.StateTransitionedTimestamp),
	}
}

func alarmsOut(as []cloudwatch.MetricAlarm) []metricAlarm {
	out := make([]metricAlarm, len(as))
	for i, a := range as {
		out[i] = alarmOut(a)
	}
	return out
}

func messagesOut(ms []cloudwatch.MessageData) []messageData {
	if len(ms) == 0 {
		return nil
	}
	out := make([]messageData, len(ms))
	for i, m := range ms {
		out[i] = messageData{Code: m.Code, Value: m.Value}
	}
	return out
}
