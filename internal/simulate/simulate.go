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
}

// New returns a simulated executor.
func New(initDelay time.Duration) *Executor {
	return &Executor{initDelay: initDelay, cancels: make(map[string]context.CancelFunc)}
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
	if n == 0 || e.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancels[key] = cancel
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		timer := time.NewTimer(e.initDelay)
		defer timer.Stop()
		for ready := 1; ready <= n; ready++ {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			report(lambda.ProvisionProgress{Allocated: ready, Ready: ready == n})
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
