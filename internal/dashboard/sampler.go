package dashboard

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// historySeconds is how far back the history goes: 15 minutes, one slot a
// second. Rings are fixed-size, so memory does not grow with time. A slot
// is a second of the clock (Unix time modulo the ring's length), not a
// sample: a delayed sampler leaves the seconds it missed at zero, so a
// minute is always 60 seconds.
const historySeconds = 15 * 60

// second is one function's figures for one second of history.
type second struct {
	inflight    int32 // the most in flight during the second
	invocations int32
	errors      int32
	throttles   int32
	spillover   int32
	reserved    int32 // -1: none
	provAlloc   int32 // Σ allocated over its provisioned configs
	provReq     int32 // Σ requested
}

// fnHistory is one function's history and what the sampler last read of its
// totals.
type fnHistory struct {
	ring       [historySeconds]second
	born       int64 // the Unix second of the first sample; slots before it are not history
	newest     int64 // the Unix second of the newest slot written
	last       totals
	lastHist   [histBuckets]int64 // the cumulative histogram at the previous tick
	window     [histBuckets]int64 // durations of the last 60 seconds
	recent     [60][]bucketCount  // each second's new durations, by Unix second modulo 60
	seenAtTick uint64
}

func slotOf(sec int64) int { return mod(sec, historySeconds) }

// mod is sec modulo n, never negative (a clock before 1970 must not index
// a ring out of range).
func mod(sec, n int64) int { return int((sec%n + n) % n) }

// put records v as second at, after zeroing the counts of the seconds
// between the newest slot and at (their gauges are v's: the sampler did
// not look then). A second at or before the newest (two samples within a
// second, or the clock stepped back) adds to the newest slot.
func (h *fnHistory) put(at int64, v second) {
	switch {
	case h.newest == 0:
		h.born = at
	case at <= h.newest:
		p := &h.ring[slotOf(h.newest)]
		p.inflight = max(p.inflight, v.inflight)
		p.invocations += v.invocations
		p.errors += v.errors
		p.throttles += v.throttles
		p.spillover += v.spillover
		p.reserved, p.provAlloc, p.provReq = v.reserved, v.provAlloc, v.provReq
		return
	default:
		gap := second{inflight: v.inflight, reserved: v.reserved, provAlloc: v.provAlloc, provReq: v.provReq}
		for sec := max(h.newest+1, at-historySeconds+1); sec < at; sec++ {
			h.ring[slotOf(sec)] = gap
		}
	}
	h.ring[slotOf(at)] = v
	h.newest = at
}

type totals struct{ invocations, errors, throttles, spillover int64 }

type bucketCount struct {
	bucket int
	n      int64
}

// Source is what the sampler reads: the concurrency books and the Lambda
// domain's settings, both in memory.
type Source struct {
	Books    *concurrency.Accountant
	Lambda   Functions
	Counters *Counters
}

// Functions is the part of the Lambda domain the sampler reads.
type Functions interface {
	Scopes() []lambda.Scope
	Overview(sc lambda.Scope) []lambda.FunctionOverview
}

// Point is one function's figures for the second a tick closes: what the
// function view's charts append.
type Point struct {
	Time                 time.Time `json:"time"`
	Inflight             int       `json:"inflight"`
	Reserved             *int      `json:"reserved"`
	ProvisionedAllocated int       `json:"provisionedAllocated"`
	ProvisionedRequested int       `json:"provisionedRequested"`
	Invocations          int       `json:"invocations"`
	Errors               int       `json:"errors"`
	Throttles            int       `json:"throttles"`
	Spillover            int       `json:"spillover"`
}

// tick is everything one sample produced: one snapshot per scope, shared by
// every subscriber.
type tick struct {
	n      uint64
	time   time.Time
	scopes map[AccountRegion]*scopeTick
	all    []AccountRegion // every scope, sorted
}

// scopeTick is one scope's snapshot of a tick; its JSON is encoded once,
// by the first reader that needs it.
type scopeTick struct {
	snap     Snapshot
	points   map[string]Point
	logGroup map[string]string

	once sync.Once
	json []byte
}

// JSON is the snapshot encoded, the same bytes for every reader.
func (s *scopeTick) JSON() []byte {
	s.once.Do(func() {
		b, err := json.Marshal(&s.snap)
		if err != nil { // the types hold only numbers, strings and times
			panic(err)
		}
		s.json = b
	})
	return s.json
}

// sampler turns the live state into ticks. Only its goroutine calls sample.
type sampler struct {
	src       Source
	perAcct   bool // --auth sigv4: a snapshot lists only its own account's scopes
	n         uint64
	histories map[AccountRegion]map[string]*fnHistory
	// orphans are counters without a history at the previous tick (an
	// invocation of a deleted function that ended after the sampler forgot
	// it); still without one at the next, they go.
	orphans map[fnKey]struct{}
}

