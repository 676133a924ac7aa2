package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// cwSeriesRecord is a metric series on disk (see doc.go).
type cwSeriesRecord struct {
	ID         uint64              `json:"id"`
	Account    string              `json:"account"`
	Region     string              `json:"region"`
	Namespace  string              `json:"namespace"`
	MetricName string              `json:"metric_name"`
	Dimensions []cwDimensionRecord `json:"dimensions,omitempty"`
	Unit       string              `json:"unit"`
	LastMinute int64               `json:"last_minute"`
}

type cwDimensionRecord struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// cwAlarmRecord is a metric alarm on disk.
type cwAlarmRecord struct {
	Account                          string              `json:"account"`
	Region                           string              `json:"region"`
	Name                             string              `json:"name"`
	Description                      string              `json:"description,omitempty"`
	ConfigurationUpdated             time.Time           `json:"configuration_updated"`
	ActionsEnabled                   bool                `json:"actions_enabled"`
	OKActions                        []string            `json:"ok_actions,omitempty"`
	AlarmActions                     []string            `json:"alarm_actions,omitempty"`
	InsufficientDataActions          []string            `json:"insufficient_data_actions,omitempty"`
	State                            string              `json:"state"`
	StateReason                      string              `json:"state_reason,omitempty"`
	StateReasonData                  string              `json:"state_reason_data,omitempty"`
	StateUpdated                     time.Time           `json:"state_updated"`
	StateTransitioned                time.Time           `json:"state_transitioned"`
	MetricName                       string              `json:"metric_name,omitempty"`
	Namespace                        string              `json:"namespace,omitempty"`
	Statistic                        string              `json:"statistic,omitempty"`
	ExtendedStatistic                string              `json:"extended_statistic,omitempty"`
	Dimensions                       []cwDimensionRecord `json:"dimensions,omitempty"`
	Period                           int32               `json:"period,omitempty"`
	Unit                             string              `json:"unit,omitempty"`
	EvaluationPeriods                int32               `json:"evaluation_periods"`
	DatapointsToAlarm                int32               `json:"datapoints_to_alarm,omitempty"`
	Threshold                        *float64            `json:"threshold,omitempty"`
	ComparisonOperator               string              `json:"comparison_operator"`
	TreatMissingData                 string              `json:"treat_missing_data,omitempty"`
	EvaluateLowSampleCountPercentile string              `json:"evaluate_low_sample_count_percentile,omitempty"`
	Metrics                          []cwQueryRecord     `json:"metrics,omitempty"`
	ThresholdMetricID                string              `json:"threshold_metric_id,omitempty"`
	EvaluationState                  string              `json:"evaluation_state,omitempty"`
	Tags                             []cwTagRecord       `json:"tags,omitempty"`
}

type cwQueryRecord struct {
	ID         string              `json:"id"`
	Namespace  string              `json:"namespace,omitempty"`
	MetricName string              `json:"metric_name,omitempty"`
	Dimensions []cwDimensionRecord `json:"dimensions,omitempty"`
	StatPeriod int32               `json:"stat_period,omitempty"`
	Stat       string              `json:"stat,omitempty"`
	StatUnit   string              `json:"stat_unit,omitempty"`
	HasStat    bool                `json:"has_stat,omitempty"`
	Expression string              `json:"expression,omitempty"`
	Label      string              `json:"label,omitempty"`
	ReturnData *bool               `json:"return_data,omitempty"`
	Period     int32               `json:"period,omitempty"`
	AccountID  string              `json:"account_id,omitempty"`
}

type cwTagRecord struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// cwHistoryRecord is an alarm history item on disk; its scope, time and seq
// are in its key.
type cwHistoryRecord struct {
	AlarmName string `json:"alarm_name"`
	AlarmType string `json:"alarm_type"`
	Type      string `json:"type"`
	Summary   string `json:"summary"`
	Data      string `json:"data,omitempty"`
}

