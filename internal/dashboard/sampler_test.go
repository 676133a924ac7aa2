package dashboard

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

var (
	sc  = lambda.Scope{Account: "123456789012", Region: "us-east-1"}
	csc = concurrency.Scope{Account: sc.Account, Region: sc.Region}
	ar  = AccountRegion{sc.Account, sc.Region}
)

type fakeFunctions map[lambda.Scope][]lambda.FunctionOverview

func (f fakeFunctions) Scopes() []lambda.Scope {
	var out []lambda.Scope
	for s := range f {
		out = append(out, s)
	}
	return out
}

func (f fakeFunctions) Overview(s lambda.Scope) []lambda.FunctionOverview { return f[s] }

func intp(n int) *int { return &n }

func newTestSampler(fns fakeFunctions) (*sampler, *concurrency.Accountant, *Counters) {
	books := concurrency.New(1000)
	c := &Counters{}
	return newSampler(Source{Books: books, Lambda: fns, Counters: c}, false), books, c
}

// TestSamplerFigures: in flight (the second's maximum), per-minute counts
// over a sliding 60 seconds, totals, p99 within the histogram's bound, the
// pool, and the sparklines' minutes.
func TestSamplerFigures(t *testing.T) {
	fns := fakeFunctions{sc: {
		{Name: "a", Reserved: intp(3), LogGroup: "/aws/lambda/a"},
		{Name: "b", Provisioned: []lambda.ProvisionedConfig{{Qualifier: "live", Requested: 2, Allocated: 2, Status: lambda.ProvisionedReady}}},
	}}
	s, books, c := newTestSampler(fns)
	books.SetReserved(csc, "a", 3)
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)

	var leases []concurrency.Lease
	for range 3 {
		l, _, ok := books.TryAcquire(csc, "a")
		if !ok {
			t.Fatal("throttled under the reservation")
		}
		leases = append(leases, l)
	}
	books.Release(leases[2]) // ended before the sample: still the second's maximum
	for i := range 100 {
		c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Duration(i+1) * time.Millisecond, FunctionError: i < 5})
	}
	c.Throttled(sc, "a", lambda.ThrottleRecord{})
	c.Invoked(sc, "b", lambda.InvokeRecord{Spillover: true, Duration: time.Millisecond})

	tk := s.sample(t0)
	st := tk.scopes[ar]
	if st == nil {
		t.Fatalf("no snapshot of %v", ar)
	}
	a, b := st.snap.Functions[0], st.snap.Functions[1]
	if a.Name != "a" || b.Name != "b" {
		t.Fatalf("order %q %q", a.Name, b.Name)
	}
	if a.Inflight != 2 || st.points["a"].Inflight != 3 || a.Sparklines.Inflight[14] != 3 {
		t.Errorf("in flight now %d, second's max %d, minute's max %d; want 2, 3, 3", a.Inflight, st.points["a"].Inflight, a.Sparklines.Inflight[14])
	}
	if a.InvocationsPerMinute != 100 || a.ErrorsPerMinute != 5 || a.ThrottlesPerMinute != 1 || a.Invocations != 100 || a.Throttles != 1 {
		t.Errorf("a's counts %+v", a)
	}
	if b.SpilloverPerMinute != 1 || b.Spillover != 1 || len(b.Provisioned) != 1 || b.Provisioned[0].Status != "READY" {
		t.Errorf("b %+v", b)
	}
	if a.P99DurationMs == nil || math.Abs(*a.P99DurationMs-99) > 99*0.0625 {
		t.Errorf("p99 %v, want 99 ms within 6.25 %%", a.P99DurationMs)
	}
	if *a.Reserved != 3 || b.Reserved != nil {
		t.Errorf("reserved %v %v", a.Reserved, b.Reserved)
	}
	p := st.snap.Pool
	if p.Limit != 1000 || p.Reserved != 3 || p.Unreserved != 997 || p.UnreservedMinimum != 100 || p.Inflight != 2 || p.Throttles != 1 || p.ThrottlesPerMinute != 1 {
		t.Errorf("pool %+v", p)
	}

	// 59 quiet seconds later the invocations are still in the last minute;
	// one more and they have left it (but not the totals, nor the sparkline).
	for i := 1; i <= 59; i++ {
		tk = s.sample(t0.Add(time.Duration(i) * time.Second))
	}
	if f := tk.scopes[ar].snap.Functions[0]; f.InvocationsPerMinute != 100 || f.P99DurationMs == nil {
		t.Errorf("after 59 s: %d per minute, p99 %v", f.InvocationsPerMinute, f.P99DurationMs)
	}
	tk = s.sample(t0.Add(60 * time.Second))
	f := tk.scopes[ar].snap.Functions[0]
	if f.InvocationsPerMinute != 0 || f.P99DurationMs != nil || f.Invocations != 100 || f.Sparklines.Invocations[13] != 100 || f.Inflight != 2 {
		t.Errorf("after 60 s: %+v", f)
	}
	for _, l := range leases[:2] {
		books.Release(l)
	}

	// The JSON is the contract's.
	var m map[string]any
	if err := json.Unmarshal(tk.scopes[ar].JSON(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "accounts", "account", "region", "pool", "functions"} {
		if _, ok := m[k]; !ok {
			t.Errorf("snapshot JSON lacks %q", k)
		}
	}
	fj := m["functions"].([]any)[1].(map[string]any)
	if fj["reserved"] != nil || fj["p99DurationMs"] != nil || len(fj["sparklines"].(map[string]any)["spillover"].([]any)) != 15 {
		t.Errorf("function JSON %v", fj)
	}
}

