// Package lambda is Reservoir's domain: functions, versions, aliases,
// reserved and provisioned concurrency, and every rule AWS applies to them,
// with AWS's own messages. It speaks no HTTP: the wire layer (lambdaapi)
// translates requests into calls here and errors back into AWS's envelope.
//
// The service keeps every function in memory as an immutable snapshot and
// writes each change through to a Store before it is acknowledged. Writers to
// one function are serialized; limits that span functions (the account's
// unreserved concurrency) are checked and applied atomically in the
// concurrency.Accountant.
package lambda

import (
	"context"
	"fmt"
	"github.com/google/uuid"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
)

// Options configure a Service.
type Options struct {
	Store    Store
	Executor Executor
	// AccountConcurrency is every account's regional concurrency limit
	// (0: DefaultAccountConcurrency).
	AccountConcurrency int
	// Accountant, if set, is the concurrency books to keep (for a caller
	// that reads them, such as metrics, and must have them before the
	// service starts); AccountConcurrency is then ignored.
	Accountant *concurrency.Accountant
	Clock      func() time.Time
	Logger     *slog.Logger
	// Observer is told about every invocation (metrics); nil ignores them.
	// It must be ready when NewService is called: events stored by an
	// earlier run start at once.
	Observer InvokeObserver
	Async    AsyncOptions
	// Roles checks the execution roles functions are given (nil: none is
	// checked); StrictRoles refuses, as AWS does, a role Lambda could not
	// assume instead of logging a warning.
	Roles       RoleChecker
	StrictRoles bool
	// CheckCode, if set, checks a deployment package more deeply than its
	// zip directory (entry names, links, sizes) before a function takes it;
	// its error means the package is unusable. nil checks nothing more.
	CheckCode func(zip []byte) error
	// Runtimes, if set, tells which runtimes this machine can run: a
	// function given one it cannot is accepted, as on AWS, with a warning.
	Runtimes RuntimeChecker
}

// DefaultAccountConcurrency is AWS's default regional concurrency limit of
// an account.
const DefaultAccountConcurrency = 1000

// Service implements the Lambda operations.
type Service struct {
	store    Store
	exec     Executor
	acct     *concurrency.Accountant
	now      func() time.Time
	log      *slog.Logger
	observer InvokeObserver
	async    *asyncQueue
	pending  []AsyncEvent // loaded, queued by Start
	roles    RoleChecker
	strict   bool                   // StrictRoles
	check    func(zip []byte) error // Options.CheckCode; nil checks nothing more
	runtimes RuntimeChecker         // nil: no runtime is checked

	code codeGC // which packages may be deleted: pins and deletions under way

	layers layerIndex // every layer, by scope and name
	urls   urlIndex   // function URL IDs to their functions

	mu     sync.RWMutex // guards scopes (the index, not the functions)
	scopes map[Scope]map[string]*entry
}

// entry is one function's slot in the index.
type entry struct {
	// write admits one writer at a time; it is held across the store write,
	// so that a function's changes are applied and persisted in order.
	write chan struct{}
	// cur is the current snapshot; nil before creation or once deleted. It
	// is settled, except while the writer slot's holder shows the Pending or
	// InProgress snapshot of work under way.
	cur atomic.Pointer[Function]

	liveMu  sync.Mutex
	live    map[string]*liveProvisioned // by config qualifier
	provGen uint64                      // numbers Provision calls; only grows, so a deleted config's late report never matches a new one
}

// liveProvisioned is the state of a provisioned config's environments.
type liveProvisioned struct {
	gen       uint64 // which Provision call the reports belong to
	status    string
	reason    string
	allocated int
}

func newEntry() *entry {
	return &entry{write: make(chan struct{}, 1), live: make(map[string]*liveProvisioned)}
}

