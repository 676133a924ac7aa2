// Package sandbox runs function code in execution environments, the way
// Lambda does: one OS process per environment, each with its own Runtime API
// listener, its own working directory holding the unzipped code, and a clean
// environment of Lambda's variables plus the function's own.
//
// A Manager keeps the environments in pools: on-demand pools, one per
// function configuration, grow when every environment is busy, reuse warm
// ones (one invocation at a time each) and reap those idle for too long;
// provisioned pools, one per provisioned concurrency config, hold exactly the
// requested number of initialized environments and report their progress.
// The engine runs what it is given and never throttles: admission is decided
// by the caller.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
)

// Initialization types, seen by functions as AWS_LAMBDA_INITIALIZATION_TYPE.
const (
	InitOnDemand    = "on-demand"
	InitProvisioned = "provisioned-concurrency"
)

// ReasonInitFailure is Progress.Reason when provisioned environments keep
// failing to initialize.
const ReasonInitFailure = "FUNCTION_ERROR_INIT_FAILURE"

// FunctionErrorUnhandled is Result.FunctionError for every function error.
const FunctionErrorUnhandled = "Unhandled"

// Defaults of Options and Spec.
const (
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultInitTimeout     = 10 * time.Second
	DefaultStopGrace       = 500 * time.Millisecond
	DefaultMaxInitFailures = 3
	DefaultTimeout         = 3 * time.Second
	DefaultMemoryMB        = 128
)

// Errors returned by Invoke for problems that are not the function's.
var (
	// ErrClosed: the manager is closed (or closing).
	ErrClosed = errors.New("sandbox: manager closed")
	// ErrUnsupportedRuntime: Spec.Runtime is not one the engine can run.
	ErrUnsupportedRuntime = errors.New("sandbox: unsupported runtime")
	// ErrRuntimeUnavailable: the interpreter a runtime needs is missing
	// (the error is a *RuntimeUnavailableError).
	ErrRuntimeUnavailable = errors.New("sandbox: runtime unavailable")
	// ErrInvalidCode: the deployment package is not a safe, valid zip.
	ErrInvalidCode = errors.New("sandbox: invalid deployment package")
)

// RuntimeUnavailableError names the program a runtime needs and could not find.
type RuntimeUnavailableError struct {
	Program string // "python3", "node"
	Runtime string // "python3.12"
	// Unreachable is the first one found that isolated functions cannot
	// run (it is in a directory only its owner may enter), if any.
	Unreachable string
}

func (e *RuntimeUnavailableError) Error() string {
	msg := e.Program + " not found on PATH: runtime " + e.Runtime + " needs it"
	if e.Unreachable != "" {
		msg += " (" + e.Unreachable + " is out of reach of isolated functions, which run as users of their own; put an interpreter in a directory every user may enter, such as /usr/bin, on Reservoir's PATH)"
	}
	return msg
}

// Is makes errors.Is(err, ErrRuntimeUnavailable) true.
func (e *RuntimeUnavailableError) Is(target error) bool { return target == ErrRuntimeUnavailable }

// Spec is one function version's configuration: what an environment runs.
// Two specs that differ in anything but Code run in different environments.
type Spec struct {
	Account, Region string
	FunctionName    string
	Version         string // "$LATEST" (the default) or "1", "2", ...

	Runtime  string // provided.al2023, provided.al2, go1.x, python3.x, nodejs18.x ... nodejs22.x
	Handler  string
	MemoryMB int           // default 128
	Timeout  time.Duration // default 3 s
	Env      map[string]string
	// Logging is the function's LoggingConfig (the zero value: AWS's
	// default, plain text to /aws/lambda/<FunctionName>).
	Logging Logging

	// CodeSha256 and RevisionID identify the code and the configuration.
	CodeSha256, RevisionID string
	// Code returns the deployment package (a zip). It is called once per
	// environment start.
	Code func(ctx context.Context) ([]byte, error)
	// Layers are the digests of the function's layer zips, in order: their
	// contents are merged (a later layer's file replaces an earlier one's)
	// into the tree the environment sees at /opt. LayerCode loads one.
	Layers    []string
	LayerCode func(ctx context.Context, digest string) ([]byte, error)
}

