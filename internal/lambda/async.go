package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
)

// Asynchronous invocation, as AWS does it: an Event call is accepted at once
// (202) and queued. A throttled event waits and tries again, with backoff,
// until it is older than the maximum event age; an event whose function fails
// is retried twice more (AWS's default MaximumRetryAttempts), after RetryDelay
// and then twice that. The event invoke config of the qualifier an event was
// sent to, if any, sets its retries and maximum age instead, and names the
// function destinations that receive its invocation record. A function with
// a reservation of 0 drops its events at once.
//
// The queue is durable: an event is in the store before its 202 is sent,
// and leaves it only when it has run, failed for the last time or been
// dropped. Events the server did not finish (it stopped, or died) run after
// the next start, retries after their delay. So an event runs at least once,
// and may run twice if the server dies while it runs, as AWS also allows.

// AsyncOptions tune the queue (zero values take AWS's defaults).
type AsyncOptions struct {
	RetryDelay      time.Duration // before the first retry of a failed event (AWS: 1 minute)
	MaxEventAge     time.Duration // AWS: 6 hours
	MaxRetries      int           // AWS: 2
	ThrottleBackoff time.Duration // first wait after a throttle (doubles up to 1 s)
}

// AsyncEvent is an accepted asynchronous invocation that has not ended, as
// the store keeps it.
type AsyncEvent struct {
	Scope         Scope
	RequestID     string // the Invoke's request ID, also the function's
	FunctionName  string // as the caller gave it (a name or an ARN)
	Qualifier     string
	ClientContext string
	Payload       []byte
	Received      time.Time
	Attempts      int       // function errors so far
	NotBefore     time.Time // a retry does not start before then (zero: at once)
}

type asyncEvent struct {
	rec       AsyncEvent
	throttles int // in memory only: a restart starts backing off anew
}

// input is the invocation the event asks for.
func (ev asyncEvent) input() InvokeInput {
	return InvokeInput{FunctionName: ev.rec.FunctionName, Qualifier: ev.rec.Qualifier, InvocationType: InvokeEvent,
		ClientContext: ev.rec.ClientContext, Payload: ev.rec.Payload, RequestID: ev.rec.RequestID, received: ev.rec.Received}
}

type asyncQueue struct {
	s     *Service
	opts  AsyncOptions
	wake  chan struct{}
	stopc chan struct{}
	wg    sync.WaitGroup // dispatcher and running events

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
	q := &asyncQueue{s: s, opts: o, wake: make(chan struct{}, 1), stopc: make(chan struct{}), timers: map[*time.Timer]struct{}{}}
	q.wg.Add(1)
	go q.dispatch()
	return q
}

// ErrShuttingDown is the answer to a request that arrives while the service
// stops. An executor closing returns it for invocations it ends early; an
// asynchronous event ended so stays stored and runs after the next start.
var ErrShuttingDown = &Error{Kind: KindServiceUnavailable, Message: "The service is shutting down."}

// accept stores a new event, then queues it.
func (q *asyncQueue) accept(ctx context.Context, rec AsyncEvent) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrShuttingDown
	}
	if err := q.s.store.SaveAsyncEvent(ctx, rec); err != nil {
		return fmt.Errorf("store async event: %w", err)
	}
	// Stored: from here the event is delivered, now or after a restart.
	_ = q.enqueue(asyncEvent{rec: rec})
	return nil
}

// resume queues the events a previous run left in the store.
func (q *asyncQueue) resume(events []AsyncEvent) {
	now := q.s.now()
	for _, rec := range events {
		if wait := rec.NotBefore.Sub(now); wait > 0 {
			q.later(asyncEvent{rec: rec}, wait)
		} else {
			_ = q.enqueue(asyncEvent{rec: rec})
		}
	}
}

// finish removes an event that ended from the store.
func (q *asyncQueue) finish(ev asyncEvent) {
	if err := q.s.store.DeleteAsyncEvent(context.Background(), ev.rec.RequestID); err != nil {
		q.s.log.Warn("async event ended but stays stored: it will run again after a restart",
			"request_id", ev.rec.RequestID, "err", err)
	}
}

