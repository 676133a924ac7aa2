// Package cloudwatch is Reservoir's CloudWatch metrics and alarms domain:
// one-minute aggregates of every metric with statistics and percentiles,
// GetMetricData's metric math, and metric alarms evaluated every minute as
// CloudWatch does, with their history and actions. It speaks no HTTP; a wire
// layer translates the protocols into calls here.
//
// Metric data lives in the store, one aggregate per series and minute, and
// is read from it; the list of series and every alarm live in memory and are
// written through before a change is acknowledged. Reservoir's own metrics
// arrive through Publish, which never blocks on I/O: data is merged in memory
// and written every FlushInterval.
package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Clock is the time source of the service: the clockwork.Clock interface
// satisfies it, so tests can pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AlarmAction is one action an alarm takes on entering a state.
type AlarmAction struct {
	Scope     Scope
	AlarmName string
	AlarmARN  string
	// State is the state the alarm entered; Previous the one it left
	// (equal when Repeat).
	State    StateValue
	Previous StateValue
	// ActionARN is the action: an SNS topic, an Application Auto Scaling
	// policy ARN, ...
	ActionARN string
	Reason    string
	// Timestamp is the time of the state change (or of the repeat).
	Timestamp time.Time
	// Repeat is set when the alarm stays in ALARM and the action is an
	// Application Auto Scaling policy: CloudWatch invokes those again every
	// minute while the alarm is in ALARM.
	Repeat bool
}

// ActionSink carries out an alarm action. It returns nil when it took the
// action; an error is recorded in the alarm's history as a failed action
// ("Failed to execute action <arn>. Received error: \"<err>\""). It is
// called from the evaluator, after the state change is durable, once per
// action and transition; it should not block for long.
type ActionSink func(ctx context.Context, a AlarmAction) error

// Options configure a Service.
type Options struct {
	Store  Store
	Clock  Clock // nil: the real clock
	Logger *slog.Logger
	// Actions receives alarm actions; nil records every action as not
	// taken (no sink).
	Actions ActionSink
	// FlushInterval is how often Publish's data is written
	// (0: DefaultFlushInterval). A kill -9 loses at most about this much.
	FlushInterval time.Duration
	// Retention is how long metric data is kept (0: DefaultRetention).
	Retention time.Duration
	// HistoryRetention is how long alarm history is kept
	// (0: DefaultHistoryRetention).
	HistoryRetention time.Duration
	// MaxAlarms is the alarms one scope may have (0: DefaultMaxAlarms).
	MaxAlarms int
	// EvaluationInterval is how often the evaluator runs: 0 every minute,
	// EvaluationDelay after it starts; negative never (tests then call
	// EvaluateAlarms themselves).
	EvaluationInterval time.Duration
}

// Defaults of Options.
const (
	DefaultFlushInterval    = time.Second
	DefaultRetention        = 15 * 24 * time.Hour // AWS keeps one-minute data 15 days
	DefaultHistoryRetention = 30 * 24 * time.Hour // AWS keeps alarm history 30 days
	DefaultMaxAlarms        = 5000
)

