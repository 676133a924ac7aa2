// Package concurrency is the accounting core of Reservoir: for every account
// and region it knows the concurrency limit, the reservations of functions,
// the provisioned concurrency configs and how many executions are in flight.
//
// It answers two kinds of questions. The control plane asks whether a new
// reservation or provisioned config fits (CheckReserved, CheckProvisioned);
// the data plane asks for a slot to run one invocation (TryAcquire), which
// never blocks: it returns a Lease or the reason for a throttle.
//
// Whether a provisioned environment is free is not decided here: the
// executor that owns the environments decides it, atomically with taking
// one, and records the execution with AcquireProvisioned.
//
// Every function takes a footprint out of its scope's limit: its reservation,
// or what its provisioned configs request, but never less than what it runs.
// So executions that outlive what admitted them (a config lowered or deleted,
// a reservation lowered or removed, the function deleted, while they run)
// keep their place until they end: a function never has more than its
// reservation in flight, nor an account more than its limit. The package
// does no I/O and reads no clock.
package concurrency

import "sync"

// MinUnreserved is how much of an account's limit must always stay unreserved
// (AWS keeps 100 free; an account whose limit is lower keeps all of it).
const MinUnreserved = 100

// Throttle reasons, as AWS reports them in a 429's Reason field.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccountLimit  = "ConcurrentInvocationLimitExceeded"
)

// Scope names one account in one region.
type Scope struct {
	Account string
	Region  string
}

// Accountant holds the concurrency books of every scope.
type Accountant struct {
	limit int // the concurrency limit every scope gets

	mu     sync.Mutex
	scopes map[Scope]*scopeBook
}

type scopeBook struct {
	limit             int
	reservedSum       int // Σ reservations (what GetAccountSettings reports)
	unreservedProvSum int // Σ provisioned requests of functions without a reservation
	// taken is Σ footprint over the scope's functions, the removed ones
	// still running included: what the shared pool cannot use.
	taken               int
	sharedInFlight      int // executions admitted from the shared pool
	provisionedInFlight int // executions on provisioned environments, all functions
	inFlight            int // every execution in the scope
	funcs               map[string]*funcBook
	peak                scopePeak // high-water marks since the last TakePeaks
}

type funcBook struct {
	reserved int // -1: no reservation
	provSum  int // Σ requested over the function's provisioned configs
	// provExcess is Σ over its configs of the executions beyond what the
	// config requests (a config lowered or deleted while its environments
	// run): they take on-demand capacity until they end.
	provExcess       int
	provInFlight     int // executions on its provisioned environments
	prov             map[string]*provBook
	onDemandInFlight int // on-demand executions, from either pool
	ownInFlight      int // of which admitted under its reservation (not from the shared pool)
	inFlight         int
	removed          bool // RemoveFunction took it out of its scope
	footprint        int  // what it takes out of the scope (see take)
	peakInFlight     int  // high-water mark of inFlight since the last TakePeaks
	livePeak         int  // high-water mark of inFlight since the last Live
}

// provBook is one provisioned config. A deleted config whose executions are
// still running stays, with requested 0, until the last one is released.
type provBook struct {
	requested int
	allocated int // environments initialized (for metrics)
	inFlight  int
	peak      int     // high-water mark of inFlight since the last TakePeaks
	peakUtil  float64 // high-water mark of inFlight/allocated, likewise
}

func (p *provBook) excess() int { return max(0, p.inFlight-p.requested) }

// take is what the function takes out of its scope's limit: its
// reservation, but no less than what it runs under it and on its
// provisioned environments; without one, what its provisioned configs
// request (or run, when more) and what it still runs under a reservation it
// had. A removed function takes only what it still runs.
func (f *funcBook) take() int {
	if f.removed {
		return f.ownInFlight + f.provInFlight
	}
	n := f.ownInFlight + f.provSum + f.provExcess
	if f.reserved >= 0 {
		n = max(n, f.reserved)
	}
	return n
}

