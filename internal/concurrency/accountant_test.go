package concurrency

import (
	"sync"
	"testing"
)

var sc = Scope{Account: "111111111111", Region: "us-east-1"}

func TestCheckReserved(t *testing.T) {
	tests := []struct {
		name  string
		setup func(a *Accountant)
		fn    string
		r     int
		want  *Violation
	}{
		{name: "zero always fits", fn: "f", r: 0},
		{name: "up to limit minus floor", fn: "f", r: 900},
		{name: "one over the floor", fn: "f", r: 901, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "the whole limit", fn: "f", r: 1000, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "over the limit", fn: "f", r: 1001, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "others' reservations count", setup: func(a *Accountant) { a.SetReserved(sc, "g", 500) }, fn: "f", r: 401, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "own old reservation does not count", setup: func(a *Accountant) { a.SetReserved(sc, "f", 900) }, fn: "f", r: 900},
		{name: "others' unreserved provisioned counts", setup: func(a *Accountant) { a.SetProvisioned(sc, "g", "1", 300) }, fn: "f", r: 601, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "below own provisioned", setup: func(a *Accountant) { a.SetProvisioned(sc, "f", "1", 2) }, fn: "f", r: 1, want: &Violation{BelowProvisioned, 2}},
		{name: "equal to own provisioned", setup: func(a *Accountant) { a.SetProvisioned(sc, "f", "1", 2) }, fn: "f", r: 2},
		{name: "other scope is independent", setup: func(a *Accountant) { a.SetReserved(Scope{"222222222222", "us-east-1"}, "g", 900) }, fn: "f", r: 900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(1000)
			if tt.setup != nil {
				tt.setup(a)
			}
			got := a.CheckReserved(sc, tt.fn, tt.r)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("CheckReserved(%d) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}

func TestCheckProvisioned(t *testing.T) {
	tests := []struct {
		name  string
		setup func(a *Accountant)
		q     string
		n     int
		want  *Violation
	}{
		{name: "over the account", q: "1", n: 1001, want: &Violation{OverUnreserved, 1000}},
		{name: "the whole account", q: "1", n: 1000, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "up to the floor", q: "1", n: 900},
		{name: "unreserved shrinks with reservations", setup: func(a *Accountant) { a.SetReserved(sc, "g", 400) }, q: "1", n: 601, want: &Violation{OverUnreserved, 600}},
		{name: "other configs of the function count", setup: func(a *Accountant) { a.SetProvisioned(sc, "f", "2", 800) }, q: "1", n: 101, want: &Violation{BelowUnreservedMinimum, 100}},
		{name: "replacing own config", setup: func(a *Accountant) { a.SetProvisioned(sc, "f", "1", 800) }, q: "1", n: 900},
		{name: "within reservation", setup: func(a *Accountant) { a.SetReserved(sc, "f", 2) }, q: "1", n: 2},
		{name: "over reservation", setup: func(a *Accountant) { a.SetReserved(sc, "f", 2) }, q: "2", n: 3, want: &Violation{OverReserved, 2}},
		{name: "over reservation with another config", setup: func(a *Accountant) {
			a.SetReserved(sc, "f", 2)
			a.SetProvisioned(sc, "f", "1", 2)
		}, q: "2", n: 1, want: &Violation{OverReserved, 2}},
		{name: "update of a config within reservation", setup: func(a *Accountant) {
			a.SetReserved(sc, "f", 2)
			a.SetProvisioned(sc, "f", "1", 2)
		}, q: "1", n: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(1000)
			if tt.setup != nil {
				tt.setup(a)
			}
			got := a.CheckProvisioned(sc, "f", tt.q, tt.n)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("CheckProvisioned(%s, %d) = %v, want %v", tt.q, tt.n, got, tt.want)
			}
		})
	}
}

func TestUsageTracksReservations(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "f", 10)
	a.SetReserved(sc, "g", 0)
	a.SetProvisioned(sc, "h", "1", 5) // provisioned without reservation does not show here
	if got := a.Usage(sc).UnreservedConcurrentExecution; got != 990 {
		t.Fatalf("unreserved = %d, want 990", got)
	}
	a.SetReserved(sc, "f", -1)
	a.RemoveFunction(sc, "g")
	if got := a.Usage(sc).UnreservedConcurrentExecution; got != 1000 {
		t.Fatalf("unreserved after removal = %d, want 1000", got)
	}
}

func acquireN(a *Accountant, fn, q string, n int) (leases []Lease, throttles map[string]int) {
	throttles = map[string]int{}
	for range n {
		l, reason, ok := a.TryAcquire(sc, fn, q)
		if ok {
			leases = append(leases, l)
		} else {
			throttles[reason]++
		}
	}
	return leases, throttles
}

func TestReservedCapsInFlight(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "f", 5)
	leases, thr := acquireN(a, "f", "", 50)
	if len(leases) != 5 || thr[ReasonReservedLimit] != 45 {
		t.Fatalf("admitted %d, throttled %v; want 5 and 45 reserved throttles", len(leases), thr)
	}
	a.Release(leases[0])
	if _, _, ok := a.TryAcquire(sc, "f", ""); !ok {
		t.Fatal("a released slot was not reusable")
	}
}