// Service implements the CloudWatch metric and alarm operations. Safe for
// concurrent use.
type Service struct {
	store     Store
	clock     Clock
	log       *slog.Logger
	actions   ActionSink
	retention time.Duration
	histKeep  time.Duration
	maxAlarms int
	evalEvery time.Duration

	// slot is the alarm writer slot (see writer).
	slot chan struct{}

	mu sync.RWMutex
	// series maps scope → metric (metricID) → the metric and, per unit it
	// was published with, its last minute with data.
	series map[Scope]map[string]*metricState
	// alarms maps scope → alarm name → alarm. An *Alarm is replaced, never
	// modified.
	alarms map[Scope]map[string]*Alarm

	pub *publisher

	// evalMu admits one evaluation pass at a time; repeated (the minute
	// each alarm last repeated its scaling actions) belongs to it.
	evalMu   sync.Mutex
	repeated map[alarmKey]int64
	// deliverMu orders action deliveries as the writes they follow.
	deliverMu sync.Mutex

	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// metricState is a metric in memory: its series, one per unit.
type metricState struct {
	metric Metric
	units  map[Unit]int64 // unit → last minute with data
}

// last is the metric's last minute with data, of any unit.
func (m *metricState) last() int64 {
	l := int64(math.MinInt64)
	for _, v := range m.units {
		l = max(l, v)
	}
	return l
}

// NewService loads the series and alarms from o.Store and starts the
// publisher's flusher, the sweeper and the alarm evaluator. Close stops
// them.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("cloudwatch: NewService needs a store")
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.HistoryRetention <= 0 {
		o.HistoryRetention = DefaultHistoryRetention
	}
	if o.MaxAlarms <= 0 {
		o.MaxAlarms = DefaultMaxAlarms
	}
	s := &Service{
		store:     o.Store,
		clock:     o.Clock,
		log:       o.Logger,
		actions:   o.Actions,
		retention: o.Retention,
		histKeep:  o.HistoryRetention,
		maxAlarms: o.MaxAlarms,
		evalEvery: o.EvaluationInterval,
		repeated:  make(map[alarmKey]int64),
		kick:      make(chan struct{}, 1),
		slot:      make(chan struct{}, 1),
		series:    make(map[Scope]map[string]*metricState),
		alarms:    make(map[Scope]map[string]*Alarm),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	stored, err := o.Store.LoadMetricSeries(ctx)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: load series: %w", err)
	}
	for _, st := range stored {
		s.noteSeries(st.Key, st.LastMinute)
	}
	alarms, err := o.Store.LoadAlarms(ctx)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: load alarms: %w", err)
	}
	for i := range alarms {
		a := alarms[i]
		if a.Scope.Account == "" || a.Scope.Region == "" || a.AlarmName == "" {
			return nil, fmt.Errorf("cloudwatch: stored alarm %q of %+v lacks a scope or a name", a.AlarmName, a.Scope)
		}
		a.AlarmArn = a.Scope.AlarmARN(a.AlarmName)
		s.alarmsOf(a.Scope, true)[a.AlarmName] = &a
	}
	s.pub = newPublisher(s, o.FlushInterval)
	go s.loop()
	return s, nil
}

// Close writes what Publish holds and stops the flusher, the sweeper and
// the evaluator; it returns the error of the last write, if any. Publish
// drops data after Close; the operations keep working (the store is the
// caller's to close, after this).
func (s *Service) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.closeErr = s.pub.close(ctx)
	})
	return s.closeErr
}

// AlarmARN is an alarm's ARN.
func (sc Scope) AlarmARN(name string) string {
	return "arn:aws:cloudwatch:" + sc.Region + ":" + sc.Account + ":alarm:" + name
}

// writer is the alarm writer slot: its holder alone writes alarms to the
// store and then commits them to memory, so a check made under it stays true
// through the write, and side effects (actions) follow in write order.
// Methods that commit take it as an argument.
type writer struct{ s *Service }

func (s *Service) lockWrites(ctx context.Context) (*writer, error) {
	select {
	case s.slot <- struct{}{}:
		return &writer{s: s}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *writer) unlock() { <-w.s.slot }

// alarmsOf returns a scope's alarms; create makes the map when missing.
// Callers hold mu (or own s).
func (s *Service) alarmsOf(scope Scope, create bool) map[string]*Alarm {
	m := s.alarms[scope]
	if m == nil && create {
		m = make(map[string]*Alarm)
		s.alarms[scope] = m
	}
	return m
}

// noteSeries records that a series has data up to minute. Callers hold mu
// (or own s).
func (s *Service) noteSeries(k SeriesKey, minute int64) {
	m := s.series[k.Scope]
	if m == nil {
		m = make(map[string]*metricState)
		s.series[k.Scope] = m
	}
	id := metricID(k.Namespace, k.MetricName, k.Dimensions)
	st, ok := m[id]
	if !ok {
		st = &metricState{metric: Metric{Namespace: k.Namespace, MetricName: k.MetricName, Dimensions: k.Dimensions}, units: make(map[Unit]int64, 1)}
		m[id] = st
	}
	if last, ok := st.units[k.Unit]; !ok || minute > last {
		st.units[k.Unit] = minute
	}
}
