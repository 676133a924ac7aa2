package cloudwatch_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// BenchmarkPublish is the cost of one Publish call of a function's four
// figures of one invocation (Invocations, Errors, Duration with its value
// for percentiles, ConcurrentExecutions) into the buffer, for 100
// functions; ns/op and allocs/op are per call of 4 datums.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b, func(o *cloudwatch.Options) { o.FlushInterval = time.Hour })
	batches := make([][]cloudwatch.Datum, 100)
	for f := range batches {
		dims := []cloudwatch.Dimension{{Name: "FunctionName", Value: fmt.Sprintf("function-%03d", f)}}
		one := cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}
		batches[f] = []cloudwatch.Datum{
			{Namespace: "AWS/Lambda", MetricName: "Invocations", Dimensions: dims, Unit: cloudwatch.UnitCount, Stats: one},
			{Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: dims, Unit: cloudwatch.UnitCount, Stats: cloudwatch.StatisticSet{SampleCount: 1}},
			{Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: dims, Unit: cloudwatch.UnitMilliseconds, Values: []float64{12.5}},
			{Namespace: "AWS/Lambda", MetricName: "ConcurrentExecutions", Dimensions: dims, Unit: cloudwatch.UnitCount, Stats: one},
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		batch := batches[i%len(batches)]
		now := epoch().Add(time.Duration(i/1000) * time.Second)
		for k := range batch {
			batch[k].Timestamp = now
		}
		e.svc.Publish(scopeA(), batch)
		i++
	}
}

// fill stores `days` days of one-minute Duration data (10 samples a
// minute) for n functions, through the store in batches, as flushes would.
func fill(b *testing.B, e *env, n, days int) {
	b.Helper()
	end := epoch()
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	minutes := int(end.Sub(start) / time.Minute)
	batch := make([]cloudwatch.MinuteData, 0, 20000)
	flush := func() {
		if err := e.store.MergeMetricData(e.ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for f := range n {
		key := cloudwatch.SeriesKey{Scope: scopeA(), Namespace: "AWS/Lambda", MetricName: "Duration",
			Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: fmt.Sprintf("function-%03d", f)}}, Unit: cloudwatch.UnitMilliseconds}
		for m := range minutes {
			var a cloudwatch.Aggregate
			for s := range 10 {
				a.AddValue(float64(10+(m*7+s*13+f)%200), 1)
			}
			batch = append(batch, cloudwatch.MinuteData{Series: key, Minute: start.Unix()/60 + int64(m), Agg: a})
			if len(batch) == cap(batch) {
				flush()
			}
		}
	}
	flush()
}

// BenchmarkBytesPerDatapoint reports the bbolt file's size per stored
// minute of one series (10 samples, about 10 distinct histogram buckets)
// after a day of data for 100 functions.
func BenchmarkBytesPerDatapoint(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		before := fileSize(b, e.path)
		b.StartTimer()
		fill(b, e, 100, 1)
		b.StopTimer()
		after := fileSize(b, e.path)
		b.ReportMetric(float64(after-before)/float64(100*1440), "bytes/datapoint")
		b.StartTimer()
	}
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkGetMetricData15Days reads 15 days of one-minute data of 100
// functions: one query per function (ReturnData false, hourly p99) and
// their hourly maximum, MAX(METRICS()), returned: 2.16 million stored
// minutes per call.
func BenchmarkGetMetricData15Days(b *testing.B) {
	e := newEnv(b)
	fill(b, e, 100, 15)
	e.restart() // the service learns the series from the store
	queries := make([]cloudwatch.MetricDataQuery, 0, 101)
	for f := range 100 {
		queries = append(queries, cloudwatch.MetricDataQuery{Id: fmt.Sprintf("f%03d", f), ReturnData: ptr(false), MetricStat: &cloudwatch.MetricStat{
			Metric: cloudwatch.Metric{Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: fmt.Sprintf("function-%03d", f)}}},
			Period: 3600, Stat: "p99"}})
	}
	queries = append(queries, cloudwatch.MetricDataQuery{Id: "worst", Expression: "MAX(METRICS())"})
	in := cloudwatch.GetMetricDataInput{MetricDataQueries: queries, StartTime: epoch().Add(-15 * 24 * time.Hour), EndTime: epoch()}
	b.ResetTimer()
	for b.Loop() {
		out, err := e.svc.GetMetricData(e.ctx, scopeA(), in)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.MetricDataResults) != 1 || len(out.MetricDataResults[0].Values) != 360 {
			b.Fatalf("%d results, %d values", len(out.MetricDataResults), len(out.MetricDataResults[0].Values))
		}
	}
}
