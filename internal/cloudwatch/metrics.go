package cloudwatch

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Messages. Those AWS is seen to send are verbatim; the ones marked "chosen"
// are Reservoir's wording for errors whose text AWS does not document.
const (
	// AWS's (seen in clients' bug reports).
	msgTooManyDatapoints = "You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
	// AWS's (its wording when the limit was 20).
	msgTooManyMetricData = "The collection MetricData must not have a size greater than %d."
	// chosen: AWS's "The value X for parameter Y is invalid." form.
	msgInvalidValue = "The value %s for parameter %s is invalid."
	// AWS's.
	msgMutuallyExclusive = "The parameters %s and %s are mutually exclusive and you have specified both."
	// chosen.
	msgStartBeforeEnd = "The parameter StartTime must be less than the parameter EndTime."
	msgPeriodMultiple = "The parameter Period must be a multiple of 60."
	msgStatsOrExt     = "Must specify either Statistics or ExtendedStatistics, but not both."
	msgInvalidToken   = "The service cannot process the NextToken. Please retry with a valid NextToken."
)

// PutMetricData stores data of custom metrics, durably before it returns.
// Data of one series and minute merge with what is stored. A datum carries
// Value, StatisticValues or Values (with Counts); high-resolution data
// (StorageResolution 1) is stored at one-minute resolution like the rest.
func (s *Service) PutMetricData(ctx context.Context, scope Scope, in PutMetricDataInput) (PutMetricDataOutput, error) {
	if in.Namespace == "" {
		return PutMetricDataOutput{}, errMissing("Namespace")
	}
	var v violations
	v.checkNamespace("namespace", in.Namespace)
	if err := v.err(); err != nil {
		return PutMetricDataOutput{}, err
	}
	if strings.HasPrefix(in.Namespace, "AWS/") {
		return PutMetricDataOutput{}, errInvalidValue(msgInvalidValue, in.Namespace, "Namespace")
	}
	if len(in.MetricData) > maxMetricData {
		return PutMetricDataOutput{}, errInvalidValue(msgTooManyMetricData, maxMetricData)
	}
	if len(in.MetricData) == 0 {
		return PutMetricDataOutput{}, errMissing("MetricData")
	}
	now := s.clock.Now()
	batch := make([]MinuteData, 0, len(in.MetricData))
	for i := range in.MetricData {
		md, err := s.checkDatum(in.Namespace, i+1, &in.MetricData[i], now)
		if err != nil {
			return PutMetricDataOutput{}, err
		}
		batch = append(batch, MinuteData{Series: SeriesKey{Scope: scope, Namespace: in.Namespace, MetricName: md.MetricName,
			Dimensions: canonicalDims(md.Dimensions), Unit: unitOrNone(md.Unit)}, Minute: unixMinute(md.Timestamp), Agg: aggregateOf(&md)})
	}
	if err := s.writeData(ctx, batch); err != nil {
		return PutMetricDataOutput{}, err
	}
	return PutMetricDataOutput{}, nil
}

