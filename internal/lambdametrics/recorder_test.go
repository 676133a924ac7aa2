package lambdametrics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

var lsc = lambda.Scope{Account: "123456789012", Region: "us-east-1"}
var csc = cloudwatch.Scope{Account: lsc.Account, Region: lsc.Region}

// collector is a Sink that keeps every call.
type collector struct {
	mu    sync.Mutex
	calls []call
	got   chan struct{} // signalled at each call
}

type call struct {
	scope cloudwatch.Scope
	data  []cloudwatch.Datum
}

func newCollector() *collector { return &collector{got: make(chan struct{}, 1000)} }

func (c *collector) sink(s cloudwatch.Scope, d []cloudwatch.Datum) {
	c.mu.Lock()
	c.calls = append(c.calls, call{s, d})
	c.mu.Unlock()
	c.got <- struct{}{}
}

func (c *collector) all() []cloudwatch.Datum {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cloudwatch.Datum
	for _, cl := range c.calls {
		out = append(out, cl.data...)
	}
	return out
}

// key names a datum's metric and dimensions, e.g. "Invocations FunctionName=f Resource=f:1".
func key(d cloudwatch.Datum) string {
	var b strings.Builder
	b.WriteString(d.MetricName)
	for _, x := range d.Dimensions {
		b.WriteString(" " + x.Name + "=" + x.Value)
	}
	return b.String()
}

func index(data []cloudwatch.Datum) map[string]cloudwatch.Datum {
	m := map[string]cloudwatch.Datum{}
	for _, d := range data {
		if _, dup := m[key(d)]; dup {
			panic("two data points for " + key(d))
		}
		m[key(d)] = d
	}
	return m
}

// TestBuckets: every value falls in the bucket whose bounds hold it, and
// the bucket's midpoint is within 1/32 of it.
func TestBuckets(t *testing.T) {
	check := func(x int64) {
		i := bucketOf(x)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d", x, i)
		}
		lo, hi := bucketBounds(i)
		if i == numBuckets-1 {
			if x < lo {
				t.Fatalf("%d below the last bucket [%d, ...)", x, lo)
			}
			return
		}
		if x < lo || x >= hi {
			t.Fatalf("%d not in bucket %d [%d, %d)", x, i, lo, hi)
		}
		mid := lo + (hi-1-lo)/2
		if d := float64(mid - x); d*32 > float64(x) || -d*32 > float64(x) {
			t.Fatalf("midpoint %d of %d is off by more than 1/32", mid, x)
		}
	}
	for x := int64(0); x < 100000; x++ {
		check(x)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(r.Int64N(1 << 41))
	}
	check(1<<40 - 1)
	check(1 << 62)
	for i := 1; i < numBuckets; i++ { // contiguous
		_, hi := bucketBounds(i - 1)
		if lo, _ := bucketBounds(i); lo != hi {
			t.Fatalf("gap between buckets %d and %d", i-1, i)
		}
	}
}