// TestSamplerBounded: after more than the history's length, the rings hold
// exactly 15 minutes, a deleted function's history goes, and detail series
// are 900 points with the reserved line.
func TestSamplerBounded(t *testing.T) {
	fns := fakeFunctions{sc: {{Name: "a", Reserved: intp(2)}, {Name: "gone"}}}
	s, _, c := newTestSampler(fns)
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	for i := range 2 * historySeconds {
		c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Millisecond})
		if i == 10 {
			fns[sc] = fns[sc][:1]
		}
		s.sample(t0.Add(time.Duration(i) * time.Second))
	}
	if _, ok := s.histories[ar]["gone"]; ok || len(s.histories[ar]) != 1 {
		t.Errorf("histories %v", s.histories[ar])
	}
	h := s.histories[ar]["a"]
	d := h.detailSeries()
	if len(d.Inflight) != historySeconds || len(d.Reserved) != historySeconds || *d.Reserved[0] != 2 || d.Invocations[historySeconds-1] != 1 {
		t.Errorf("series: %d points, reserved %v, last invocations %d", len(d.Inflight), d.Reserved[0], d.Invocations[historySeconds-1])
	}
	f := s.sample(t0.Add(2 * historySeconds * time.Second)).scopes[ar].snap.Functions[0]
	var sum int64
	for _, n := range f.Sparklines.Invocations {
		sum += n
	}
	if f.InvocationsPerMinute != 59 || sum != 899 || f.Invocations != 2*historySeconds {
		t.Errorf("per minute %d, 15-minute sum %d, total %d", f.InvocationsPerMinute, sum, f.Invocations)
	}
}

// TestCountersNoAllocs: recording an invocation or a throttle of a known
// function allocates nothing.
func TestCountersNoAllocs(t *testing.T) {
	c := &Counters{}
	rec := lambda.InvokeRecord{Duration: 3 * time.Millisecond, Spillover: true}
	c.Invoked(sc, "a", rec)
	if n := testing.AllocsPerRun(100, func() {
		c.Invoked(sc, "a", rec)
		c.Throttled(sc, "a", lambda.ThrottleRecord{})
	}); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}

// TestHistBuckets: every value lands in a bucket whose midpoint is within
// 1/16 of it.
func TestHistBuckets(t *testing.T) {
	for _, us := range []int64{0, 1, 7, 8, 9, 15, 16, 100, 999, 1000, 12345, 1 << 20, 987654321} {
		mid := histMid(histBucket(us))
		if us >= histSub && math.Abs(mid-float64(us)) > float64(us)/16 {
			t.Errorf("%d µs → bucket midpoint %v", us, mid)
		}
		if us < histSub && mid != float64(us) {
			t.Errorf("%d µs → %v", us, mid)
		}
	}
}

