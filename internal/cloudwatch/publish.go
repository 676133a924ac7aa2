package cloudwatch

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Publish queues Reservoir's own metric data (AWS/Lambda, ...) of a scope.
// It never blocks on I/O: the data is merged per series and minute in memory
// and written by the next flush, a FlushInterval later at most. Data of the
// same series and minute, in one call or several, becomes one aggregate.
// Datums without a namespace, a metric name or samples, and datums after
// Close, are dropped and counted (PublishDropped). A datum's Values/Counts,
// when set, feed percentiles; its Stats are used as given (so a publisher
// sends both, or only Values/Counts and leaves Stats zero).
func (s *Service) Publish(scope Scope, data []Datum) { s.pub.add(scope, data) }

// PublishDropped is the number of datums Publish has dropped.
func (s *Service) PublishDropped() uint64 { return s.pub.dropped.Load() }

// Flush writes every datum Publish has queued so far, and returns once they
// are durable and readable.
func (s *Service) Flush(ctx context.Context) error { return s.pub.flush(ctx) }

// publisher buffers published data and writes it in batches.
type publisher struct {
	s        *Service
	interval time.Duration

	// flushMu admits one flush at a time.
	flushMu sync.Mutex

	mu sync.Mutex
	// pending is keyed by seriesID + minute.
	pending map[pendingKey]*MinuteData
	closed  bool

	dropped atomic.Uint64
	stop    chan struct{}
	done    chan struct{}
}

type pendingKey struct {
	id     string
	minute int64
}

func newPublisher(s *Service, interval time.Duration) *publisher {
	p := &publisher{
		s:        s,
		interval: interval,
		pending:  make(map[pendingKey]*MinuteData),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go p.loop()
	return p
}

// aggregateOf is a datum's samples as an Aggregate.
func aggregateOf(d *Datum) Aggregate {
	var a Aggregate
	addDatum(&a, d)
	return a
}

func (p *publisher) add(scope Scope, data []Datum) {
	// Outside the lock: each datum's series id (one string each). Under
	// it: a datum of a series and minute already pending merges into it
	// without allocating; only a new one copies its dimensions and builds
	// its aggregate.
	var idBuf [8]string
	ids := idBuf[:0]
	if len(data) > len(idBuf) {
		ids = make([]string, 0, len(data))
	}
	drop := 0
	for i := range data {
		d := &data[i]
		if d.Namespace == "" || d.MetricName == "" || len(d.Values) == 0 && d.Stats.SampleCount <= 0 {
			drop++
			ids = append(ids, "")
			continue
		}
		ids = append(ids, seriesIDOf(d.Namespace, d.MetricName, d.Dimensions, unitOrNone(d.Unit)))
	}
	p.dropped.Add(uint64(drop))
	if drop == len(data) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.dropped.Add(uint64(len(data) - drop))
		return
	}
	for i := range data {
		if ids[i] == "" {
			continue
		}
		d := &data[i]
		k := pendingKey{id: ids[i], minute: unixMinute(d.Timestamp)}
		if md, ok := p.pending[k]; ok {
			addDatum(&md.Agg, d)
			continue
		}
		key := SeriesKey{Scope: scope, Namespace: d.Namespace, MetricName: d.MetricName, Dimensions: canonicalDims(d.Dimensions), Unit: unitOrNone(d.Unit)}
		md := &MinuteData{Series: key, Minute: k.minute}
		addDatum(&md.Agg, d)
		p.pending[k] = md
	}
}

// addDatum merges a datum's samples into a.
func addDatum(a *Aggregate, d *Datum) {
	if len(d.Values) == 0 {
		a.addStats(d.Stats)
		return
	}
	if d.Stats.SampleCount <= 0 {
		for i, v := range d.Values {
			c := 1.0
			if i < len(d.Counts) {
				c = d.Counts[i]
			}
			a.AddValue(v, c)
		}
		return
	}
	// The publisher's own figures win over the values' for the statistics;
	// the values feed the histogram.
	a.addStats(d.Stats)
	for i, v := range d.Values {
		c := 1.0
		if i < len(d.Counts) {
			c = d.Counts[i]
		}
		if c > 0 {
			a.addBucket(bucketKey(v), c)
		}
	}
}