// checkDatum validates the n-th datum and returns it as a Datum.
func (s *Service) checkDatum(ns string, n int, d *MetricDatum, now time.Time) (Datum, error) {
	m := "MetricData.member." + strconv.Itoa(n)
	if d.MetricName == "" {
		return Datum{}, errMissing(m + ".MetricName")
	}
	var v violations
	lm := "metricData.member." + strconv.Itoa(n)
	v.checkLen(lm+".metricName", d.MetricName, 1, maxNameLen)
	v.checkDimensions(lm+".dimensions", d.Dimensions)
	v.checkUnit(lm+".unit", d.Unit)
	if d.StorageResolution != 0 && d.StorageResolution != 1 && d.StorageResolution != 60 {
		v.add(lm+".storageResolution", "Member must be 1 or 60") // chosen
	}
	if err := v.err(); err != nil {
		return Datum{}, err
	}
	if err := dimensionsErr(m+".Dimensions", d.Dimensions); err != nil {
		return Datum{}, err
	}
	out := Datum{Namespace: ns, MetricName: d.MetricName, Dimensions: d.Dimensions, Unit: d.Unit, Timestamp: d.Timestamp}
	if out.Timestamp.IsZero() {
		out.Timestamp = now
	}
	// chosen: AWS refuses these with InvalidParameterValue; its text is
	// not documented.
	if out.Timestamp.Before(now.Add(-14 * 24 * time.Hour)) {
		return Datum{}, errInvalidValue("The parameter %s.Timestamp must specify a time no more than two weeks in the past.", m)
	}
	if out.Timestamp.After(now.Add(2 * time.Hour)) {
		return Datum{}, errInvalidValue("The parameter %s.Timestamp must specify a time no more than two hours in the future.", m)
	}
	kinds := 0
	if d.Value != nil {
		kinds++
	}
	if d.StatisticValues != nil {
		kinds++
	}
	if len(d.Values) > 0 {
		kinds++
	}
	switch {
	case d.Value != nil && d.StatisticValues != nil:
		return Datum{}, newError(CodeInvalidParameterCombination, msgMutuallyExclusive, m+".Value", m+".StatisticValues")
	case d.Value != nil && len(d.Values) > 0:
		return Datum{}, newError(CodeInvalidParameterCombination, msgMutuallyExclusive, m+".Value", m+".Values")
	case d.StatisticValues != nil && len(d.Values) > 0:
		return Datum{}, newError(CodeInvalidParameterCombination, msgMutuallyExclusive, m+".StatisticValues", m+".Values")
	case kinds == 0:
		// chosen
		return Datum{}, newError(CodeMissingParameter, "At least one of the parameters %s.Value, %s.StatisticValues or %s.Values must be specified.", m, m, m)
	}
	switch {
	case d.Value != nil:
		if !finite(*d.Value) {
			return Datum{}, errInvalidValue(msgInvalidValue, fmtFloat(*d.Value), m+".Value")
		}
		out.Values, out.Counts = []float64{*d.Value}, []float64{1}
	case d.StatisticValues != nil:
		st := *d.StatisticValues
		for _, f := range []struct {
			name string
			v    float64
		}{{"SampleCount", st.SampleCount}, {"Sum", st.Sum}, {"Minimum", st.Minimum}, {"Maximum", st.Maximum}} {
			if !finite(f.v) {
				return Datum{}, errInvalidValue(msgInvalidValue, fmtFloat(f.v), m+".StatisticValues."+f.name)
			}
		}
		if st.SampleCount <= 0 {
			return Datum{}, errInvalidValue(msgInvalidValue, fmtFloat(st.SampleCount), m+".StatisticValues.SampleCount")
		}
		if st.Minimum > st.Maximum { // chosen
			return Datum{}, errInvalidValue("The parameter %s.StatisticValues.Maximum must be greater than or equal to %s.StatisticValues.Minimum.", m, m)
		}
		out.Stats = st
	default:
		if len(d.Values) > maxValues {
			return Datum{}, errInvalidValue("The collection %s.Values must not have a size greater than %d.", m, maxValues)
		}
		if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) { // chosen
			return Datum{}, errInvalidValue("The parameters %s.Values and %s.Counts must be of the same size.", m, m)
		}
		for i, x := range d.Values {
			if !finite(x) {
				return Datum{}, errInvalidValue(msgInvalidValue, fmtFloat(x), fmt.Sprintf("%s.Values.member.%d", m, i+1))
			}
		}
		for i, c := range d.Counts {
			if !finite(c) || c < 0 {
				return Datum{}, errInvalidValue(msgInvalidValue, fmtFloat(c), fmt.Sprintf("%s.Counts.member.%d", m, i+1))
			}
		}
		out.Values, out.Counts = d.Values, d.Counts
		if len(out.Counts) == 0 {
			out.Counts = nil // each value counts once
		}
	}
	return out, nil
}

