package cloudwatch_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

func TestPutMetricDataErrors(t *testing.T) {
	e := newEnv(t)
	now := epoch()
	one := func(d cloudwatch.MetricDatum) cloudwatch.PutMetricDataInput {
		return cloudwatch.PutMetricDataInput{Namespace: "App", MetricData: []cloudwatch.MetricDatum{d}}
	}
	v := 1.0
	for _, tc := range []struct {
		name string
		in   cloudwatch.PutMetricDataInput
		code cloudwatch.ErrorCode
		msg  string
	}{
		{"no namespace", cloudwatch.PutMetricDataInput{MetricData: []cloudwatch.MetricDatum{{MetricName: "m", Value: &v}}},
			cloudwatch.CodeMissingParameter, "The parameter Namespace is required."},
		{"AWS namespace", cloudwatch.PutMetricDataInput{Namespace: "AWS/Lambda", MetricData: []cloudwatch.MetricDatum{{MetricName: "m", Value: &v}}},
			cloudwatch.CodeInvalidParameterValue, "The value AWS/Lambda for parameter Namespace is invalid."},
		{"too many", cloudwatch.PutMetricDataInput{Namespace: "App", MetricData: make([]cloudwatch.MetricDatum, 1001)},
			cloudwatch.CodeInvalidParameterValue, "The collection MetricData must not have a size greater than 1000."},
		{"no name", one(cloudwatch.MetricDatum{Value: &v}), cloudwatch.CodeMissingParameter, "The parameter MetricData.member.1.MetricName is required."},
		{"value and set", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, StatisticValues: &cloudwatch.StatisticSet{SampleCount: 1}}),
			cloudwatch.CodeInvalidParameterCombination, "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."},
		{"NaN", one(cloudwatch.MetricDatum{MetricName: "m", Value: ptr(math.NaN())}), cloudwatch.CodeInvalidParameterValue, "The value NaN for parameter MetricData.member.1.Value is invalid."},
		{"old", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, Timestamp: now.Add(-15 * 24 * time.Hour)}), cloudwatch.CodeInvalidParameterValue, ""},
		{"future", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, Timestamp: now.Add(3 * time.Hour)}), cloudwatch.CodeInvalidParameterValue, ""},
		{"31 dimensions", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, Dimensions: make([]cloudwatch.Dimension, 31)}), cloudwatch.CodeInvalidParameterValue, ""},
		{"counts mismatch", one(cloudwatch.MetricDatum{MetricName: "m", Values: []float64{1, 2}, Counts: []float64{1}}), cloudwatch.CodeInvalidParameterValue, ""},
		{"nothing", one(cloudwatch.MetricDatum{MetricName: "m"}), cloudwatch.CodeMissingParameter, ""},
		{"bad unit", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, Unit: "Parsecs"}), cloudwatch.CodeInvalidParameterValue, ""},
		{"duplicate dimension", one(cloudwatch.MetricDatum{MetricName: "m", Value: &v, Dimensions: []cloudwatch.Dimension{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}}),
			cloudwatch.CodeInvalidParameterValue, ""},
		{"set min above max", one(cloudwatch.MetricDatum{MetricName: "m", StatisticValues: &cloudwatch.StatisticSet{SampleCount: 2, Sum: 3, Minimum: 2, Maximum: 1}}),
			cloudwatch.CodeInvalidParameterValue, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.PutMetricData(e.ctx, scopeA(), tc.in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	// Values whose counts are all 0 are accepted and store nothing.
	_, err := e.svc.PutMetricData(e.ctx, scopeA(), one(cloudwatch.MetricDatum{MetricName: "zero", Values: []float64{1, 2}, Counts: []float64{0, 0}}))
	mustOK(t, err)
	// Nothing of a refused call was stored.
	out, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{})
	mustOK(t, err)
	if len(out.Metrics) != 0 {
		t.Errorf("refused calls (or zero counts) stored %v", out.Metrics)
	}
}

