// Package simulate is an executor that runs no code: its environments are
// virtual and "initialize" after a fixed delay each. It backs the
// `--executor=simulate` mode, for control-plane work (Terraform, CLI) where
// provisioned configs must reach READY but nothing is invoked.
package simulate

import (
	"context"
	"sync"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Executor initializes virtual environments one after another, InitDelay each.
type Executor struct {
	initDelay time.Duration
	wg        sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	cancels map[string]context.CancelFunc // running provisioners by config key
	ready   map[string]int                // environments initialized, by config key
	version map[string]string             // the version they run
}

// New returns a simulated executor.
func New(initDelay time.Duration) *Executor {
	return &Executor{initDelay: initDelay, cancels: make(map[string]context.CancelFunc), ready: make(map[string]int), version: make(map[string]string)}
}

// Provision implements lambda.Executor.
func (e *Executor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	key := t.Key()
	e.mu.Lock()
	defer e.mu.Unlock()
	if cancel, ok := e.cancels[key]; ok {
		cancel()
		delete(e.cancels, key)
	}
	// The environments that stay are still initialized; a new version
	// (an alias moved) starts from none of its own, the old version's
	// counting as allocated until it has them all.
	from, old := min(e.ready[key], n), 0
	if t.Config.Version != "" && t.Config.Version != e.version[key] {
		from, old = 0, from
	}
	e.ready[key], e.version[key] = from, t.Config.Version
	if n == 0 {
		delete(e.ready, key)
		delete(e.version, key)
	}
	if n == 0 || e.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancels[key] = cancel
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		report(lambda.ProvisionProgress{Allocated: min(n, from+old), Ready: from == n})
		timer := time.NewTimer(e.initDelay)
		defer timer.Stop()
		for ready := from + 1; ready <= n; ready++ {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			e.mu.Lock()
			if ctx.Err() == nil {
				e.ready[key] = ready
			}
			e.mu.Unlock()
			report(lambda.ProvisionProgress{Allocated: min(n, ready+old), Ready: ready == n})
			timer.Reset(e.initDelay)
		}
	}()
}

// Retire has nothing to stop: simulated environments run no code.
func (e *Executor) Retire(lambda.RetireTarget) {}

// Start refuses: in simulate mode no function code runs.
func (e *Executor) Start(lambda.InvocationTarget, lambda.Invocation, lambda.Admit) (lambda.Execution, error) {
	return nil, &lambda.Error{Kind: lambda.KindServiceUnavailable,
		Message: "Reservoir runs with --executor=simulate, where no function code runs; start it with --executor=process to invoke functions."}
}

// Close stops every provisioner and waits for them.
func (e *Executor) Close() {
	e.mu.Lock()
	e.closed = true
	for k, cancel := range e.cancels {
		cancel()
		delete(e.cancels, k)
	}
	e.mu.Unlock()
	e.wg.Wait()
}