// TestMinute: one minute's invocations, throttles, asynchronous events and
// concurrency become the data points AWS publishes, with its units and
// dimension sets, stamped with the minute; a minute where nothing happened
// publishes nothing.
func TestMinute(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 30, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	books := concurrency.New(1000)
	bsc := concurrency.Scope{Account: lsc.Account, Region: lsc.Region}
	books.SetReserved(bsc, "f", 10)
	books.SetProvisioned(bsc, "p", "1", 4)
	books.SetAllocated(bsc, "p", "1", 4)
	c := newCollector()
	r := New(Options{Sink: c.sink, Books: books, Clock: clock})
	defer r.Close()

	var leases []concurrency.Lease
	for range 3 {
		l, _, _ := books.TryAcquire(bsc, "f")
		leases = append(leases, l)
	}
	u, _, _ := books.TryAcquire(bsc, "u")
	p := books.AcquireProvisioned(bsc, "p", "1")
	for _, l := range leases {
		books.Release(l)
	}
	books.Release(u)
	books.Release(p)

	ms := time.Millisecond
	r.Invoked(lsc, "f", lambda.InvokeRecord{ExecutedVersion: "$LATEST", Duration: 10 * ms})
	r.Invoked(lsc, "f", lambda.InvokeRecord{ExecutedVersion: "$LATEST", Duration: 30 * ms, InitDuration: 10 * ms, FunctionError: true})
	r.Invoked(lsc, "f", lambda.InvokeRecord{Qualifier: "live", ExecutedVersion: "2", Duration: 40 * ms})
	r.Invoked(lsc, "f", lambda.InvokeRecord{Qualifier: "live", ExecutedVersion: "2", Duration: 40 * ms, Async: true, AsyncEventAge: 5 * ms})
	r.Throttled(lsc, "f", lambda.ThrottleRecord{Reason: concurrency.ReasonReservedLimit, Qualifier: "live"})
	r.Throttled(lsc, "g", lambda.ThrottleRecord{Reason: concurrency.ReasonAccountLimit})
	r.AsyncReceived(lsc, "f", "live")
	r.AsyncDropped(lsc, "f", "live", lambda.DropRetriesExhausted)
	r.Invoked(lsc, "p", lambda.InvokeRecord{Qualifier: "1", ExecutedVersion: "1", Provisioned: true, Duration: ms})
	r.Invoked(lsc, "p", lambda.InvokeRecord{Qualifier: "1", ExecutedVersion: "1", Spillover: true, Duration: ms})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	<-c.got
	c.mu.Lock()
	calls := c.calls
	c.mu.Unlock()
	if len(calls) != 1 || calls[0].scope != csc {
		t.Fatalf("calls %+v", calls)
	}
	got := index(calls[0].data)
	minute := t0.Truncate(time.Minute)
	for _, d := range calls[0].data {
		if d.Namespace != "AWS/Lambda" || !d.Timestamp.Equal(minute) {
			t.Errorf("%s: namespace %q, timestamp %v", key(d), d.Namespace, d.Timestamp)
		}
	}
	counts := map[string]float64{
		"Invocations": 6, "Invocations FunctionName=f": 4, "Invocations FunctionName=f Resource=f:live": 2,
		"Invocations FunctionName=f Resource=f:live ExecutedVersion=2": 2,
		"Invocations FunctionName=p":                                   2, "Invocations FunctionName=p Resource=p:1": 2,
		"Throttles": 2, "Throttles FunctionName=f": 1, "Throttles FunctionName=f Resource=f:live": 1, "Throttles FunctionName=g": 1,
		"AsyncEventsReceived": 1, "AsyncEventsReceived FunctionName=f": 1, "AsyncEventsReceived FunctionName=f Resource=f:live": 1,
		"AsyncEventsDropped": 1, "AsyncEventsDropped FunctionName=f": 1, "AsyncEventsDropped FunctionName=f Resource=f:live": 1,
		"ProvisionedConcurrencyInvocations": 1, "ProvisionedConcurrencyInvocations FunctionName=p": 1,
		"ProvisionedConcurrencyInvocations FunctionName=p Resource=p:1": 1,
		"ProvisionedConcurrencySpilloverInvocations":                    1, "ProvisionedConcurrencySpilloverInvocations FunctionName=p": 1,
		"ProvisionedConcurrencySpilloverInvocations FunctionName=p Resource=p:1": 1,
	}
	for k, n := range counts {
		d, ok := got[k]
		if !ok {
			t.Errorf("no %s", k)
			continue
		}
		if d.Unit != cloudwatch.UnitCount || d.Stats != (cloudwatch.StatisticSet{SampleCount: n, Sum: n, Minimum: 1, Maximum: 1}) {
			t.Errorf("%s: %s %+v, want %v", k, d.Unit, d.Stats, n)
		}
	}
	if d := got["Errors FunctionName=f"]; d.Stats != (cloudwatch.StatisticSet{SampleCount: 4, Sum: 1, Minimum: 0, Maximum: 1}) {
		t.Errorf("Errors of f: %+v", d.Stats)
	}
	if d := got["Errors FunctionName=f Resource=f:live"]; d.Stats != (cloudwatch.StatisticSet{SampleCount: 2, Sum: 0, Minimum: 0, Maximum: 0}) {
		t.Errorf("Errors of f:live: %+v", d.Stats)
	}
	dur := got["Duration FunctionName=f"]
	if dur.Unit != cloudwatch.UnitMilliseconds || dur.Stats != (cloudwatch.StatisticSet{SampleCount: 4, Sum: 110, Minimum: 10, Maximum: 40}) ||
		!near(dur.Values, []float64{10, 20, 40}) || !slices.Equal(dur.Counts, []float64{1, 1, 2}) {
		t.Errorf("Duration of f (the cold start's init left out): %+v", dur)
	}
	if d := got["Duration"]; d.Stats.SampleCount != 6 || d.Stats.Sum != 112 {
		t.Errorf("Duration across functions: %+v", d.Stats)
	}
	if d := got["AsyncEventAge FunctionName=f Resource=f:live ExecutedVersion=2"]; d.Unit != cloudwatch.UnitMilliseconds ||
		d.Stats != (cloudwatch.StatisticSet{SampleCount: 1, Sum: 5, Minimum: 5, Maximum: 5}) {
		t.Errorf("AsyncEventAge: %+v", d)
	}
	gauges := map[string]float64{
		"ConcurrentExecutions": 5, "ConcurrentExecutions FunctionName=f": 3, "ConcurrentExecutions FunctionName=u": 1,
		"ConcurrentExecutions FunctionName=p": 1, "UnreservedConcurrentExecutions": 1,
		"ProvisionedConcurrentExecutions FunctionName=p Resource=p:1": 1, "ProvisionedConcurrencyUtilization FunctionName=p Resource=p:1": 0.25,
	}
	for k, v := range gauges {
		d, ok := got[k]
		if !ok {
			t.Errorf("no %s", k)
			continue
		}
		unit := cloudwatch.UnitCount
		if strings.HasPrefix(k, "ProvisionedConcurrencyUtilization") {
			unit = cloudwatch.UnitNone
		}
		if d.Unit != unit || d.Stats != (cloudwatch.StatisticSet{SampleCount: 1, Sum: v, Minimum: v, Maximum: v}) {
			t.Errorf("%s: %s %+v, want %v", k, d.Unit, d.Stats, v)
		}
	}
	for k := range got {
		if _, ok := counts[k]; ok {
			continue
		}
		if _, ok := gauges[k]; ok {
			continue
		}
		if !strings.HasPrefix(k, "Errors") && !strings.HasPrefix(k, "Duration") && !strings.HasPrefix(k, "AsyncEventAge") {
			t.Errorf("unexpected %s", k)
		}
	}
	for k := range got {
		if strings.Contains(k, "ExecutedVersion=$LATEST") || strings.Contains(k, "Throttles FunctionName=f Resource=f:live ExecutedVersion") ||
			strings.Contains(k, "Resource=p:1 ExecutedVersion") {
			t.Errorf("ExecutedVersion published beyond alias invocations: %s", k)
		}
	}

	// The next minute: nothing happened, nothing published.
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the loop waits for the minute after
		t.Fatal(err)
	}
	r.Close()
	if c.mu.Lock(); len(c.calls) != 1 {
		t.Errorf("a minute without anything published %+v", c.calls[1:])
	}
	c.mu.Unlock()
}

