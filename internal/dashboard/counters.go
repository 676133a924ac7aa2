package dashboard

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Counters is a lambda.InvokeObserver that counts, per function, the
// invocations, errors, throttles and spill-overs since the server started,
// and the durations in a cumulative histogram. A record takes no lock and
// allocates nothing once the function has been seen: its state is found in
// a sync.Map keyed by a comparable struct and every figure is an atomic of
// that function alone. The sampler reads the totals once a second and turns
// their differences into per-second history.
type Counters struct {
	fns sync.Map // fnKey → *fnCounters
}

var _ lambda.InvokeObserver = (*Counters)(nil)

type fnKey struct{ account, region, name string }

// fnCounters are one function's totals. Nothing here is shared with
// another function.
type fnCounters struct {
	invocations atomic.Int64
	errors      atomic.Int64
	throttles   atomic.Int64
	spillover   atomic.Int64
	durations   hist
}

// hist is a cumulative histogram of durations in whole microseconds, in
// log-scale buckets: values below 8 µs have a bucket each; above, each power
// of two is cut into 8 equal buckets, so a bucket's midpoint is within 1/16
// (6.25 %) of every value in it. Values from 2^40 µs on share the last.
type hist struct {
	buckets [histBuckets]atomic.Int64
}

const (
	histSubBits   = 3
	histSub       = 1 << histSubBits
	histMaxOctave = 39
	histBuckets   = histSub + (histMaxOctave-histSubBits+1)*histSub
)

func histBucket(us int64) int {
	if us < histSub {
		return int(max(us, 0))
	}
	oct := bits.Len64(uint64(us)) - 1
	if oct > histMaxOctave {
		return histBuckets - 1
	}
	sub := int(us>>(oct-histSubBits)) & (histSub - 1)
	return (oct-histSubBits+1)*histSub + sub
}

// histMid is the midpoint of bucket i, in microseconds.
func histMid(i int) float64 {
	if i < histSub {
		return float64(i)
	}
	oct := i/histSub - 1 + histSubBits
	sub := int64(i % histSub)
	shift := oct - histSubBits
	lo, hi := (histSub+sub)<<shift, (histSub+sub+1)<<shift
	return float64(lo+hi) / 2
}

func (c *Counters) function(sc lambda.Scope, name string) *fnCounters {
	k := fnKey{sc.Account, sc.Region, name}
	if f, ok := c.fns.Load(k); ok {
		return f.(*fnCounters)
	}
	f, _ := c.fns.LoadOrStore(k, &fnCounters{})
	return f.(*fnCounters)
}

// lookup returns the function's counters, nil when it never ran nor was throttled.
func (c *Counters) lookup(account, region, name string) *fnCounters {
	if f, ok := c.fns.Load(fnKey{account, region, name}); ok {
		return f.(*fnCounters)
	}
	return nil
}

// forget drops the function's counters: the sampler calls it when the
// function is gone, so that one created again under its name starts at
// zero and the map holds only functions that exist.
func (c *Counters) forget(account, region, name string) {
	c.fns.Delete(fnKey{account, region, name})
}

// Invoked implements lambda.InvokeObserver. The duration counted is the
// function's run without a cold start's initialization, as in Lambda's
// REPORT line and Duration metric.
func (c *Counters) Invoked(sc lambda.Scope, function string, r lambda.InvokeRecord) {
	f := c.function(sc, function)
	f.durations.buckets[histBucket(max(0, r.Duration-r.InitDuration).Microseconds())].Add(1)
	if r.FunctionError {
		f.errors.Add(1)
	}
	if r.Spillover {
		f.spillover.Add(1)
	}
	f.invocations.Add(1)
}

// Throttled implements lambda.InvokeObserver.
func (c *Counters) Throttled(sc lambda.Scope, function string, _ lambda.ThrottleRecord) {
	c.function(sc, function).throttles.Add(1)
}

// AsyncReceived implements lambda.InvokeObserver.
func (c *Counters) AsyncReceived(lambda.Scope, string, string) {}

// AsyncDropped implements lambda.InvokeObserver.
func (c *Counters) AsyncDropped(lambda.Scope, string, string, string) {}