func (p *publisher) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case <-p.s.clock.After(p.interval):
		}
		if err := p.flush(context.Background()); err != nil {
			p.s.log.Error("cloudwatch: writing published metrics failed; data dropped", "err", err)
		}
	}
}

func (p *publisher) close(ctx context.Context) error {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return p.flush(ctx)
}

func (p *publisher) flush(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	pending := p.pending
	if len(pending) == 0 {
		// The empty map stays in use: it must not be read outside mu.
		p.mu.Unlock()
		return nil
	}
	p.pending = make(map[pendingKey]*MinuteData, len(pending))
	p.mu.Unlock()
	batch := make([]MinuteData, 0, len(pending))
	for _, md := range pending {
		batch = append(batch, *md)
	}
	if err := p.s.writeData(ctx, batch); err != nil {
		p.dropped.Add(uint64(len(batch)))
		return err
	}
	return nil
}

// writeData stores a batch and records its series. Aggregates without
// samples (values whose counts are all 0) are left out: they would store a
// minute with no statistics.
func (s *Service) writeData(ctx context.Context, batch []MinuteData) error {
	batch = slices.DeleteFunc(batch, func(md MinuteData) bool { return md.Agg.Empty() })
	if len(batch) == 0 {
		return nil
	}
	if err := s.store.MergeMetricData(ctx, batch); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range batch {
		s.noteSeries(batch[i].Series, batch[i].Minute)
	}
	return nil
}

// unixMinute is the minute t lies in.
func unixMinute(t time.Time) int64 {
	sec := t.Unix()
	if sec < 0 {
		return (sec - 59) / 60
	}
	return sec / 60
}

func minuteTime(m int64) time.Time { return time.Unix(m*60, 0).UTC() }

func unitOrNone(u Unit) Unit {
	if u == "" {
		return UnitNone
	}
	return u
}

// canonicalDims is a sorted copy of dims (by name, then value).
func canonicalDims(dims []Dimension) []Dimension {
	if len(dims) == 0 {
		return nil
	}
	out := slices.Clone(dims)
	slices.SortFunc(out, compareDims)
	return out
}

// metricID identifies a metric (namespace, name, canonical dimensions) in
// a scope's series map; seriesID adds the unit. Every part is
// length-prefixed, so no two metrics share an id.
func metricID(ns, name string, dims []Dimension) string {
	return string(appendMetricID(nil, ns, name, dims, false))
}

func seriesID(k SeriesKey) string { return seriesIDOf(k.Namespace, k.MetricName, k.Dimensions, k.Unit) }

// seriesIDOf is seriesID of dimensions in any order, in one allocation.
func seriesIDOf(ns, name string, dims []Dimension, unit Unit) string {
	n := len(ns) + len(name) + len(unit) + 16
	for _, d := range dims {
		n += len(d.Name) + len(d.Value) + 8
	}
	var stack [256]byte
	b := stack[:0]
	if n > len(stack) {
		b = make([]byte, 0, n)
	}
	b = appendMetricID(b, ns, name, dims, true)
	b = append(b, '|')
	b = append(b, unit...)
	return string(b)
}

// appendMetricID appends a metric's id; unsorted says dims may be in any
// order (they are then walked in canonical order without copying).
func appendMetricID(b []byte, ns, name string, dims []Dimension, unsorted bool) []byte {
	part := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	part(ns)
	part(name)
	if unsorted && !slices.IsSortedFunc(dims, compareDims) {
		dims = canonicalDims(dims)
	}
	for _, d := range dims {
		part(d.Name)
		part(d.Value)
	}
	return b
}

func compareDims(a, b Dimension) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}