// change applies change to f and carries the change of f's footprint into
// the scope.
func (b *scopeBook) change(f *funcBook, change func()) {
	change()
	n := f.take()
	b.taken += n - f.footprint
	f.footprint = n
}

// changeProv applies change to one of f's configs, keeping f's excess over
// its configs' requests and f's footprint.
func (b *scopeBook) changeProv(f *funcBook, p *provBook, change func()) {
	b.change(f, func() {
		before := p.excess()
		change()
		f.provExcess += p.excess() - before
	})
}

// New returns an Accountant whose scopes each have the given limit.
func New(limit int) *Accountant {
	return &Accountant{limit: limit, scopes: make(map[Scope]*scopeBook)}
}

// Limit is the concurrency limit of every scope.
func (a *Accountant) Limit() int { return a.limit }

// minUnreserved is the floor for this scope's limit.
func (b *scopeBook) minUnreserved() int { return min(MinUnreserved, b.limit) }

func (a *Accountant) scope(s Scope) *scopeBook {
	b := a.scopes[s]
	if b == nil {
		b = &scopeBook{limit: a.limit, funcs: make(map[string]*funcBook)}
		a.scopes[s] = b
	}
	return b
}

func (b *scopeBook) function(name string) *funcBook {
	f := b.funcs[name]
	if f == nil {
		f = &funcBook{reserved: -1, prov: make(map[string]*provBook)}
		b.funcs[name] = f
	}
	return f
}

// Violation says why a reservation or provisioned config does not fit.
type Violation struct {
	Kind ViolationKind
	// Value is the number the message quotes: the unreserved minimum, the
	// function's provisioned total or the account's unreserved concurrency.
	Value int
}

// ViolationKind enumerates the ways a concurrency setting can fail to fit.
type ViolationKind int

const (
	// BelowUnreservedMinimum: the account's unreserved concurrency would drop below its minimum.
	BelowUnreservedMinimum ViolationKind = iota + 1
	// BelowProvisioned: the reservation is lower than the function's provisioned total.
	BelowProvisioned
	// OverReserved: the provisioned total would exceed the function's reservation.
	OverReserved
	// OverUnreserved: the provisioned request exceeds the account's unreserved concurrency.
	OverUnreserved
)

func (v *Violation) Error() string {
	switch v.Kind {
	case BelowUnreservedMinimum:
		return "unreserved concurrency would drop below its minimum"
	case BelowProvisioned:
		return "reservation below provisioned total"
	case OverReserved:
		return "provisioned total over reservation"
	default:
		return "provisioned request over unreserved concurrency"
	}
}

// Usage is a scope's accounting as GetAccountSettings and metrics report it.
type Usage struct {
	Limit                         int
	UnreservedConcurrentExecution int // limit − Σ reservations
	InFlight                      int
	SharedInFlight                int
	ProvisionedInFlight           int
}

// Usage returns the scope's current figures.
func (a *Accountant) Usage(s Scope) Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	return Usage{
		Limit:                         b.limit,
		UnreservedConcurrentExecution: b.limit - b.reservedSum,
		InFlight:                      b.inFlight,
		SharedInFlight:                b.sharedInFlight,
		ProvisionedInFlight:           b.provisionedInFlight,
	}
}

// FunctionInFlight returns how many executions of the function are running.
func (a *Accountant) FunctionInFlight(s Scope, function string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.scope(s).funcs[function]; f != nil {
		return f.inFlight
	}
	return 0
}

// FunctionStats are one function's live figures.
type FunctionStats struct {
	Name                string
	InFlight            int
	ProvisionedInFlight int
	ProvisionedAlloc    int // environments allocated across its provisioned configs
}

// ScopeStats are one scope's live figures.
type ScopeStats struct {
	Scope     Scope
	Usage     Usage
	Functions []FunctionStats
}

