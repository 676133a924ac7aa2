package sandbox

import (
	"context"
	"time"
)

// pool is a set of environments: the on-demand environments of one spec, or
// the environments of one provisioned config. Its fields are guarded by
// Manager.mu.
type pool struct {
	key         string
	provisioned bool
	spec        Spec   // provisioned: the current spec (Provision may replace it)
	specKey     string // spec.identity()
	envs        map[*env]struct{}
	retired     bool // on-demand: unreachable; its environments stop when free

	// Provisioned pools only.
	target int
	// serving: the config's environments take invocations. A new config
	// serves once it first has target environments of its spec initialized;
	// from then on it serves from whatever is initialized through resizes and
	// spec changes, until it is released (target 0).
	serving      bool
	report       func(Progress)
	failures     int       // consecutive init failures of the current spec
	failed       bool      // gave up until the next Provision
	detail       string    // last init failure
	retryAt      time.Time // no new start before this (backoff after a failure)
	reportAlways bool      // report the next progress even if unchanged
	wake         chan struct{}
}

func newPool(key string, provisioned bool, spec Spec) *pool {
	return &pool{
		key: key, provisioned: provisioned, spec: spec, specKey: spec.identity(),
		envs: map[*env]struct{}{}, wake: make(chan struct{}, 1),
	}
}

// kick asks the reconcile loop of a provisioned pool to look again.
func (p *pool) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// idleLocked returns the most recently used idle environment running
// specKey (so the least recently used ones age towards reaping), or nil.
func (p *pool) idleLocked(specKey string) *env {
	var best *env
	for e := range p.envs {
		if e.state == stateIdle && e.specKey == specKey && (best == nil || e.lastUsed.After(best.lastUsed)) {
			best = e
		}
	}
	return best
}

// liveLocked counts the environments of the current spec that are not
// being stopped, and how many of them are initialized.
func (p *pool) liveLocked() (live, initialized int) {
	for e := range p.envs {
		if e.specKey != p.specKey {
			continue
		}
		switch e.state {
		case stateStarting:
			live++
		case stateIdle, stateBusy:
			live++
			initialized++
		}
	}
	return live, initialized
}

// oldInitializedLocked counts the initialized environments of earlier specs
// (an alias moved to another version): they stay, counted as allocated
// though they cannot serve the new spec, until the current spec has all of
// its environments.
func (p *pool) oldInitializedLocked() int {
	n := 0
	for e := range p.envs {
		if e.specKey != p.specKey && (e.state == stateIdle || e.state == stateBusy) {
			n++
		}
	}
	return n
}

// keepOldLocked reports whether environments of earlier specs should stay:
// until the current spec has target environments initialized, unless the
// config failed or is released.
func (p *pool) keepOldLocked() bool {
	if p.target == 0 || p.failed {
		return false
	}
	_, initialized := p.liveLocked()
	return initialized < p.target
}

// checkServingLocked turns a provisioned pool on once it has its target.
func (p *pool) checkServingLocked() {
	if p.target == 0 || p.serving {
		return
	}
	if _, initialized := p.liveLocked(); initialized >= p.target {
		p.serving = true
	}
}

// claimLocked takes a free environment of the provisioned pool for an
// invocation of specKey, or returns nil. The invocation must be for the
// spec the pool runs now; it is served by an idle environment of that spec,
// or, while the pool is changing over to it (an alias moved to another
// version), by an idle one of the earlier spec, which runs its own version,
// as the environments that stay allocated keep serving. At most target of
// the pool's environments are busy: a config lowered while its environments
// run takes no new invocation until enough of them end. This is the one
// place that decides whether a provisioned environment is free.
func (p *pool) claimLocked(specKey string) *env {
	if !p.serving || p.specKey != specKey {
		return nil
	}
	var cur, old *env
	busy := 0
	newer := func(a, b *env) bool { return b == nil || a.lastUsed.After(b.lastUsed) }
	for e := range p.envs {
		switch {
		case e.state == stateBusy:
			busy++
		case e.state != stateIdle:
		case e.specKey == specKey && newer(e, cur):
			cur = e
		case e.specKey != specKey && newer(e, old):
			old = e
		}
	}
	if busy >= p.target {
		return nil
	}
	if cur == nil && old != nil && p.keepOldLocked() {
		return old
	}
	return cur
}

