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

func acquireN(a *Accountant, fn string, n int) (leases []Lease, throttles map[string]int) {
	throttles = map[string]int{}
	for range n {
		l, reason, ok := a.TryAcquire(sc, fn)
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
	leases, thr := acquireN(a, "f", 50)
	if len(leases) != 5 || thr[ReasonReservedLimit] != 45 {
		t.Fatalf("admitted %d, throttled %v; want 5 and 45 reserved throttles", len(leases), thr)
	}
	a.Release(leases[0])
	if _, _, ok := a.TryAcquire(sc, "f"); !ok {
		t.Fatal("a released slot was not reusable")
	}
}

func TestReservedZeroThrottlesEverything(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "f", 0)
	if _, reason, ok := a.TryAcquire(sc, "f"); ok || reason != ReasonReservedLimit {
		t.Fatalf("got ok=%v reason=%q, want reserved throttle", ok, reason)
	}
}

func TestReservedEqualsProvisionedBlocksOnDemand(t *testing.T) {
	// Recorded on AWS: reserved 1, provisioned 1 on version 1 leaves $LATEST no capacity.
	a := New(1000)
	a.SetReserved(sc, "f", 1)
	a.SetProvisioned(sc, "f", "1", 1)
	if _, reason, ok := a.TryAcquire(sc, "f"); ok || reason != ReasonReservedLimit {
		t.Fatalf("$LATEST: ok=%v reason=%q, want reserved throttle", ok, reason)
	}
	if l := a.AcquireProvisioned(sc, "f", "1"); !l.Provisioned {
		t.Fatal("AcquireProvisioned gave a lease not marked provisioned")
	}
	if u := a.Usage(sc); u.InFlight != 1 || u.ProvisionedInFlight != 1 {
		t.Fatalf("usage %+v, want 1 in flight, provisioned", u)
	}
}

// A config lowered (or deleted) while its environments run keeps their
// executions inside the reservation: they take on-demand capacity until
// they end.
func TestProvisionedExcessTakesOnDemandCapacity(t *testing.T) {
	for _, lowerTo := range []int{2, 0} {
		a := New(1000)
		a.SetReserved(sc, "f", 6)
		a.SetProvisioned(sc, "f", "1", 4)
		var prov []Lease
		for range 4 {
			prov = append(prov, a.AcquireProvisioned(sc, "f", "1"))
		}
		a.SetProvisioned(sc, "f", "1", lowerTo) // 4 − lowerTo executions beyond the config
		got, _ := acquireN(a, "f", 10)
		if want := 6 - 4; len(got) != want {
			t.Fatalf("lowered to %d: on-demand admitted %d, want %d (reserved 6, 4 provisioned still running)", lowerTo, len(got), want)
		}
		if in := a.FunctionInFlight(sc, "f"); in > 6 {
			t.Fatalf("lowered to %d: %d in flight over the reservation of 6", lowerTo, in)
		}
		for _, l := range prov {
			a.Release(l)
		}
		for _, l := range got {
			a.Release(l)
		}
		more, _ := acquireN(a, "f", 10)
		if want := 6 - lowerTo; len(more) != want {
			t.Fatalf("lowered to %d, all released: on-demand admitted %d, want %d", lowerTo, len(more), want)
		}
	}
}

// The same holds for the account's shared pool when the function has no
// reservation.
func TestUnreservedProvisionedExcessTakesSharedCapacity(t *testing.T) {
	a := New(10)
	a.SetProvisioned(sc, "f", "1", 3)
	var prov []Lease
	for range 3 {
		prov = append(prov, a.AcquireProvisioned(sc, "f", "1"))
	}
	a.SetProvisioned(sc, "f", "1", 0) // deleted while all 3 run
	got, thr := acquireN(a, "g", 10)
	if len(got) != 7 || thr[ReasonAccountLimit] != 3 {
		t.Fatalf("shared pool admitted %d, throttled %v; want 7 and 3 (limit 10, 3 still running)", len(got), thr)
	}
	if u := a.Usage(sc); u.InFlight != 10 {
		t.Fatalf("account in flight %d, want the limit 10", u.InFlight)
	}
	// A reservation taken meanwhile moves the excess out of the shared pool.
	a.SetReserved(sc, "f", 5)
	for _, l := range prov {
		a.Release(l)
	}
	a.SetReserved(sc, "f", -1)
	for _, l := range got {
		a.Release(l)
	}
	if n, _ := acquireN(a, "g", 20); len(n) != 10 {
		t.Fatalf("after every release the shared pool admitted %d, want 10", len(n))
	}
}