// exact is the nearest-rank percentile of sorted samples.
func exact(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// TestStatisticsAgainstIndependentValues publishes random samples over
// three hours and compares every period's statistics with values computed
// here from the raw samples: the five statistics exactly (up to float
// rounding), percentiles within the histogram's 1% bound.
func TestStatisticsAgainstIndependentValues(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	start := epoch().Add(-3 * time.Hour)
	samples := map[int64][]float64{} // period start → samples
	const period = 300
	for m := range 180 {
		if m%7 == 3 {
			continue // a gap
		}
		at := start.Add(time.Duration(m)*time.Minute + 17*time.Second)
		var vals []float64
		for range 1 + rng.IntN(40) {
			v := math.Round(rng.ExpFloat64()*100*1000) / 1000
			if rng.IntN(10) == 0 {
				v = -v
			}
			vals = append(vals, v)
		}
		// Half the minutes in one call with Values, half value by value.
		if m%2 == 0 {
			e.put(scopeA(), "App", "Latency", at, nil, vals...)
		} else {
			for _, v := range vals {
				e.put(scopeA(), "App", "Latency", at, nil, v)
			}
		}
		ps := start.Unix() + int64(m*60)/period*period
		samples[ps] = append(samples[ps], vals...)
	}
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{
		Namespace: "App", MetricName: "Latency", StartTime: start, EndTime: epoch(), Period: period,
		Statistics: []cloudwatch.Statistic{cloudwatch.StatSampleCount, cloudwatch.StatSum, cloudwatch.StatAverage, cloudwatch.StatMinimum, cloudwatch.StatMaximum},
	})
	mustOK(t, err)
	if len(out.Datapoints) != len(samples) || out.Label != "Latency" {
		t.Fatalf("%d datapoints (label %q), want %d", len(out.Datapoints), out.Label, len(samples))
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for _, dp := range out.Datapoints {
		vals := samples[dp.Timestamp.Unix()]
		sum := 0.0
		for _, v := range vals {
			sum += v
		}
		if *dp.SampleCount != float64(len(vals)) || !close(*dp.Sum, sum) || !close(*dp.Average, sum/float64(len(vals))) ||
			*dp.Minimum != slices.Min(vals) || *dp.Maximum != slices.Max(vals) || dp.Unit != cloudwatch.UnitCount {
			t.Errorf("%s: %v %v %v %v %v, want %d %v %v %v %v", dp.Timestamp, *dp.SampleCount, *dp.Sum, *dp.Average, *dp.Minimum, *dp.Maximum,
				len(vals), sum, sum/float64(len(vals)), slices.Min(vals), slices.Max(vals))
		}
	}
	ext := []string{"p0", "p10", "p50", "p90", "p99", "p99.9", "p100"}
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{
		Namespace: "App", MetricName: "Latency", StartTime: start, EndTime: epoch(), Period: period, ExtendedStatistics: ext,
	})
	mustOK(t, err)
	for _, dp := range out.Datapoints {
		if dp.Sum != nil {
			t.Errorf("Sum set though only percentiles were asked for")
		}
		vals := slices.Sorted(slices.Values(samples[dp.Timestamp.Unix()]))
		for _, name := range ext {
			p := 0.0
			fmt.Sscanf(name, "p%g", &p)
			want := exact(vals, p)
			if p == 0 {
				want = vals[0]
			}
			got, ok := dp.ExtendedStatistics[name]
			if !ok || math.Abs(got-want) > cloudwatch.HistogramRelativeError*math.Abs(want)+1e-12 {
				t.Errorf("%s %s = %v (%v), want %v within %.3f%%", dp.Timestamp, name, got, ok, want, 100*cloudwatch.HistogramRelativeError)
			}
		}
	}
}