// onDemandLocked picks a warm idle on-demand environment of spec, or creates
// a new one (cold, in state starting).
func (m *Manager) onDemandLocked(spec Spec, key string) (e *env, cold bool) {
	p := m.onDemand[key]
	if p == nil {
		p = newPool(key, false, spec)
		m.onDemand[key] = p
	}
	if e := p.idleLocked(key); e != nil {
		return e, false
	}
	return m.newEnvLocked(p, spec), true
}

// newEnvLocked adds a new environment, in state starting, to p.
func (m *Manager) newEnvLocked(p *pool, spec Spec) *env {
	initType := InitOnDemand
	if p.provisioned {
		initType = InitProvisioned
	}
	e := newEnv(m, p, spec, initType)
	p.envs[e] = struct{}{}
	return e
}

// wantedLocked reports whether an environment that just became free should
// stay: the manager is open, its process is alive, and for a provisioned pool the environment runs
// the current spec and the pool is not above its target.
func (m *Manager) wantedLocked(e *env) bool {
	if m.closed || e.ctx.Err() != nil {
		return false
	}
	p := e.pool
	if !p.provisioned {
		return !p.retired
	}
	if m.provisioned[p.key] != p {
		return false
	}
	if e.specKey != p.specKey {
		return p.keepOldLocked()
	}
	live, _ := p.liveLocked()
	return live <= p.target
}

// removeLocked takes e out of its pool for good.
func (m *Manager) removeLocked(e *env) {
	e.moveLocked(stateStopping)
	delete(e.pool.envs, e)
	if !e.pool.provisioned && len(e.pool.envs) == 0 && m.onDemand[e.pool.key] == e.pool {
		delete(m.onDemand, e.pool.key)
	}
	if e.pool.provisioned {
		e.pool.kick()
	}
}

// spawnTeardown stops e in the background; the caller must be a tracked
// goroutine or hold m.mu with the manager open.
func (m *Manager) spawnTeardown(e *env) {
	m.goroutine.Add(1)
	go func() {
		defer m.goroutine.Done()
		e.teardown()
	}()
}

// outcome is what run hands back to Start's caller.
type outcome struct {
	res Result
	err error
}

// run serves one invocation on e (starting it first when cold) and gives e
// back to its pool, or stops it. It runs in a tracked goroutine and owns e
// until it gives it back; the invocation's admission is released in the same
// critical section that makes e free again (or takes it out of its pool),
// before the outcome is handed over.
func (m *Manager) run(e *env, cold bool, inv Invocation, out chan<- outcome) {
	if cold {
		e.beginCapture()
		fail, err := e.start()
		switch {
		case err != nil:
			e.endCapture()
			m.remove(e)
			out <- outcome{err: err}
			e.teardown()
			return
		case fail != nil:
			res := e.initFailureResult(inv, fail)
			m.remove(e)
			out <- outcome{res: res}
			e.teardown()
			return
		}
		m.mu.Lock()
		e.moveLocked(stateBusy)
		m.mu.Unlock()
	}

	res, keep, err := e.invoke(inv, cold)

	m.mu.Lock()
	stop := !keep || err != nil || !m.wantedLocked(e)
	if stop {
		m.removeLocked(e)
	} else {
		e.moveLocked(stateIdle)
		e.lastUsed = m.clock.Now()
		if e.pool.provisioned {
			e.pool.kick()
		}
	}
	e.endRunLocked()
	m.mu.Unlock()
	out <- outcome{res: res, err: err}
	if stop {
		e.teardown()
	}
}

// endRunLocked releases the admission of the invocation e ran, once.
func (e *env) endRunLocked() {
	if r := e.release; r != nil {
		e.release = nil
		r()
	}
}

// remove takes e out of its pool and releases its run's admission; the
// caller owns e and tears it down.
func (m *Manager) remove(e *env) {
	m.mu.Lock()
	m.removeLocked(e)
	e.endRunLocked()
	m.mu.Unlock()
}

// exited is called by e's watcher when its process ended. An idle
// environment is removed here; one that is starting or busy is handled by
// the goroutine that owns it.
func (m *Manager) exited(e *env) {
	m.mu.Lock()
	if e.state != stateIdle {
		m.mu.Unlock()
		return
	}
	m.removeLocked(e)
	m.mu.Unlock()
	m.log.Warn("idle environment exited", "function", e.spec.FunctionName, "version", e.spec.Version,
		"env", e.id, "err", e.proc.Err())
	e.teardown()
}