func dimsToRecord(ds []cloudwatch.Dimension) []cwDimensionRecord {
	if len(ds) == 0 {
		return nil
	}
	out := make([]cwDimensionRecord, len(ds))
	for i, d := range ds {
		out[i] = cwDimensionRecord{Name: d.Name, Value: d.Value}
	}
	return out
}

func dimsFromRecord(ds []cwDimensionRecord) []cloudwatch.Dimension {
	if len(ds) == 0 {
		return nil
	}
	out := make([]cloudwatch.Dimension, len(ds))
	for i, d := range ds {
		out[i] = cloudwatch.Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

// seriesKey is "<account>/<region>/" then the namespace, the metric name,
// each dimension's name and value and the unit, each as a uvarint length
// and its bytes, so that no two series share a key.
func seriesKey(k cloudwatch.SeriesKey) ([]byte, error) {
	prefix, err := makeKey(k.Scope.Account, k.Scope.Region)
	if err != nil {
		return nil, err
	}
	b := append(prefix, '/')
	part := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	part(k.Namespace)
	part(k.MetricName)
	b = binary.AppendUvarint(b, uint64(len(k.Dimensions)))
	for _, d := range k.Dimensions {
		part(d.Name)
		part(d.Value)
	}
	part(string(k.Unit))
	return b, nil
}

// minuteKey is the series ID then the minute with its sign bit flipped, 8
// bytes big-endian each, so keys sort by series, then minute.
func minuteKey(id uint64, minute int64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, id)
	binary.BigEndian.PutUint64(b[8:], uint64(minute)^(1<<63))
	return b
}

func decodeMinute(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[8:]) ^ (1 << 63)) }

// encodeAggregate is SampleCount, Sum, Minimum and Maximum (8-byte IEEE 754
// big-endian each), then the number of buckets (uvarint), then each bucket:
// its key's difference from the previous key (varint; the first from 0) and
// its count: uvarint 2c for a whole count c < 2^52, else uvarint 1 and the
// 8-byte float.
func encodeAggregate(a cloudwatch.Aggregate) []byte {
	b := make([]byte, 0, 33+4*len(a.Buckets))
	for _, f := range []float64{a.SampleCount, a.Sum, a.Minimum, a.Maximum} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.AppendUvarint(b, uint64(len(a.Buckets)))
	prev := int64(0)
	for _, bk := range a.Buckets {
		b = binary.AppendVarint(b, int64(bk.Key)-prev)
		prev = int64(bk.Key)
		if c := bk.Count; c >= 0 && c < 1<<52 && c == math.Trunc(c) {
			b = binary.AppendUvarint(b, uint64(c)<<1)
		} else {
			b = binary.AppendUvarint(b, 1)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(c))
		}
	}
	return b
}

var errCorruptAggregate = errors.New("corrupt metric aggregate")

func decodeAggregate(v []byte) (cloudwatch.Aggregate, error) {
	var a cloudwatch.Aggregate
	err := decodeAggregateInto(v, &a)
	return a, err
}

// decodeAggregateInto decodes into a, reusing a's bucket memory.
func decodeAggregateInto(v []byte, a *cloudwatch.Aggregate) error {
	a.Buckets = a.Buckets[:0]
	if len(v) < 33 {
		return errCorruptAggregate
	}
	f := func(i int) float64 { return math.Float64frombits(binary.BigEndian.Uint64(v[8*i:])) }
	a.SampleCount, a.Sum, a.Minimum, a.Maximum = f(0), f(1), f(2), f(3)
	v = v[32:]
	n, size := binary.Uvarint(v)
	if size <= 0 || n > uint64(len(v)) {
		return errCorruptAggregate
	}
	v = v[size:]
	if uint64(cap(a.Buckets)) < n {
		a.Buckets = make([]cloudwatch.Bucket, n)
	}
	a.Buckets = a.Buckets[:n]
	if n == 0 {
		a.Buckets = nil
	}
	prev := int64(0)
	for i := range a.Buckets {
		d, size := binary.Varint(v)
		if size <= 0 {
			return errCorruptAggregate
		}
		v = v[size:]
		prev += d
		if prev < math.MinInt32 || prev > math.MaxInt32 {
			return errCorruptAggregate
		}
		c, size := binary.Uvarint(v)
		if size <= 0 {
			return errCorruptAggregate
		}
		v = v[size:]
		count := float64(c >> 1)
		if c == 1 {
			if len(v) < 8 {
				return errCorruptAggregate
			}
			count = math.Float64frombits(binary.BigEndian.Uint64(v))
			v = v[8:]
		}
		a.Buckets[i] = cloudwatch.Bucket{Key: int32(prev), Count: count}
	}
	if len(v) != 0 {
		return errCorruptAggregate
	}
	return nil
}

