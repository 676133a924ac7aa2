package concurrency

import "testing"

// TestLive: the current counts, the high-water mark since the previous
// Live (an execution that ended in between still counts once), and Live's
// marks kept apart from TakePeaks'.
func TestLive(t *testing.T) {
	a := New(1000)
	a.SetReserved(sc, "r", 5)
	a.SetProvisioned(sc, "p", "live", 4)
	a.SetAllocated(sc, "p", "live", 3)
	l1, _, _ := a.TryAcquire(sc, "r")
	l2, _, _ := a.TryAcquire(sc, "r")
	p := a.AcquireProvisioned(sc, "p", "live")
	a.Release(l2)
	a.TakePeaks() // another reader's interval must not reset Live's
	got := a.Live()
	if len(got) != 1 || got[0].Scope != sc || got[0].Limit != 1000 || got[0].Reserved != 5 || got[0].InFlight != 2 {
		t.Fatalf("scope %+v", got)
	}
	fs := got[0].Functions
	if len(fs) != 2 || fs[0].Name != "p" || fs[1].Name != "r" {
		t.Fatalf("functions %+v", fs)
	}
	if fs[1].InFlight != 1 || fs[1].PeakInFlight != 2 {
		t.Errorf("r = %+v, want 1 in flight, peak 2", fs[1])
	}
	if fs[0].InFlight != 1 || fs[0].PeakInFlight != 1 {
		t.Errorf("p = %+v, want 1 in flight (provisioned), peak 1", fs[0])
	}
	// The next interval starts at what still runs.
	a.Release(l1)
	a.Release(p)
	got = a.Live()
	if got[0].Functions[1].PeakInFlight != 1 || got[0].Functions[0].PeakInFlight != 1 {
		t.Errorf("second interval %+v", got[0])
	}
	got = a.Live()
	if got[0].InFlight != 0 || got[0].Functions[1].PeakInFlight != 0 {
		t.Errorf("idle interval %+v", got[0])
	}
}
