package cloudwatch

import "time"

// This file holds every operation's input and output, with CloudWatch's
// member names (botocore's model, 2010-08-01) as field names. Optional
// numbers and booleans whose absence means something are pointers; an absent
// string, list or time is its zero value.

// Statistic is one of the model's five statistics.
type Statistic string

// The model's Statistic enum.
const (
	StatSampleCount Statistic = "SampleCount"
	StatAverage     Statistic = "Average"
	StatSum         Statistic = "Sum"
	StatMinimum     Statistic = "Minimum"
	StatMaximum     Statistic = "Maximum"
)

// StateValue is an alarm's state.
type StateValue string

// The model's StateValue enum.
const (
	StateOK               StateValue = "OK"
	StateAlarm            StateValue = "ALARM"
	StateInsufficientData StateValue = "INSUFFICIENT_DATA"
)

// ComparisonOperator compares an alarm's datapoints with its threshold.
type ComparisonOperator string

// The model's ComparisonOperator enum. The last three compare with an
// anomaly detection band (ThresholdMetricId), which Reservoir refuses.
const (
	GreaterThanOrEqualToThreshold            ComparisonOperator = "GreaterThanOrEqualToThreshold"
	GreaterThanThreshold                     ComparisonOperator = "GreaterThanThreshold"
	LessThanThreshold                        ComparisonOperator = "LessThanThreshold"
	LessThanOrEqualToThreshold               ComparisonOperator = "LessThanOrEqualToThreshold"
	LessThanLowerOrGreaterThanUpperThreshold ComparisonOperator = "LessThanLowerOrGreaterThanUpperThreshold"
	LessThanLowerThreshold                   ComparisonOperator = "LessThanLowerThreshold"
	GreaterThanUpperThreshold                ComparisonOperator = "GreaterThanUpperThreshold"
)

// TreatMissingData values (a free string in the model; these four are the
// documented ones). Absent means missing.
const (
	MissingDataMissing      = "missing"
	MissingDataNotBreaching = "notBreaching"
	MissingDataBreaching    = "breaching"
	MissingDataIgnore       = "ignore"
)

// HistoryItemType is the kind of an alarm history item.
type HistoryItemType string

// The HistoryItemType values Reservoir writes and filters by (the contributor
// kinds belong to Contributor Insights alarms, which Reservoir has not).
const (
	HistoryConfigurationUpdate HistoryItemType = "ConfigurationUpdate"
	HistoryStateUpdate         HistoryItemType = "StateUpdate"
	HistoryAction              HistoryItemType = "Action"
)

// AlarmType values.
const (
	AlarmTypeMetric    = "MetricAlarm"
	AlarmTypeComposite = "CompositeAlarm"
)

// ScanBy values.
const (
	ScanByTimestampDescending = "TimestampDescending"
	ScanByTimestampAscending  = "TimestampAscending"
)

// StatusCode values of a MetricDataResult.
const (
	StatusComplete    = "Complete"
	StatusPartialData = "PartialData"
)

// Tag is a key and its value.
type Tag struct {
	Key   string
	Value string
}

// Metric names a metric: namespace, name and dimensions.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

// MetricDatum is one datum of PutMetricData. Exactly one of Value,
// StatisticValues and Values (with optional Counts) carries the data.
type MetricDatum struct {
	MetricName        string
	Dimensions        []Dimension
	Timestamp         time.Time // zero: the time of the call
	Value             *float64
	StatisticValues   *StatisticSet
	Values            []float64
	Counts            []float64
	Unit              Unit
	StorageResolution int32 // 0 or 60 (standard) or 1 (high resolution, stored per minute)
}

// PutMetricDataInput is PutMetricData's input.
type PutMetricDataInput struct {
	Namespace  string
	MetricData []MetricDatum
}

// PutMetricDataOutput is empty.
type PutMetricDataOutput struct{}

