package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/process"
	"github.com/reservoir-dev/reservoir/internal/runtimeapi"
)

// envState is the life cycle of an environment.
//
//	starting ─▶ idle ◀─▶ busy
//	   │  └──────────────▲ │      (a cold on-demand start goes straight to busy)
//	   └───────▶ stopping ◀┘      (and idle ─▶ stopping)
type envState int

const (
	stateStarting envState = iota // process started, runtime initializing
	stateIdle                     // initialized, waiting for an invocation
	stateBusy                     // running one invocation
	stateStopping                 // out of its pool, being torn down
)

func (s envState) String() string {
	switch s {
	case stateStarting:
		return "starting"
	case stateIdle:
		return "idle"
	case stateBusy:
		return "busy"
	case stateStopping:
		return "stopping"
	}
	return fmt.Sprintf("envState(%d)", int(s))
}

// canMove is the transition table of envState.
func (s envState) canMove(to envState) bool {
	switch s {
	case stateStarting:
		return to == stateIdle || to == stateBusy || to == stateStopping
	case stateIdle:
		return to == stateBusy || to == stateStopping
	case stateBusy:
		return to == stateIdle || to == stateStopping
	}
	return false
}

// Timing of the end of an invocation: how long to wait for the runtime to
// ask for the next one, then for a delivery of its output in progress (one
// read of the pipe, which the sink may hold up). They bound waits on a
// running process, on the real clock.
const (
	settleWait = 100 * time.Millisecond
	drainWait  = 100 * time.Millisecond
)

// logTailBytes is the size of Result.LogTail.
const logTailBytes = 4096

// errStopped cancels an environment's context when it is torn down.
var errStopped = errors.New("environment stopped")

// exitError cancels an environment's context when its process ends.
type exitError struct{ err error }

func (e *exitError) Error() string { return exitMessage(e.err) }