// FunctionARN is the ARN of the spec's version ($LATEST gives the unqualified ARN).
func (s Spec) FunctionARN() string {
	arn := "arn:aws:lambda:" + s.Region + ":" + s.Account + ":function:" + s.FunctionName
	if s.Version != "" && s.Version != "$LATEST" {
		arn += ":" + s.Version
	}
	return arn
}

// Logging is how a version's logs are written, from its LoggingConfig.
type Logging struct {
	// LogGroup is where its lines go ("": /aws/lambda/<FunctionName>).
	LogGroup string
	// JSON is LogFormat JSON: the runtime clients write JSON records, and
	// Lambda's own lines are structured platform events.
	JSON bool
	// ApplicationLogLevel (TRACE … FATAL) and SystemLogLevel (DEBUG, INFO,
	// WARN) filter records with JSON; "" lets everything through.
	ApplicationLogLevel, SystemLogLevel string
}

// LogGroup is the log group of the spec's lines.
func (s Spec) LogGroup() string {
	if s.Logging.LogGroup == "" {
		return "/aws/lambda/" + s.FunctionName
	}
	return s.Logging.LogGroup
}

// withDefaults fills the optional fields.
func (s Spec) withDefaults() Spec {
	if s.Version == "" {
		s.Version = "$LATEST"
	}
	if s.MemoryMB <= 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

func (s Spec) validate() error {
	if s.FunctionName == "" {
		return errors.New("sandbox: spec without a function name")
	}
	if s.Code == nil {
		return errors.New("sandbox: spec without code")
	}
	if s.CodeSha256 == "" {
		return errors.New("sandbox: spec without a code digest (environments share the unzipped code by digest)")
	}
	if _, err := runtimeFamily(s.Runtime); err != nil {
		return err
	}
	return nil
}

// identity is a digest of everything in the spec but Code.
func (s Spec) identity() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %q %q %d %d %q %q %q %t %q %q\n", s.Account, s.Region, s.FunctionName, s.Version,
		s.Runtime, s.Handler, s.MemoryMB, s.Timeout, s.CodeSha256, s.RevisionID,
		s.Logging.LogGroup, s.Logging.JSON, s.Logging.ApplicationLogLevel, s.Logging.SystemLogLevel)
	fmt.Fprintf(h, "layers %q\n", s.Layers)
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, s.Env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Invocation is one call of a function.
type Invocation struct {
	RequestID string // generated when empty
	Payload   []byte // "{}" when empty
	// InvokedFunctionARN is the ARN the caller used (with its qualifier);
	// the spec's ARN when empty.
	InvokedFunctionARN string
	TraceID            string
	// ClientContext and CognitoIdentity are JSON documents (ClientContext
	// already decoded from the Invoke API's base64).
	ClientContext   string
	CognitoIdentity string
	// SkipLogTail says the caller will not read Result.LogTail (Invoke
	// without LogType Tail): a warm invocation then does not capture its
	// log. Its output still reaches Options.LogSink, before END and REPORT.
	SkipLogTail bool
}

// Result is the outcome of an invocation that reached the function.
type Result struct {
	RequestID string
	Payload   []byte
	// FunctionError is "" on success and "Unhandled" for any function
	// error, crash, timeout or init failure; Payload is then the error document.
	FunctionError string
	// ErrorType is the error's type when FunctionError is set
	// ("Runtime.ExitError", "Sandbox.Timedout", the exception class...).
	ErrorType       string
	ExecutedVersion string
	// LogTail is the last 4 KB of the invocation's log: the function's output
	// framed by START, END and REPORT lines (what LogType Tail returns,
	// before base64).
	LogTail      string
	Duration     time.Duration
	InitDuration time.Duration // set on cold starts
	ColdStart    bool          // the environment was started for this invocation
	Provisioned  bool          // served by a provisioned environment
}

// Progress is the state of a provisioned config's environments.
type Progress struct {
	Requested int
	// Allocated counts the config's initialized environments (idle or busy),
	// at most Requested: those of its current spec, and while they are fewer
	// than Requested, those of an earlier spec that stay until they are
	// replaced. It drops when one dies until its replacement is up.
	Allocated int
	// Ready: Requested environments of the current spec are initialized
	// (reached only after that many inits succeeded).
	Ready bool
	// Failed is set after MaxInitFailures consecutive init failures; no new
	// environment is started until the next Provision call for the config.
	Failed bool
	Reason string // ReasonInitFailure when Failed
	Detail string // the last init failure, for logs
}