// GetMetricStatisticsInput is GetMetricStatistics' input.
type GetMetricStatisticsInput struct {
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	StartTime          time.Time
	EndTime            time.Time
	Period             int32
	Statistics         []Statistic
	ExtendedStatistics []string
	Unit               Unit
}

// Datapoint is one period's statistics; only the requested ones are set.
type Datapoint struct {
	Timestamp          time.Time
	SampleCount        *float64
	Average            *float64
	Sum                *float64
	Minimum            *float64
	Maximum            *float64
	Unit               Unit
	ExtendedStatistics map[string]float64
}

// GetMetricStatisticsOutput is GetMetricStatistics' output.
type GetMetricStatisticsOutput struct {
	Label      string
	Datapoints []Datapoint
}

// MetricStat is a metric, a period, a statistic and an optional unit.
type MetricStat struct {
	Metric Metric
	Period int32
	Stat   string
	Unit   Unit
}

// MetricDataQuery is one query of GetMetricData or one element of an
// alarm's Metrics: a MetricStat or an Expression.
type MetricDataQuery struct {
	Id         string
	MetricStat *MetricStat
	Expression string
	Label      string
	ReturnData *bool // nil: true
	Period     int32 // an expression's period (alarms)
	AccountId  string
}

// LabelOptions is GetMetricData's label options.
type LabelOptions struct {
	Timezone string
}

// GetMetricDataInput is GetMetricData's input.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery
	StartTime         time.Time
	EndTime           time.Time
	NextToken         string
	ScanBy            string // "" is TimestampDescending
	MaxDatapoints     int32  // 0: 100,800
	LabelOptions      *LabelOptions
}

// MessageData is a code and a value GetMetricData reports.
type MessageData struct {
	Code  string
	Value string
}

// MetricDataResult is one returned query's series.
type MetricDataResult struct {
	Id         string
	Label      string
	Timestamps []time.Time
	Values     []float64
	StatusCode string
	Messages   []MessageData
}

// GetMetricDataOutput is GetMetricData's output.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult
	NextToken         string
	Messages          []MessageData
}

// DimensionFilter filters ListMetrics by a dimension name, and by its
// value when Value is set.
type DimensionFilter struct {
	Name  string
	Value string
}

// ListMetricsInput is ListMetrics' input.
type ListMetricsInput struct {
	Namespace             string
	MetricName            string
	Dimensions            []DimensionFilter
	NextToken             string
	RecentlyActive        string // "" or "PT3H"
	IncludeLinkedAccounts bool
	OwningAccount         string
}

// ListMetricsOutput is ListMetrics' output.
type ListMetricsOutput struct {
	Metrics        []Metric
	NextToken      string
	OwningAccounts []string
}

// PutMetricAlarmInput is PutMetricAlarm's input.
type PutMetricAlarmInput struct {
	AlarmName                        string
	AlarmDescription                 string
	ActionsEnabled                   *bool // nil: true
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	MetricName                       string
	Namespace                        string
	Statistic                        Statistic
	ExtendedStatistic                string
	Dimensions                       []Dimension
	Period                           int32
	Unit                             Unit
	EvaluationPeriods                int32
	DatapointsToAlarm                int32 // 0: EvaluationPeriods
	Threshold                        *float64
	ComparisonOperator               ComparisonOperator
	TreatMissingData                 string
	EvaluateLowSampleCountPercentile string
	Metrics                          []MetricDataQuery
	Tags                             []Tag
	ThresholdMetricId                string
}

// PutMetricAlarmOutput is empty.
type PutMetricAlarmOutput struct{}

