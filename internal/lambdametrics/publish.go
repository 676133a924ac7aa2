package lambdametrics

import (
	"cmp"
	"slices"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// Namespace is where Lambda's metrics live.
const Namespace = "AWS/Lambda"

// snap is one series' figures of one minute, taken out of its slot.
type snap struct {
	invocations, errors, throttles, provisioned, spillovers, asyncReceived, asyncDropped int64
	duration, asyncAge                                                                   distSnap
}

func (x *figures) take() snap {
	s := snap{
		invocations: x.invocations.Swap(0), errors: x.errors.Swap(0), throttles: x.throttles.Swap(0),
		provisioned: x.provisioned.Swap(0), spillovers: x.spillovers.Swap(0),
		asyncReceived: x.asyncReceived.Swap(0), asyncDropped: x.asyncDropped.Swap(0),
	}
	if d := x.duration.Load(); d != nil {
		s.duration = d.take()
	}
	if d := x.asyncAge.Load(); d != nil {
		s.asyncAge = d.take()
	}
	return s
}

func (s *snap) merge(o snap) {
	s.invocations += o.invocations
	s.errors += o.errors
	s.throttles += o.throttles
	s.provisioned += o.provisioned
	s.spillovers += o.spillovers
	s.asyncReceived += o.asyncReceived
	s.asyncDropped += o.asyncDropped
	s.duration.merge(o.duration)
	s.asyncAge.merge(o.asyncAge)
}

func (s *snap) empty() bool {
	return s.invocations == 0 && s.throttles == 0 && s.asyncReceived == 0 && s.asyncDropped == 0 && s.asyncAge.count == 0
}

// roll ends the current minute at `at`: writers move to the other slot,
// the figures of the minute that ended are taken out and handed to the
// sink, one call per account and region, sorted.
func (r *Recorder) roll(at time.Time) {
	r.rollMu.Lock()
	defer r.rollMu.Unlock()
	e := r.epoch.Load()
	slot := int(e & 1)
	r.epoch.Store(e + 1) // only roll writes the epoch, under rollMu
	ts := r.start.Truncate(time.Minute)
	r.start = at

	out := map[cloudwatch.Scope]*minute{}
	scope := func(s cloudwatch.Scope) *minute {
		m := out[s]
		if m == nil {
			m = &minute{ts: ts}
			out[s] = m
		}
		return m
	}
	r.fns.Range(func(_, v any) bool {
		f := v.(*fnState)
		f.drain(slot)
		own := f.own.slots[slot].take()
		if !own.empty() {
			m := scope(cloudwatch.Scope{Account: f.key.account, Region: f.key.region})
			m.all.merge(own)
			m.series(own, dims(f.key.name, "", ""))
			f.res.Range(func(q, v any) bool {
				s := v.(*series).slots[slot].take()
				m.series(s, dims(f.key.name, q.(string), ""))
				return true
			})
			f.exec.Range(func(k, v any) bool {
				s := v.(*series).slots[slot].take()
				m.series(s, dims(f.key.name, k.(execKey).qualifier, k.(execKey).version))
				return true
			})
		}
		return true
	})
	if r.books != nil {
		for _, sp := range r.books.TakePeaks() {
			m := scope(cloudwatch.Scope{Account: sp.Scope.Account, Region: sp.Scope.Region})
			m.gauge("ConcurrentExecutions", cloudwatch.UnitCount, nil, float64(sp.InFlight))
			if sp.SharedInFlight > 0 {
				m.gauge("UnreservedConcurrentExecutions", cloudwatch.UnitCount, nil, float64(sp.SharedInFlight))
			}
			for _, fp := range sp.Functions {
				m.gauge("ConcurrentExecutions", cloudwatch.UnitCount, dims(fp.Name, "", ""), float64(fp.InFlight))
				for _, pp := range fp.Provisioned {
					d := dims(fp.Name, pp.Qualifier, "")
					m.gauge("ProvisionedConcurrentExecutions", cloudwatch.UnitCount, d, float64(pp.InFlight))
					m.gauge("ProvisionedConcurrencyUtilization", cloudwatch.UnitNone, d, pp.Utilization)
				}
			}
		}
	}
	scopes := make([]cloudwatch.Scope, 0, len(out))
	for s, m := range out {
		m.series(m.all, nil)
		scopes = append(scopes, s)
	}
	slices.SortFunc(scopes, func(a, b cloudwatch.Scope) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region))
	})
	for _, s := range scopes {
		data := out[s].data
		slices.SortStableFunc(data, func(a, b cloudwatch.Datum) int {
			return cmp.Or(cmp.Compare(a.MetricName, b.MetricName), cmp.Compare(len(a.Dimensions), len(b.Dimensions)),
				slices.CompareFunc(a.Dimensions, b.Dimensions, func(x, y cloudwatch.Dimension) int {
					return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Value, y.Value))
				}))
		})
		if len(data) > 0 {
			r.sink(s, data)
		}
	}
}

