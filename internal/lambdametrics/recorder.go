package lambdametrics

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Sink receives one minute's data points of one account and region.
type Sink func(cloudwatch.Scope, []cloudwatch.Datum)

// Options configure a Recorder.
type Options struct {
	Sink Sink // required
	// Books are the concurrency books the concurrency metrics are read
	// from (nil: none are published).
	Books *concurrency.Accountant
	// Clock sets the minutes (nil: the real clock).
	Clock clockwork.Clock
}

// Recorder is a lambda.InvokeObserver that publishes AWS/Lambda's metrics
// every minute. Close it to stop and publish what the last minute has.
type Recorder struct {
	sink  Sink
	books *concurrency.Accountant
	clock clockwork.Clock

	// epoch counts roll-overs; its parity is the slot writers use.
	epoch atomic.Uint64
	fns   sync.Map // fnKey → *fnState

	rollMu sync.Mutex // serializes roll-overs
	start  time.Time  // when the current epoch began; guarded by rollMu

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ lambda.InvokeObserver = (*Recorder)(nil)

// New starts a recorder: it publishes at every minute of its clock.
func New(o Options) *Recorder {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	r := &Recorder{sink: o.Sink, books: o.Books, clock: o.Clock, stop: make(chan struct{}), done: make(chan struct{})}
	r.start = o.Clock.Now()
	if r.books != nil {
		r.books.TakePeaks() // what ran before starts the first minute
	}
	go r.run()
	return r
}

// Close stops the minutes and publishes what was recorded since the last
// one. Calls after it are not published.
func (r *Recorder) Close() {
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.done
		r.roll(r.clock.Now())
	})
}

func (r *Recorder) run() {
	defer close(r.done)
	for {
		now := r.clock.Now()
		next := now.Truncate(time.Minute).Add(time.Minute)
		t := r.clock.NewTimer(next.Sub(now))
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.Chan():
		}
		r.roll(next)
	}
}

type fnKey struct{ account, region, name string }

// fnState is one function's figures: its own (FunctionName), per qualifier
// invoked (FunctionName+Resource), and per alias and version executed
// (FunctionName+Resource+ExecutedVersion). Created once per function, it is
// found without allocating, and nothing in it is shared with another function.
type fnState struct {
	key    fnKey
	guards [2]guard
	own    series
	res    sync.Map // qualifier → *series
	exec   sync.Map // execKey → *series
}

type execKey struct{ qualifier, version string }

// guard counts the writers in one slot of a function's figures.
type guard struct {
	n atomic.Int64
	_ [56]byte // a cache line of its own
}

// series holds one dimension set's figures, one slot per epoch parity.
type series struct{ slots [2]figures }

// figures are one minute's counts of one series.
type figures struct {
	invocations   atomic.Int64
	errors        atomic.Int64
	throttles     atomic.Int64
	provisioned   atomic.Int64 // ProvisionedConcurrencyInvocations
	spillovers    atomic.Int64
	asyncReceived atomic.Int64
	asyncDropped  atomic.Int64
	duration      atomic.Pointer[dist] // created at first use, then kept
	asyncAge      atomic.Pointer[dist]
}

func loadDist(p *atomic.Pointer[dist]) *dist {
	if d := p.Load(); d != nil {
		return d
	}
	p.CompareAndSwap(nil, newDist())
	return p.Load()
}

// enter admits a writer to f's figures of the current epoch and returns
// the slot to write; leave(slot) must follow. A writer counts itself in the
// slot's guard, then checks the epoch is still the one it read: if a
// roll-over moved it meanwhile, the roll-over may not have seen the writer,
// which retries in the new slot; otherwise the roll-over, which moves the
// epoch before it reads the guard, waits for the writer to leave. So every
// increment lands in exactly one minute, the one current when it entered.
func (r *Recorder) enter(f *fnState) int {
	for {
		e := r.epoch.Load()
		g := &f.guards[e&1]
		g.n.Add(1)
		if r.epoch.Load() == e {
			return int(e & 1)
		}
		g.n.Add(-1)
	}
}