func exitMessage(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

// env is one execution environment: a process, its Runtime API server and
// its directory. The goroutine that created or leased it owns it until it
// hands it back to the pool; fields set by start are read-only afterwards.
type env struct {
	m         *Manager
	pool      *pool
	id        string
	spec      Spec
	specKey   string
	initType  string
	logGroup  string
	logStream string
	// appLevel and sysLevel filter records and platform events (LogFormat
	// JSON; levelNone lets everything through).
	appLevel, sysLevel int
	ctx                context.Context // ends when the process exits, on teardown, or on Close
	cancel             context.CancelCauseFunc

	dir          string
	user         *process.UserLease // the environment's own user, when isolated
	proc         *process.Process
	api          *runtimeapi.Server
	initDuration time.Duration
	releaseCode  func()    // gives back the shared code tree
	peakRSS      int64     // last sample of the process's peak RSS
	rssSampled   time.Time // when peakRSS was last read

	// Guarded by Manager.mu.
	state    envState
	lastUsed time.Time
	release  func() // the admission of the invocation running on it, if any

	logMu   sync.Mutex
	capture *tailBuffer // lines of the invocation being logged, or nil

	teardownOnce sync.Once
}

func newEnv(m *Manager, p *pool, spec Spec, initType string) *env {
	id := newRequestID()
	ctx, cancel := context.WithCancelCause(m.ctx)
	e := &env{
		m: m, pool: p, id: id, spec: spec, specKey: spec.identity(), initType: initType,
		logGroup:  spec.LogGroup(),
		logStream: m.clock.Now().UTC().Format("2006/01/02") + "/[" + spec.Version + "]" + id[:8] + id[9:13] + id[14:18] + id[19:23] + id[24:],
		ctx:       ctx, cancel: cancel,
		state: stateStarting,
	}
	if spec.Logging.JSON {
		e.appLevel, e.sysLevel = parseLevel(spec.Logging.ApplicationLogLevel), parseLevel(spec.Logging.SystemLogLevel)
	}
	return e
}

// moveLocked changes the state along the transition table; the caller holds
// Manager.mu. An illegal transition is a bug: it panics in tests, so that no
// test passes over one, and is logged (the environment left as it was) in a
// running server, where a panic would take every function down.
func (e *env) moveLocked(to envState) {
	if !e.state.canMove(to) {
		if testing.Testing() {
			panic(fmt.Sprintf("sandbox: illegal environment transition %s -> %s (env %s)", e.state, to, e.id))
		}
		e.m.log.Error("illegal environment transition", "env", e.id, "from", e.state, "to", to)
		return
	}
	e.state = to
}

// initFailure is why an environment could not initialize.
type initFailure struct {
	errorType string
	msg       string // used when the runtime posted no document
	doc       []byte // what the runtime posted to init/error, if it did
}

func (f *initFailure) message() string {
	var d struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if f.doc != nil && json.Unmarshal(f.doc, &d) == nil && d.ErrorMessage != "" {
		return d.ErrorMessage
	}
	return f.msg
}

// payload is the invocation payload reporting the failure.
func (f *initFailure) payload(requestID string) []byte {
	if len(f.doc) > 0 {
		return f.doc
	}
	return errorDoc("RequestId: "+requestID+" Error: "+f.msg, f.errorType)
}

// start prepares the environment and runs its runtime until it is
// initialized (it asks for its first invocation). A function-level failure
// is an initFailure; the error is for everything else.
func (e *env) start() (*initFailure, error) {
	m := e.m
	if m.ctx.Err() != nil {
		return nil, ErrClosed
	}
	task, release, err := m.acquireCode(e.ctx, e.spec)
	if err != nil {
		if m.ctx.Err() != nil {
			return nil, ErrClosed
		}
		return nil, err
	}
	e.releaseCode = release
	opt, releaseLayers, err := m.acquireLayers(e.ctx, e.spec)
	if err != nil {
		if m.ctx.Err() != nil {
			return nil, ErrClosed
		}
		return nil, err
	}
	e.releaseCode = func() { release(); releaseLayers() }
	dir, err := os.MkdirTemp(m.workDir, "env-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	e.dir = dir
	rtDir := filepath.Join(dir, "runtime")
	if err := os.Mkdir(rtDir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	lay := layout{task: task, rtDir: rtDir, taskView: task, rtView: rtDir, opt: opt, optView: opt}
	var iso *process.Isolation
	if m.isolated {
		lay.taskView, lay.rtView = taskView, runtimeView
		if opt != "" {
			lay.optView = optView
		}
		if iso, err = m.isolation(e, dir, lay); err != nil {
			return nil, err
		}
	}
	l, fail, err := m.launcher(e.spec, lay)
	if err != nil || fail != nil {
		return fail, err
	}
	apiOpts := runtimeapi.Options{Logger: m.log.With("function", e.spec.FunctionName, "env", e.id)}
	if e.user != nil {
		apiOpts.Admit = e.user.Owns // no other function's process may take its events
	}
	api, err := runtimeapi.Listen(apiOpts)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	e.api = api

	started := time.Now() // Init Duration measures the process: real time
	proc, err := process.Start(process.Config{
		Path:      l.path,
		Args:      l.args,
		Env:       e.environment(api.Addr(), lay, l.execEnv),
		Dir:       lay.taskView,
		Stdout:    e.lines,
		Stderr:    e.lines,
		Records:   e.record,
		Grace:     m.opts.StopGrace,
		Isolation: iso,
	})
	if err != nil {
		return &initFailure{errorType: "Runtime.InvalidEntrypoint", msg: err.Error()}, nil
	}
	e.proc = proc
	m.goroutine.Add(1)
	go func() {
		defer m.goroutine.Done()
		<-proc.Done()
		e.cancel(&exitError{proc.Err()})
		m.exited(e)
	}()

	timer := m.clock.NewTimer(m.opts.InitTimeout)
	defer timer.Stop()
	defer func() { e.initDuration = time.Since(started) }()
	select {
	case <-api.Ready():
		e.sampleRSS()
		return nil, nil
	case <-api.InitFailed():
		ie, _ := api.InitError()
		return &initFailure{errorType: ie.ErrorType, doc: ie.Payload}, nil
	case <-e.ctx.Done():
		var exit *exitError
		if !errors.As(context.Cause(e.ctx), &exit) {
			return nil, ErrClosed
		}
		if ie, ok := api.InitError(); ok {
			return &initFailure{errorType: ie.ErrorType, doc: ie.Payload}, nil
		}
		return &initFailure{errorType: "Runtime.ExitError", msg: exit.Error()}, nil
	case <-timer.Chan():
		return &initFailure{errorType: "Runtime.Unknown",
			msg: fmt.Sprintf("Init timed out after %.2f seconds", m.opts.InitTimeout.Seconds())}, nil
	}
}

// initFailureResult is the Result of a cold invocation whose environment
// failed to initialize.
func (e *env) initFailureResult(inv Invocation, fail *initFailure) Result {
	id := inv.RequestID
	if e.proc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), drainWait)
		_ = e.proc.Drain(ctx) // what the runtime printed before reporting
		cancel()
	}
	e.platformStart(id)
	e.platformText("RequestId: " + id + " Error: " + fail.message())
	e.platformText(fail.errorType)
	e.platformText("END RequestId: " + id)
	e.platformReport(report{requestID: id, memoryMB: e.spec.MemoryMB, cold: true, initDuration: e.initDuration,
		status: statusError, errorType: fail.errorType})
	return Result{
		RequestID:       id,
		Payload:         fail.payload(id),
		FunctionError:   FunctionErrorUnhandled,
		ErrorType:       fail.errorType,
		ExecutedVersion: e.spec.Version,
		LogTail:         e.endCapture(),
		InitDuration:    e.initDuration,
		ColdStart:       true,
		Provisioned:     e.pool.provisioned,
	}
}