// LogLine is one log event of a function, as Lambda sends it to CloudWatch
// Logs: a line the function printed, a record its runtime client logged
// (which may span several lines), or one of Lambda's own (START, END,
// REPORT, platform events with LogFormat JSON). Records the function's
// LoggingConfig filters out never become a LogLine.
type LogLine struct {
	Account, Region       string
	FunctionName, Version string
	LogGroup              string // the function's log group (LoggingConfig.LogGroup or /aws/lambda/<name>)
	LogStream             string // AWS_LAMBDA_LOG_STREAM_NAME of the environment
	// Time is when the line was written: the runtime's own time for a
	// record, else when Reservoir read it (the real clock).
	Time time.Time
	Text string // without its line ending
}

// LogLines are log events of one environment that come together: the
// lines of one read of the function's output, one record, or one line of
// Lambda's own. A function printing a thousand lines per call hands them
// over in a few calls rather than a thousand.
type LogLines struct {
	Account, Region       string
	FunctionName, Version string
	LogGroup, LogStream   string    // as in LogLine
	Time                  time.Time // of every event, as LogLine.Time
	// Texts are the events in order, without their line endings. The slice
	// is reused once the sink returns (the strings are not).
	Texts []string
}

// Lines yields the events one LogLine at a time.
func (b LogLines) Lines() iter.Seq[LogLine] {
	return func(yield func(LogLine) bool) {
		for _, t := range b.Texts {
			if !yield(LogLine{Account: b.Account, Region: b.Region, FunctionName: b.FunctionName, Version: b.Version,
				LogGroup: b.LogGroup, LogStream: b.LogStream, Time: b.Time, Text: t}) {
				return
			}
		}
	}
}

// Options configure a Manager.
type Options struct {
	// WorkDir holds one directory per environment. Empty: a new temporary
	// directory, removed by Close.
	WorkDir string
	// IdleTimeout: on-demand environments idle this long are stopped.
	IdleTimeout time.Duration
	// InitTimeout bounds an environment's initialization.
	InitTimeout time.Duration
	// StopGrace is the time between SIGTERM and SIGKILL when stopping an environment.
	StopGrace time.Duration
	// MaxInitFailures consecutive provisioned init failures mark a config Failed.
	MaxInitFailures int
	// HostPath is where python3 and node are looked up (default: this
	// process's PATH). The functions themselves never see it.
	HostPath string
	// Isolation says whether function processes are isolated (default
	// IsolationAuto; see the isolated view in isolation.go).
	Isolation Isolation
	// ShareDirs are host directories every isolated environment sees at
	// their own paths, read-write, e.g. for a test to watch what its
	// functions do (Lambda's nearest is an EFS mount). Without isolation
	// every host directory is visible anyway.
	ShareDirs []string
	// HideDirs are host directories isolated environments see empty, as
	// they see WorkDir: Reservoir's data directory, say.
	HideDirs []string
	// ExtraEnv is added to every environment last, over Lambda's variables
	// (for example to point the AWS SDK at this emulator).
	ExtraEnv map[string]string
	Logger   *slog.Logger
	// LogSink, if set, receives every log event of every function as it
	// comes (in batches: LogLines), from the goroutines reading the
	// environments' output and running their invocations: it must be safe
	// for concurrent use and should not block for long (while it waits, that
	// environment's output waits in its pipe, and so may the function).
	LogSink func(LogLines)
	// Clock times what the manager decides on: idle reaping, the backoff
	// after provisioned init failures, the init timeout, and the date in log
	// stream names (default: the real clock). What measures or bounds a
	// running process against the time it sees itself stays on the real
	// clock: an invocation's deadline and timeout, Duration and Init
	// Duration, and the short waits for a runtime's output.
	Clock clockwork.Clock
}