// NewService loads every function from the store, rebuilds the concurrency
// books, and asks the executor to warm every provisioned config again.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = DefaultAccountConcurrency
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	if o.Accountant == nil {
		o.Accountant = concurrency.New(o.AccountConcurrency)
	}
	s := &Service{
		store:    o.Store,
		exec:     o.Executor,
		acct:     o.Accountant,
		now:      o.Clock,
		log:      o.Logger,
		observer: o.Observer,
		roles:    o.Roles,
		strict:   o.StrictRoles,
		check:    o.CheckCode,
		runtimes: o.Runtimes,
		scopes:   make(map[Scope]map[string]*entry),
		layers:   layerIndex{write: make(chan struct{}, 1)},
	}
	fns, err := o.Store.LoadFunctions(ctx)
	if err != nil {
		return nil, fmt.Errorf("load functions: %w", err)
	}
	events, err := o.Store.LoadAsyncEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("load async events: %w", err)
	}
	for _, fn := range fns {
		e := newEntry()
		normalize(fn)
		e.cur.Store(fn)
		s.index(fn.Scope)[fn.Name] = e
		cs := cscope(fn.Scope)
		if fn.ReservedConcurrency != nil {
			s.acct.SetReserved(cs, fn.Name, *fn.ReservedConcurrency)
		}
		for q, pc := range fn.Provisioned {
			s.acct.SetProvisioned(cs, fn.Name, q, pc.Requested)
		}
		for q, u := range fn.URLs {
			s.urls.add(u.URLID, urlEntry{scope: fn.Scope, function: fn.Name, qualifier: q})
		}
	}
	layers, err := o.Store.LoadLayers(ctx)
	if err != nil {
		return nil, fmt.Errorf("load layers: %w", err)
	}
	for _, l := range layers {
		s.layers.set(l)
	}
	s.async = newAsyncQueue(s, o.Async)
	s.pending = events
	s.log.Info("state loaded", "functions", len(fns), "async_events", len(events))
	s.sweepCode(ctx)
	return s, nil
}

// Start begins the work the stored state asks for: it warms every
// provisioned config and queues the asynchronous events an earlier run left.
// The caller starts it once it can serve (its listener is bound), so that a
// server that cannot start runs no function code.
func (s *Service) Start(ctx context.Context) error {
	for _, scope := range s.scopeList() {
		for _, e := range s.entries(scope) {
			h, err := e.lock(ctx)
			if err != nil {
				return err
			}
			if h.fn != nil {
				for q, pc := range h.fn.Provisioned {
					s.provision(h, q, pc.Requested)
				}
			}
			h.unlock()
		}
	}
	s.async.resume(s.pending)
	s.pending = nil
	return nil
}

// Stop stops starting work: no queued or retried asynchronous event starts
// any more. Events already running go on until they end or the executor
// stops them (they then stay stored and run after the next start).
func (s *Service) Stop() { s.async.stop() }

// Close stops the service and waits for the asynchronous events it runs.
func (s *Service) Close() { s.async.close() }

// Accountant exposes the concurrency books (for the data plane and metrics).
func (s *Service) Accountant() *concurrency.Accountant { return s.acct }

func cscope(sc Scope) concurrency.Scope {
	return concurrency.Scope{Account: sc.Account, Region: sc.Region}
}

// normalize gives a loaded function non-nil maps.
func normalize(fn *Function) {
	if fn.Aliases == nil {
		fn.Aliases = map[string]*Alias{}
	}
	if fn.Provisioned == nil {
		fn.Provisioned = map[string]*ProvisionedConfig{}
	}
	if fn.Tags == nil {
		fn.Tags = map[string]string{}
	}
}

// index returns the scope's map, creating it; callers hold s.mu for writing
// (or are single-threaded at construction).
func (s *Service) index(sc Scope) map[string]*entry {
	m := s.scopes[sc]
	if m == nil {
		m = make(map[string]*entry)
		s.scopes[sc] = m
	}
	return m
}

func (s *Service) scopeList() []Scope {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Scope, 0, len(s.scopes))
	for sc := range s.scopes {
		out = append(out, sc)
	}
	return out
}

// entries returns the scope's entries sorted by function name.
func (s *Service) entries(sc Scope) []*entry {
	s.mu.RLock()
	names := make([]string, 0, len(s.scopes[sc]))
	for n := range s.scopes[sc] {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]*entry, 0, len(names))
	for _, n := range names {
		out = append(out, s.scopes[sc][n])
	}
	s.mu.RUnlock()
	return out
}

func (s *Service) lookup(sc Scope, name string) (*entry, *Function) {
	s.mu.RLock()
	e := s.scopes[sc][name]
	s.mu.RUnlock()
	if e == nil {
		return nil, nil
	}
	fn := e.cur.Load()
	if fn == nil {
		return nil, nil
	}
	return e, fn
}

// held is the writer slot of one function. Only lock hands it out, so a call
// that takes a *held runs under the slot: executor side effects (Provision,
// Retire) take one, and so run after the write they follow, in write order.
type held struct {
	e  *entry
	fn *Function // the current durable snapshot, settled; nil once the function is deleted
}

