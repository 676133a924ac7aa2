package concurrency

import (
	"cmp"
	"slices"
)

// Live figures: what a live view (the dashboard) reads once a second. Its
// high-water marks are kept apart from TakePeaks' so that the two readers
// do not split each other's intervals. Live holds the lock admissions take
// only to copy the counts it returns; provisioned configs are read from the
// Lambda domain instead.

// LiveScope is one scope's figures now.
type LiveScope struct {
	Scope     Scope
	Limit     int
	Reserved  int // Σ reservations
	InFlight  int
	Functions []LiveFunction
}

// LiveFunction is one function's figures now.
type LiveFunction struct {
	Name         string
	InFlight     int
	PeakInFlight int // the most in flight since the previous Live
}

// Live returns every scope's figures and starts the next interval of the
// functions' high-water marks at the current counts. It is meant for one
// reader. The answer is sorted by scope and function.
func (a *Accountant) Live() []LiveScope {
	out := a.live()
	// Sorted outside the lock admissions take.
	for i := range out {
		slices.SortFunc(out[i].Functions, func(x, y LiveFunction) int { return cmp.Compare(x.Name, y.Name) })
	}
	slices.SortFunc(out, func(x, y LiveScope) int {
		return cmp.Or(cmp.Compare(x.Scope.Account, y.Scope.Account), cmp.Compare(x.Scope.Region, y.Scope.Region))
	})
	return out
}

// live copies the counts and starts the next interval, under the lock.
func (a *Accountant) live() []LiveScope {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]LiveScope, 0, len(a.scopes))
	for s, b := range a.scopes {
		ls := LiveScope{Scope: s, Limit: b.limit, Reserved: b.reservedSum, InFlight: b.inFlight,
			Functions: make([]LiveFunction, 0, len(b.funcs))}
		for name, f := range b.funcs {
			ls.Functions = append(ls.Functions, LiveFunction{Name: name, InFlight: f.inFlight, PeakInFlight: max(f.livePeak, f.inFlight)})
			f.livePeak = f.inFlight
		}
		out = append(out, ls)
	}
	return out
}
