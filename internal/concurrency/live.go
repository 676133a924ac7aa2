package concurrency

import (
	"cmp"
	"slices"
)

// Live figures: what a live view (the dashboard) reads once a second. Its
// high-water marks are kept apart from TakePeaks' so that the two readers
// do not split each other's intervals.

// LiveScope is one scope's figures now.
type LiveScope struct {
	Scope        Scope
	Limit        int
	Reserved     int // Σ reservations
	InFlight     int
	PeakInFlight int // the most in flight since the previous Live
	Functions    []LiveFunction
}

// LiveFunction is one function's figures now.
type LiveFunction struct {
	Name         string
	InFlight     int
	PeakInFlight int // the most in flight since the previous Live
	Provisioned  []LiveProvisioned
}

// LiveProvisioned is one provisioned config's figures now.
type LiveProvisioned struct {
	Qualifier string
	Requested int
	Allocated int
	InFlight  int
}

// Live returns every scope's figures and starts the next interval of the
// high-water marks at the current counts. It is meant for one reader.
// The answer is sorted by scope, function and qualifier.
func (a *Accountant) Live() []LiveScope {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]LiveScope, 0, len(a.scopes))
	for s, b := range a.scopes {
		ls := LiveScope{Scope: s, Limit: b.limit, Reserved: b.reservedSum, InFlight: b.inFlight,
			PeakInFlight: max(b.peak.live, b.inFlight), Functions: make([]LiveFunction, 0, len(b.funcs))}
		b.peak.live = b.inFlight
		for name, f := range b.funcs {
			lf := LiveFunction{Name: name, InFlight: f.inFlight, PeakInFlight: max(f.livePeak, f.inFlight)}
			f.livePeak = f.inFlight
			for q, p := range f.prov {
				lf.Provisioned = append(lf.Provisioned, LiveProvisioned{Qualifier: q, Requested: p.requested, Allocated: p.allocated, InFlight: p.inFlight})
			}
			slices.SortFunc(lf.Provisioned, func(x, y LiveProvisioned) int { return cmp.Compare(x.Qualifier, y.Qualifier) })
			ls.Functions = append(ls.Functions, lf)
		}
		slices.SortFunc(ls.Functions, func(x, y LiveFunction) int { return cmp.Compare(x.Name, y.Name) })
		out = append(out, ls)
	}
	slices.SortFunc(out, func(x, y LiveScope) int {
		return cmp.Or(cmp.Compare(x.Scope.Account, y.Scope.Account), cmp.Compare(x.Scope.Region, y.Scope.Region))
	})
	return out
}