// lock takes the entry's writer slot.
func (e *entry) lock(ctx context.Context) (*held, error) {
	select {
	case e.write <- struct{}{}:
		return &held{e: e, fn: e.cur.Load()}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// unlock gives the slot back. The durable snapshot must be the one shown:
// a Pending or InProgress snapshot never outlives the work it stands for.
func (h *held) unlock() {
	if h.e.cur.Load() != h.fn {
		panic("lambda: writer slot released while a Pending or InProgress snapshot is shown")
	}
	<-h.e.write
}

// publish makes fn the function's current, durable snapshot.
func (h *held) publish(fn *Function) {
	h.fn = fn
	h.e.cur.Store(fn)
}

// show makes fn, the Pending or InProgress snapshot of work under way, the
// function's current snapshot in memory only; publish (once the work is
// durable) or restore (when it failed) must follow before unlock.
func (h *held) show(fn *Function) { h.e.cur.Store(fn) }

// restore shows the durable snapshot again: the work failed.
func (h *held) restore() { h.e.cur.Store(h.fn) }

// mutate applies change to a copy of the named function under its writer
// slot, persists the copy and publishes it. change may return an undo that is
// run when persisting fails (to roll back accounting it applied), and an
// after that is run once the change is durable, still under the slot (the
// executor side effects of the change). notFound builds the error for a
// missing function.
func (s *Service) mutate(ctx context.Context, sc Scope, name string, notFound func() error,
	change func(fn *Function) (undo func(), after func(h *held), err error)) (*Function, error) {
	e, _ := s.lookup(sc, name)
	if e == nil {
		return nil, notFound()
	}
	h, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer h.unlock()
	if h.fn == nil {
		return nil, notFound()
	}
	next := h.fn.clone()
	undo, after, err := change(next)
	if err != nil {
		return nil, err
	}
	if err := s.save(ctx, next); err != nil {
		if undo != nil {
			undo()
		}
		return nil, fmt.Errorf("save function %s: %w", name, err)
	}
	h.publish(next)
	if after != nil {
		after(h)
	}
	return next, nil
}

// save writes a settled function durably. The store never holds a Pending
// or InProgress configuration, so a restart finds only settled functions.
func (s *Service) save(ctx context.Context, fn *Function) error {
	if !fn.settled() {
		panic("lambda: a Pending or InProgress function reached the store")
	}
	return s.store.SaveFunction(ctx, fn)
}

// settled reports whether every configuration of fn is settled.
func (fn *Function) settled() bool {
	if fn.Latest.Phase != Settled || fn.running != nil {
		return false
	}
	for _, v := range fn.Versions {
		if v.Phase != Settled {
			return false
		}
	}
	return true
}

// clone deep-copies a function so that a writer can change it freely.
func (fn *Function) clone() *Function {
	c := *fn
	c.running = nil // only a shown snapshot has one
	c.Latest = fn.Latest.clone()
	c.Versions = make([]Config, len(fn.Versions))
	for i, v := range fn.Versions {
		c.Versions[i] = v.clone()
	}
	c.Aliases = make(map[string]*Alias, len(fn.Aliases))
	for k, a := range fn.Aliases {
		ac := *a
		if a.AdditionalVersionWeights != nil {
			ac.AdditionalVersionWeights = make(map[string]float64, len(a.AdditionalVersionWeights))
			for v, w := range a.AdditionalVersionWeights {
				ac.AdditionalVersionWeights[v] = w
			}
		}
		c.Aliases[k] = &ac
	}
	if fn.ReservedConcurrency != nil {
		r := *fn.ReservedConcurrency
		c.ReservedConcurrency = &r
	}
	c.Provisioned = make(map[string]*ProvisionedConfig, len(fn.Provisioned))
	for k, p := range fn.Provisioned {
		pc := *p
		c.Provisioned[k] = &pc
	}
	if fn.EventInvoke != nil {
		c.EventInvoke = make(map[string]*EventInvokeConfig, len(fn.EventInvoke))
		for k, e := range fn.EventInvoke {
			c.EventInvoke[k] = e.clone()
		}
	}
	if fn.Policies != nil {
		c.Policies = make(map[string][]Statement, len(fn.Policies))
		for k, sts := range fn.Policies {
			c.Policies[k] = slices.Clone(sts)
		}
	}
	if fn.URLs != nil {
		c.URLs = make(map[string]*FunctionURLConfig, len(fn.URLs))
		for k, u := range fn.URLs {
			c.URLs[k] = u.clone()
		}
	}
	c.Tags = make(map[string]string, len(fn.Tags))
	for k, v := range fn.Tags {
		c.Tags[k] = v
	}
	return &c
}

func (c Config) clone() Config {
	out := c
	out.Architectures = slices.Clone(c.Architectures)
	out.Layers = slices.Clone(c.Layers)
	out.FileSystems = slices.Clone(c.FileSystems)
	if c.Vpc != nil {
		vpc := VpcConfig{SubnetIDs: slices.Clone(c.Vpc.SubnetIDs), SecurityGroupIDs: slices.Clone(c.Vpc.SecurityGroupIDs), IPv6DualStack: c.Vpc.IPv6DualStack}
		out.Vpc = &vpc
	}
	if c.Environment != nil {
		out.Environment = make(map[string]string, len(c.Environment))
		for k, v := range c.Environment {
			out.Environment[k] = v
		}
	}
	return out
}

// version returns the published version with number v.
func (fn *Function) version(v string) (Config, bool) {
	for _, c := range fn.Versions {
		if c.Version == v {
			return c, true
		}
	}
	return Config{}, false
}

// newRevisionID returns a random UUID, as AWS's RevisionId values are.
func newRevisionID() string { return uuid.NewString() }

// resolve parses a FunctionName member, checks that it addresses this scope,
// and merges its qualifier with an explicit Qualifier member.
func (s *Service) resolve(sc Scope, functionName, qualifier string, form nameForm) (FunctionRef, error) {
	ref, err := ParseFunctionName(functionName, form)
	if err != nil {
		return ref, err
	}
	var v Validation
	checkQualifier(qualifier, "qualifier", &v)
	if err := v.Err(); err != nil {
		return ref, err
	}
	if ref.Region != "" && ref.Region != sc.Region {
		return ref, newErr(KindResourceNotFound, "Functions from '%s' are not reachable in this region ('%s')", ref.Region, sc.Region)
	}
	if ref.Account != "" && ref.Account != sc.Account {
		return ref, newErr(KindAccessDenied, "User: arn:aws:iam::%s:root is not authorized to perform this action on resource: %s because no resource-based policy allows it", sc.Account, Scope{Account: ref.Account, Region: sc.Region}.FunctionARN(ref.Name))
	}
	if qualifier != "" {
		if ref.Qualifier != "" && ref.Qualifier != qualifier {
			return ref, newErr(KindInvalidParameterValue, "The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.Qualifier = qualifier
	}
	return ref, nil
}

// provision asks the executor for n environments of the config under
// qualifier, as the function held now runs it (n = 0 releases them). The
// config's live state restarts IN_PROGRESS; the environments that stay
// allocated keep counting (and serving) while the change is under way.
func (s *Service) provision(h *held, qualifier string, n int) {
	e, fn := h.e, h.fn
	e.liveMu.Lock()
	lp := e.live[qualifier]
	if lp == nil {
		lp = &liveProvisioned{}
		e.live[qualifier] = lp
	}
	e.provGen++
	lp.gen = e.provGen
	gen := lp.gen
	target := ProvisionTarget{Scope: fn.Scope, FunctionName: fn.Name, Qualifier: qualifier}
	switch cfg, ok := fn.versionFor(qualifier); {
	case n == 0:
		delete(e.live, qualifier)
	case !ok: // the writes that lead here keep every config's version: a bug
		s.log.Error("provisioned config without a version", "function", fn.Name, "qualifier", qualifier)
		lp.status, lp.reason, lp.allocated = ProvisionedFailed, "FUNCTION_ERROR_INIT_FAILURE", 0
		e.liveMu.Unlock()
		return
	default:
		lp.status, lp.reason, lp.allocated = ProvisionedInProgress, "", min(lp.allocated, n)
		target.Config = cfg
		target.Code = s.codeLoader(cfg.CodeSha256)
		target.LayerCode = s.loadPackage
	}
	e.liveMu.Unlock()
	cs := cscope(fn.Scope)
	s.exec.Provision(target, n, func(p ProvisionProgress) {
		e.liveMu.Lock()
		defer e.liveMu.Unlock()
		cur := e.live[qualifier]
		if cur == nil || cur.gen != gen {
			return // a newer Provision call owns this config now
		}
		cur.allocated = min(p.Allocated, n)
		switch {
		case p.Failed:
			cur.status, cur.reason = ProvisionedFailed, p.Reason
		case p.Ready:
			cur.status, cur.reason = ProvisionedReady, ""
		case cur.status == ProvisionedReady:
			// A READY config stays READY while a lost environment is replaced.
		default:
			cur.status = ProvisionedInProgress
		}
		s.acct.SetAllocated(cs, fn.Name, qualifier, cur.allocated)
	})
}

// versionFor returns the configuration a qualifier (version or alias) runs.
func (fn *Function) versionFor(qualifier string) (Config, bool) {
	if a, ok := fn.Aliases[qualifier]; ok {
		qualifier = a.FunctionVersion
	}
	if qualifier == LatestVersion || qualifier == "" {
		return fn.Latest, true
	}
	return fn.version(qualifier)
}