// GetMetricStatistics returns a metric's statistics per period. Periods
// start at StartTime (rounded down to the minute) and step by Period; only
// periods with data have a datapoint. Without Unit, each unit the metric
// was published with has its own datapoints.
func (s *Service) GetMetricStatistics(ctx context.Context, scope Scope, in GetMetricStatisticsInput) (GetMetricStatisticsOutput, error) {
	for _, req := range []struct {
		name  string
		unset bool
	}{{"Namespace", in.Namespace == ""}, {"MetricName", in.MetricName == ""}, {"StartTime", in.StartTime.IsZero()},
		{"EndTime", in.EndTime.IsZero()}, {"Period", in.Period == 0}} {
		if req.unset {
			return GetMetricStatisticsOutput{}, errMissing(req.name)
		}
	}
	var v violations
	v.checkNamespace("namespace", in.Namespace)
	v.checkLen("metricName", in.MetricName, 1, maxNameLen)
	v.checkDimensions("dimensions", in.Dimensions)
	v.checkUnit("unit", in.Unit)
	if in.Period < 1 {
		v.add("period", cMinValue, 1)
	}
	if len(in.Statistics) > 5 {
		v.add("statistics", cMaxLen, 5)
	}
	if len(in.ExtendedStatistics) > 10 {
		v.add("extendedStatistics", cMaxLen, 10)
	}
	for i, st := range in.Statistics {
		if !validStatistic(st) {
			v.add(fmt.Sprintf("statistics.%d.member", i+1), cEnum, "Maximum, SampleCount, Sum, Minimum, Average")
		}
	}
	if err := v.err(); err != nil {
		return GetMetricStatisticsOutput{}, err
	}
	if (len(in.Statistics) == 0) == (len(in.ExtendedStatistics) == 0) {
		return GetMetricStatisticsOutput{}, newError(CodeInvalidParameterCombination, msgStatsOrExt)
	}
	pcts := make([]float64, len(in.ExtendedStatistics))
	for i, e := range in.ExtendedStatistics {
		p, ok := parsePercentile(e)
		if !ok {
			return GetMetricStatisticsOutput{}, errInvalidValue(msgInvalidValue, e, "ExtendedStatistics")
		}
		pcts[i] = p
	}
	if !validPeriod(in.Period) {
		return GetMetricStatisticsOutput{}, errInvalidValue(msgPeriodMultiple)
	}
	if !in.StartTime.Before(in.EndTime) {
		return GetMetricStatisticsOutput{}, errInvalidValue(msgStartBeforeEnd)
	}
	period := max(int64(in.Period), 60)
	start := unixMinute(in.StartTime) * 60
	end := in.EndTime.Unix()
	// AWS counts the datapoints of the requested period, high resolution
	// included, though Reservoir answers those at one-minute resolution.
	if p := int64(in.Period); (end-start+p-1)/p > maxDatapointsStats {
		n := (end - start + p - 1) / p
		return GetMetricStatisticsOutput{}, newError(CodeInvalidParameterCombination, msgTooManyDatapoints, n, maxDatapointsStats)
	}
	if n := (end - start + period - 1) / period; n > maxDatapointsStats {
		return GetMetricStatisticsOutput{}, newError(CodeInvalidParameterCombination, msgTooManyDatapoints, n, maxDatapointsStats)
	}
	if err := dimensionsErr("Dimensions", in.Dimensions); err != nil {
		return GetMetricStatisticsOutput{}, err
	}
	out := GetMetricStatisticsOutput{Label: in.MetricName}
	metric := Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: canonicalDims(in.Dimensions)}
	for _, unit := range s.unitsOf(scope, metric, in.Unit) {
		buckets, err := s.periods(ctx, SeriesKey{Scope: scope, Namespace: metric.Namespace, MetricName: metric.MetricName,
			Dimensions: metric.Dimensions, Unit: unit}, start, end, period, len(pcts) > 0)
		if err != nil {
			return GetMetricStatisticsOutput{}, err
		}
		for _, b := range buckets {
			dp := Datapoint{Timestamp: time.Unix(b.start, 0).UTC(), Unit: unit}
			for _, st := range in.Statistics {
				x, _ := statValue(&b.agg, string(st))
				switch st {
				case StatSampleCount:
					dp.SampleCount = &x
				case StatAverage:
					dp.Average = &x
				case StatSum:
					dp.Sum = &x
				case StatMinimum:
					dp.Minimum = &x
				case StatMaximum:
					dp.Maximum = &x
				}
			}
			for i, e := range in.ExtendedStatistics {
				if x, ok := b.agg.Percentile(pcts[i]); ok {
					if dp.ExtendedStatistics == nil {
						dp.ExtendedStatistics = make(map[string]float64, len(pcts))
					}
					dp.ExtendedStatistics[e] = x
				}
			}
			out.Datapoints = append(out.Datapoints, dp)
		}
	}
	slices.SortStableFunc(out.Datapoints, func(a, b Datapoint) int { return a.Timestamp.Compare(b.Timestamp) })
	return out, nil
}

// unitsOf returns the units a metric has data of: all of them when unit is
// "", else unit (if the metric has it).
func (s *Service) unitsOf(scope Scope, m Metric, unit Unit) []Unit {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.series[scope][metricID(m.Namespace, m.MetricName, m.Dimensions)]
	if !ok {
		return nil
	}
	if unit != "" {
		if _, ok := st.units[unit]; ok {
			return []Unit{unit}
		}
		return nil
	}
	units := make([]Unit, 0, len(st.units))
	for u := range st.units {
		units = append(units, u)
	}
	slices.Sort(units)
	return units
}

// periodAgg is the aggregate of the period starting at start (Unix
// seconds).
type periodAgg struct {
	start int64
	agg   Aggregate
}

