package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
)

// Invocation types.
const (
	InvokeRequestResponse = "RequestResponse"
	InvokeEvent           = "Event"
	InvokeDryRun          = "DryRun"
)

// Payload limits (AWS Invoke API reference; "MB" is 1024 KB in Lambda's
// documentation). The asynchronous limit was 256 KB until AWS raised it.
const (
	MaxSyncPayload  = 6 * 1024 * 1024 // 6291456
	MaxAsyncPayload = 1024 * 1024     // 1048576
)

// InvokeInput is an Invoke request.
type InvokeInput struct {
	FunctionName   string
	Qualifier      string
	InvocationType string
	LogType        string
	ClientContext  string
	Payload        []byte
	RequestID      string
	// received is when the asynchronous event this invocation runs was
	// queued (zero: a synchronous invocation).
	received time.Time
}

// InvokeOutput is Invoke's answer.
type InvokeOutput struct {
	StatusCode      int // 200, 202 (Event) or 204 (DryRun)
	Payload         []byte
	FunctionError   string
	ExecutedVersion string
	Log             []byte // for LogType Tail
}

// InvokeObserver is told the outcome of every invocation attempt and what
// happens to asynchronous events (metrics). Its methods run on the invoke
// path: they must be quick and must not block.
type InvokeObserver interface {
	Throttled(sc Scope, function string, t ThrottleRecord)
	Invoked(sc Scope, function string, r InvokeRecord)
	// AsyncReceived: an event for the function (under qualifier, "" when
	// unqualified) was durably queued.
	AsyncReceived(sc Scope, function, qualifier string)
	// AsyncDropped: an event left the queue without its function having
	// run successfully, for reason (one of the Drop constants).
	AsyncDropped(sc Scope, function, qualifier, reason string)
}

// ThrottleRecord describes one throttled invocation attempt.
type ThrottleRecord struct {
	Reason    string // as in the 429's Reason field
	Qualifier string // as invoked ("" when unqualified)
	Async     bool   // an attempt to run a queued event (which is retried)
}

// InvokeRecord describes one invocation that ran.
type InvokeRecord struct {
	Qualifier       string // as invoked: "" when unqualified, else $LATEST, a version or an alias
	ExecutedVersion string // the version that ran ($LATEST included)
	Provisioned     bool   // served by a provisioned environment
	Spillover       bool   // a provisioned qualifier served on demand: all its environments were busy
	FunctionError   bool
	Duration        time.Duration // from admission to the result
	InitDuration    time.Duration // > 0 on a cold start
	Async           bool          // it ran a queued event
	AsyncEventAge   time.Duration // for Async: from the event's queueing to this attempt's start
}

// Reasons an asynchronous event is dropped (the first two as AWS names
// them in on-failure destination records).
const (
	DropRetriesExhausted = "RetriesExhausted" // the function failed on every attempt
	DropEventAgeExceeded = "EventAgeExceeded" // older than the maximum event age
	DropZeroReserved     = "ZeroReservedConcurrency"
	DropNotInvocable     = "NotInvocable" // the function, version or alias is gone, or it could not start
)

type noObserver struct{}

func (noObserver) Throttled(Scope, string, ThrottleRecord)    {}
func (noObserver) Invoked(Scope, string, InvokeRecord)        {}
func (noObserver) AsyncReceived(Scope, string, string)        {}
func (noObserver) AsyncDropped(Scope, string, string, string) {}

// Observers tells each of its observers, in order.
type Observers []InvokeObserver

// Throttled implements InvokeObserver.
func (o Observers) Throttled(sc Scope, function string, t ThrottleRecord) {
	for _, x := range o {
		x.Throttled(sc, function, t)
	}
}

// Invoked implements InvokeObserver.
func (o Observers) Invoked(sc Scope, function string, r InvokeRecord) {
	for _, x := range o {
		x.Invoked(sc, function, r)
	}
}