// invoke runs one invocation on the initialized environment. keep is false
// when the environment must not serve again (it crashed, timed out, or its
// runtime was answered with a 4xx).
func (e *env) invoke(inv Invocation, cold bool) (res Result, keep bool, err error) {
	if !cold && !inv.SkipLogTail {
		e.beginCapture()
	}
	id := inv.RequestID
	e.platformStart(id)
	// The real clock, not the manager's: the runtime measures the deadline
	// against its own, and Duration is a measurement of the process.
	start := time.Now()
	deadline := start.Add(e.spec.Timeout)
	ctx, cancel := context.WithDeadline(e.ctx, deadline)
	resp, err := e.api.Invoke(ctx, runtimeapi.Invocation{
		RequestID:       id,
		Deadline:        deadline,
		FunctionARN:     inv.InvokedFunctionARN,
		TraceID:         inv.TraceID,
		ClientContext:   inv.ClientContext,
		CognitoIdentity: inv.CognitoIdentity,
		Payload:         inv.Payload,
	})
	elapsed := time.Since(start)
	cause := context.Cause(ctx)
	cancel()

	res = Result{RequestID: id, ExecutedVersion: e.spec.Version, ColdStart: cold, Provisioned: e.pool.provisioned}
	if cold {
		res.InitDuration = e.initDuration
	}
	keep = true
	e.sampleRSS()
	status, errorType := statusSuccess, ""
	var exit *exitError
	switch {
	case err == nil:
		e.settle()
		e.sampleRSS()
		res.Payload = resp.Payload
		if resp.Error {
			res.FunctionError, res.ErrorType = FunctionErrorUnhandled, resp.ErrorType
			status, errorType = statusError, resp.ErrorType
		}
		keep = !resp.Discard
	case errors.As(cause, &exit):
		keep = false
		msg := "RequestId: " + id + " Error: " + exit.Error()
		e.platformText(msg)
		e.platformText("Runtime.ExitError")
		status, errorType = statusError, "Runtime.ExitError"
		res.Payload = errorDoc(msg, "Runtime.ExitError")
		res.FunctionError, res.ErrorType = FunctionErrorUnhandled, "Runtime.ExitError"
	case errors.Is(cause, context.DeadlineExceeded) && e.m.ctx.Err() == nil:
		keep = false
		e.proc.Kill()
		elapsed = e.spec.Timeout
		msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), id, e.spec.Timeout.Seconds())
		e.platformText(msg)
		status = statusTimeout
		res.Payload, _ = json.Marshal(struct {
			ErrorMessage string `json:"errorMessage"`
		}{msg})
		res.FunctionError, res.ErrorType = FunctionErrorUnhandled, "Sandbox.Timedout"
	default: // the manager is closing
		e.endCapture()
		return Result{}, false, ErrClosed
	}
	res.Duration = elapsed
	e.platformText("END RequestId: " + id)
	e.platformReport(report{requestID: id, duration: elapsed, memoryMB: e.spec.MemoryMB, rss: e.peakRSS,
		cold: cold, initDuration: res.InitDuration, status: status, errorType: errorType, handled: err == nil})
	res.LogTail = e.endCapture()
	return res, keep, nil
}

// rssInterval is how often a busy environment's peak memory is read: reading
// /proc/PID/status costs tens of microseconds, too much for every invocation.
// The figure is a high-water mark, so REPORT's "Max Memory Used" is at most
// this stale.
const rssInterval = time.Second

// sampleRSS records the process's peak memory while it is alive, at most
// once per rssInterval of real time (what it spares is real work).
func (e *env) sampleRSS() {
	now := time.Now()
	if now.Sub(e.rssSampled) < rssInterval {
		return
	}
	e.rssSampled = now
	if n, ok := e.proc.PeakRSS(); ok && n > e.peakRSS {
		e.peakRSS = n
	}
}

