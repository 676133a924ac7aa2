package concurrency

import (
	"runtime"
	"sync"
	"testing"
)

// TestTakePeaks: the high-water marks of an interval, an execution that
// runs across a boundary counting in both intervals, and nothing once
// nothing runs.
func TestTakePeaks(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "r", 5)
	a.SetProvisioned(sc, "p", "1", 4)
	a.SetAllocated(sc, "p", "1", 4)
	var leases []Lease
	for range 3 {
		l, _, ok := a.TryAcquire(sc, "r")
		if !ok {
			t.Fatal("throttled")
		}
		leases = append(leases, l)
	}
	u, _, _ := a.TryAcquire(sc, "u")
	p1 := a.AcquireProvisioned(sc, "p", "1")
	p2 := a.AcquireProvisioned(sc, "p", "1")
	a.Release(p2)
	for _, l := range leases[1:] {
		a.Release(l)
	}
	got := a.TakePeaks()
	if len(got) != 1 || got[0].Scope != sc || got[0].InFlight != 6 || got[0].SharedInFlight != 1 {
		t.Fatalf("first interval %+v", got)
	}
	want := []FunctionPeaks{
		{Name: "p", InFlight: 2, Provisioned: []ProvisionedPeaks{{Qualifier: "1", InFlight: 2, Utilization: 0.5}}},
		{Name: "r", InFlight: 3},
		{Name: "u", InFlight: 1},
	}
	if !equalPeaks(got[0].Functions, want) {
		t.Fatalf("functions %+v, want %+v", got[0].Functions, want)
	}

	// What still runs (one of r, u, one of p) starts the next interval.
	a.Release(u)
	got = a.TakePeaks()
	want = []FunctionPeaks{
		{Name: "p", InFlight: 1, Provisioned: []ProvisionedPeaks{{Qualifier: "1", InFlight: 1, Utilization: 0.25}}},
		{Name: "r", InFlight: 1},
		{Name: "u", InFlight: 1},
	}
	if len(got) != 1 || got[0].InFlight != 3 || got[0].SharedInFlight != 1 || !equalPeaks(got[0].Functions, want) {
		t.Fatalf("second interval %+v", got)
	}
	a.Release(leases[0])
	a.Release(p1)
	if got = a.TakePeaks(); len(got) != 1 || got[0].InFlight != 2 || len(got[0].Functions) != 2 {
		t.Fatalf("third interval %+v", got)
	}
	if got = a.TakePeaks(); len(got) != 0 {
		t.Fatalf("an interval where nothing ran: %+v", got)
	}
}

// TestTakePeaksConcurrent: with acquires racing the reads, every interval's
// peak stays within the reservation and the saturated one is seen.
func TestTakePeaksConcurrent(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "r", 4)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if l, _, ok := a.TryAcquire(sc, "r"); ok {
					a.Release(l)
				}
			}
		}()
	}
	seen := 0
	for i := 0; i < 200 || seen == 0; i++ {
		runtime.Gosched()
		for _, s := range a.TakePeaks() {
			for _, f := range s.Functions {
				if f.InFlight > 4 {
					t.Fatalf("peak %d over the reservation", f.InFlight)
				}
				seen = max(seen, f.InFlight)
			}
		}
	}
	close(stop)
	wg.Wait()
	if seen == 0 {
		t.Fatal("no peak seen")
	}
}

func equalPeaks(a, b []FunctionPeaks) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].InFlight != b[i].InFlight || len(a[i].Provisioned) != len(b[i].Provisioned) {
			return false
		}
		for j := range a[i].Provisioned {
			if a[i].Provisioned[j] != b[i].Provisioned[j] {
				return false
			}
		}
	}
	return true
}