func TestStatisticSetsHaveNoPercentiles(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-time.Minute)
	_, err := e.svc.PutMetricData(e.ctx, scopeA(), cloudwatch.PutMetricDataInput{Namespace: "App", MetricData: []cloudwatch.MetricDatum{
		{MetricName: "m", Timestamp: at, StatisticValues: &cloudwatch.StatisticSet{SampleCount: 4, Sum: 10, Minimum: 1, Maximum: 4}},
		{MetricName: "m", Timestamp: at, Value: ptr(6.0)},
	}})
	mustOK(t, err)
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m",
		StartTime: at, EndTime: epoch(), Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSampleCount, cloudwatch.StatMaximum, cloudwatch.StatAverage}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].SampleCount != 5 || *out.Datapoints[0].Maximum != 6 || *out.Datapoints[0].Average != 16.0/5 {
		t.Fatalf("datapoints %+v", out.Datapoints)
	}
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m",
		StartTime: at, EndTime: epoch(), Period: 60, ExtendedStatistics: []string{"p50"}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || len(out.Datapoints[0].ExtendedStatistics) != 0 {
		t.Errorf("percentile of a statistic set: %+v", out.Datapoints)
	}
}

func TestGetMetricStatisticsErrors(t *testing.T) {
	e := newEnv(t)
	base := cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m", StartTime: epoch().Add(-time.Hour), EndTime: epoch(),
		Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSum}}
	for _, tc := range []struct {
		name string
		mod  func(in *cloudwatch.GetMetricStatisticsInput)
		code cloudwatch.ErrorCode
		msg  string
	}{
		{"no namespace", func(in *cloudwatch.GetMetricStatisticsInput) { in.Namespace = "" }, cloudwatch.CodeMissingParameter, "The parameter Namespace is required."},
		{"no period", func(in *cloudwatch.GetMetricStatisticsInput) { in.Period = 0 }, cloudwatch.CodeMissingParameter, "The parameter Period is required."},
		{"period 90", func(in *cloudwatch.GetMetricStatisticsInput) { in.Period = 90 }, cloudwatch.CodeInvalidParameterValue, "The parameter Period must be a multiple of 60."},
		{"both kinds", func(in *cloudwatch.GetMetricStatisticsInput) { in.ExtendedStatistics = []string{"p50"} }, cloudwatch.CodeInvalidParameterCombination, ""},
		{"neither", func(in *cloudwatch.GetMetricStatisticsInput) { in.Statistics = nil }, cloudwatch.CodeInvalidParameterCombination, ""},
		{"bad percentile", func(in *cloudwatch.GetMetricStatisticsInput) {
			in.Statistics, in.ExtendedStatistics = nil, []string{"p101"}
		},
			cloudwatch.CodeInvalidParameterValue, "The value p101 for parameter ExtendedStatistics is invalid."},
		{"bad statistic", func(in *cloudwatch.GetMetricStatisticsInput) { in.Statistics = []cloudwatch.Statistic{"Median"} }, cloudwatch.CodeInvalidParameterValue, ""},
		{"reversed", func(in *cloudwatch.GetMetricStatisticsInput) { in.StartTime, in.EndTime = in.EndTime, in.StartTime },
			cloudwatch.CodeInvalidParameterValue, "The parameter StartTime must be less than the parameter EndTime."},
		{"1441 datapoints", func(in *cloudwatch.GetMetricStatisticsInput) { in.StartTime = in.EndTime.Add(-1441 * time.Minute) },
			cloudwatch.CodeInvalidParameterCombination, "You have requested up to 1441 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."},
		{"high resolution counts its own periods", func(in *cloudwatch.GetMetricStatisticsInput) { in.Period = 1 },
			cloudwatch.CodeInvalidParameterCombination, "You have requested up to 3600 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.mod(&in)
			_, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	in := base
	in.StartTime = in.EndTime.Add(-1440 * time.Minute)
	_, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), in)
	mustOK(t, err)
}