// periods reads a series over [start, end) and merges its minutes into
// periods of period seconds starting at start. Periods without data are
// left out. Without hist, the histograms (needed only for percentiles) are
// dropped.
func (s *Service) periods(ctx context.Context, k SeriesKey, start, end, period int64, hist bool) ([]periodAgg, error) {
	var out []periodAgg
	var spare []Bucket
	err := s.store.ScanMetricData(ctx, k, floorDiv(start, 60), floorDiv(end-1, 60), func(minute int64, a Aggregate) bool {
		t := minute * 60
		if t < start || t >= end {
			return true
		}
		if !hist {
			a.Buckets = nil
		}
		ps := start + floorDiv(t-start, period)*period
		if n := len(out); n > 0 && out[n-1].start == ps {
			spare = out[n-1].agg.mergeWith(&a, spare)
		} else {
			// a's buckets belong to the store's scan: copy them.
			a.Buckets = append(spare[:0:0], a.Buckets...)
			out = append(out, periodAgg{start: ps, agg: a})
		}
		return true
	})
	return out, err
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// statValue computes a statistic (Statistic or pNN) of an aggregate; ok is
// false when it has no value (a percentile of statistic sets).
func statValue(a *Aggregate, stat string) (float64, bool) {
	switch Statistic(stat) {
	case StatSampleCount:
		return a.SampleCount, true
	case StatAverage:
		return a.Average(), true
	case StatSum:
		return a.Sum, true
	case StatMinimum:
		return a.Minimum, true
	case StatMaximum:
		return a.Maximum, true
	}
	if p, ok := parsePercentile(stat); ok {
		return a.Percentile(p)
	}
	return 0, false
}

// validStat reports whether a MetricStat's Stat is one Reservoir computes.
func validStat(stat string) bool {
	if validStatistic(Statistic(stat)) {
		return true
	}
	_, ok := parsePercentile(stat)
	return ok
}

// ListMetrics lists a scope's metrics that had data in the last two weeks
// (the last three hours with RecentlyActive PT3H), sorted by namespace,
// name and dimensions, 500 a page.
func (s *Service) ListMetrics(ctx context.Context, scope Scope, in ListMetricsInput) (ListMetricsOutput, error) {
	var v violations
	v.checkNamespace("namespace", in.Namespace)
	if in.MetricName != "" {
		v.checkLen("metricName", in.MetricName, 1, maxNameLen)
	}
	if len(in.Dimensions) > 10 {
		v.add("dimensions", cMaxLen, 10)
	}
	for i, d := range in.Dimensions {
		m := "dimensions.member." + strconv.Itoa(i+1)
		v.checkLen(m+".name", d.Name, 1, maxNameLen)
		if d.Value != "" {
			v.checkLen(m+".value", d.Value, 1, maxDimValueLen)
		}
	}
	if in.RecentlyActive != "" && in.RecentlyActive != "PT3H" {
		v.add("recentlyActive", cEnum, "PT3H")
	}
	if err := v.err(); err != nil {
		return ListMetricsOutput{}, err
	}
	offset := 0
	if in.NextToken != "" {
		n, ok := decodeToken("lm", in.NextToken)
		if !ok {
			return ListMetricsOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
		}
		offset = n
	}
	now := unixMinute(s.clock.Now())
	since := now - 14*24*60
	if in.RecentlyActive == "PT3H" {
		since = now - 3*60
	}
	var all []Metric
	s.mu.RLock()
	for _, st := range s.series[scope] {
		m := st.metric
		if st.last() < since || in.Namespace != "" && m.Namespace != in.Namespace || in.MetricName != "" && m.MetricName != in.MetricName {
			continue
		}
		if !matchDimensionFilters(m.Dimensions, in.Dimensions) {
			continue
		}
		all = append(all, Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: slices.Clone(m.Dimensions)})
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b Metric) int {
		return strings.Compare(metricID(a.Namespace, a.MetricName, a.Dimensions), metricID(b.Namespace, b.MetricName, b.Dimensions))
	})
	if offset > len(all) {
		return ListMetricsOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
	}
	out := ListMetricsOutput{Metrics: all[offset:]}
	if len(out.Metrics) > maxListMetrics {
		out.Metrics = out.Metrics[:maxListMetrics]
		out.NextToken = encodeToken("lm", offset+maxListMetrics)
	}
	if out.Metrics == nil {
		out.Metrics = []Metric{}
	}
	return out, nil
}

// matchDimensionFilters reports whether dims has every filtered dimension
// (and its value, when the filter names one).
func matchDimensionFilters(dims []Dimension, filters []DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range dims {
			if d.Name == f.Name && (f.Value == "" || d.Value == f.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// encodeToken makes an opaque paging token for an offset; kind tells the
// operations' tokens apart.
func encodeToken(kind string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset)))
}

func decodeToken(kind, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// fmtFloat formats a value as AWS's messages do (Java's Double.toString for
// ordinary magnitudes: at least one decimal).
func fmtFloat(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if a := math.Abs(f); a != 0 && (a >= 1e7 || a < 1e-3) {
		s = strings.Replace(strconv.FormatFloat(f, 'E', -1, 64), "E+", "E", 1)
		if !strings.Contains(s[:strings.IndexByte(s, 'E')], ".") {
			s = strings.Replace(s, "E", ".0E", 1)
		}
		return s
	}
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
