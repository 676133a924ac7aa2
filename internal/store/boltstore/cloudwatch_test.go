package boltstore_test

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
)

func TestCloudWatchStoreContract(t *testing.T) {
	storetest.RunCloudWatchStoreContract(t, func(t *testing.T) cloudwatch.Store { return openTemp(t) })
}

// TestCloudWatchSurvivesReopen: series, minutes, alarms and history are all
// there after a reopen, and new series and history keep distinct keys.
func TestCloudWatchSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	scope := cloudwatch.Scope{Account: "123456789012", Region: "us-west-2"}
	k := cloudwatch.SeriesKey{Scope: scope, Namespace: "AWS/Lambda", MetricName: "Duration",
		Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: "f"}}, Unit: cloudwatch.UnitMilliseconds}
	var agg cloudwatch.Aggregate
	agg.AddValue(12.5, 3)
	s := mustOpen(t, path)
	if err := s.MergeMetricData(ctx, []cloudwatch.MinuteData{{Series: k, Minute: 29_000_000, Agg: agg}}); err != nil {
		t.Fatal(err)
	}
	alarm := storetest.FullAlarm(scope, "a")
	t0 := time.Date(2026, 5, 12, 19, 30, 0, 0, time.UTC)
	item := cloudwatch.HistoryRecord{Scope: scope, AlarmHistoryItem: cloudwatch.AlarmHistoryItem{AlarmName: "a", Timestamp: t0,
		HistoryItemType: cloudwatch.HistoryConfigurationUpdate, HistorySummary: "Alarm \"a\" created"}}
	if err := s.SaveAlarm(ctx, alarm, []cloudwatch.HistoryRecord{item}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)

	s = mustOpen(t, path)
	defer mustClose(t, s)
	series, err := s.LoadMetricSeries(ctx)
	if err != nil || len(series) != 1 || series[0].LastMinute != 29_000_000 {
		t.Fatalf("series after reopen: %+v, %v", series, err)
	}
	var got []cloudwatch.Aggregate
	_ = s.ScanMetricData(ctx, k, math.MinInt64, math.MaxInt64, func(_ int64, a cloudwatch.Aggregate) bool { got = append(got, a); return true })
	if len(got) != 1 || got[0].SampleCount != 3 || got[0].Sum != 37.5 {
		t.Errorf("minutes after reopen: %+v", got)
	}
	alarms, err := s.LoadAlarms(ctx)
	if err != nil || len(alarms) != 1 || alarms[0].StateValue != cloudwatch.StateAlarm || len(alarms[0].Metrics) != 2 {
		t.Fatalf("alarms after reopen: %+v, %v", alarms, err)
	}
	// A second series gets its own ID: its data does not land in the first.
	k2 := k
	k2.MetricName = "Errors"
	if err := s.MergeMetricData(ctx, []cloudwatch.MinuteData{{Series: k2, Minute: 29_000_000, Agg: agg}}); err != nil {
		t.Fatal(err)
	}
	got = nil
	_ = s.ScanMetricData(ctx, k, math.MinInt64, math.MaxInt64, func(_ int64, a cloudwatch.Aggregate) bool { got = append(got, a); return true })
	if len(got) != 1 || got[0].SampleCount != 3 {
		t.Errorf("first series after a second one's write: %+v", got)
	}
	n := 0
	_ = s.ScanAlarmHistory(ctx, scope, t0, t0, false, func(cloudwatch.HistoryRecord) bool { n++; return true })
	if n != 1 {
		t.Errorf("history items after reopen: %d", n)
	}
}

// TestMigratesSchemaV3: a version 3 file (no CloudWatch buckets) opens as
// the current version with its records untouched and the CloudWatch buckets ready.
func TestMigratesSchemaV3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)
	if err := s.SaveRole(ctx, storetest.FullRole("123456789012", "kept")); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	rawUpdate(t, path, func(tx *bolt.Tx) error { // what version 3 wrote
		for _, b := range []string{"cw_series", "cw_data", "cw_alarms", "cw_history", "policies", "layers"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("3"))
	})
	s = mustOpen(t, path)
	if roles, err := s.LoadRoles(ctx); err != nil || len(roles) != 1 {
		t.Fatalf("LoadRoles: %v, %v", roles, err)
	}
	if alarms, err := s.LoadAlarms(ctx); err != nil || len(alarms) != 0 {
		t.Fatalf("LoadAlarms: %v, %v", alarms, err)
	}
	if err := s.SaveAlarm(ctx, storetest.FullAlarm(cloudwatch.Scope{Account: "123456789012", Region: "us-east-1"}, "a"), nil); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
	}
}