// TestUnitsAndDimensions: units are separate series (a Unit filter picks
// one, no filter returns each), dimension order does not matter, and
// scopes do not see each other's data.
func TestUnitsAndDimensions(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-time.Minute)
	dims := []cloudwatch.Dimension{{Name: "b", Value: "2"}, {Name: "a", Value: "1"}}
	_, err := e.svc.PutMetricData(e.ctx, scopeA(), cloudwatch.PutMetricDataInput{Namespace: "App", MetricData: []cloudwatch.MetricDatum{
		{MetricName: "m", Dimensions: dims, Timestamp: at, Value: ptr(1.0), Unit: cloudwatch.Unit("Seconds")},
		{MetricName: "m", Dimensions: []cloudwatch.Dimension{dims[1], dims[0]}, Timestamp: at, Value: ptr(500.0), Unit: cloudwatch.UnitMilliseconds},
	}})
	mustOK(t, err)
	in := cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m", Dimensions: dims, StartTime: at, EndTime: epoch(),
		Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSum}}
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), in)
	mustOK(t, err)
	if len(out.Datapoints) != 2 {
		t.Fatalf("without Unit: %+v", out.Datapoints)
	}
	in.Unit = cloudwatch.UnitMilliseconds
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeA(), in)
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 500 || out.Datapoints[0].Unit != cloudwatch.UnitMilliseconds {
		t.Fatalf("Milliseconds: %+v", out.Datapoints)
	}
	in.Dimensions = dims[:1]
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeA(), in)
	mustOK(t, err)
	if len(out.Datapoints) != 0 {
		t.Errorf("a subset of the dimensions is another metric: %+v", out.Datapoints)
	}
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeB(), in)
	mustOK(t, err)
	if len(out.Datapoints) != 0 {
		t.Errorf("scope B sees A's data")
	}
}

func TestListMetrics(t *testing.T) {
	e := newEnv(t)
	for i := range 520 {
		e.put(scopeA(), "Many", "m", epoch().Add(-time.Minute), []cloudwatch.Dimension{{Name: "i", Value: fmt.Sprintf("%04d", i)}}, 1)
	}
	e.put(scopeA(), "App", "Errors", epoch().Add(-5*time.Hour), []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}, {Name: "Resource", Value: "f:1"}}, 1)
	e.put(scopeA(), "App", "Errors", epoch().Add(-time.Minute), []cloudwatch.Dimension{{Name: "FunctionName", Value: "g"}}, 1)
	e.put(scopeB(), "App", "Other", epoch().Add(-time.Minute), nil, 1)

	out, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Namespace: "App"})
	mustOK(t, err)
	if len(out.Metrics) != 2 || out.NextToken != "" {
		t.Fatalf("App: %+v", out)
	}
	out, err = e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Namespace: "App", RecentlyActive: "PT3H"})
	mustOK(t, err)
	if len(out.Metrics) != 1 || out.Metrics[0].Dimensions[0].Value != "g" {
		t.Errorf("PT3H: %+v", out.Metrics)
	}
	out, err = e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Dimensions: []cloudwatch.DimensionFilter{{Name: "Resource"}}})
	mustOK(t, err)
	if len(out.Metrics) != 1 || len(out.Metrics[0].Dimensions) != 2 {
		t.Errorf("Resource filter: %+v", out.Metrics)
	}
	out, err = e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Dimensions: []cloudwatch.DimensionFilter{{Name: "FunctionName", Value: "g"}}, MetricName: "Errors"})
	mustOK(t, err)
	if len(out.Metrics) != 1 {
		t.Errorf("FunctionName=g: %+v", out.Metrics)
	}
	// Paging: 500, then the rest, in a stable order, no duplicates.
	seen := map[string]bool{}
	tok := ""
	pages := 0
	for {
		out, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Namespace: "Many", NextToken: tok})
		mustOK(t, err)
		pages++
		if pages == 1 && len(out.Metrics) != 500 {
			t.Errorf("first page has %d metrics", len(out.Metrics))
		}
		for _, m := range out.Metrics {
			if seen[m.Dimensions[0].Value] {
				t.Errorf("%s listed twice", m.Dimensions[0].Value)
			}
			seen[m.Dimensions[0].Value] = true
		}
		if tok = out.NextToken; tok == "" {
			break
		}
	}
	if len(seen) != 520 || pages != 2 {
		t.Errorf("%d metrics in %d pages", len(seen), pages)
	}
	_, err = e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{NextToken: "garbage"})
	wantCode(t, err, cloudwatch.CodeInvalidNextToken, "")
	// Two weeks without data and a metric is no longer listed.
	e.clock.Advance(15 * 24 * time.Hour)
	out, err = e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{Namespace: "App"})
	mustOK(t, err)
	if len(out.Metrics) != 0 {
		t.Errorf("after 15 days: %+v", out.Metrics)
	}
}