func newSampler(src Source, perAccount bool) *sampler {
	return &sampler{src: src, perAcct: perAccount, histories: map[AccountRegion]map[string]*fnHistory{}, orphans: map[fnKey]struct{}{}}
}

// sample reads the state once and builds the tick of now.
func (s *sampler) sample(now time.Time) *tick {
	s.n++
	t := &tick{n: s.n, time: now, scopes: map[AccountRegion]*scopeTick{}}
	live := map[AccountRegion]concurrency.LiveScope{}
	for _, ls := range s.src.Books.Live() {
		live[AccountRegion{ls.Scope.Account, ls.Scope.Region}] = ls
	}
	for _, sc := range s.src.Lambda.Scopes() {
		ar := AccountRegion{sc.Account, sc.Region}
		t.all = append(t.all, ar)
		t.scopes[ar] = s.sampleScope(now, ar, s.src.Lambda.Overview(sc), live[ar])
	}
	for ar, hs := range s.histories {
		if _, ok := t.scopes[ar]; !ok {
			for name := range hs {
				s.src.Counters.forget(ar.Account, ar.Region, name)
			}
			delete(s.histories, ar)
		}
	}
	for ar, st := range t.scopes {
		st.snap.Accounts = s.visible(t.all, ar.Account)
	}
	s.sweepOrphans()
	return t
}

// sweepOrphans drops counters that have had no history for two ticks in a
// row. Two, so that a function created and invoked between this tick's
// reading of the functions and the sweep keeps its first invocations.
func (s *sampler) sweepOrphans() {
	seen := make(map[fnKey]struct{}, len(s.orphans))
	s.src.Counters.fns.Range(func(k, _ any) bool {
		fk := k.(fnKey)
		if _, ok := s.histories[AccountRegion{fk.account, fk.region}][fk.name]; ok {
			return true
		}
		if _, again := s.orphans[fk]; again {
			s.src.Counters.fns.Delete(fk)
		} else {
			seen[fk] = struct{}{}
		}
		return true
	})
	s.orphans = seen
}

// visible lists the scopes a snapshot of account shows.
func (s *sampler) visible(all []AccountRegion, account string) []AccountRegion {
	if !s.perAcct {
		return all
	}
	var out []AccountRegion
	for _, ar := range all {
		if ar.Account == account {
			out = append(out, ar)
		}
	}
	return out
}

func (s *sampler) sampleScope(now time.Time, ar AccountRegion, fns []lambda.FunctionOverview, ls concurrency.LiveScope) *scopeTick {
	hs := s.histories[ar]
	if hs == nil {
		hs = map[string]*fnHistory{}
		s.histories[ar] = hs
	}
	limit := ls.Limit
	if limit == 0 {
		limit = s.src.Books.Limit()
	}
	st := &scopeTick{points: make(map[string]Point, len(fns)), logGroup: make(map[string]string, len(fns))}
	st.snap = Snapshot{Time: now.UTC(), Account: ar.Account, Region: ar.Region, Functions: make([]Function, 0, len(fns)),
		Pool: Pool{Limit: limit, UnreservedMinimum: min(concurrency.MinUnreserved, limit), Reserved: ls.Reserved,
			Unreserved: limit - ls.Reserved, Inflight: ls.InFlight}}
	at := now.Unix()
	for _, o := range fns {
		h := hs[o.Name]
		if h == nil {
			h = &fnHistory{}
			hs[o.Name] = h
		}
		h.seenAtTick = s.n
		var lf concurrency.LiveFunction
		if i, ok := slices.BinarySearchFunc(ls.Functions, o.Name, func(f concurrency.LiveFunction, n string) int {
			return strings.Compare(f.Name, n)
		}); ok {
			lf = ls.Functions[i]
		}
		sec := second{inflight: int32(lf.PeakInFlight), reserved: -1}
		if o.Reserved != nil {
			sec.reserved = int32(*o.Reserved)
		}
		f := Function{Name: o.Name, Reserved: o.Reserved, Inflight: lf.InFlight, Provisioned: make([]Provisioned, 0, len(o.Provisioned))}
		for _, pc := range o.Provisioned {
			f.Provisioned = append(f.Provisioned, Provisioned{Qualifier: pc.Qualifier, Requested: pc.Requested, Allocated: pc.Allocated, Status: pc.Status})
			sec.provAlloc += int32(pc.Allocated)
			sec.provReq += int32(pc.Requested)
		}
		if c := s.src.Counters.lookup(ar.Account, ar.Region, o.Name); c != nil {
			cur := totals{c.invocations.Load(), c.errors.Load(), c.throttles.Load(), c.spillover.Load()}
			sec.invocations = int32(cur.invocations - h.last.invocations)
			sec.errors = int32(cur.errors - h.last.errors)
			sec.throttles = int32(cur.throttles - h.last.throttles)
			sec.spillover = int32(cur.spillover - h.last.spillover)
			h.last = cur
			f.Invocations, f.Errors, f.Throttles, f.Spillover = cur.invocations, cur.errors, cur.throttles, cur.spillover
			h.rollDurations(at, &c.durations, sec.invocations > 0)
		} else {
			h.rollDurations(at, nil, false)
		}
		h.put(at, sec)
		h.summarize(&f)
		st.snap.Pool.ThrottlesPerMinute += f.ThrottlesPerMinute
		st.snap.Pool.Throttles += f.Throttles
		st.snap.Functions = append(st.snap.Functions, f)
		cur := &h.ring[slotOf(h.newest)] // sec, or the second it was added to
		st.points[o.Name] = Point{Time: time.Unix(h.newest, 0).UTC(), Inflight: int(cur.inflight), Reserved: o.Reserved,
			ProvisionedAllocated: int(cur.provAlloc), ProvisionedRequested: int(cur.provReq), Invocations: int(cur.invocations),
			Errors: int(cur.errors), Throttles: int(cur.throttles), Spillover: int(cur.spillover)}
		st.logGroup[o.Name] = o.LogGroup
	}
	for name, h := range hs {
		if h.seenAtTick != s.n {
			s.src.Counters.forget(ar.Account, ar.Region, name)
			delete(hs, name)
		}
	}
	return st
}