// AsyncReceived implements InvokeObserver.
func (o Observers) AsyncReceived(sc Scope, function, qualifier string) {
	for _, x := range o {
		x.AsyncReceived(sc, function, qualifier)
	}
}

// AsyncDropped implements InvokeObserver.
func (o Observers) AsyncDropped(sc Scope, function, qualifier, reason string) {
	for _, x := range o {
		x.AsyncDropped(sc, function, qualifier, reason)
	}
}

// prepared is an invocation resolved against the function's current state.
type prepared struct {
	sc             Scope
	fn             *Function
	cfg            Config
	provQualifier  string // the provisioned config serving this qualifier, if any
	qualifier      string // as invoked ("" when unqualified)
	invokedARN     string
	executedVerion string
}

func (s *Service) prepareInvoke(sc Scope, in *InvokeInput) (prepared, error) {
	var v Validation
	switch in.InvocationType {
	case "":
		in.InvocationType = InvokeRequestResponse
	case InvokeRequestResponse, InvokeEvent, InvokeDryRun:
	default:
		v.Add(Quote(in.InvocationType), "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	if in.LogType != "" && in.LogType != "None" && in.LogType != "Tail" {
		v.Add(Quote(in.LogType), "logType", "Member must satisfy enum value set: [None, Tail]")
	}
	if err := v.Err(); err != nil {
		return prepared{}, err
	}
	if in.ClientContext != "" {
		b, err := base64.StdEncoding.DecodeString(in.ClientContext)
		if err != nil || !json.Valid(b) {
			return prepared{}, newErr(KindInvalidRequestContent, "Client context must be a valid Base64-encoded JSON object.")
		}
	}
	ref, err := s.resolve(sc, in.FunctionName, in.Qualifier, nameRead)
	if err != nil {
		return prepared{}, err
	}
	limit := MaxSyncPayload
	if in.InvocationType == InvokeEvent {
		limit = MaxAsyncPayload
	}
	if len(in.Payload) > limit {
		return prepared{}, PayloadTooLarge(in.InvocationType, int64(len(in.Payload)))
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		arn := sc.FunctionARN(ref.Name)
		if ref.Qualifier != "" {
			arn += ":" + ref.Qualifier
		}
		return prepared{}, errFunctionNotFound(arn)
	}
	if fn.Latest.Phase == Creating {
		return prepared{}, errInvokePending()
	}
	p := prepared{sc: sc, fn: fn, invokedARN: sc.FunctionARN(ref.Name), qualifier: ref.Qualifier}
	if ref.Qualifier != "" {
		p.invokedARN += ":" + ref.Qualifier
	}
	q := ref.Qualifier
	switch {
	case q == "" || q == LatestVersion:
		p.cfg = fn.Latest
	case isVersionNumber(q):
		c, ok := fn.version(q)
		if !ok {
			return prepared{}, errFunctionNotFound(p.invokedARN)
		}
		p.cfg = c
		if _, ok := fn.Provisioned[q]; ok {
			p.provQualifier = q
		}
	default:
		a, ok := fn.Aliases[q]
		if !ok {
			return prepared{}, errFunctionNotFound(p.invokedARN)
		}
		version := routeAlias(a)
		c, ok := fn.versionFor(version)
		if !ok {
			return prepared{}, errFunctionNotFound(p.invokedARN)
		}
		p.cfg = c
		if _, ok := fn.Provisioned[q]; ok && version == a.FunctionVersion {
			p.provQualifier = q
		}
	}
	if p.cfg.Version == LatestVersion && fn.running != nil {
		p.cfg = *fn.running // an update is under way: the previous $LATEST serves
	}
	p.executedVerion = p.cfg.Version
	return p, nil
}

// routeAlias picks the version an alias invocation runs, by its weights.
func routeAlias(a *Alias) string {
	if len(a.AdditionalVersionWeights) == 0 {
		return a.FunctionVersion
	}
	x := rand.Float64()
	versions := make([]string, 0, len(a.AdditionalVersionWeights))
	for v := range a.AdditionalVersionWeights {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		if x < a.AdditionalVersionWeights[v] {
			return v
		}
		x -= a.AdditionalVersionWeights[v]
	}
	return a.FunctionVersion
}

// Invoke runs a function: synchronously (RequestResponse), by queueing an
// event (Event), or only checks the request (DryRun). A synchronous call
// that finds no free concurrency is throttled with the reason. A call whose
// ctx ends while its function runs returns ctx's error; the function runs on
// and holds its concurrency until it ends. A function of another account
// (named by its ARN) runs in that account once its resource policy allows
// the caller (invokeScope).
func (s *Service) Invoke(ctx context.Context, sc Scope, in InvokeInput) (InvokeOutput, error) {
	sc, err := s.invokeScope(ctx, sc, in.FunctionName, in.Qualifier)
	if err != nil {
		return InvokeOutput{}, err
	}
	p, err := s.prepareInvoke(sc, &in)
	if err != nil {
		return InvokeOutput{}, err
	}
	switch in.InvocationType {
	case InvokeDryRun:
		return InvokeOutput{StatusCode: 204, ExecutedVersion: p.executedVerion}, nil
	case InvokeEvent:
		if in.RequestID == "" {
			in.RequestID = uuid.NewString()
		}
		rec := AsyncEvent{Scope: sc, RequestID: in.RequestID, FunctionName: in.FunctionName, Qualifier: in.Qualifier,
			ClientContext: in.ClientContext, Payload: in.Payload, Received: s.now()}
		if err := s.async.accept(ctx, rec); err != nil {
			return InvokeOutput{}, err
		}
		s.observer.AsyncReceived(sc, p.fn.Name, p.qualifier)
		return InvokeOutput{StatusCode: 202}, nil
	}
	run, err := s.start(p, in)
	if err != nil {
		return InvokeOutput{}, err
	}
	res, err := s.finish(ctx, run, in)
	if err != nil {
		return InvokeOutput{}, err
	}
	executed := p.executedVerion
	if res.ExecutedVersion != "" {
		executed = res.ExecutedVersion
	}
	return InvokeOutput{StatusCode: 200, Payload: res.Payload, FunctionError: res.FunctionError,
		ExecutedVersion: executed, Log: res.Log}, nil
}

// started is an admitted invocation the executor is running.
type started struct {
	s           *Service
	p           prepared
	exec        Execution
	at          time.Time
	received    time.Time // when its asynchronous event was queued (zero: synchronous)
	provisioned bool      // it runs on a provisioned environment
	// codeGone is set when the package it runs was not found: an
	// UpdateFunctionCode replaced and collected it while it started.
	codeGone atomic.Bool
}

// start admits an invocation and has the executor begin it, or returns the
// throttle (a KindTooManyRequests error carrying the reason). The executor
// says whether a free provisioned environment serves it; otherwise it takes
// on-demand capacity.
func (s *Service) start(p prepared, in InvokeInput) (*started, error) {
	cs := cscope(p.sc)
	st := &started{s: s, p: p, at: s.now(), received: in.received}
	var throttled string
	admit := func(provisioned bool) (func(), error) {
		var lease concurrency.Lease
		if provisioned {
			lease = s.acct.AcquireProvisioned(cs, p.fn.Name, p.provQualifier)
		} else {
			l, reason, ok := s.acct.TryAcquire(cs, p.fn.Name)
			if !ok {
				throttled = reason
				return nil, &Error{Kind: KindTooManyRequests, Message: "Rate Exceeded.", Reason: reason}
			}
			lease = l
		}
		st.provisioned = provisioned
		return func() { s.acct.Release(lease) }, nil
	}
	target := InvocationTarget{Scope: p.sc, FunctionName: p.fn.Name, Config: p.cfg, Code: st.loadCode, LayerCode: s.loadPackage}
	if p.provQualifier != "" {
		target.ProvisionedKey = ProvisionKey(p.sc, p.fn.Name, p.provQualifier)
	}
	exec, err := s.exec.Start(target, Invocation{
		RequestID: in.RequestID, Payload: in.Payload, InvokedARN: p.invokedARN,
		ClientContext: in.ClientContext, LogTail: in.LogType == "Tail",
	}, admit)
	if throttled != "" { // admit runs synchronously inside Start
		s.observer.Throttled(p.sc, p.fn.Name, ThrottleRecord{Reason: throttled, Qualifier: p.qualifier, Async: !in.received.IsZero()})
	}
	if err != nil {
		return nil, err
	}
	st.exec = exec
	return st, nil
}

// loadCode is the invocation's CodeLoader.
func (st *started) loadCode(ctx context.Context) ([]byte, error) {
	b, err := st.s.store.Code(ctx, st.p.cfg.CodeSha256)
	if err != nil {
		if errors.Is(err, ErrCodeNotFound) {
			st.codeGone.Store(true)
		}
		return nil, fmt.Errorf("load code %s: %w", st.p.cfg.CodeSha256, err)
	}
	return b, nil
}

// finish waits for the result of run, started for in. An invocation of
// $LATEST whose package an UpdateFunctionCode collected while it started
// runs once more, on the new $LATEST, as if it came after the update.
func (s *Service) finish(ctx context.Context, run *started, in InvokeInput) (InvocationResult, error) {
	res, err := run.wait(ctx)
	if err == nil || !run.codeGone.Load() || ctx.Err() != nil {
		return res, err
	}
	switch again, rerr := run.restart(in); {
	case rerr != nil:
		return InvocationResult{}, rerr // a throttle
	case again != nil:
		return again.wait(ctx)
	}
	return res, err
}

// wait returns the invocation's result and reports it to the observer. When
// ctx ends first, the invocation is still reported, when it ends.
func (st *started) wait(ctx context.Context) (InvocationResult, error) {
	res, err := st.exec.Wait(ctx)
	if err != nil && ctx.Err() != nil {
		go func() {
			if res, err := st.exec.Wait(context.Background()); err == nil {
				st.observe(res)
			}
		}()
		return res, err
	}
	if err == nil {
		st.observe(res)
	}
	return res, err
}

// restart starts the invocation again on the function's current $LATEST;
// it returns nil, nil when the code it ran out of was not replaced that way
// (the function or version was deleted).
func (st *started) restart(in InvokeInput) (*started, error) {
	p, err := st.s.prepareInvoke(st.p.sc, &in)
	if err != nil || p.cfg.Version != LatestVersion || st.p.cfg.Version != LatestVersion ||
		p.cfg.CodeSha256 == st.p.cfg.CodeSha256 {
		return nil, nil
	}
	return st.s.start(p, in)
}

func (st *started) observe(res InvocationResult) {
	r := InvokeRecord{
		Qualifier: st.p.qualifier, ExecutedVersion: st.p.executedVerion,
		Provisioned: st.provisioned, Spillover: st.p.provQualifier != "" && !st.provisioned,
		FunctionError: res.FunctionError != "", Duration: st.s.now().Sub(st.at), InitDuration: res.InitDuration,
	}
	if res.ExecutedVersion != "" {
		r.ExecutedVersion = res.ExecutedVersion
	}
	if !st.received.IsZero() {
		r.Async, r.AsyncEventAge = true, max(0, st.at.Sub(st.received))
	}
	st.s.observer.Invoked(st.p.sc, st.p.fn.Name, r)
}

// loadPackage is a PackageLoader over the store.
func (s *Service) loadPackage(ctx context.Context, digest string) ([]byte, error) {
	return s.codeLoader(digest)(ctx)
}

func (s *Service) codeLoader(digest string) CodeLoader {
	return func(ctx context.Context) ([]byte, error) {
		b, err := s.store.Code(ctx, digest)
		if err != nil {
			return nil, fmt.Errorf("load code %s: %w", digest, err)
		}
		return b, nil
	}
}