// TestRollOverLosesNothing hammers the recorder from many goroutines over
// many functions while minutes roll over: the totals over every minute are
// exactly the calls made, and within each minute and dimension set the
// figures agree (each record landed whole in one minute).
func TestRollOverLosesNothing(t *testing.T) {
	c := newCollector()
	clock := clockwork.NewFakeClock() // minutes are rolled by hand below
	r := New(Options{Sink: c.sink, Clock: clock})
	const workers, rolls = 4, 60
	var made, failed atomic.Int64
	var rolled atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; rolled.Load() < rolls; i++ {
				fn := fmt.Sprintf("f%d", (w+i)%5)
				r.Invoked(lsc, fn, lambda.InvokeRecord{Qualifier: "live", ExecutedVersion: "3", FunctionError: i%3 == 0,
					Duration: time.Duration(i%5000) * time.Microsecond})
				r.Throttled(lsc, fn, lambda.ThrottleRecord{})
				made.Add(1)
				if i%3 == 0 {
					failed.Add(1)
				}
			}
		}()
	}
	for rolled.Load() < rolls {
		for target := made.Load() + 20; made.Load() < target; {
			runtime.Gosched() // let the writers make some records in each minute
		}
		r.roll(clock.Now())
		rolled.Add(1)
	}
	wg.Wait()
	r.Close()

	var invocations, errors, throttles, durations float64
	for _, cl := range c.calls {
		m := index(cl.data)
		for k, d := range m {
			switch {
			case d.MetricName == "Invocations" && len(d.Dimensions) == 1:
				invocations += d.Stats.Sum
			case d.MetricName == "Errors" && len(d.Dimensions) == 1:
				errors += d.Stats.Sum
			case d.MetricName == "Throttles" && len(d.Dimensions) == 1:
				throttles += d.Stats.Sum
			case d.MetricName == "Duration" && len(d.Dimensions) == 1:
				durations += d.Stats.SampleCount
			}
			if d.MetricName == "Invocations" {
				rest := strings.TrimPrefix(k, "Invocations")
				if e := m["Errors"+rest]; e.Stats.SampleCount != d.Stats.Sum {
					t.Errorf("a minute's %s: %v invocations, %v Errors samples", k, d.Stats.Sum, e.Stats.SampleCount)
				}
				var sum float64
				for _, n := range m["Duration"+rest].Counts {
					sum += n
				}
				if dd := m["Duration"+rest]; dd.Stats.SampleCount != d.Stats.Sum || sum != d.Stats.Sum {
					t.Errorf("a minute's %s: %v invocations, %v durations (%v in buckets)", k, d.Stats.Sum, dd.Stats.SampleCount, sum)
				}
				if len(d.Dimensions) == 2 && m["Invocations "+d.Dimensions[0].Name+"="+d.Dimensions[0].Value].Stats.Sum != d.Stats.Sum {
					t.Errorf("a minute's %s differs from its function's", k)
				}
			}
		}
		if all, fns := m["Invocations"].Stats.Sum, sumOver(m, "Invocations", 1); all != fns {
			t.Errorf("a minute's Invocations across functions %v, sum of functions %v", all, fns)
		}
	}
	n := float64(made.Load())
	if invocations != n || throttles != n || durations != n || errors != float64(failed.Load()) {
		t.Errorf("totals: %v invocations, %v throttles, %v durations, %v errors; want %v each (errors %d)",
			invocations, throttles, durations, errors, n, failed.Load())
	}
	t.Logf("%d minutes had figures", len(c.calls))
}