// dims is a dimension set: the function's; with its qualifier as
// Resource ("name:qualifier"); with the version an alias executed.
func dims(name, qualifier, version string) []cloudwatch.Dimension {
	d := []cloudwatch.Dimension{{Name: "FunctionName", Value: name}}
	if qualifier != "" {
		d = append(d, cloudwatch.Dimension{Name: "Resource", Value: name + ":" + qualifier})
	}
	if version != "" {
		d = append(d, cloudwatch.Dimension{Name: "ExecutedVersion", Value: version})
	}
	return d
}

// minute collects one scope's data points of one minute.
type minute struct {
	ts   time.Time
	all  snap // the account-wide aggregate of its functions
	data []cloudwatch.Datum
}

func (m *minute) datum(name string, unit cloudwatch.Unit, d []cloudwatch.Dimension, st cloudwatch.StatisticSet) *cloudwatch.Datum {
	m.data = append(m.data, cloudwatch.Datum{Namespace: Namespace, MetricName: name, Dimensions: d, Unit: unit,
		Timestamp: m.ts, Stats: st})
	return &m.data[len(m.data)-1]
}

// gauge is a sampled figure: one sample per minute, its peak.
func (m *minute) gauge(name string, unit cloudwatch.Unit, d []cloudwatch.Dimension, v float64) {
	m.datum(name, unit, d, cloudwatch.StatisticSet{SampleCount: 1, Sum: v, Minimum: v, Maximum: v})
}

// count is n events, each a sample of 1 (sparse: nothing for 0).
func (m *minute) count(name string, d []cloudwatch.Dimension, n int64) {
	if n > 0 {
		m.datum(name, cloudwatch.UnitCount, d, cloudwatch.StatisticSet{SampleCount: float64(n), Sum: float64(n), Minimum: 1, Maximum: 1})
	}
}

// series publishes one dimension set's invocation metrics.
func (m *minute) series(s snap, d []cloudwatch.Dimension) {
	m.count("Invocations", d, s.invocations)
	if s.invocations > 0 {
		// One sample per invocation, 1 for an error and 0 otherwise: Sum
		// is the errors, Average the error rate.
		errMin, errMax := 0.0, 0.0
		if s.errors == s.invocations {
			errMin = 1
		}
		if s.errors > 0 {
			errMax = 1
		}
		m.datum("Errors", cloudwatch.UnitCount, d, cloudwatch.StatisticSet{SampleCount: float64(s.invocations),
			Sum: float64(s.errors), Minimum: errMin, Maximum: errMax})
	}
	m.count("Throttles", d, s.throttles)
	m.count("ProvisionedConcurrencyInvocations", d, s.provisioned)
	m.count("ProvisionedConcurrencySpilloverInvocations", d, s.spillovers)
	m.count("AsyncEventsReceived", d, s.asyncReceived)
	m.count("AsyncEventsDropped", d, s.asyncDropped)
	m.distribution("Duration", d, s.duration)
	m.distribution("AsyncEventAge", d, s.asyncAge)
}

// distribution publishes a distribution in milliseconds: exact count, sum,
// minimum and maximum, and each non-empty bucket's midpoint (within the
// minimum and maximum) with its count as Values and Counts.
func (m *minute) distribution(name string, d []cloudwatch.Dimension, s distSnap) {
	if s.count == 0 {
		return
	}
	const ms = float64(time.Millisecond / time.Microsecond)
	x := m.datum(name, cloudwatch.UnitMilliseconds, d, cloudwatch.StatisticSet{SampleCount: float64(s.count),
		Sum: float64(s.sum) / ms, Minimum: float64(s.min) / ms, Maximum: float64(s.max) / ms})
	idx := make([]int, 0, len(s.buckets))
	for i := range s.buckets {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	x.Values, x.Counts = make([]float64, 0, len(idx)), make([]float64, 0, len(idx))
	for _, i := range idx {
		lo, hi := bucketBounds(i)
		mid := lo + (hi-1-lo)/2
		mid = min(max(mid, s.min), s.max)
		if n := len(x.Values); n > 0 && x.Values[n-1] == float64(mid)/ms {
			x.Counts[n-1] += float64(s.buckets[i]) // two clamped to the same value
			continue
		}
		x.Values = append(x.Values, float64(mid)/ms)
		x.Counts = append(x.Counts, float64(s.buckets[i]))
	}
}