// Snapshot returns the live figures of every scope (for metrics).
func (a *Accountant) Snapshot() []ScopeStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]ScopeStats, 0, len(a.scopes))
	for s, b := range a.scopes {
		st := ScopeStats{Scope: s, Usage: Usage{
			Limit: b.limit, UnreservedConcurrentExecution: b.limit - b.reservedSum, InFlight: b.inFlight,
			SharedInFlight: b.sharedInFlight, ProvisionedInFlight: b.provisionedInFlight,
		}}
		for name, f := range b.funcs {
			fs := FunctionStats{Name: name, InFlight: f.inFlight}
			for _, p := range f.prov {
				fs.ProvisionedInFlight += p.inFlight
				fs.ProvisionedAlloc += p.allocated
			}
			st.Functions = append(st.Functions, fs)
		}
		out = append(out, st)
	}
	return out
}

// CheckReserved reports whether the function may reserve r (r ≥ 0); nil
// means it fits.
func (a *Accountant) CheckReserved(s Scope, function string, r int) *Violation {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	if r < f.provSum {
		return &Violation{Kind: BelowProvisioned, Value: f.provSum}
	}
	if r == 0 {
		return nil // a zero reservation takes nothing from anyone
	}
	reservedOthers := b.reservedSum
	unreservedProvOthers := b.unreservedProvSum
	if f.reserved >= 0 {
		reservedOthers -= f.reserved
	} else {
		unreservedProvOthers -= f.provSum
	}
	if b.limit-reservedOthers-r-unreservedProvOthers < b.minUnreserved() {
		return &Violation{Kind: BelowUnreservedMinimum, Value: b.minUnreserved()}
	}
	return nil
}

// CheckProvisioned reports whether the function's config under qualifier may
// request n environments (replacing what that config requested before).
func (a *Accountant) CheckProvisioned(s Scope, function, qualifier string, n int) *Violation {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	others := f.provSum
	if p := f.prov[qualifier]; p != nil {
		others -= p.requested
	}
	if f.reserved >= 0 {
		if others+n > f.reserved {
			return &Violation{Kind: OverReserved, Value: f.reserved}
		}
		return nil
	}
	unreserved := b.limit - b.reservedSum
	if n > unreserved {
		return &Violation{Kind: OverUnreserved, Value: unreserved}
	}
	if unreserved-(b.unreservedProvSum-f.provSum)-(others+n) < b.minUnreserved() {
		return &Violation{Kind: BelowUnreservedMinimum, Value: b.minUnreserved()}
	}
	return nil
}