// LoadMetricSeries returns every stored series.
func (s *Store) LoadMetricSeries(ctx context.Context) ([]cloudwatch.StoredSeries, error) {
	var out []cloudwatch.StoredSeries
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCWSeries)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var rec cwSeriesRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode metric series %q: %w", k, err)
			}
			out = append(out, cloudwatch.StoredSeries{Key: rec.key(), LastMinute: rec.LastMinute})
			return nil
		})
	})
	return out, err
}

func (r cwSeriesRecord) key() cloudwatch.SeriesKey {
	return cloudwatch.SeriesKey{
		Scope:     cloudwatch.Scope{Account: r.Account, Region: r.Region},
		Namespace: r.Namespace, MetricName: r.MetricName, Dimensions: dimsFromRecord(r.Dimensions), Unit: cloudwatch.Unit(r.Unit),
	}
}

// MergeMetricData merges a batch into the stored minutes in one write.
func (s *Store) MergeMetricData(ctx context.Context, data []cloudwatch.MinuteData) error {
	if len(data) == 0 {
		return ctx.Err()
	}
	keys := make([][]byte, len(data))
	for i := range data {
		k, err := seriesKey(data[i].Series)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		series, err := bucket(tx, bucketCWSeries)
		if err != nil {
			return err
		}
		points, err := bucket(tx, bucketCWData)
		if err != nil {
			return err
		}
		// A series' minutes mostly arrive in time order, at the end of its
		// key range: pack pages nearly full.
		points.FillPercent = eventFill
		// Records changed by this write, by series key; written at the end.
		recs := make(map[string]*cwSeriesRecord)
		for i := range data {
			d := &data[i]
			rec := recs[string(keys[i])]
			if rec == nil {
				rec = &cwSeriesRecord{}
				if v := series.Get(keys[i]); v != nil {
					if err := json.Unmarshal(v, rec); err != nil {
						return fmt.Errorf("decode metric series %q: %w", keys[i], err)
					}
				} else {
					id, err := series.NextSequence()
					if err != nil {
						return err
					}
					k := d.Series
					*rec = cwSeriesRecord{ID: id, Account: k.Scope.Account, Region: k.Scope.Region, Namespace: k.Namespace,
						MetricName: k.MetricName, Dimensions: dimsToRecord(k.Dimensions), Unit: string(k.Unit), LastMinute: d.Minute}
				}
				recs[string(keys[i])] = rec
			}
			rec.LastMinute = max(rec.LastMinute, d.Minute)
			mk := minuteKey(rec.ID, d.Minute)
			var agg cloudwatch.Aggregate
			if v := points.Get(mk); v != nil {
				if agg, err = decodeAggregate(v); err != nil {
					return fmt.Errorf("metric series %d minute %d: %w", rec.ID, d.Minute, err)
				}
			}
			agg.Merge(d.Agg)
			if err := points.Put(mk, encodeAggregate(agg)); err != nil {
				return err
			}
		}
		for k, rec := range recs {
			if err := putJSON(series, []byte(k), rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanMetricData calls fn with a series' minutes in [from, to].
func (s *Store) ScanMetricData(ctx context.Context, key cloudwatch.SeriesKey, from, to int64, fn func(int64, cloudwatch.Aggregate) bool) error {
	sk, err := seriesKey(key)
	if err != nil {
		return err
	}
	return s.view(ctx, func(tx *bolt.Tx) error {
		series, err := bucket(tx, bucketCWSeries)
		if err != nil {
			return err
		}
		points, err := bucket(tx, bucketCWData)
		if err != nil {
			return err
		}
		v := series.Get(sk)
		if v == nil {
			return nil
		}
		var rec cwSeriesRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode metric series %q: %w", sk, err)
		}
		prefix := binary.BigEndian.AppendUint64(nil, rec.ID)
		c := points.Cursor()
		var agg cloudwatch.Aggregate // its buckets are reused for every minute
		for k, v := c.Seek(minuteKey(rec.ID, from)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			m := decodeMinute(k)
			if m > to {
				break
			}
			if err := decodeAggregateInto(v, &agg); err != nil {
				return fmt.Errorf("metric series %d minute %d: %w", rec.ID, m, err)
			}
			if !fn(m, agg) {
				break
			}
		}
		return nil
	})
}

// DeleteMetricDataBefore removes up to max minutes older than before.
func (s *Store) DeleteMetricDataBefore(ctx context.Context, before int64, max int) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		series, err := bucket(tx, bucketCWSeries)
		if err != nil {
			return err
		}
		points, err := bucket(tx, bucketCWData)
		if err != nil {
			return err
		}
		var gone [][]byte
		sc := series.Cursor()
		for k, v := sc.First(); k != nil && n < max; k, v = sc.Next() {
			var rec cwSeriesRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode metric series %q: %w", k, err)
			}
			prefix := binary.BigEndian.AppendUint64(nil, rec.ID)
			c := points.Cursor()
			for pk, _ := c.Seek(prefix); pk != nil && bytes.HasPrefix(pk, prefix) && n < max; pk, _ = c.Seek(prefix) {
				if decodeMinute(pk) >= before {
					break
				}
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			if rec.LastMinute < before {
				if pk, _ := c.Seek(prefix); pk == nil || !bytes.HasPrefix(pk, prefix) {
					gone = append(gone, bytes.Clone(k))
				}
			}
		}
		for _, k := range gone {
			if err := series.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

func alarmKey(scope cloudwatch.Scope, name string) ([]byte, error) {
	prefix, err := makeKey(scope.Account, scope.Region)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errors.New("empty alarm name")
	}
	return append(append(prefix, '/'), name...), nil
}

func alarmToRecord(a cloudwatch.Alarm) cwAlarmRecord {
	r := cwAlarmRecord{
		Account: a.Scope.Account, Region: a.Scope.Region, Name: a.AlarmName, Description: a.AlarmDescription,
		ConfigurationUpdated: a.AlarmConfigurationUpdatedTimestamp.UTC(), ActionsEnabled: a.ActionsEnabled,
		OKActions: a.OKActions, AlarmActions: a.AlarmActions, InsufficientDataActions: a.InsufficientDataActions,
		State: string(a.StateValue), StateReason: a.StateReason, StateReasonData: a.StateReasonData,
		StateUpdated: a.StateUpdatedTimestamp.UTC(), StateTransitioned: a.StateTransitionedTimestamp.UTC(),
		MetricName: a.MetricName, Namespace: a.Namespace, Statistic: string(a.Statistic), ExtendedStatistic: a.ExtendedStatistic,
		Dimensions: dimsToRecord(a.Dimensions), Period: a.Period, Unit: string(a.Unit), EvaluationPeriods: a.EvaluationPeriods,
		DatapointsToAlarm: a.DatapointsToAlarm, Threshold: a.Threshold, ComparisonOperator: string(a.ComparisonOperator),
		TreatMissingData: a.TreatMissingData, EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile,
		ThresholdMetricID: a.ThresholdMetricId, EvaluationState: a.EvaluationState,
	}
	for _, q := range a.Metrics {
		qr := cwQueryRecord{ID: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData, Period: q.Period, AccountID: q.AccountId}
		if ms := q.MetricStat; ms != nil {
			qr.HasStat = true
			qr.Namespace, qr.MetricName, qr.Dimensions = ms.Metric.Namespace, ms.Metric.MetricName, dimsToRecord(ms.Metric.Dimensions)
			qr.StatPeriod, qr.Stat, qr.StatUnit = ms.Period, ms.Stat, string(ms.Unit)
		}
		r.Metrics = append(r.Metrics, qr)
	}
	for _, t := range a.Tags {
		r.Tags = append(r.Tags, cwTagRecord{Key: t.Key, Value: t.Value})
	}
	return r
}

func (r cwAlarmRecord) toDomain() cloudwatch.Alarm {
	a := cloudwatch.Alarm{Scope: cloudwatch.Scope{Account: r.Account, Region: r.Region}}
	a.MetricAlarm = cloudwatch.MetricAlarm{
		AlarmName: r.Name, AlarmDescription: r.Description, AlarmConfigurationUpdatedTimestamp: r.ConfigurationUpdated,
		ActionsEnabled: r.ActionsEnabled, OKActions: r.OKActions, AlarmActions: r.AlarmActions,
		InsufficientDataActions: r.InsufficientDataActions, StateValue: cloudwatch.StateValue(r.State),
		StateReason: r.StateReason, StateReasonData: r.StateReasonData, StateUpdatedTimestamp: r.StateUpdated,
		StateTransitionedTimestamp: r.StateTransitioned, MetricName: r.MetricName, Namespace: r.Namespace,
		Statistic: cloudwatch.Statistic(r.Statistic), ExtendedStatistic: r.ExtendedStatistic,
		Dimensions: dimsFromRecord(r.Dimensions), Period: r.Period, Unit: cloudwatch.Unit(r.Unit),
		EvaluationPeriods: r.EvaluationPeriods, DatapointsToAlarm: r.DatapointsToAlarm, Threshold: r.Threshold,
		ComparisonOperator: cloudwatch.ComparisonOperator(r.ComparisonOperator), TreatMissingData: r.TreatMissingData,
		EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile, ThresholdMetricId: r.ThresholdMetricID,
		EvaluationState: r.EvaluationState,
	}
	for _, qr := range r.Metrics {
		q := cloudwatch.MetricDataQuery{Id: qr.ID, Expression: qr.Expression, Label: qr.Label, ReturnData: qr.ReturnData, Period: qr.Period, AccountId: qr.AccountID}
		if qr.HasStat {
			q.MetricStat = &cloudwatch.MetricStat{
				Metric: cloudwatch.Metric{Namespace: qr.Namespace, MetricName: qr.MetricName, Dimensions: dimsFromRecord(qr.Dimensions)},
				Period: qr.StatPeriod, Stat: qr.Stat, Unit: cloudwatch.Unit(qr.StatUnit),
			}
		}
		a.Metrics = append(a.Metrics, q)
	}
	for _, t := range r.Tags {
		a.Tags = append(a.Tags, cloudwatch.Tag{Key: t.Key, Value: t.Value})
	}
	return a
}

// LoadAlarms returns every stored alarm, ordered by account, region, name.
func (s *Store) LoadAlarms(ctx context.Context) ([]cloudwatch.Alarm, error) {
	return loadAll(s, ctx, bucketCWAlarms, "alarm", func(r cwAlarmRecord) ([]byte, error) {
		return alarmKey(cloudwatch.Scope{Account: r.Account, Region: r.Region}, r.Name)
	}, cwAlarmRecord.toDomain)
}

// SaveAlarm stores an alarm and appends history, in one write.
func (s *Store) SaveAlarm(ctx context.Context, a cloudwatch.Alarm, history []cloudwatch.HistoryRecord) error {
	key, err := alarmKey(a.Scope, a.AlarmName)
	if err != nil {
		return err
	}
	value, err := json.Marshal(alarmToRecord(a))
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCWAlarms)
		if err != nil {
			return err
		}
		if err := b.Put(key, value); err != nil {
			return err
		}
		return appendHistory(tx, history)
	})
}

