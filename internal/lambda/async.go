package lambda

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Asynchronous invocation, as AWS does it: an Event call is accepted at once
// (202) and queued. A throttled event waits and tries again, with backoff,
// until it is older than the maximum event age; an event whose function fails
// is retried twice more (AWS's default MaximumRetryAttempts), after RetryDelay
// and then twice that. A function with a reservation of 0 drops its events at
// once. The queue lives in memory: events not yet run are lost when the
// server stops.

// AsyncOptions tune the queue (zero values take AWS's defaults).
type AsyncOptions struct {
	RetryDelay      time.Duration // before the first retry of a failed event (AWS: 1 minute)
	MaxEventAge     time.Duration // AWS: 6 hours
	MaxRetries      int           // AWS: 2
	ThrottleBackoff time.Duration // first wait after a throttle (doubles up to 1 s)
}

type asyncEvent struct {
	sc        Scope
	input     InvokeInput
	received  time.Time
	attempts  int // function errors so far
	throttles int
}

type asyncQueue struct {
	s    *Service
	opts AsyncOptions
	wake chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup // dispatcher and running events

	mu     sync.Mutex
	ready  []asyncEvent
	timers map[*time.Timer]struct{}
	closed bool
}

func newAsyncQueue(s *Service, o AsyncOptions) *asyncQueue {
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Minute
	}
	if o.MaxEventAge <= 0 {
		o.MaxEventAge = 6 * time.Hour
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	} else if o.MaxRetries == 0 {
		o.MaxRetries = 2
	}
	if o.ThrottleBackoff <= 0 {
		o.ThrottleBackoff = 20 * time.Millisecond
	}
	q := &asyncQueue{s: s, opts: o, wake: make(chan struct{}, 1), stop: make(chan struct{}), timers: map[*time.Timer]struct{}{}}
	q.wg.Add(1)
	go q.dispatch()
	return q
}

var errQueueClosed = &Error{Kind: KindServiceUnavailable, Message: "The service is shutting down."}

func (q *asyncQueue) enqueue(ev asyncEvent) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errQueueClosed
	}
	q.ready = append(q.ready, ev)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// later puts ev back after d.
func (q *asyncQueue) later(ev asyncEvent, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		q.mu.Lock()
		delete(q.timers, t)
		q.mu.Unlock()
		_ = q.enqueue(ev)
	})
	q.timers[t] = struct{}{}
}

func (q *asyncQueue) dispatch() {
	defer q.wg.Done()
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		}
		q.mu.Lock()
		batch := q.ready
		q.ready = nil
		q.mu.Unlock()
		for _, ev := range batch {
			q.try(ev)
		}
	}
}

// try admits one event and runs it, or schedules it again.
func (q *asyncQueue) try(ev asyncEvent) {
	log := q.s.log.With("function", ev.input.FunctionName, "request_id", ev.input.RequestID)
	if q.s.now().Sub(ev.received) > q.opts.MaxEventAge {
		log.Warn("async event dropped: older than the maximum event age", "age", q.s.now().Sub(ev.received))
		return
	}
	in := ev.input
	p, err := q.s.prepareInvoke(ev.sc, &in)
	if err != nil {
		log.Warn("async event dropped", "err", err)
		return
	}
	if r := p.fn.ReservedConcurrency; r != nil && *r == 0 {
		q.s.observer.Throttled(p.sc, p.fn.Name, "ReservedFunctionConcurrentInvocationLimitExceeded")
		log.Warn("async event dropped: the function's reserved concurrency is 0 (ZeroReservedConcurrency)")
		return
	}
	lease, err := q.s.admit(p)
	if err != nil {
		ev.throttles++
		backoff := min(q.opts.ThrottleBackoff<<min(ev.throttles-1, 6), time.Second)
		q.later(ev, backoff/2+rand.N(backoff/2+1))
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		q.s.acct.Release(lease)
		return
	}
	q.wg.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.wg.Done()
		res, err := q.s.execute(context.Background(), p, in, lease)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			log.Warn("async event could not run", "err", err)
		case err == nil && res.FunctionError != "":
			if ev.attempts < q.opts.MaxRetries {
				ev.attempts++
				q.later(ev, q.opts.RetryDelay*time.Duration(ev.attempts))
				return
			}
			log.Warn("async event failed after retries", "attempts", ev.attempts+1)
		}
	}()
}

// close stops dispatching, cancels pending retries and waits for running events.
func (q *asyncQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	for t := range q.timers {
		t.Stop()
	}
	q.timers = nil
	q.mu.Unlock()
	close(q.stop)
	q.wg.Wait()
}