func (q *asyncQueue) enqueue(ev asyncEvent) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrShuttingDown
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
		case <-q.stopc:
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
	log := q.s.log.With("function", ev.rec.FunctionName, "request_id", ev.rec.RequestID)
	pol := q.policyFor(ev.rec.Scope, ev.rec.FunctionName, ev.rec.Qualifier)
	if age := q.s.now().Sub(ev.rec.Received); age > pol.maxAge {
		log.Warn("async event dropped: older than the maximum event age", "age", age, "max_age", pol.maxAge)
		q.dropped(ev, DropEventAgeExceeded)
		q.deliver(ev, log, pol.onFailure, DropEventAgeExceeded, nil)
		q.finish(ev)
		return
	}
	in := ev.input()
	p, err := q.s.prepareInvoke(ev.rec.Scope, &in)
	if err != nil {
		log.Warn("async event dropped", "err", err)
		q.dropped(ev, DropNotInvocable)
		q.finish(ev)
		return
	}
	if r := p.fn.ReservedConcurrency; r != nil && *r == 0 {
		q.s.observer.Throttled(p.sc, p.fn.Name, ThrottleRecord{Reason: concurrency.ReasonReservedLimit, Qualifier: p.qualifier, Async: true})
		log.Warn("async event dropped: the function's reserved concurrency is 0 (ZeroReservedConcurrency)")
		q.s.observer.AsyncDropped(p.sc, p.fn.Name, p.qualifier, DropZeroReserved)
		q.finish(ev)
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return // it stays stored and runs after the restart
	}
	q.wg.Add(1)
	q.mu.Unlock()
	run, err := q.s.start(p, in)
	var de *Error
	switch {
	case errors.As(err, &de) && de.Kind == KindTooManyRequests:
		q.wg.Done()
		ev.throttles++
		backoff := min(q.opts.ThrottleBackoff<<min(ev.throttles-1, 6), time.Second)
		q.later(ev, backoff/2+rand.N(backoff/2+1))
		return
	case err != nil:
		q.wg.Done()
		q.ended(ev, log, InvocationResult{}, err)
		return
	}
	go func() {
		defer q.wg.Done()
		res, err := q.s.finish(context.Background(), run, in)
		if res.ExecutedVersion == "" {
			res.ExecutedVersion = p.executedVerion
		}
		q.ended(ev, log, res, err)
	}()
}

// ended settles an event whose attempt is over: it is retried after a
// function error while it has retries left (as the event invoke config of
// its qualifier, or the queue's default, allows), stays stored when the
// executor stopped it for a shutdown, and is otherwise done. An event done
// after a success or its last failure has its record sent to the
// configured function destination first.
func (q *asyncQueue) ended(ev asyncEvent, log *slog.Logger, res InvocationResult, err error) {
	switch {
	case errors.Is(err, ErrShuttingDown):
		return // it stays stored and runs after the restart
	case err != nil:
		log.Warn("async event could not run", "err", err)
		q.dropped(ev, DropNotInvocable)
	case res.FunctionError == "":
		pol := q.policyFor(ev.rec.Scope, ev.rec.FunctionName, ev.rec.Qualifier)
		q.deliver(ev, log, pol.onSuccess, conditionSuccess, &res)
	case res.FunctionError != "":
		pol := q.policyFor(ev.rec.Scope, ev.rec.FunctionName, ev.rec.Qualifier)
		if ev.rec.Attempts < pol.maxRetries {
			ev.rec.Attempts++
			delay := q.opts.RetryDelay * time.Duration(ev.rec.Attempts)
			ev.rec.NotBefore = q.s.now().Add(delay)
			if err := q.s.store.SaveAsyncEvent(context.Background(), ev.rec); err != nil {
				log.Warn("async event retry not stored: after a restart it counts one attempt less", "err", err)
			}
			q.later(ev, delay)
			return
		}
		log.Warn("async event failed after retries", "attempts", ev.rec.Attempts+1)
		q.dropped(ev, DropRetriesExhausted)
		q.deliver(ev, log, pol.onFailure, DropRetriesExhausted, &res)
	}
	q.finish(ev)
}

// dropped tells the observer that ev is dropped, under its function's name
// when the name it was sent to still parses (the function may be gone).
func (q *asyncQueue) dropped(ev asyncEvent, reason string) {
	ref, err := q.s.resolve(ev.rec.Scope, ev.rec.FunctionName, ev.rec.Qualifier, nameRead)
	if err != nil {
		return
	}
	q.s.observer.AsyncDropped(ev.rec.Scope, ref.Name, ref.Qualifier, reason)
}

// stop stops dispatching and cancels pending retries; events already
// running go on until they end (the executor stops them when it closes).
func (q *asyncQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for t := range q.timers {
		t.Stop()
	}
	q.timers = nil
	close(q.stopc)
}

// close stops the queue and waits for the events it is running.
func (q *asyncQueue) close() {
	q.stop()
	q.wg.Wait()
}