// DeleteAlarms removes alarms and appends history, in one write.
func (s *Store) DeleteAlarms(ctx context.Context, scope cloudwatch.Scope, names []string, history []cloudwatch.HistoryRecord) error {
	keys := make([][]byte, len(names))
	for i, n := range names {
		k, err := alarmKey(scope, n)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCWAlarms)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return appendHistory(tx, history)
	})
}

// AppendAlarmHistory appends history items.
func (s *Store) AppendAlarmHistory(ctx context.Context, history []cloudwatch.HistoryRecord) error {
	if len(history) == 0 {
		return ctx.Err()
	}
	return s.update(ctx, func(tx *bolt.Tx) error { return appendHistory(tx, history) })
}

// historyKey is "<account>/<region>/" then the timestamp (nanoseconds since
// the epoch, sign bit flipped) and seq, 8 bytes big-endian each.
func historyKey(scope cloudwatch.Scope, ts time.Time, seq uint64) ([]byte, error) {
	prefix, err := makeKey(scope.Account, scope.Region)
	if err != nil {
		return nil, err
	}
	b := append(prefix, '/')
	b = binary.BigEndian.AppendUint64(b, uint64(ts.UnixNano())^(1<<63))
	return binary.BigEndian.AppendUint64(b, seq), nil
}

