package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// RunCloudWatchStoreContract checks that the stores made by newStore behave
// as cloudwatch.Store documents. newStore must return a new, empty store and
// arrange for it to be closed when t ends.
func RunCloudWatchStoreContract(t *testing.T, newStore func(t *testing.T) cloudwatch.Store) {
	t.Run("FieldsCovered", func(t *testing.T) {
		checkFieldsCovered(t, reflect.TypeFor[cloudwatch.Alarm](), reflect.TypeFor[cloudwatch.MetricAlarm](),
			reflect.TypeFor[cloudwatch.MetricDataQuery](), reflect.TypeFor[cloudwatch.MetricStat](),
			reflect.TypeFor[cloudwatch.AlarmHistoryItem](), reflect.TypeFor[cloudwatch.Aggregate](),
			reflect.TypeFor[cloudwatch.SeriesKey]())
	})
	t.Run("Empty", func(t *testing.T) { testCWEmpty(t, newStore(t)) })
	t.Run("MergeAndScan", func(t *testing.T) { testCWMergeAndScan(t, newStore(t)) })
	t.Run("AggregatesExact", func(t *testing.T) { testCWAggregatesExact(t, newStore(t)) })
	t.Run("SeriesDistinct", func(t *testing.T) { testCWSeriesDistinct(t, newStore(t)) })
	t.Run("DeleteBefore", func(t *testing.T) { testCWDeleteBefore(t, newStore(t)) })
	t.Run("AlarmRoundTrip", func(t *testing.T) { testCWAlarmRoundTrip(t, newStore(t)) })
	t.Run("History", func(t *testing.T) { testCWHistory(t, newStore(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testCWCanceled(t, newStore(t)) })
	t.Run("ConcurrentMerges", func(t *testing.T) { testCWConcurrentMerges(t, newStore(t)) })
}

func cwScopeA() cloudwatch.Scope { return cloudwatch.Scope{Account: accountA, Region: "us-east-1"} }
func cwScopeB() cloudwatch.Scope { return cloudwatch.Scope{Account: accountB, Region: "us-east-1"} }

func cwSeries(scope cloudwatch.Scope, name string, dims ...string) cloudwatch.SeriesKey {
	k := cloudwatch.SeriesKey{Scope: scope, Namespace: "App/Test", MetricName: name, Unit: cloudwatch.UnitCount}
	for i := 0; i+1 < len(dims); i += 2 {
		k.Dimensions = append(k.Dimensions, cloudwatch.Dimension{Name: dims[i], Value: dims[i+1]})
	}
	return k
}

func aggOf(values ...float64) cloudwatch.Aggregate {
	var a cloudwatch.Aggregate
	for _, v := range values {
		a.AddValue(v, 1)
	}
	return a
}

func mustMerge(t *testing.T, s cloudwatch.Store, data ...cloudwatch.MinuteData) {
	t.Helper()
	if err := s.MergeMetricData(context.Background(), data); err != nil {
		t.Fatalf("MergeMetricData: %v", err)
	}
}

type cwMinute struct {
	minute int64
	agg    cloudwatch.Aggregate
}

func scanAll(t *testing.T, s cloudwatch.Store, k cloudwatch.SeriesKey, from, to int64) []cwMinute {
	t.Helper()
	var out []cwMinute
	if err := s.ScanMetricData(context.Background(), k, from, to, func(m int64, a cloudwatch.Aggregate) bool {
		a.Buckets = slices.Clone(a.Buckets) // only valid during the call
		out = append(out, cwMinute{m, a})
		return true
	}); err != nil {
		t.Fatalf("ScanMetricData: %v", err)
	}
	return out
}

func testCWEmpty(t *testing.T, s cloudwatch.Store) {
	ctx := context.Background()
	if series, err := s.LoadMetricSeries(ctx); err != nil || len(series) != 0 {
		t.Errorf("LoadMetricSeries = %v, %v; want none", series, err)
	}
	if alarms, err := s.LoadAlarms(ctx); err != nil || len(alarms) != 0 {
		t.Errorf("LoadAlarms = %v, %v; want none", alarms, err)
	}
	if got := scanAll(t, s, cwSeries(cwScopeA(), "m"), math.MinInt64, math.MaxInt64); len(got) != 0 {
		t.Errorf("scan of a missing series = %v", got)
	}
	if n, err := s.DeleteMetricDataBefore(ctx, 1<<40, 100); err != nil || n != 0 {
		t.Errorf("DeleteMetricDataBefore on empty = %d, %v", n, err)
	}
}

func testCWMergeAndScan(t *testing.T, s cloudwatch.Store) {
	k := cwSeries(cwScopeA(), "m", "FunctionName", "f")
	// Two entries for minute 100 in one batch, one for 101 and 99.
	mustMerge(t, s,
		cloudwatch.MinuteData{Series: k, Minute: 100, Agg: aggOf(1, 2)},
		cloudwatch.MinuteData{Series: k, Minute: 101, Agg: aggOf(5)},
		cloudwatch.MinuteData{Series: k, Minute: 100, Agg: aggOf(3)},
		cloudwatch.MinuteData{Series: k, Minute: -3, Agg: aggOf(7)},
	)
	// A later write to minute 100 merges again.
	mustMerge(t, s, cloudwatch.MinuteData{Series: k, Minute: 100, Agg: aggOf(4)})
	got := scanAll(t, s, k, math.MinInt64, math.MaxInt64)
	if len(got) != 3 || got[0].minute != -3 || got[1].minute != 100 || got[2].minute != 101 {
		t.Fatalf("minutes = %v, want -3, 100, 101", got)
	}
	want := aggOf(1, 2, 3, 4)
	if !reflect.DeepEqual(got[1].agg, want) {
		t.Errorf("minute 100 = %+v, want %+v", got[1].agg, want)
	}
	// A range is inclusive at both ends; fn returning false stops the scan.
	if got := scanAll(t, s, k, 100, 100); len(got) != 1 {
		t.Errorf("scan [100,100] = %d minutes, want 1", len(got))
	}
	n := 0
	_ = s.ScanMetricData(context.Background(), k, math.MinInt64, math.MaxInt64, func(int64, cloudwatch.Aggregate) bool { n++; return false })
	if n != 1 {
		t.Errorf("scan went on after false: %d calls", n)
	}
	series, err := s.LoadMetricSeries(context.Background())
	if err != nil || len(series) != 1 {
		t.Fatalf("LoadMetricSeries = %v, %v", series, err)
	}
	if !reflect.DeepEqual(series[0].Key, k) || series[0].LastMinute != 101 {
		t.Errorf("series = %+v, want %+v up to 101", series[0], k)
	}
}

// testCWAggregatesExact: what is stored reads back bit for bit, including
// fractional counts, negative values and large histograms.
func testCWAggregatesExact(t *testing.T, s cloudwatch.Store) {
	k := cwSeries(cwScopeA(), "exact")
	var a cloudwatch.Aggregate
	for i := range 500 {
		a.AddValue(float64(i*i)-1000.5, float64(i%3)+0.25)
	}
	a.AddValue(0, 3)
	a.AddValue(math.MaxFloat64, 1)
	a.AddValue(math.SmallestNonzeroFloat64, 1)
	statsOnly := cloudwatch.Aggregate{SampleCount: 10, Sum: 55, Minimum: 1, Maximum: 10}
	k2 := cwSeries(cwScopeA(), "stats")
	mustMerge(t, s, cloudwatch.MinuteData{Series: k, Minute: 5, Agg: a}, cloudwatch.MinuteData{Series: k2, Minute: 5, Agg: statsOnly})
	got := scanAll(t, s, k, 5, 5)
	if len(got) != 1 || !reflect.DeepEqual(got[0].agg, a) {
		t.Errorf("aggregate changed on the way through the store")
	}
	got = scanAll(t, s, k2, 5, 5)
	if len(got) != 1 || !reflect.DeepEqual(got[0].agg, statsOnly) {
		t.Errorf("statistic set = %+v, want %+v", got, statsOnly)
	}
}

// testCWSeriesDistinct: scope, namespace, name, every dimension and the unit
// each make a different series.
func testCWSeriesDistinct(t *testing.T, s cloudwatch.Store) {
	base := cwSeries(cwScopeA(), "m", "A", "1")
	variants := []cloudwatch.SeriesKey{base}
	v := base
	v.Scope = cwScopeB()
	variants = append(variants, v)
	v = base
	v.Namespace = "Other"
	variants = append(variants, v)
	v = base
	v.MetricName = "n"
	variants = append(variants, v)
	v = cwSeries(cwScopeA(), "m", "A", "2")
	variants = append(variants, v)
	v = cwSeries(cwScopeA(), "m", "A", "1", "B", "1")
	variants = append(variants, v)
	v = cwSeries(cwScopeA(), "m")
	variants = append(variants, v)
	v = base
	v.Unit = cloudwatch.UnitMilliseconds
	variants = append(variants, v)
	v = cwSeries(cwScopeA(), "m", "A/1", "")
	variants = append(variants, v)
	for i, k := range variants {
		mustMerge(t, s, cloudwatch.MinuteData{Series: k, Minute: 1, Agg: aggOf(float64(i))})
	}
	for i, k := range variants {
		got := scanAll(t, s, k, 1, 1)
		if len(got) != 1 || got[0].agg.Sum != float64(i) || got[0].agg.SampleCount != 1 {
			t.Errorf("variant %d (%+v) reads %+v", i, k, got)
		}
	}
	series, err := s.LoadMetricSeries(context.Background())
	if err != nil || len(series) != len(variants) {
		t.Errorf("LoadMetricSeries = %d series, %v; want %d", len(series), err, len(variants))
	}
}

func testCWDeleteBefore(t *testing.T, s cloudwatch.Store) {
	ctx := context.Background()
	old := cwSeries(cwScopeA(), "old")
	live := cwSeries(cwScopeA(), "live")
	for m := int64(0); m < 10; m++ {
		mustMerge(t, s, cloudwatch.MinuteData{Series: live, Minute: m, Agg: aggOf(1)}, cloudwatch.MinuteData{Series: old, Minute: m / 4, Agg: aggOf(1)})
	}
	// live's minutes 0..4 and old's 0, 1, 2 are before 5: 8 minutes.
	n, err := s.DeleteMetricDataBefore(ctx, 5, 3)
	if err != nil || n != 3 {
		t.Fatalf("DeleteMetricDataBefore(max 3) = %d, %v", n, err)
	}
	total := 3
	for {
		n, err := s.DeleteMetricDataBefore(ctx, 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 3 {
			break
		}
	}
	if total != 8 {
		t.Errorf("deleted %d minutes, want 8", total)
	}
	if got := scanAll(t, s, live, math.MinInt64, math.MaxInt64); len(got) != 5 || got[0].minute != 5 {
		t.Errorf("live keeps %v, want minutes 5..9", got)
	}
	if got := scanAll(t, s, old, math.MinInt64, math.MaxInt64); len(got) != 0 {
		t.Errorf("old keeps %v", got)
	}
	series, err := s.LoadMetricSeries(ctx)
	if err != nil || len(series) != 1 || series[0].Key.MetricName != "live" {
		t.Errorf("series after the sweep = %+v, %v; want live only", series, err)
	}
}

// FullAlarm returns an alarm with every field set.
func FullAlarm(scope cloudwatch.Scope, name string) cloudwatch.Alarm {
	zone := time.FixedZone("UTC+2", 2*60*60)
	base := time.Date(2026, 5, 12, 19, 30, 0, 123456789, zone)
	f := false
	return cloudwatch.Alarm{
		Scope: scope,
		Tags:  []cloudwatch.Tag{{Key: "team", Value: "core"}, {Key: "empty", Value: ""}},
		MetricAlarm: cloudwatch.MetricAlarm{
			AlarmName: name, AlarmArn: scope.AlarmARN(name), AlarmDescription: "errors of " + name,
			AlarmConfigurationUpdatedTimestamp: base, ActionsEnabled: true,
			OKActions: []string{"arn:ok"}, AlarmActions: []string{"arn:a1", "arn:a2"}, InsufficientDataActions: []string{"arn:i"},
			StateValue: cloudwatch.StateAlarm, StateReason: "Threshold Crossed", StateReasonData: `{"version":"1.0"}`,
			StateUpdatedTimestamp: base.Add(time.Minute), MetricName: "Errors", Namespace: "AWS/Lambda",
			Statistic: cloudwatch.StatSum, ExtendedStatistic: "p99", Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}},
			Period: 60, Unit: cloudwatch.UnitCount, EvaluationPeriods: 5, DatapointsToAlarm: 3, Threshold: ptrF(2.5),
			ComparisonOperator: cloudwatch.GreaterThanThreshold, TreatMissingData: "breaching",
			EvaluateLowSampleCountPercentile: "ignore",
			Metrics: []cloudwatch.MetricDataQuery{
				{Id: "m1", MetricStat: &cloudwatch.MetricStat{Metric: cloudwatch.Metric{Namespace: "N", MetricName: "M",
					Dimensions: []cloudwatch.Dimension{{Name: "d", Value: "v"}}}, Period: 60, Stat: "p90", Unit: cloudwatch.UnitMilliseconds},
					ReturnData: &f, Label: "m one", AccountId: scope.Account},
				{Id: "e1", Expression: "m1*2", Label: "twice", Period: 120},
			},
			ThresholdMetricId: "t1", EvaluationState: "PARTIAL_DATA", StateTransitionedTimestamp: base.Add(2 * time.Minute),
		},
	}
}

func ptrF(f float64) *float64 { return &f }

func assertAlarm(t *testing.T, got, want cloudwatch.Alarm) {
	t.Helper()
	c := checker{t: t, path: want.AlarmName}
	for _, ts := range []*time.Time{&got.AlarmConfigurationUpdatedTimestamp, &got.StateUpdatedTimestamp, &got.StateTransitionedTimestamp,
		&want.AlarmConfigurationUpdatedTimestamp, &want.StateUpdatedTimestamp, &want.StateTransitionedTimestamp} {
		if !ts.IsZero() {
			*ts = ts.UTC()
		}
	}
	got.AlarmArn, want.AlarmArn = "", "" // derived
	rg, rw := reflect.ValueOf(got.MetricAlarm), reflect.ValueOf(want.MetricAlarm)
	for i := range rg.NumField() {
		c.eq(rg.Type().Field(i).Name, rg.Field(i).Interface(), rw.Field(i).Interface())
	}
	c.eq("Scope", got.Scope, want.Scope)
	c.eq("Tags", got.Tags, want.Tags)
}

func testCWAlarmRoundTrip(t *testing.T, s cloudwatch.Store) {
	ctx := context.Background()
	a := FullAlarm(cwScopeA(), "full")
	b := cloudwatch.Alarm{Scope: cwScopeB(), MetricAlarm: cloudwatch.MetricAlarm{AlarmName: "full", StateValue: cloudwatch.StateOK,
		EvaluationPeriods: 1, ComparisonOperator: cloudwatch.LessThanThreshold, Threshold: ptrF(0)}}
	for _, x := range []cloudwatch.Alarm{a, b} {
		if err := s.SaveAlarm(ctx, x, nil); err != nil {
			t.Fatal(err)
		}
	}
	alarms, err := s.LoadAlarms(ctx)
	if err != nil || len(alarms) != 2 {
		t.Fatalf("LoadAlarms = %d, %v", len(alarms), err)
	}
	for _, got := range alarms {
		if got.Scope == a.Scope {
			assertAlarm(t, got, a)
		} else {
			assertAlarm(t, got, b)
		}
	}
	// Replacing keeps one alarm; deleting skips missing names.
	a.StateValue = cloudwatch.StateOK
	if err := s.SaveAlarm(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlarms(ctx, cwScopeB(), []string{"full", "missing"}, nil); err != nil {
		t.Fatal(err)
	}
	alarms, err = s.LoadAlarms(ctx)
	if err != nil || len(alarms) != 1 {
		t.Fatalf("LoadAlarms after delete = %d, %v", len(alarms), err)
	}
	assertAlarm(t, alarms[0], a)
}

func hist(scope cloudwatch.Scope, name string, ts time.Time, summary string) cloudwatch.HistoryRecord {
	return cloudwatch.HistoryRecord{Scope: scope, AlarmHistoryItem: cloudwatch.AlarmHistoryItem{AlarmName: name, AlarmType: cloudwatch.AlarmTypeMetric,
		Timestamp: ts, HistoryItemType: cloudwatch.HistoryStateUpdate, HistorySummary: summary, HistoryData: `{"x":1}`}}
}

func testCWHistory(t *testing.T, s cloudwatch.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 12, 19, 30, 0, 0, time.UTC)
	// Items arrive through all three writes; two share a timestamp.
	if err := s.SaveAlarm(ctx, cloudwatch.Alarm{Scope: cwScopeA(), MetricAlarm: cloudwatch.MetricAlarm{AlarmName: "a"}},
		[]cloudwatch.HistoryRecord{hist(cwScopeA(), "a", t0, "1"), hist(cwScopeA(), "a", t0, "2")}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAlarmHistory(ctx, []cloudwatch.HistoryRecord{hist(cwScopeA(), "b", t0.Add(time.Second), "3"),
		hist(cwScopeB(), "a", t0.Add(time.Second), "other scope")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlarms(ctx, cwScopeA(), []string{"a"}, []cloudwatch.HistoryRecord{hist(cwScopeA(), "a", t0.Add(2*time.Second), "4")}); err != nil {
		t.Fatal(err)
	}
	scan := func(from, to time.Time, reverse bool) []string {
		var out []string
		if err := s.ScanAlarmHistory(ctx, cwScopeA(), from, to, reverse, func(h cloudwatch.HistoryRecord) bool {
			if h.Scope != cwScopeA() || h.HistoryData != `{"x":1}` || h.AlarmType != cloudwatch.AlarmTypeMetric {
				t.Errorf("item %+v", h)
			}
			out = append(out, h.HistorySummary)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := time.Unix(0, 0)
	end := t0.Add(time.Hour)
	if got := fmt.Sprint(scan(all, end, false)); got != "[1 2 3 4]" {
		t.Errorf("ascending = %s", got)
	}
	if got := fmt.Sprint(scan(all, end, true)); got != "[4 3 2 1]" {
		t.Errorf("descending = %s", got)
	}
	if got := fmt.Sprint(scan(t0.Add(time.Second), t0.Add(time.Second), false)); got != "[3]" {
		t.Errorf("[t0+1s, t0+1s] = %s", got)
	}
	if err := s.DeleteAlarmHistoryBefore(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(scan(all, end, false)); got != "[3 4]" {
		t.Errorf("after deleting before t0+1s = %s", got)
	}
}

func testCWCanceled(t *testing.T, s cloudwatch.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := cwSeries(cwScopeA(), "m")
	if err := s.MergeMetricData(ctx, []cloudwatch.MinuteData{{Series: k, Minute: 1, Agg: aggOf(1)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("MergeMetricData with a canceled context = %v", err)
	}
	if err := s.SaveAlarm(ctx, FullAlarm(cwScopeA(), "x"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("SaveAlarm with a canceled context = %v", err)
	}
	if got := scanAll(t, s, k, math.MinInt64, math.MaxInt64); len(got) != 0 {
		t.Errorf("canceled merge wrote %v", got)
	}
}

// testCWConcurrentMerges: merges from many goroutines into one minute add up
// (a store must not lose a read-modify-write).
func testCWConcurrentMerges(t *testing.T, s cloudwatch.Store) {
	k := cwSeries(cwScopeA(), "m")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				if err := s.MergeMetricData(context.Background(), []cloudwatch.MinuteData{{Series: k, Minute: 7, Agg: aggOf(float64(i*10 + j))}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := scanAll(t, s, k, 7, 7)
	if len(got) != 1 || got[0].agg.SampleCount != 80 || got[0].agg.Sum != 3160 || got[0].agg.Minimum != 0 || got[0].agg.Maximum != 79 {
		t.Errorf("minute 7 = %+v, want 80 samples summing to 3160", got)
	}
}
