package cloudwatch

import "time"

// Scope is the account and region a metric or an alarm belongs to.
type Scope struct {
	Account string
	Region  string
}

// Dimension is one name/value pair identifying a metric.
type Dimension struct {
	Name  string
	Value string
}

// Unit is a CloudWatch StandardUnit, spelled as the API spells it
// ("Count", "Milliseconds", "Percent", "None", ...).
type Unit string

// Units Reservoir's own metrics use.
const (
	UnitNone         Unit = "None"
	UnitCount        Unit = "Count"
	UnitMilliseconds Unit = "Milliseconds"
	UnitPercent      Unit = "Percent"
)

// StatisticSet is the aggregate of a metric's samples over a period.
type StatisticSet struct {
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
}

// Datum is one metric's aggregate over one period starting at Timestamp, as
// a publisher (PutMetricData, or Reservoir's own AWS/Lambda figures) hands
// it over. Values and Counts, when set, are the distinct sample values and
// how often each was seen (PutMetricData's Values/Counts), from which
// percentiles are computed; they are parallel slices.
type Datum struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
	Unit       Unit
	Timestamp  time.Time
	Stats      StatisticSet
	Values     []float64
	Counts     []float64
}