func appendHistory(tx *bolt.Tx, history []cloudwatch.HistoryRecord) error {
	if len(history) == 0 {
		return nil
	}
	b, err := bucket(tx, bucketCWHistory)
	if err != nil {
		return err
	}
	for _, h := range history {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key, err := historyKey(h.Scope, h.Timestamp, seq)
		if err != nil {
			return err
		}
		if err := putJSON(b, key, cwHistoryRecord{AlarmName: h.AlarmName, AlarmType: h.AlarmType, Type: string(h.HistoryItemType),
			Summary: h.HistorySummary, Data: h.HistoryData}); err != nil {
			return err
		}
	}
	return nil
}

// ScanAlarmHistory calls fn with a scope's items in [from, to].
func (s *Store) ScanAlarmHistory(ctx context.Context, scope cloudwatch.Scope, from, to time.Time, reverse bool, fn func(cloudwatch.HistoryRecord) bool) error {
	lo, err := historyKey(scope, from, 0)
	if err != nil {
		return err
	}
	hi, err := historyKey(scope, to, math.MaxUint64)
	if err != nil {
		return err
	}
	prefixLen := len(lo) - 16
	return s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCWHistory)
		if err != nil {
			return err
		}
		c := b.Cursor()
		var k, v []byte
		if reverse {
			k, v = c.Seek(hi)
			if k == nil || bytes.Compare(k, hi) > 0 {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for ; k != nil && bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) <= 0; func() {
			if reverse {
				k, v = c.Prev()
			} else {
				k, v = c.Next()
			}
		}() {
			if len(k) != prefixLen+16 {
				continue
			}
			var rec cwHistoryRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode alarm history %x: %w", k, err)
			}
			ns := int64(binary.BigEndian.Uint64(k[prefixLen:]) ^ (1 << 63))
			h := cloudwatch.HistoryRecord{Scope: scope, Seq: binary.BigEndian.Uint64(k[prefixLen+8:])}
			h.AlarmHistoryItem = cloudwatch.AlarmHistoryItem{AlarmName: rec.AlarmName, AlarmType: rec.AlarmType,
				Timestamp: time.Unix(0, ns).UTC(), HistoryItemType: cloudwatch.HistoryItemType(rec.Type),
				HistorySummary: rec.Summary, HistoryData: rec.Data}
			if !fn(h) {
				break
			}
		}
		return nil
	})
}

// DeleteAlarmHistoryBefore removes every item older than before.
func (s *Store) DeleteAlarmHistoryBefore(ctx context.Context, before time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCWHistory)
		if err != nil {
			return err
		}
		cut := uint64(before.UnixNano()) ^ (1 << 63)
		c := b.Cursor()
		var del [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 16 {
				continue
			}
			if binary.BigEndian.Uint64(k[len(k)-16:]) < cut {
				del = append(del, bytes.Clone(k))
			}
		}
		for _, k := range del {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

var _ cloudwatch.Store = (*Store)(nil)
