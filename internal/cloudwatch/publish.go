package cloudwatch

import (
	"context"
	"slices"
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
	if len(d.Values) > 0 {
		for i, v := range d.Values {
			c := 1.0
			if i < len(d.Counts) {
				c = d.Counts[i]
			}
			a.AddValue(v, c)
		}
		if d.Stats.SampleCount > 0 {
			// The publisher's own figures win over the histogram's.
			a.SampleCount, a.Sum, a.Minimum, a.Maximum = d.Stats.SampleCount, d.Stats.Sum, d.Stats.Minimum, d.Stats.Maximum
		}
		return a
	}
	a.addStats(d.Stats)
	return a
}

func (p *publisher) add(scope Scope, data []Datum) {
	type item struct {
		k  pendingKey
		md MinuteData
	}
	items := make([]item, 0, len(data))
	drop := 0
	for i := range data {
		d := &data[i]
		agg := aggregateOf(d)
		if d.Namespace == "" || d.MetricName == "" || agg.Empty() {
			drop++
			continue
		}
		key := SeriesKey{Scope: scope, Namespace: d.Namespace, MetricName: d.MetricName, Dimensions: canonicalDims(d.Dimensions), Unit: unitOrNone(d.Unit)}
		minute := unixMinute(d.Timestamp)
		items = append(items, item{k: pendingKey{id: seriesID(key), minute: minute}, md: MinuteData{Series: key, Minute: minute, Agg: agg}})
	}
	p.dropped.Add(uint64(drop))
	if len(items) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.dropped.Add(uint64(len(items)))
		return
	}
	for _, it := range items {
		if md, ok := p.pending[it.k]; ok {
			md.Agg.Merge(it.md.Agg)
			continue
		}
		md := it.md
		p.pending[it.k] = &md
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
	if len(pending) > 0 {
		p.pending = make(map[pendingKey]*MinuteData, len(pending))
	}
	p.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
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

// writeData stores a batch and records its series.
func (s *Service) writeData(ctx context.Context, batch []MinuteData) error {
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
	slices.SortFunc(out, func(a, b Dimension) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}

// metricID identifies a metric (namespace, name, canonical dimensions) of a
// scope's series map; seriesID adds the unit. Parts are separated by bytes
// no valid name holds in that position ambiguously: every part is length-
// prefixed.
func metricID(ns, name string, dims []Dimension) string {
	var b strings.Builder
	part := func(s string) {
		b.WriteString(itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	part(ns)
	part(name)
	for _, d := range dims {
		part(d.Name)
		part(d.Value)
	}
	return b.String()
}

func seriesID(k SeriesKey) string {
	return metricID(k.Namespace, k.MetricName, k.Dimensions) + "|" + string(k.Unit)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
