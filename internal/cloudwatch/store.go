package cloudwatch

import (
	"context"
	"time"
)

// SeriesKey names one stored series: a metric of a scope and the unit its
// data was published with. Dimensions are sorted by name (canonical);
// metrics are the same metric whatever order their dimensions came in.
type SeriesKey struct {
	Scope      Scope
	Namespace  string
	MetricName string
	Dimensions []Dimension
	Unit       Unit
}

// MinuteData is one series' aggregate over the minute starting at Minute
// (Unix minutes: seconds since the epoch / 60).
type MinuteData struct {
	Series SeriesKey
	Minute int64
	Agg    Aggregate
}

// StoredSeries is a series the store holds data of, and the last minute it
// received data for.
type StoredSeries struct {
	Key        SeriesKey
	LastMinute int64
}

// Alarm is a metric alarm as the store keeps it: its configuration and
// state (MetricAlarm; AlarmArn is derived and need not be stored) and tags.
type Alarm struct {
	Scope Scope
	MetricAlarm
	Tags []Tag
}

// HistoryRecord is one alarm history item of a scope. Seq orders items of
// the same Timestamp by their order of writing; the store assigns it.
type HistoryRecord struct {
	Scope Scope
	Seq   uint64
	AlarmHistoryItem
}

// Store is the durable home of metric data, alarms and alarm history. The
// service keeps the list of series and every alarm in memory and writes
// every change through before acknowledging it; metric data and history are
// read from the store. Every write is durable (fsync'd) when it returns nil
// and changes nothing when it returns an error. Implementations must be safe
// for concurrent use, and reads see each write whole or not at all.
type Store interface {
	// LoadMetricSeries returns every series with data, in any order.
	LoadMetricSeries(ctx context.Context) ([]StoredSeries, error)
	// MergeMetricData merges each aggregate into the stored one of its
	// series and minute (Aggregate.Merge), creating both as needed, and
	// raises each series' LastMinute to the latest minute written, all in
	// one durable write. Several entries may name one series and minute.
	MergeMetricData(ctx context.Context, data []MinuteData) error
	// ScanMetricData calls fn with the series' stored minutes in [from, to]
	// in increasing order, until fn returns false. A series without data
	// holds no minutes. The Aggregate's Buckets are only valid during the
	// call (a store may decode every minute into the same memory): copy
	// them to keep them.
	ScanMetricData(ctx context.Context, key SeriesKey, from, to int64, fn func(minute int64, agg Aggregate) bool) error
	// DeleteMetricDataBefore removes at most max stored minutes older than
	// before, of any series, and forgets the series whose LastMinute is
	// older than before. It returns how many minutes it removed; fewer
	// than max means none older remain.
	DeleteMetricDataBefore(ctx context.Context, before int64, max int) (int, error)

	// LoadAlarms returns every alarm of every scope, in any order.
	LoadAlarms(ctx context.Context) ([]Alarm, error)
	// SaveAlarm creates or replaces the alarm of a's scope and name and
	// appends history items (Seq is assigned), in one durable write.
	SaveAlarm(ctx context.Context, a Alarm, history []HistoryRecord) error
	// DeleteAlarms removes the named alarms of a scope (missing names are
	// skipped) and appends history items, in one durable write.
	DeleteAlarms(ctx context.Context, scope Scope, names []string, history []HistoryRecord) error
	// AppendAlarmHistory appends history items (Seq is assigned).
	AppendAlarmHistory(ctx context.Context, history []HistoryRecord) error
	// ScanAlarmHistory calls fn with a scope's history items whose
	// Timestamp lies in [from, to], ordered by (Timestamp, Seq), increasing
	// or decreasing when reverse, until fn returns false.
	ScanAlarmHistory(ctx context.Context, scope Scope, from, to time.Time, reverse bool, fn func(HistoryRecord) bool) error
	// DeleteAlarmHistoryBefore removes every history item older than
	// before, of every scope.
	DeleteAlarmHistoryBefore(ctx context.Context, before time.Time) error
}