// Manager owns every execution environment. It is safe for concurrent use.
type Manager struct {
	opts      Options
	log       *slog.Logger
	clock     clockwork.Clock
	workDir   string
	ownDir    bool
	ctx       context.Context // canceled by Close
	cancel    context.CancelFunc
	goroutine sync.WaitGroup // every goroutine the manager starts

	interpMu sync.Mutex
	interps  map[string]string // program → resolved interpreter path

	isolated bool     // set once by setupIsolation
	rootless bool     // isolated without root (process.Isolation.Rootless)
	hide     []string // what every isolated view covers: WorkDir and HideDirs, outermost only
	hasShm   bool     // /dev/shm exists, to be replaced in isolated views

	codeMu    sync.Mutex
	codes     map[string]*codeTree // by CodeSha256
	codeTrees uint64               // trees ever made: each gets a directory of its own

	// removeTree removes a code tree that is no longer used (removeReadOnly;
	// tests replace it to observe it).
	removeTree func(dir string) error

	mu          sync.Mutex
	closed      bool
	onDemand    map[string]*pool // by spec identity
	provisioned map[string]*pool // by config key
}

// NewManager creates a manager; Close releases everything it started.
func NewManager(opts Options) (*Manager, error) {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = DefaultInitTimeout
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	if opts.MaxInitFailures <= 0 {
		opts.MaxInitFailures = DefaultMaxInitFailures
	}
	if opts.HostPath == "" {
		opts.HostPath = os.Getenv("PATH")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		opts:        opts,
		log:         log,
		clock:       opts.Clock,
		workDir:     opts.WorkDir,
		interps:     map[string]string{},
		codes:       map[string]*codeTree{},
		removeTree:  removeReadOnly,
		onDemand:    map[string]*pool{},
		provisioned: map[string]*pool{},
	}
	if m.workDir == "" {
		dir, err := os.MkdirTemp("", "reservoir-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("sandbox: work dir: %w", err)
		}
		m.workDir, m.ownDir = dir, true
	} else if err := os.MkdirAll(m.workDir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: work dir: %w", err)
	}
	// Code trees and environment directories are nobody else's business.
	if err := os.Chmod(m.workDir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: work dir: %w", err)
	}
	if err := m.setupIsolation(); err != nil {
		if m.ownDir {
			_ = os.RemoveAll(m.workDir)
		}
		return nil, err
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.goroutine.Add(1)
	go m.reapLoop()
	return m, nil
}

// Admit decides whether one invocation may run. Start calls it exactly once,
// under the manager's lock, with whether it took a free environment of the
// invocation's provisioned config (so the caller counts the invocation where
// it belongs and never disagrees with the environments about which are free).
// It returns the release to call when the invocation has really ended, or an
// error (a throttle) that Start returns after giving the environment back.
// It must not block nor call the Manager.
type Admit func(provisioned bool) (release func(), err error)

// AdmitAll admits every invocation (for callers that decide no concurrency).
func AdmitAll(bool) (func(), error) { return func() {}, nil }

// Run is one invocation started by Start.
type Run struct{ out chan outcome }

// Wait returns the invocation's outcome. When ctx ends first it returns
// ctx's error at once, and the invocation runs on to its end in its
// environment, as on AWS, holding its admission until then; Wait may be
// called again to learn how it ended.
//
// Function failures (errors, crashes, timeouts, init failures) are a Result
// with FunctionError set; the error is for everything else: ErrClosed,
// ErrInvalidCode, ErrRuntimeUnavailable, a failure of spec.Code, or ctx's error.
func (r *Run) Wait(ctx context.Context) (Result, error) {
	select {
	case o := <-r.out:
		r.out <- o // for a later Wait
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Start begins one invocation of spec; it never blocks. With provisionedKey
// set it takes a free environment of that provisioned config if the config
// serves and runs this very spec; otherwise it reuses a warm idle on-demand
// environment of spec or starts a new one (never waiting for a busy one).
// admit decides, before anything is started, whether the invocation runs at
// all; its release is called when the invocation ends: its environment is
// idle again, or out of its pool being stopped.
func (m *Manager) Start(spec Spec, provisionedKey string, inv Invocation, admit Admit) (*Run, error) {
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if inv.RequestID == "" {
		inv.RequestID = newRequestID()
	}
	if len(inv.Payload) == 0 {
		inv.Payload = []byte("{}")
	}
	if inv.InvokedFunctionARN == "" {
		inv.InvokedFunctionARN = spec.FunctionARN()
	}
	key := spec.identity()

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	var e *env
	if provisionedKey != "" {
		if p := m.provisioned[provisionedKey]; p != nil {
			e = p.claimLocked(key)
		}
	}
	release, err := admit(e != nil)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	cold := false
	if e == nil {
		e, cold = m.onDemandLocked(spec, key)
	}
	if !cold {
		e.moveLocked(stateBusy)
	}
	e.release = release
	m.goroutine.Add(1)
	m.mu.Unlock()

	r := &Run{out: make(chan outcome, 1)}
	go func() {
		defer m.goroutine.Done()
		m.run(e, cold, inv, r.out)
	}()
	return r, nil
}

// Invoke runs one invocation of spec, admitted unconditionally, and waits
// for it (see Start and Run.Wait).
func (m *Manager) Invoke(ctx context.Context, spec Spec, provisionedKey string, inv Invocation) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	r, err := m.Start(spec, provisionedKey, inv, AdmitAll)
	if err != nil {
		return Result{}, err
	}
	return r.Wait(ctx)
}

// Provision keeps exactly n initialized environments of type
// provisioned-concurrency for configKey, running spec. n = 0 releases them; a
// spec different from the current one replaces them (the old ones stop when
// idle). Shrinking stops idle environments first and busy ones when their
// invocation ends. It never blocks: report is called, from one goroutine at a
// time and in order, whenever the config's Progress changes (and once after
// every Provision call). Each call resets a Failed config.
func (m *Manager) Provision(configKey string, spec Spec, n int, report func(Progress)) {
	spec = spec.withDefaults()
	if n < 0 {
		n = 0
	}
	if report == nil {
		report = func(Progress) {}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	p := m.provisioned[configKey]
	if p == nil {
		p = newPool(configKey, true, spec)
		m.provisioned[configKey] = p
		m.goroutine.Add(1)
		go m.reconcileLoop(p)
	}
	p.spec, p.specKey = spec, spec.identity()
	p.target = n
	if n == 0 {
		p.serving = false
	}
	p.report = report
	p.failures, p.failed, p.detail = 0, false, ""
	p.retryAt = time.Time{}
	p.reportAlways = true
	p.kick()
}

// Retire stops the on-demand environments of a function, or of one version
// of it (version ""), that nothing can reach any more: idle ones now, busy
// ones when their invocation ends. A later Invoke starts afresh.
func (m *Manager) Retire(account, region, function, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	for key, p := range m.onDemand {
		sp := p.spec
		if sp.Account != account || sp.Region != region || sp.FunctionName != function || (version != "" && sp.Version != version) {
			continue
		}
		p.retired = true
		delete(m.onDemand, key)
		for e := range p.envs {
			if e.state == stateIdle {
				m.removeLocked(e)
				m.spawnTeardown(e)
			}
		}
	}
}

// Close stops every environment and returns once no process or goroutine of
// the manager is left (or ctx ends). In-flight invocations end with ErrClosed.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return m.wait(ctx)
	}
	m.closed = true
	// Idle environments belong to the pools: stop them here. Starting and
	// busy ones belong to the goroutine serving them, which sees the
	// cancellation below and stops its environment itself.
	var idle []*env
	for _, pools := range []map[string]*pool{m.onDemand, m.provisioned} {
		for _, p := range pools {
			for e := range p.envs {
				if e.state == stateIdle {
					e.moveLocked(stateStopping)
					delete(p.envs, e)
					idle = append(idle, e)
				}
			}
			p.kick()
		}
	}
	m.mu.Unlock()
	m.cancel()
	for _, e := range idle {
		m.goroutine.Add(1)
		go func() {
			defer m.goroutine.Done()
			e.teardown()
		}()
	}
	err := m.wait(ctx)
	if m.ownDir && err == nil {
		if rerr := os.RemoveAll(m.workDir); rerr != nil {
			err = rerr
		}
	}
	return err
}

func (m *Manager) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		m.goroutine.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CheckZip validates a deployment package without unpacking it: every
// entry name must stay inside the code root, symlinks must point inside it,
// and the declared unzipped size must not exceed MaxUnzippedBytes. It returns
// the declared unzipped size.
func CheckZip(zipBytes []byte) (int64, error) {
	return checkZip(zipBytes)
}

func newRequestID() string { return uuid.NewString() }