// rollDurations moves the seconds that leave the 60-second window ending
// at second at out of it and the new durations (the cumulative histogram's
// growth since the previous tick) into it, as at's. It runs before put.
func (h *fnHistory) rollDurations(at int64, cum *hist, changed bool) {
	if h.newest != 0 && at <= h.newest {
		at = h.newest // the same second again: add to it
	} else {
		from := at - 59
		if h.newest != 0 {
			from = max(from, h.newest+1)
		}
		for sec := from; sec <= at; sec++ {
			i := mod(sec, 60)
			for _, bc := range h.recent[i] {
				h.window[bc.bucket] -= bc.n
			}
			h.recent[i] = h.recent[i][:0]
		}
	}
	i := mod(at, 60)
	if cum == nil || !changed {
		return
	}
	for b := range cum.buckets {
		v := cum.buckets[b].Load()
		if d := v - h.lastHist[b]; d > 0 {
			h.recent[i] = append(h.recent[i], bucketCount{b, d})
			h.window[b] += d
			h.lastHist[b] = v
		}
	}
}

// p99 is the 99th percentile of the window's durations in milliseconds,
// nil when the window is empty.
func (h *fnHistory) p99() *float64 {
	var total int64
	for _, n := range h.window {
		total += n
	}
	if total == 0 {
		return nil
	}
	rank := (total*99 + 99) / 100 // ceil(0.99 × total)
	var seen int64
	for b, n := range h.window {
		seen += n
		if seen >= rank {
			ms := histMid(b) / 1000
			return &ms
		}
	}
	return nil
}

// summarize fills f's per-minute figures and sparklines from the ring,
// ending at the newest second.
func (h *fnHistory) summarize(f *Function) {
	sp := Sparklines{Inflight: make([]int64, 15), Invocations: make([]int64, 15), Errors: make([]int64, 15),
		Throttles: make([]int64, 15), Spillover: make([]int64, 15)}
	// Minute 14 is the last 60 seconds (the newest slot included), minute 0
	// the oldest; slots before the history began are zero.
	for age := int64(0); age < historySeconds && h.newest-age >= h.born; age++ {
		sec := &h.ring[slotOf(h.newest-age)]
		m := 14 - age/60
		sp.Inflight[m] = max(sp.Inflight[m], int64(sec.inflight))
		sp.Invocations[m] += int64(sec.invocations)
		sp.Errors[m] += int64(sec.errors)
		sp.Throttles[m] += int64(sec.throttles)
		sp.Spillover[m] += int64(sec.spillover)
	}
	f.Sparklines = sp
	f.InvocationsPerMinute, f.ErrorsPerMinute = sp.Invocations[14], sp.Errors[14]
	f.ThrottlesPerMinute, f.SpilloverPerMinute = sp.Throttles[14], sp.Spillover[14]
	f.P99DurationMs = h.p99()
}

// series returns the last historySeconds seconds of h ending at the
// newest, oldest first; seconds before the history began have no
// reserved line.
func (h *fnHistory) series() []second {
	out := make([]second, historySeconds)
	for age := int64(0); age < historySeconds; age++ {
		if h.newest-age >= h.born {
			out[historySeconds-1-age] = h.ring[slotOf(h.newest-age)]
		} else {
			out[historySeconds-1-age].reserved = -1
		}
	}
	return out
}