// near: the same length, each within the buckets' 1/32.
func near(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if d := (got[i] - want[i]) / want[i]; d > 1.0/32 || d < -1.0/32 {
			return false
		}
	}
	return true
}

func sumOver(m map[string]cloudwatch.Datum, metric string, ndims int) float64 {
	var s float64
	for _, d := range m {
		if d.MetricName == metric && len(d.Dimensions) == ndims {
			s += d.Stats.Sum
		}
	}
	return s
}

// TestPercentileWithinBound: p99 computed from the published Values and
// Counts is within the buckets' bound of the exact p99.
func TestPercentileWithinBound(t *testing.T) {
	c := newCollector()
	r := New(Options{Sink: c.sink, Clock: clockwork.NewFakeClock()})
	rng := rand.New(rand.NewPCG(3, 4))
	var exact []float64
	for range 10000 {
		us := int64(rng.ExpFloat64()*20000) + 1 // ~20 ms mean, a long tail
		exact = append(exact, float64(us)/1000)
		r.Invoked(lsc, "f", lambda.InvokeRecord{Duration: time.Duration(us) * time.Microsecond})
	}
	r.Close()
	d := index(c.all())["Duration FunctionName=f"]
	slices.Sort(exact)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		want := exact[int(q*float64(len(exact)))-1]
		rank, got := q*d.Stats.SampleCount, 0.0
		for i, n := range d.Counts {
			rank -= n
			if rank <= 0 {
				got = d.Values[i]
				break
			}
		}
		if diff := (got - want) / want; diff > 1.0/32 || diff < -1.0/32 {
			t.Errorf("p%v: %v from the buckets, %v exactly", q*100, got, want)
		}
	}
}