// Leases of a deleted function release without disturbing the scope.
func TestReleaseAfterRemoveFunction(t *testing.T) {
	a := New(10)
	a.SetProvisioned(sc, "f", "1", 2)
	l := a.AcquireProvisioned(sc, "f", "1")
	a.SetProvisioned(sc, "f", "1", 0)
	a.RemoveFunction(sc, "f")
	a.Release(l)
	if got, _ := acquireN(a, "g", 20); len(got) != 10 {
		t.Fatalf("shared pool admitted %d after the deleted function's release, want 10", len(got))
	}
}

// Executions that outlive what admitted them keep their place in the
// account until they end: the function deleted, its reservation removed or
// lowered, its provisioned config deleted with the function.
func TestRunsOutliveTheirAdmission(t *testing.T) {
	cases := []struct {
		name  string
		start func(a *Accountant) []Lease // 50 executions of f
		then  func(a *Accountant)
	}{
		{"reserved function deleted", reservedRuns, func(a *Accountant) { a.RemoveFunction(sc, "f") }},
		{"reservation removed", reservedRuns, func(a *Accountant) { a.SetReserved(sc, "f", -1) }},
		{"reservation lowered to 0", reservedRuns, func(a *Accountant) { a.SetReserved(sc, "f", 0) }},
		{"provisioned function deleted", func(a *Accountant) []Lease {
			a.SetProvisioned(sc, "f", "1", 50)
			var ls []Lease
			for range 50 {
				ls = append(ls, a.AcquireProvisioned(sc, "f", "1"))
			}
			return ls
		}, func(a *Accountant) { a.SetProvisioned(sc, "f", "1", 0); a.RemoveFunction(sc, "f") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := New(200)
			running := tc.start(a)
			tc.then(a)
			got, thr := acquireN(a, "g", 300)
			if len(got) != 150 || thr[ReasonAccountLimit] != 150 {
				t.Fatalf("another function got %d (throttled %v) while 50 still run, want 150 of the limit 200", len(got), thr)
			}
			for _, l := range running {
				a.Release(l)
			}
			more, _ := acquireN(a, "g", 300)
			if len(more) != 50 {
				t.Fatalf("after the 50 ended another function got %d more, want 50", len(more))
			}
			if u := a.Usage(sc); u.InFlight != 200 {
				t.Fatalf("in flight %d, want the limit 200", u.InFlight)
			}
		})
	}
}

func reservedRuns(a *Accountant) []Lease {
	a.SetReserved(sc, "f", 50)
	ls, _ := acquireN(a, "f", 50)
	return ls
}

func TestSharedPoolExcludesReservedAndProvisioned(t *testing.T) {
	a := New(20)
	a.SetReserved(sc, "r", 5)         // shared pool: 20 − 5
	a.SetProvisioned(sc, "p", "1", 3) // and − 3 provisioned of an unreserved function
	leases, thr := acquireN(a, "u", 20)
	if len(leases) != 12 || thr[ReasonAccountLimit] != 8 {
		t.Fatalf("admitted %d throttled %v, want 12 and 8 account throttles", len(leases), thr)
	}
	// The reserved function keeps its own capacity even when the shared pool is full.
	if got, _ := acquireN(a, "r", 5); len(got) != 5 {
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
				l, _, ok := a.TryAcquire(sc, "f")
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
		l, _, ok := a.TryAcquire(sc, "f")
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
			l, _, ok := a.TryAcquire(sc, "f")
			if !ok {
				b.Fatal("throttled")
			}
			a.Release(l)
		}
	})
}