func (f *fnState) leave(slot int) { f.guards[slot].n.Add(-1) }

func (r *Recorder) function(sc lambda.Scope, name string) *fnState {
	k := fnKey{sc.Account, sc.Region, name}
	if f, ok := r.fns.Load(k); ok {
		return f.(*fnState)
	}
	f, _ := r.fns.LoadOrStore(k, &fnState{key: k})
	return f.(*fnState)
}

func (f *fnState) resource(qualifier string) *series {
	if s, ok := f.res.Load(qualifier); ok {
		return s.(*series)
	}
	s, _ := f.res.LoadOrStore(qualifier, &series{})
	return s.(*series)
}

func (f *fnState) executed(qualifier, version string) *series {
	k := execKey{qualifier, version}
	if s, ok := f.exec.Load(k); ok {
		return s.(*series)
	}
	s, _ := f.exec.LoadOrStore(k, &series{})
	return s.(*series)
}

// isAlias tells an alias from a version or $LATEST: a version is a number.
func isAlias(q string) bool {
	if q == "" || q == lambda.LatestVersion {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return true
		}
	}
	return false
}

// Invoked implements lambda.InvokeObserver.
func (r *Recorder) Invoked(sc lambda.Scope, function string, rec lambda.InvokeRecord) {
	f := r.function(sc, function)
	slot := r.enter(f)
	f.own.slots[slot].invoked(&rec)
	if rec.Qualifier != "" {
		f.resource(rec.Qualifier).slots[slot].invoked(&rec)
		if isAlias(rec.Qualifier) && rec.ExecutedVersion != "" {
			f.executed(rec.Qualifier, rec.ExecutedVersion).slots[slot].invoked(&rec)
		}
	}
	f.leave(slot)
}

// invoked counts one invocation. Duration is the function's run, without
// the initialization of a cold start (as Lambda's REPORT line and metric).
func (x *figures) invoked(rec *lambda.InvokeRecord) {
	x.invocations.Add(1)
	if rec.FunctionError {
		x.errors.Add(1)
	}
	if rec.Provisioned {
		x.provisioned.Add(1)
	}
	if rec.Spillover {
		x.spillovers.Add(1)
	}
	loadDist(&x.duration).add(max(0, rec.Duration-rec.InitDuration).Microseconds())
	if rec.Async {
		loadDist(&x.asyncAge).add(rec.AsyncEventAge.Microseconds())
	}
}

// Throttled implements lambda.InvokeObserver.
func (r *Recorder) Throttled(sc lambda.Scope, function string, t lambda.ThrottleRecord) {
	r.count(sc, function, t.Qualifier, func(x *figures) *atomic.Int64 { return &x.throttles })
}

// AsyncReceived implements lambda.InvokeObserver.
func (r *Recorder) AsyncReceived(sc lambda.Scope, function, qualifier string) {
	r.count(sc, function, qualifier, func(x *figures) *atomic.Int64 { return &x.asyncReceived })
}

// AsyncDropped implements lambda.InvokeObserver.
func (r *Recorder) AsyncDropped(sc lambda.Scope, function, qualifier, _ string) {
	r.count(sc, function, qualifier, func(x *figures) *atomic.Int64 { return &x.asyncDropped })
}

// count adds one to a counter of the function and of its qualifier.
func (r *Recorder) count(sc lambda.Scope, function, qualifier string, counter func(*figures) *atomic.Int64) {
	f := r.function(sc, function)
	slot := r.enter(f)
	counter(&f.own.slots[slot]).Add(1)
	if qualifier != "" {
		counter(&f.resource(qualifier).slots[slot]).Add(1)
	}
	f.leave(slot)
}

// drain waits until no writer is in slot of f's figures. Writers stay for
// the few atomic operations of one record, so this is brief.
func (f *fnState) drain(slot int) {
	for f.guards[slot].n.Load() != 0 {
		runtime.Gosched()
	}
}
