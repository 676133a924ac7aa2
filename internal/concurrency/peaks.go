package concurrency

import (
	"cmp"
	"slices"
)

// Peaks: the most executions in flight over an interval, as CloudWatch's
// Maximum of ConcurrentExecutions reports them. In-flight counts only grow
// when an execution is admitted, so the books note the high-water marks at
// every admission, under the lock the admission already holds; TakePeaks
// hands them over and starts the next interval at the current counts (what
// runs across the boundary counts in both intervals). The figures are exact:
// no sample is missed between two reads.

type scopePeak struct {
	inFlight int // of scopeBook.inFlight
	shared   int // of scopeBook.sharedInFlight
}

// notePeaks raises the scope's and f's high-water marks to their counts.
func (b *scopeBook) notePeaks(f *funcBook) {
	b.peak.inFlight = max(b.peak.inFlight, b.inFlight)
	b.peak.shared = max(b.peak.shared, b.sharedInFlight)
	f.peakInFlight = max(f.peakInFlight, f.inFlight)
	f.livePeak = max(f.livePeak, f.inFlight)
}

// notePeak raises the config's high-water marks to its counts.
func (p *provBook) notePeak() {
	p.peak = max(p.peak, p.inFlight)
	if p.allocated > 0 {
		p.peakUtil = max(p.peakUtil, float64(p.inFlight)/float64(p.allocated))
	}
}

// ScopePeaks are a scope's high-water marks over one interval.
type ScopePeaks struct {
	Scope          Scope
	InFlight       int // every execution in the scope
	SharedInFlight int // executions admitted from the unreserved pool
	Functions      []FunctionPeaks
}

// FunctionPeaks are one function's high-water marks over one interval.
type FunctionPeaks struct {
	Name        string
	InFlight    int
	Provisioned []ProvisionedPeaks // its configs that ran something
}

// ProvisionedPeaks are one provisioned config's high-water marks: the most
// executions on its environments, and the highest ratio of those to the
// environments allocated (0 when none were).
type ProvisionedPeaks struct {
	Qualifier   string
	InFlight    int
	Utilization float64
}

// TakePeaks returns the high-water marks noted since the previous call (or
// since the books were created) and starts a new interval at the current
// counts. It is meant for one reader (the minute roll-over of metrics): a
// second one would split the intervals between them. Scopes and functions
// that ran nothing in the interval are left out; the answer is sorted.
func (a *Accountant) TakePeaks() []ScopePeaks {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ScopePeaks
	for s, b := range a.scopes {
		if b.peak.inFlight == 0 {
			continue
		}
		sp := ScopePeaks{Scope: s, InFlight: b.peak.inFlight, SharedInFlight: b.peak.shared}
		b.peak = scopePeak{inFlight: b.inFlight, shared: b.sharedInFlight}
		for name, f := range b.funcs {
			if f.peakInFlight == 0 {
				continue
			}
			fp := FunctionPeaks{Name: name, InFlight: f.peakInFlight}
			f.peakInFlight = f.inFlight
			for q, p := range f.prov {
				if p.peak == 0 {
					continue
				}
				fp.Provisioned = append(fp.Provisioned, ProvisionedPeaks{Qualifier: q, InFlight: p.peak, Utilization: p.peakUtil})
				p.peak, p.peakUtil = 0, 0
				p.notePeak()
			}
			slices.SortFunc(fp.Provisioned, func(x, y ProvisionedPeaks) int { return cmp.Compare(x.Qualifier, y.Qualifier) })
			sp.Functions = append(sp.Functions, fp)
		}
		slices.SortFunc(sp.Functions, func(x, y FunctionPeaks) int { return cmp.Compare(x.Name, y.Name) })
		out = append(out, sp)
	}
	slices.SortFunc(out, func(x, y ScopePeaks) int {
		return cmp.Or(cmp.Compare(x.Scope.Account, y.Scope.Account), cmp.Compare(x.Scope.Region, y.Scope.Region))
	})
	return out
}