func TestReservedZeroThrottlesEverything(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "f", 0)
	if _, reason, ok := a.TryAcquire(sc, "f", ""); ok || reason != ReasonReservedLimit {
		t.Fatalf("got ok=%v reason=%q, want reserved throttle", ok, reason)
	}
}

func TestReservedEqualsProvisionedBlocksOnDemand(t *testing.T) {
	// Recorded on AWS: reserved 1, provisioned 1 on version 1 leaves $LATEST no capacity.
	a := New(1000)
	a.SetReserved(sc, "f", 1)
	a.SetProvisioned(sc, "f", "1", 1)
	a.SetAllocated(sc, "f", "1", 1)
	if _, reason, ok := a.TryAcquire(sc, "f", ""); ok || reason != ReasonReservedLimit {
		t.Fatalf("$LATEST: ok=%v reason=%q, want reserved throttle", ok, reason)
	}
	l, _, ok := a.TryAcquire(sc, "f", "1")
	if !ok || !l.Provisioned {
		t.Fatalf("version 1: ok=%v provisioned=%v, want a provisioned lease", ok, l.Provisioned)
	}
	if _, _, ok := a.TryAcquire(sc, "f", "1"); ok {
		t.Fatal("second call on version 1 admitted beyond the reservation")
	}
}

func TestProvisionedSpillsOverToOnDemand(t *testing.T) {
	a := New(1000)
	a.SetProvisioned(sc, "f", "1", 2)
	a.SetAllocated(sc, "f", "1", 2)
	leases, _ := acquireN(a, "f", "1", 3)
	if len(leases) != 3 {
		t.Fatalf("admitted %d, want 3", len(leases))
	}
	prov := 0
	for _, l := range leases {
		if l.Provisioned {
			prov++
		}
	}
	if prov != 2 {
		t.Fatalf("%d provisioned leases, want 2 (third spills over)", prov)
	}
}

func TestProvisionedNotServingUntilAllocated(t *testing.T) {
	a := New(1000)
	a.SetProvisioned(sc, "f", "1", 2)
	l, _, ok := a.TryAcquire(sc, "f", "1")
	if !ok || l.Provisioned {
		t.Fatalf("ok=%v provisioned=%v; an IN_PROGRESS config must not serve", ok, l.Provisioned)
	}
}

func TestSharedPoolExcludesReservedAndProvisioned(t *testing.T) {
	a := New(20)
	a.SetReserved(sc, "r", 5)         // shared pool: 20 − 5
	a.SetProvisioned(sc, "p", "1", 3) // and − 3 provisioned of an unreserved function
	leases, thr := acquireN(a, "u", "", 20)
	if len(leases) != 12 || thr[ReasonAccountLimit] != 8 {
		t.Fatalf("admitted %d throttled %v, want 12 and 8 account throttles", len(leases), thr)
	}
	// The reserved function keeps its own capacity even when the shared pool is full.
	if got, _ := acquireN(a, "r", "", 5); len(got) != 5 {
		t.Fatalf("reserved function admitted %d, want 5", len(got))
	}
	if u := a.Usage(sc); u.InFlight != 17 || u.SharedInFlight != 12 {
		t.Fatalf("usage %+v, want 17 in flight, 12 shared", u)
	}
}

func TestConcurrentAcquireNeverOverAdmits(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "f", 7)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				l, _, ok := a.TryAcquire(sc, "f", "")
				if !ok {
					continue
				}
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				mu.Lock()
				inFlight--
				mu.Unlock()
				a.Release(l)
			}
		}()
	}
	wg.Wait()
	if peak > 7 {
		t.Fatalf("peak in flight %d exceeds reservation 7", peak)
	}
	if got := a.FunctionInFlight(sc, "f"); got != 0 {
		t.Fatalf("in flight after all releases = %d, want 0", got)
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	a := New(1000)
	a.SetReserved(sc, "f", 10)
	b.ReportAllocs()
	for b.Loop() {
		l, _, ok := a.TryAcquire(sc, "f", "")
		if !ok {
			b.Fatal("throttled")
		}
		a.Release(l)
	}
}

func BenchmarkAcquireReleaseParallel(b *testing.B) {
	a := New(1 << 30)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l, _, ok := a.TryAcquire(sc, "f", "")
			if !ok {
				b.Fatal("throttled")
			}
			a.Release(l)
		}
	})
}