// TestPublishMerges: Publish never blocks, merges a minute's data across
// calls, and Flush makes it readable; datums without samples are dropped.
func TestPublishMerges(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-90 * time.Second)
	dims := []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}
	for i := range 10 {
		e.svc.Publish(scopeA(), []cloudwatch.Datum{
			{Namespace: "AWS/Lambda", MetricName: "Invocations", Dimensions: dims, Unit: cloudwatch.UnitCount, Timestamp: at.Add(time.Duration(i) * time.Second),
				Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}},
			{Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: dims, Unit: cloudwatch.UnitMilliseconds, Timestamp: at,
				Values: []float64{float64(i), 100}, Counts: []float64{1, 2}},
			{Namespace: "AWS/Lambda", MetricName: "Empty"},
		})
	}
	mustOK(t, e.svc.Flush(e.ctx))
	if d := e.svc.PublishDropped(); d != 10 {
		t.Errorf("PublishDropped = %d, want 10", d)
	}
	out, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "AWS/Lambda", MetricName: "Duration",
		Dimensions: dims, StartTime: at, EndTime: epoch(), Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSampleCount, cloudwatch.StatMaximum}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].SampleCount != 30 || *out.Datapoints[0].Maximum != 100 {
		t.Fatalf("Duration: %+v", out.Datapoints)
	}
	out, err = e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "AWS/Lambda", MetricName: "Invocations",
		Dimensions: dims, StartTime: at, EndTime: epoch(), Period: 60, Statistics: []cloudwatch.Statistic{cloudwatch.StatSum}})
	mustOK(t, err)
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 10 {
		t.Fatalf("Invocations: %+v", out.Datapoints)
	}
	// The stored aggregate is one minute per series however many calls
	// fed it.
	n := 0
	mustOK(t, e.store.ScanMetricData(e.ctx, cloudwatch.SeriesKey{Scope: scopeA(), Namespace: "AWS/Lambda", MetricName: "Invocations",
		Dimensions: dims, Unit: cloudwatch.UnitCount}, math.MinInt64, math.MaxInt64, func(int64, cloudwatch.Aggregate) bool { n++; return true }))
	if n != 1 {
		t.Errorf("%d stored minutes, want 1", n)
	}
}

// TestPublishFlushesOnTheClock: without Flush, published data is written
// within one FlushInterval of the clock.
func TestPublishFlushesOnTheClock(t *testing.T) {
	e := newEnv(t, func(o *cloudwatch.Options) { o.FlushInterval = time.Second })
	e.svc.Publish(scopeA(), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "Errors", Timestamp: epoch().Add(-time.Minute),
		Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.clock.Advance(time.Second)
		out, err := e.svc.ListMetrics(e.ctx, scopeA(), cloudwatch.ListMetricsInput{})
		mustOK(t, err)
		if len(out.Metrics) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("published data never flushed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPercentileParsing(t *testing.T) {
	e := newEnv(t)
	e.put(scopeA(), "App", "m", epoch().Add(-time.Minute), nil, 1, 2, 3)
	for _, ok := range []string{"p0", "p50", "p99.9", "p99.99", "p100"} {
		_, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m",
			StartTime: epoch().Add(-time.Hour), EndTime: epoch(), Period: 60, ExtendedStatistics: []string{ok}})
		if err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"p", "p100.1", "p-1", "P50", "p50.", "p9.999", "tm99", "IQM"} {
		_, err := e.svc.GetMetricStatistics(e.ctx, scopeA(), cloudwatch.GetMetricStatisticsInput{Namespace: "App", MetricName: "m",
			StartTime: epoch().Add(-time.Hour), EndTime: epoch(), Period: 60, ExtendedStatistics: []string{bad}})
		if err == nil || !strings.Contains(err.Error(), "ExtendedStatistics") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