// MetricAlarm is a metric alarm as DescribeAlarms reports it.
type MetricAlarm struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string
	AlarmConfigurationUpdatedTimestamp time.Time
	ActionsEnabled                     bool
	OKActions                          []string
	AlarmActions                       []string
	InsufficientDataActions            []string
	StateValue                         StateValue
	StateReason                        string
	StateReasonData                    string
	StateUpdatedTimestamp              time.Time
	MetricName                         string
	Namespace                          string
	Statistic                          Statistic
	ExtendedStatistic                  string
	Dimensions                         []Dimension
	Period                             int32
	Unit                               Unit
	EvaluationPeriods                  int32
	DatapointsToAlarm                  int32
	Threshold                          *float64
	ComparisonOperator                 ComparisonOperator
	TreatMissingData                   string
	EvaluateLowSampleCountPercentile   string
	Metrics                            []MetricDataQuery
	ThresholdMetricId                  string
	EvaluationState                    string
	StateTransitionedTimestamp         time.Time
}

// DescribeAlarmsInput is DescribeAlarms' input.
type DescribeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          StateValue
	ActionPrefix        string
	MaxRecords          int32 // 0: 50
	NextToken           string
}

// DescribeAlarmsOutput is DescribeAlarms' output. Reservoir has no
// composite alarms, so CompositeAlarms is always empty.
type DescribeAlarmsOutput struct {
	CompositeAlarms []struct{}
	MetricAlarms    []MetricAlarm
	NextToken       string
}

// DescribeAlarmsForMetricInput is DescribeAlarmsForMetric's input.
type DescribeAlarmsForMetricInput struct {
	MetricName        string
	Namespace         string
	Statistic         Statistic
	ExtendedStatistic string
	Dimensions        []Dimension
	Period            int32
	Unit              Unit
}

// DescribeAlarmsForMetricOutput is DescribeAlarmsForMetric's output.
type DescribeAlarmsForMetricOutput struct {
	MetricAlarms []MetricAlarm
}

// DeleteAlarmsInput is DeleteAlarms' input.
type DeleteAlarmsInput struct {
	AlarmNames []string
}

// DeleteAlarmsOutput is empty.
type DeleteAlarmsOutput struct{}

// DescribeAlarmHistoryInput is DescribeAlarmHistory's input.
type DescribeAlarmHistoryInput struct {
	AlarmName       string
	AlarmTypes      []string
	HistoryItemType HistoryItemType
	StartDate       time.Time
	EndDate         time.Time
	MaxRecords      int32 // 0: 100
	NextToken       string
	ScanBy          string // "": TimestampDescending
}

// AlarmHistoryItem is one history item.
type AlarmHistoryItem struct {
	AlarmName       string
	AlarmType       string
	Timestamp       time.Time
	HistoryItemType HistoryItemType
	HistorySummary  string
	HistoryData     string
}

// DescribeAlarmHistoryOutput is DescribeAlarmHistory's output.
type DescribeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem
	NextToken         string
}

// SetAlarmStateInput is SetAlarmState's input.
type SetAlarmStateInput struct {
	AlarmName       string
	StateValue      StateValue
	StateReason     string
	StateReasonData string
}

// SetAlarmStateOutput is empty.
type SetAlarmStateOutput struct{}

// EnableAlarmActionsInput is EnableAlarmActions' input.
type EnableAlarmActionsInput struct {
	AlarmNames []string
}

// EnableAlarmActionsOutput is empty.
type EnableAlarmActionsOutput struct{}

// DisableAlarmActionsInput is DisableAlarmActions' input.
type DisableAlarmActionsInput struct {
	AlarmNames []string
}

// DisableAlarmActionsOutput is empty.
type DisableAlarmActionsOutput struct{}

// TagResourceInput is TagResource's input.
type TagResourceInput struct {
	ResourceARN string
	Tags        []Tag
}

// TagResourceOutput is empty.
type TagResourceOutput struct{}

// UntagResourceInput is UntagResource's input.
type UntagResourceInput struct {
	ResourceARN string
	TagKeys     []string
}

// UntagResourceOutput is empty.
type UntagResourceOutput struct{}

// ListTagsForResourceInput is ListTagsForResource's input.
type ListTagsForResourceInput struct {
	ResourceARN string
}

// ListTagsForResourceOutput is ListTagsForResource's output.
type ListTagsForResourceOutput struct {
	Tags []Tag
}