// reapLoop stops on-demand environments idle longer than IdleTimeout.
func (m *Manager) reapLoop() {
	defer m.goroutine.Done()
	every := m.opts.IdleTimeout / 4
	every = min(max(every, 10*time.Millisecond), time.Second)
	t := m.clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.Chan():
			// The clock, not the tick: a tick may have waited in its channel.
			now := m.clock.Now()
			m.mu.Lock()
			for _, p := range m.onDemand {
				for e := range p.envs {
					if e.state == stateIdle && now.Sub(e.lastUsed) >= m.opts.IdleTimeout {
						m.removeLocked(e)
						m.spawnTeardown(e)
					}
				}
			}
			m.mu.Unlock()
		}
	}
}

// reconcileLoop keeps a provisioned pool at its target and reports its
// progress. It is the only caller of the pool's report function.
func (m *Manager) reconcileLoop(p *pool) {
	defer m.goroutine.Done()
	var last Progress
	reported := false
	retry := m.clock.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-p.wake:
		case <-retry.Chan():
		case <-m.ctx.Done():
			return
		}

		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		now := m.clock.Now()
		// Stop idle environments of an earlier spec once the current one
		// has its target, then idle ones above target.
		if !p.keepOldLocked() {
			for e := range p.envs {
				if e.state == stateIdle && e.specKey != p.specKey {
					m.removeLocked(e)
					m.spawnTeardown(e)
				}
			}
		}
		live, _ := p.liveLocked()
		for e := range p.envs {
			if live <= p.target {
				break
			}
			if e.state == stateIdle && e.specKey == p.specKey {
				m.removeLocked(e)
				m.spawnTeardown(e)
				live--
			}
		}
		if !p.failed && live < p.target {
			if now.Before(p.retryAt) {
				retry.Reset(p.retryAt.Sub(now))
			} else {
				for ; live < p.target; live++ {
					e := m.newEnvLocked(p, p.spec)
					m.goroutine.Add(1)
					go m.provisionEnv(e)
				}
			}
		}
		_, initialized := p.liveLocked()
		p.checkServingLocked()
		prog := Progress{Requested: p.target, Allocated: min(p.target, initialized+p.oldInitializedLocked()),
			Ready: p.target > 0 && initialized >= p.target, Failed: p.failed, Detail: p.detail}
		if p.failed {
			prog.Reason = ReasonInitFailure
		}
		force := p.reportAlways
		p.reportAlways = false
		report := p.report
		finished := p.target == 0 && len(p.envs) == 0
		m.mu.Unlock()

		if force || !reported || prog != last {
			report(prog)
			last, reported = prog, true
		}
		if finished && m.retire(p) {
			return
		}
	}
}

// retire removes a released provisioned pool, after its last report so that
// a new pool for the same key cannot report before it. It fails when a
// Provision call revived the pool meanwhile.
func (m *Manager) retire(p *pool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return true
	}
	if p.target != 0 || len(p.envs) != 0 {
		return false
	}
	delete(m.provisioned, p.key)
	return true
}

// provisionEnv initializes one provisioned environment and hands it to its pool.
func (m *Manager) provisionEnv(e *env) {
	defer m.goroutine.Done()
	fail, err := e.start()
	p := e.pool

	m.mu.Lock()
	if err == nil && fail == nil {
		if m.wantedLocked(e) {
			e.moveLocked(stateIdle)
			e.lastUsed = m.clock.Now()
			if e.specKey == p.specKey {
				p.failures = 0
			}
			p.checkServingLocked()
			p.kick()
			m.mu.Unlock()
			return
		}
		m.removeLocked(e)
		m.mu.Unlock()
		e.teardown()
		return
	}
	closing := m.closed
	if !closing && e.specKey == p.specKey {
		detail := ""
		if err != nil {
			detail = err.Error()
		} else {
			detail = fail.errorType + ": " + fail.message()
		}
		p.failures++
		p.detail = detail
		if p.failures >= m.opts.MaxInitFailures {
			p.failed = true
		} else {
			p.retryAt = m.clock.Now().Add(time.Duration(p.failures) * 200 * time.Millisecond)
		}
		m.log.Warn("provisioned environment failed to initialize", "config", p.key,
			"function", e.spec.FunctionName, "version", e.spec.Version, "failures", p.failures, "detail", detail)
	}
	m.removeLocked(e)
	m.mu.Unlock()
	e.teardown()
}

// stopContext bounds a teardown.
func (m *Manager) stopContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.opts.StopGrace+5*time.Second)
}