// TestSamplerRecreatedStartsAtZero: a function deleted after 1000
// invocations and created again under the same name shows only its own
// invocation (and p99), and the deleted function's counters are gone.
func TestSamplerRecreatedStartsAtZero(t *testing.T) {
	fns := fakeFunctions{sc: {{Name: "a"}}}
	s, _, c := newTestSampler(fns)
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	s.sample(t0)
	for range 1000 {
		c.Invoked(sc, "a", lambda.InvokeRecord{Duration: 900 * time.Millisecond})
	}
	s.sample(t0.Add(time.Second))
	fns[sc] = nil
	s.sample(t0.Add(2 * time.Second))
	if c.lookup(ar.Account, ar.Region, "a") != nil {
		t.Error("a deleted function's counters are still kept")
	}
	// An invocation of the deleted function that ends after the sampler
	// forgot it leaves counters without a function: they go too.
	c.Invoked(sc, "a", lambda.InvokeRecord{Duration: 900 * time.Millisecond})
	s.sample(t0.Add(2500 * time.Millisecond))
	if c.lookup(ar.Account, ar.Region, "a") == nil {
		t.Error("counters without a function went at once, not after a second tick")
	}
	s.sample(t0.Add(2700 * time.Millisecond))
	if c.lookup(ar.Account, ar.Region, "a") != nil {
		t.Error("counters without a function are kept past two ticks")
	}
	fns[sc] = []lambda.FunctionOverview{{Name: "a"}}
	c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Millisecond})
	f := s.sample(t0.Add(3 * time.Second)).scopes[ar].snap.Functions[0]
	if f.InvocationsPerMinute != 1 || f.Invocations != 1 || f.P99DurationMs == nil || *f.P99DurationMs > 2 {
		t.Errorf("re-created function: %d per minute, %d total, p99 %v ms; want 1, 1, about 1", f.InvocationsPerMinute, f.Invocations, f.P99DurationMs)
	}
}

// TestSamplerWallClockSeconds: the history is indexed by the clock's
// second, not by the sample's number. A sampler delayed to every other
// second counts a minute as 60 seconds (30 samples), the skipped seconds are
// zero in the detail series, and the series ends at the newest sample's
// second.
func TestSamplerWallClockSeconds(t *testing.T) {
	fns := fakeFunctions{sc: {{Name: "a"}}}
	s, _, c := newTestSampler(fns)
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	var last *tick
	for i := range 120 { // 120 samples, 2 s apart: 240 s
		c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Millisecond})
		last = s.sample(t0.Add(time.Duration(2*i)*time.Second + 300*time.Millisecond))
	}
	f := last.scopes[ar].snap.Functions[0]
	if f.InvocationsPerMinute != 30 || f.Sparklines.Invocations[13] != 30 || f.Invocations != 120 {
		t.Errorf("per minute %d, minute before %d, total %d; want 30, 30, 120", f.InvocationsPerMinute, f.Sparklines.Invocations[13], f.Invocations)
	}
	end := t0.Add(238 * time.Second)
	if p := last.scopes[ar].points["a"]; !p.Time.Equal(end) {
		t.Errorf("point time %v, want the second %v", p.Time, end)
	}
	d := s.histories[ar]["a"].detailSeries()
	if got := d.Start.Add((historySeconds - 1) * time.Second); !got.Equal(end) {
		t.Errorf("series ends at %v, want %v", got, end)
	}
	n := len(d.Invocations)
	if d.Invocations[n-1] != 1 || d.Invocations[n-2] != 0 || d.Invocations[n-3] != 1 || d.Reserved[n-2] != nil {
		t.Errorf("last seconds %v", d.Invocations[n-4:])
	}

	// Two samples within one second add up in that second.
	c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Millisecond})
	s.sample(end.Add(1200 * time.Millisecond))
	c.Invoked(sc, "a", lambda.InvokeRecord{Duration: time.Millisecond})
	tk := s.sample(end.Add(1700 * time.Millisecond))
	f = tk.scopes[ar].snap.Functions[0]
	if d := s.histories[ar]["a"].detailSeries(); d.Invocations[n-1] != 2 || f.InvocationsPerMinute != 32 || tk.scopes[ar].points["a"].Invocations != 2 {
		t.Errorf("two samples in a second: last second %d, per minute %d, point %d; want 2, 32, 2", d.Invocations[n-1], f.InvocationsPerMinute, tk.scopes[ar].points["a"].Invocations)
	}
}