// settle waits briefly for the runtime to finish the invocation (ask for the
// next one), then delivers what the function printed that has not been read
// yet, so that its lines come before END and REPORT, in the log and in the
// tail. Delivering costs little when the readers have kept up: a read per
// output that finds its pipe empty.
func (e *env) settle() {
	ctx, cancel := context.WithTimeout(e.ctx, settleWait)
	_ = e.api.AwaitNext(ctx)
	cancel()
	ctx, cancel = context.WithTimeout(context.Background(), drainWait)
	_ = e.proc.Drain(ctx)
	cancel()
}

// teardown stops the process, closes the Runtime API and removes the
// directory. Only the owner of the environment calls it; it is idempotent.
func (e *env) teardown() {
	e.teardownOnce.Do(func() {
		if e.proc != nil {
			ctx, cancel := e.m.stopContext()
			_ = e.proc.Stop(ctx)
			cancel()
		}
		if e.api != nil {
			_ = e.api.Close()
		}
		e.cancel(errStopped)
		if e.user != nil {
			e.m.releaseUser(e.user)
		}
		if e.dir != "" {
			if err := os.RemoveAll(e.dir); err != nil {
				e.m.log.Warn("removing environment directory", "dir", e.dir, "err", err)
			}
		}
		if e.releaseCode != nil {
			e.releaseCode()
		}
	})
}

// lines receives the lines of one read of the process's stdout or stderr.
func (e *env) lines(texts []string) { e.emitAll(time.Now(), texts) }

// record receives a record the runtime client wrote to its telemetry pipe
// (a line, when what it wrote there was not framed). With LogFormat JSON,
// records under ApplicationLogLevel are dropped, as Lambda does.
func (e *env) record(r process.Record) {
	if lvl := frameLevel(r.Type); e.appLevel != levelNone && lvl != levelNone && lvl < e.appLevel {
		return
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	e.emit(t, strings.TrimSuffix(r.Text, "\n"))
}

// emit hands one log event to the sink and to the tail being captured.
func (e *env) emit(t time.Time, text string) { e.emitAll(t, []string{text}) }

// emitAll hands log events written at t to the sink, in one call, and to
// the tail being captured.
func (e *env) emitAll(t time.Time, texts []string) {
	if sink := e.m.opts.LogSink; sink != nil {
		sink(LogLines{Account: e.spec.Account, Region: e.spec.Region, FunctionName: e.spec.FunctionName,
			Version: e.spec.Version, LogGroup: e.logGroup, LogStream: e.logStream, Time: t, Texts: texts})
	}
	e.logMu.Lock()
	if e.capture != nil {
		for _, text := range texts {
			e.capture.add(text)
		}
	}
	e.logMu.Unlock()
}

// platformStart logs START (platform.start with LogFormat JSON).
func (e *env) platformStart(id string) {
	if e.spec.Logging.JSON {
		e.platformEvent("platform.start", platformStart{RequestID: id, Version: e.spec.Version})
		return
	}
	e.emit(time.Now(), "START RequestId: "+id+" Version: "+e.spec.Version)
}

// platformText logs one of Lambda's plain lines (END, error lines), which
// LogFormat JSON has not: its platform.report carries the outcome.
func (e *env) platformText(text string) {
	if !e.spec.Logging.JSON {
		e.emit(time.Now(), text)
	}
}

// platformReport logs REPORT (platform.report with LogFormat JSON).
func (e *env) platformReport(r report) {
	if e.spec.Logging.JSON {
		e.platformEvent("platform.report", r.event())
		return
	}
	e.emit(time.Now(), r.text())
}

// platformEvent logs a structured platform event. Those Reservoir writes
// (platform.start, platform.report) are INFO events: SystemLogLevel WARN
// leaves them out.
func (e *env) platformEvent(typ string, record any) {
	if e.sysLevel > levelInfo {
		return
	}
	now := time.Now()
	b, err := json.Marshal(platformEvent{Time: now.UTC().Format(platformTimeLayout), Type: typ, Record: record})
	if err != nil {
		e.m.log.Error("encoding a platform event", "type", typ, "err", err)
		return
	}
	e.emit(now, string(b))
}

func (e *env) beginCapture() {
	e.logMu.Lock()
	e.capture = &tailBuffer{}
	e.logMu.Unlock()
}

// endCapture stops capturing and returns the last 4 KB captured.
func (e *env) endCapture() string {
	e.logMu.Lock()
	c := e.capture
	e.capture = nil
	e.logMu.Unlock()
	if c == nil {
		return ""
	}
	return c.tail(logTailBytes)
}

func errorDoc(message, errorType string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return b
}