// SetReserved records the function's reservation; r < 0 removes it.
func (a *Accountant) SetReserved(s Scope, function string, r int) {
	if r < 0 {
		r = -1
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	b.change(f, func() {
		if f.reserved >= 0 {
			b.reservedSum -= f.reserved
		} else {
			b.unreservedProvSum -= f.provSum
		}
		f.reserved = r
		if r >= 0 {
			b.reservedSum += r
		} else {
			b.unreservedProvSum += f.provSum
		}
	})
}

// SetProvisioned records that the function's config under qualifier requests
// n environments; n = 0 removes the config (its running executions keep
// counting until they are released). A new config starts with none allocated.
func (a *Accountant) SetProvisioned(s Scope, function, qualifier string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	p := f.prov[qualifier]
	if p == nil {
		if n == 0 {
			return
		}
		p = &provBook{}
		f.prov[qualifier] = p
	}
	b.changeProv(f, p, func() {
		delta := n - p.requested
		f.provSum += delta
		if f.reserved < 0 {
			b.unreservedProvSum += delta
		}
		p.requested = n
		p.allocated = min(p.allocated, n)
	})
	if n == 0 && p.inFlight == 0 {
		delete(f.prov, qualifier)
	}
}

// SetAllocated records how many of the config's environments are
// initialized (a figure for metrics: it admits nothing).
func (a *Accountant) SetAllocated(s Scope, function, qualifier string, allocated int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scopes[s]
	if b == nil {
		return
	}
	f := b.funcs[function]
	if f == nil {
		return
	}
	if p := f.prov[qualifier]; p != nil {
		p.allocated = min(allocated, p.requested)
		p.notePeak()
	}
}

// RemoveFunction forgets the function's reservation and provisioned configs.
// Leases still held keep their own books and release harmlessly.
func (a *Accountant) RemoveFunction(s Scope, function string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scopes[s]
	if b == nil {
		return
	}
	f := b.funcs[function]
	if f == nil {
		return
	}
	b.change(f, func() {
		if f.reserved >= 0 {
			b.reservedSum -= f.reserved
		} else {
			b.unreservedProvSum -= f.provSum
		}
		f.removed = true
	})
	delete(b.funcs, function)
}

// Lease is one admitted execution. Release it exactly once, when the
// execution really ends.
type Lease struct {
	scope       *scopeBook
	fn          *funcBook
	prov        *provBook // set when served by a provisioned environment
	qualifier   string    // prov's qualifier
	shared      bool      // counted in the scope's shared pool
	Provisioned bool      // served by a provisioned environment
}

// TryAcquire admits one on-demand execution of the function, or returns the
// throttle reason. It never blocks.
//
// A function with a reservation R runs at most R − (its provisioned
// requests) on demand, less the executions its provisioned configs run
// beyond what they request; a function without one shares what the scope's
// reservations and the provisioned configs of unreserved functions leave.
func (a *Accountant) TryAcquire(s Scope, function string) (Lease, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	if f.reserved >= 0 {
		if f.onDemandInFlight >= f.reserved-f.provSum-f.provExcess {
			return Lease{}, ReasonReservedLimit, false
		}
		b.change(f, func() {
			f.ownInFlight++
			f.onDemandInFlight++
			f.inFlight++
		})
		b.inFlight++
		b.notePeaks(f)
		return Lease{scope: b, fn: f}, "", true
	}
	if b.sharedInFlight >= b.limit-b.taken {
		return Lease{}, ReasonAccountLimit, false
	}
	b.sharedInFlight++
	f.onDemandInFlight++
	f.inFlight++
	b.inFlight++
	b.notePeaks(f)
	return Lease{scope: b, fn: f, shared: true}, "", true
}

// AcquireProvisioned records one execution on an environment of the
// function's provisioned config under qualifier. The executor has taken a
// free environment of the config for it, so it always succeeds: what keeps
// the config's executions within what it requests is that it has no more
// environments than that.
func (a *Accountant) AcquireProvisioned(s Scope, function, qualifier string) Lease {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.scope(s)
	f := b.function(function)
	p := f.prov[qualifier]
	if p == nil { // the config was deleted as the environment was taken
		p = &provBook{}
		f.prov[qualifier] = p
	}
	b.changeProv(f, p, func() {
		p.inFlight++
		f.provInFlight++
	})
	f.inFlight++
	b.inFlight++
	b.provisionedInFlight++
	b.notePeaks(f)
	p.notePeak()
	return Lease{scope: b, fn: f, prov: p, qualifier: qualifier, Provisioned: true}
}

// Release returns the lease's slot.
func (a *Accountant) Release(l Lease) {
	if l.scope == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	l.fn.inFlight--
	l.scope.inFlight--
	switch {
	case l.prov != nil:
		l.scope.changeProv(l.fn, l.prov, func() {
			l.prov.inFlight--
			l.fn.provInFlight--
		})
		l.scope.provisionedInFlight--
		if l.prov.requested == 0 && l.prov.inFlight == 0 && l.fn.prov[l.qualifier] == l.prov {
			delete(l.fn.prov, l.qualifier)
		}
	case l.shared:
		l.scope.sharedInFlight--
		l.fn.onDemandInFlight--
	default:
		l.scope.change(l.fn, func() {
			l.fn.onDemandInFlight--
			l.fn.ownInFlight--
		})
	}
}
