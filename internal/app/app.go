// Package app wires Reservoir together: it opens the store, builds the
// domain services and the executor, and serves the Lambda, IAM, STS and
// CloudWatch Logs wire layers on one listener, through awsproto's router.
// Functions' log lines go from the sandbox into the logs domain. Start and
// shutdown run in a fixed order, and shutdown is idempotent.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/reservoir-dev/reservoir/internal/awsproto"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/autoscalingapi"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/cloudwatchapi"
	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/dashboard"
	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/iamapi"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/lambdaapi"
	"github.com/reservoir-dev/reservoir/internal/lambdametrics"
	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/logsapi"
	"github.com/reservoir-dev/reservoir/internal/metrics"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
	"github.com/reservoir-dev/reservoir/internal/simulate"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// Executor modes.
const (
	ExecutorProcess  = "process"
	ExecutorSimulate = "simulate"
)

// Auth modes.
const (
	AuthNone  = "none"
	AuthSigV4 = "sigv4"
)

// unsignedAllowed lists what answers without a SigV4 signature in sigv4 mode:
// the health probe, metrics, and code downloads (GetFunction's Code.Location,
// a presigned URL: its query signature is checked in every auth mode).
func unsignedAllowed(r *http.Request) bool {
	return r.Method == http.MethodGet && ((r.URL.Path == "/" && r.URL.RawQuery == "") ||
		r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/_reservoir/code/"))
}

// Config is everything the server needs to start.
type Config struct {
	Listen             string // host:port; port 0 picks a free one
	DataDir            string // holds reservoir.db
	AccountConcurrency int
	Executor           string // ExecutorProcess or ExecutorSimulate
	// SimulatedInitDelay is how long a simulated environment takes to initialize.
	SimulatedInitDelay time.Duration
	Logger             *slog.Logger
	// IdleTimeout is how long an idle on-demand environment is kept (0: the sandbox default).
	IdleTimeout time.Duration
	// Isolation is "auto" (the default), "on" or "off": whether function
	// processes are isolated from each other and the host (sandbox.Isolation).
	Isolation string
	// ShareDirs are host directories isolated functions see at their own paths.
	ShareDirs []string
	// Auth is "none" (any credentials are accepted) or "sigv4" (signatures
	// must verify against Credentials).
	Auth        string
	Credentials awsproto.Credentials
	// Async tunes the asynchronous invocation queue (zero: AWS's defaults).
	Async lambda.AsyncOptions
	// PublicURL is where clients reach the server (e.g. behind a proxy or in
	// a container), used to build GetFunction's Code.Location. Empty: the
	// listen address, with an unspecified IP (0.0.0.0, [::]) as 127.0.0.1.
	PublicURL string
	// CodeURLClock is the clock Code.Location URLs are issued and checked
	// with (nil: time.Now); tests move it to expire them.
	CodeURLClock func() time.Time
	// StrictRoles refuses, as AWS does, a function whose execution role
	// Lambda could not assume (missing from IAM, or not trusting
	// lambda.amazonaws.com); otherwise such a role is logged as a warning.
	StrictRoles bool
	// LogSink, if set, also receives every log event of every function, as
	// sandbox.Options.LogSink describes (tests watch function output with it).
	LogSink func(sandbox.LogLines)
	// Clock drives the minutes of AWS/Lambda's metrics, CloudWatch's alarm
	// evaluation and Application Auto Scaling (nil: the real clock); tests
	// pass a fake one to run a scale-out in seconds.
	Clock clockwork.Clock

	// noLogIngest keeps functions' lines out of CloudWatch Logs (the API is
	// still served): the baseline of the ingestion benchmarks.
	noLogIngest bool
	// noEMF leaves embedded metric format lines unextracted: the baseline
	// of the extraction benchmarks.
	noEMF bool
	// logMaxStoredBytes is logs.Options.MaxStoredBytes (0: its default): a
	// benchmark lowers it to cross the cap inside its timing.
	logMaxStoredBytes int64
}

// CheckPublicURL reports whether s can be Config.PublicURL: http or https,
// a host, optionally a port and a path prefix, nothing else.
func CheckPublicURL(s string) error { return lambdaapi.CheckBaseURL(s) }

// baseURL is where Code.Location URLs point: the public URL when one is
// configured, else the address the listener got, never a request's Host.
func baseURL(public string, addr net.Addr) string {
	if public != "" {
		return strings.TrimSuffix(public, "/")
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := "127.0.0.1" // what a client on this machine reaches a wildcard listener at
	if !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
		if tcp.Zone != "" {
			host += "%25" + tcp.Zone // a zone is escaped in a URL (RFC 6874)
		}
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// App is a running Reservoir server.
type App struct {
	log   *slog.Logger
	store *boltstore.Store
	svc   *lambda.Service
	logs  *logs.Service
	cw    *cloudwatch.Service
	as    *autoscaling.Service
	// lambdaMetrics publishes AWS/Lambda's metrics into cw.
	lambdaMetrics *lambdametrics.Recorder
	sim           *simulate.Executor
	sandbox       *sandbox.Manager
	// dash samples the live state for the dashboard under /_reservoir/.
	dash     *dashboard.Server
	listener net.Listener
	server   *http.Server
	// stopReserve is the part of a shutdown's time kept for stopping the
	// functions that still run when the time for requests is up.
	stopReserve time.Duration
	// handling counts the requests whose handlers run, for Close to let
	// those of the connections it cuts end before it closes the store.
	handling atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// New opens the store, loads the state, and binds the listener. Call Serve to
// answer requests and Close to stop.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Executor == "" {
		cfg.Executor = ExecutorProcess
	}
	if cfg.SimulatedInitDelay == 0 {
		cfg.SimulatedInitDelay = 5 * time.Millisecond
	}
	if cfg.PublicURL != "" {
		if err := CheckPublicURL(cfg.PublicURL); err != nil {
			return nil, fmt.Errorf("public URL: %w", err)
		}
	}
	a := &App{log: cfg.Logger, stopReserve: defaultStopReserve}
	st, err := boltstore.Open(filepath.Join(cfg.DataDir, "reservoir.db"))
	if err != nil {
		return nil, err
	}
	a.store = st
	a.logs, err = logs.NewService(ctx, logs.Options{Store: st, Logger: cfg.Logger, MaxStoredBytes: cfg.logMaxStoredBytes})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	ingest := ingestSink(a.logs)
	if cfg.noLogIngest {
		ingest = nil
	}
	// The dashboard's log tail sees each batch as it is ingested.
	tap := dashboard.NewLogTap()
	ingest = bothSinks(ingest, tapSink(tap))
	// Alarm actions naming a scaling policy go to Application Auto Scaling,
	// which is made after CloudWatch (it creates its policies' alarms).
	var scaler atomic.Pointer[autoscaling.Service]
	actions := func(ctx context.Context, act cloudwatch.AlarmAction) error {
		as := scaler.Load()
		if as == nil {
			return errors.New("no action sink for " + act.ActionARN)
		}
		return as.HandleAlarmAction(ctx, autoscaling.Scope{Account: act.Scope.Account, Region: act.Scope.Region},
			act.AlarmName, act.ActionARN, act.State == cloudwatch.StateAlarm, act.Timestamp)
	}
	var cwClock cloudwatch.Clock
	if cfg.Clock != nil {
		cwClock = cfg.Clock
	}
	// Before the environments: what they print may carry metrics (EMF).
	a.cw, err = cloudwatch.NewService(ctx, cloudwatch.Options{Store: st, Logger: cfg.Logger, Clock: cwClock, Actions: actions})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	extract := emfSink(a.cw, cfg.Logger)
	if cfg.noEMF {
		extract = nil
	}

	var exec lambda.Executor
	switch cfg.Executor {
	case ExecutorSimulate:
		a.sim = simulate.New(cfg.SimulatedInitDelay)
		exec = a.sim
	case ExecutorProcess:
		workDir := filepath.Join(cfg.DataDir, "environments")
		if err := os.RemoveAll(workDir); err != nil { // left over from a previous run
			a.Close(ctx)
			return nil, fmt.Errorf("clean %s: %w", workDir, err)
		}
		dataDir, err := filepath.Abs(cfg.DataDir) // hidden from isolated functions
		if err != nil {
			a.Close(ctx)
			return nil, err
		}
		a.sandbox, err = sandbox.NewManager(sandbox.Options{
			WorkDir: workDir, IdleTimeout: cfg.IdleTimeout, Logger: cfg.Logger, HostPath: os.Getenv("PATH"),
			Isolation: sandbox.Isolation(cfg.Isolation), ShareDirs: cfg.ShareDirs, HideDirs: []string{dataDir},
			LogSink: bothSinks(bothSinks(ingest, extract), bothSinks(functionOutput(ctx, cfg.Logger), cfg.LogSink)),
		})
		if err != nil {
			a.Close(ctx)
			return nil, err
		}
		exec = processExecutor{m: a.sandbox}
	default:
		a.Close(ctx)
		return nil, fmt.Errorf("unknown executor %q (want %s or %s)", cfg.Executor, ExecutorProcess, ExecutorSimulate)
	}

	limit := cfg.AccountConcurrency
	if limit <= 0 {
		limit = lambda.DefaultAccountConcurrency
	}
	acct := concurrency.New(limit)
	m := metrics.New(acct)
	// AWS/Lambda's metrics: every minute, what the invocations and the
	// concurrency books saw goes into CloudWatch.
	a.lambdaMetrics = lambdametrics.New(lambdametrics.Options{Sink: a.cw.Publish, Books: acct, Clock: cfg.Clock})
	// The dashboard's per-function counters, read once a second.
	dashCounters := &dashboard.Counters{}
	iamSvc, err := iam.NewService(ctx, st, time.Now)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	var runtimes lambda.RuntimeChecker // the simulate executor runs no code
	if a.sandbox != nil {
		runtimes = newRuntimeChecker(a.sandbox)
	}
	a.svc, err = lambda.NewService(ctx, lambda.Options{
		Store: st, Executor: exec, Accountant: acct, Logger: cfg.Logger, Observer: lambda.Observers{m, a.lambdaMetrics, dashCounters}, Async: cfg.Async,
		Roles: lambdaRoles{iamSvc}, StrictRoles: cfg.StrictRoles, CheckCode: checkPackage, Runtimes: runtimes,
	})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}

	var asClock autoscaling.Clock
	if cfg.Clock != nil {
		asClock = cfg.Clock
	}
	a.as, err = autoscaling.NewService(ctx, autoscaling.Options{Store: st, Lambda: scalingLambda{a.svc}, Alarms: scalingAlarms{a.cw},
		Clock: asClock, Logger: cfg.Logger, EnsureRole: ensureScalingRole(iamSvc)})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	scaler.Store(a.as)

	a.dash = dashboard.New(dashboard.Options{
		Source:   dashboard.Source{Books: acct, Lambda: a.svc, Counters: dashCounters},
		Timeline: dashboardTimeline{as: a.as, cw: a.cw}, Logs: dashboardLogs{a.logs}, Tap: tap,
		Credentials: dashboardCredentials(cfg), Logger: cfg.Logger,
	})

	// Code.Location is built from the listen address: listen first.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.Close(ctx)
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	a.listener = ln
	codeKey, err := st.CodeURLKey(ctx)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}

	router, err := a.routes(cfg, iamSvc, m.Handler(), codeKey, ln.Addr())
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	// Function URLs are routed by their Host before the AWS API router;
	// the dashboard's paths before the AWS API router too, whose REST
	// routes would take them for Lambda's.
	dash := a.dash.Handler()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dashboard.Owns(r.URL.Path) {
			dash.ServeHTTP(w, r)
			return
		}
		router.ServeHTTP(w, r)
	})
	counted := awsproto.Middleware(cfg.Logger, a.functionURLs(cfg, ln.Addr()).Route(api))
	a.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.handling.Add(1)
			defer a.handling.Add(-1)
			counted.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	// Only now that it can serve does the server run function code: stored
	// events resume and provisioned configs warm up.
	if err := a.svc.Start(ctx); err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.dash.Start()
	return a, nil
}

// lambdaRoles lets the Lambda domain ask IAM about execution roles.
type lambdaRoles struct{ iam *iam.Service }

func (r lambdaRoles) LambdaCanAssume(ctx context.Context, roleARN string) (bool, string) {
	return r.iam.ServiceCanAssume(ctx, roleARN, "lambda.amazonaws.com")
}

// checkPackage is the sandbox's deep check of a deployment package (entry
// names, links, unzipped size), run while a function is Pending or its code
// update InProgress, so that a package no environment could unpack is refused
// by the call that brings it rather than by every invocation.
func checkPackage(zip []byte) error {
	_, err := sandbox.CheckZip(zip)
	return err
}

// functionOutput logs every line functions print, at Debug (--log-level
// debug), where Lambda would send it to CloudWatch Logs; nil (nothing to
// do per line) at any other level.
func functionOutput(ctx context.Context, l *slog.Logger) func(sandbox.LogLines) {
	if !l.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	return func(b sandbox.LogLines) {
		for _, text := range b.Texts {
			l.Debug("function output", "function", b.FunctionName, "version", b.Version, "group", b.LogGroup,
				"stream", b.LogStream, "line", text)
		}
	}
}

// ingestSink sends function log lines to CloudWatch Logs: the group and
// stream the sandbox names, in the function's account and region, one
// IngestAt per batch. It waits only when the ingestion buffer is full, for
// the flush in progress (1 s at most), so a function writing faster than the
// store takes its lines waits, as a pipe's writer does, instead of losing
// them; the lines are searchable after the next flush.
func ingestSink(l *logs.Service) func(sandbox.LogLines) {
	return func(b sandbox.LogLines) {
		l.IngestAt(logs.Scope{Account: b.Account, Region: b.Region}, b.LogGroup, b.LogStream, b.Time, b.Texts)
	}
}

// emfSink extracts the metrics of the embedded metric format lines among
// function log lines and publishes them in the function's account and
// region, as CloudWatch Logs does with every event of a log group. A line
// that is not EMF costs a byte search. A line that says it is EMF but breaks
// the specification is still a log line (ingestSink stores it); it yields
// no metric and counts as AWS/Logs EMFParsingErrors or EMFValidationErrors
// of its log group, as on AWS. Publish never blocks.
func emfSink(cw *cloudwatch.Service, l *slog.Logger) func(sandbox.LogLines) {
	return func(b sandbox.LogLines) {
		for _, text := range b.Texts {
			extractEMF(cw, l, &b, text)
		}
	}
}

// extractEMF publishes the metrics of one line of b, if it is EMF.
func extractEMF(cw *cloudwatch.Service, l *slog.Logger, line *sandbox.LogLines, text string) {
	data, err := cloudwatch.ExtractEMF(text, line.Time)
	if err == nil && len(data) == 0 {
		return
	}
	scope := cloudwatch.Scope{Account: line.Account, Region: line.Region}
	if err != nil {
		metric := "EMFValidationErrors"
		if e := (*cloudwatch.EMFError)(nil); errors.As(err, &e) && e.Parse {
			metric = "EMFParsingErrors"
		}
		cw.Publish(scope, []cloudwatch.Datum{{Namespace: "AWS/Logs", MetricName: metric,
			Dimensions: []cloudwatch.Dimension{{Name: "LogGroupName", Value: line.LogGroup}}, Unit: cloudwatch.UnitNone,
			Timestamp: line.Time, Values: []float64{1}}})
		l.Debug("function printed an embedded metric format line CloudWatch would not extract", "function", line.FunctionName,
			"group", line.LogGroup, "err", err)
		return
	}
	cw.Publish(scope, data)
}

// tapSink hands each batch to the dashboard's log tail.
func tapSink(t *dashboard.LogTap) func(sandbox.LogLines) {
	return func(b sandbox.LogLines) {
		t.Publish(b.Account, b.Region, b.LogGroup, b.LogStream, b.Time, b.Texts)
	}
}

// dashboardCredentials are the keys the dashboard's login checks: none
// (every account, read-only) without --auth sigv4.
func dashboardCredentials(cfg Config) awsproto.Credentials {
	if cfg.Auth != AuthSigV4 {
		return nil
	}
	return cfg.Credentials
}

// bothSinks hands each batch to both sinks (either may be nil).
func bothSinks(a, b func(sandbox.LogLines)) func(sandbox.LogLines) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(l sandbox.LogLines) {
		a(l)
		b(l)
	}
}

// routes builds the endpoint: the router with every service Reservoir
// serves (Lambda's REST routes, IAM and STS's query actions, CloudWatch
// Logs' JSON 1.1 operations, CloudWatch's operations in its three
// protocols), each behind the signature check in sigv4 mode, and
// Reservoir's own health and metrics.
func (a *App) routes(cfg Config, iamSvc *iam.Service, metricsHandler http.Handler, codeKey []byte, addr net.Addr) (*awsproto.Router, error) {
	var guard func(http.Handler) http.Handler
	switch cfg.Auth {
	case "", AuthNone:
	case AuthSigV4:
		if len(cfg.Credentials) == 0 {
			return nil, errors.New("--auth sigv4 needs --credentials AKID:SECRET[,...]")
		}
		guard = func(h http.Handler) http.Handler {
			return awsproto.RequireSigV4(cfg.Credentials, time.Now, unsignedAllowed, h)
		}
	default:
		return nil, fmt.Errorf("unknown auth mode %q (want %s or %s)", cfg.Auth, AuthNone, AuthSigV4)
	}
	own := http.NewServeMux()
	own.Handle("GET /metrics", metricsHandler)
	own.HandleFunc("GET /{$}", health)
	router := awsproto.NewRouter(awsproto.RouterOptions{Logger: cfg.Logger, Guard: guard, Own: own})

	lambdaMux := http.NewServeMux()
	if err := lambdaapi.Register(lambdaMux, a.svc, cfg.Logger, lambdaapi.Options{
		CodeURLKey: codeKey, BaseURL: baseURL(cfg.PublicURL, addr), Now: cfg.CodeURLClock,
	}); err != nil {
		return nil, err
	}
	lambdaMux.HandleFunc("/", lambdaapi.UnknownOperation)
	query := iamapi.NewHandler(iamSvc, func(r *http.Request) string { return awsproto.ParseCaller(r).Account }, cfg.Logger)
	err := errors.Join(
		router.Register(awsproto.Service{SigningName: "lambda", Handler: lambdaMux, REST: true}),
		router.Register(awsproto.Service{SigningName: "iam", Handler: query, QueryVersion: iamapi.IAMVersion, QueryActions: iamapi.IAMActions()}),
		router.Register(awsproto.Service{SigningName: "sts", Handler: query, QueryVersion: iamapi.STSVersion, QueryActions: iamapi.STSActions()}),
		router.RegisterRPC(logsapi.Service(a.logs)),
		router.RegisterRPC(cloudwatchapi.Service(a.cw)),
		router.RegisterRPC(autoscalingapi.Service(a.as)),
	)
	return router, err
}

// functionURLs is the server of calls through function URLs. Under --auth
// sigv4 an AWS_IAM URL's calls must be signed with the server's
// credentials. Under either mode every call must be allowed by the
// function's resource-based policy (lambda:InvokeFunctionUrl and
// lambda:InvokeFunction), as lambdaapi.PolicyAuthorizer checks.
func (a *App) functionURLs(cfg Config, addr net.Addr) *lambdaapi.URLServer {
	o := lambdaapi.URLOptions{Authorizer: lambdaapi.PolicyAuthorizer{Service: a.svc}}
	if cfg.Auth == AuthSigV4 {
		o.Credentials = cfg.Credentials
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		o.Port = strconv.Itoa(tcp.Port)
	}
	return lambdaapi.NewURLServer(a.svc, cfg.Logger, o)
}

// health answers a bare GET / (a browser, a health probe) with a short
// JSON status.
func health(w http.ResponseWriter, _ *http.Request) {
	awsproto.WriteJSON(w, http.StatusOK, map[string]string{"service": "reservoir", "status": "ok"})
}

// Addr is the address the server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve answers requests until Close; it returns nil after a clean Close.
func (a *App) Serve() error {
	err := a.server.Serve(a.listener)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// defaultStopReserve is how much of a shutdown's time is kept for stopping
// function processes (SIGTERM, the sandbox's grace, SIGKILL) and closing the
// store once the time for requests in flight is up.
const defaultStopReserve = 2 * time.Second

// RunningInvocations is how many invocations run now, in every account and
// region (synchronous and asynchronous), as the concurrency books count them.
func (a *App) RunningInvocations() int {
	n := 0
	for _, s := range a.svc.Accountant().Snapshot() {
		n += s.Usage.InFlight
	}
	return n
}

// Close stops accepting requests and starting asynchronous events, lets
// the requests in flight finish until ctx's deadline less the stop reserve
// (or until ctx is canceled: a stop that cannot wait), then stops every
// function still running (their callers get 503 ServiceException; running
// asynchronous events stay stored and run after the next start), closes the
// connections of requests still open when ctx ends, and closes the store once
// their handlers are done. It returns within ctx's deadline plus what
// stopping the processes takes. Requests cut short are what a bounded stop
// is for, not an error: the error is of what failed to stop or close.
// Calling it again returns the first result.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.svc != nil {
			a.svc.Stop()
		}
		if a.dash != nil {
			// Its streams never end by themselves: end them before waiting
			// for requests.
			a.dash.Close()
		}
		shutdown := make(chan error, 1)
		if a.server != nil {
			go func() { shutdown <- a.server.Shutdown(ctx) }()
		} else {
			if a.listener != nil {
				_ = a.listener.Close()
			}
			shutdown <- nil
		}
		// Requests may finish until the reserve; then functions are stopped,
		// which ends the requests still waiting for them.
		var requestsUp <-chan time.Time // nil without a deadline: until ctx ends
		if dl, ok := ctx.Deadline(); ok {
			left := time.Until(dl)
			t := time.NewTimer(max(0, left-min(a.stopReserve, left/2)))
			defer t.Stop()
			requestsUp = t.C
		}
		var shutdownErr error
		requestsDone := false
		select {
		case shutdownErr = <-shutdown:
			requestsDone = true
		case <-requestsUp:
		case <-ctx.Done():
		}
		if a.sim != nil {
			a.sim.Close()
		}
		if a.sandbox != nil {
			// Within the caller's deadline: the reserve covers the grace
			// between SIGTERM and SIGKILL. A stop that cannot wait (ctx
			// canceled) still sees the processes gone, within the reserve.
			stopCtx, cancel := ctx, func() {}
			if ctx.Err() != nil {
				stopCtx, cancel = context.WithTimeout(context.Background(), a.stopReserve)
			}
			err := a.sandbox.Close(stopCtx)
			cancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("stop environments: %w", err))
			}
		}
		if !requestsDone {
			// The requests the stopped functions held end now; others (a
			// client still sending its request, say) keep their connection
			// until ctx ends.
			shutdownErr = <-shutdown
		}
		switch {
		case shutdownErr != nil && ctx.Err() != nil && errors.Is(shutdownErr, ctx.Err()):
			a.cutRequests()
		case shutdownErr != nil:
			errs = append(errs, fmt.Errorf("shutdown http: %w", shutdownErr))
		}
		if a.svc != nil {
			a.svc.Close()
		}
		if a.logs != nil {
			// After the environments stopped: their last lines are in.
			// Before the store: what is buffered is written.
			logsCtx, cancel := ctx, func() {}
			if ctx.Err() != nil {
				logsCtx, cancel = context.WithTimeout(context.Background(), a.stopReserve)
			}
			err := a.logs.Close(logsCtx)
			cancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("close logs: %w", err))
			}
		}
		if a.as != nil {
			// Before CloudWatch, whose alarms' actions it takes, and the
			// store.
			a.as.Close()
		}
		if a.lambdaMetrics != nil {
			// After the invocations ended: the last minute is complete.
			a.lambdaMetrics.Close()
		}
		if a.cw != nil {
			// Before the store: the buffered datapoints are written.
			if err := a.cw.Close(context.WithoutCancel(ctx)); err != nil {
				errs = append(errs, fmt.Errorf("close cloudwatch: %w", err))
			}
		}
		if a.store != nil {
			if err := a.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close store: %w", err))
			}
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// handlerGrace bounds the wait for the handlers of cut connections.
const handlerGrace = 2 * time.Second

// cutRequests closes every connection still open and waits, up to
// handlerGrace, for their handlers to return, so that none of them uses the
// store once it is closed. A handler's durable writes end before it answers:
// a request cut here was never acknowledged.
func (a *App) cutRequests() {
	n := a.handling.Load()
	_ = a.server.Close()
	a.log.Info("stopped: closed the connections of requests still in flight", "requests", n)
	deadline := time.Now().Add(handlerGrace)
	for a.handling.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // handlers end within milliseconds once their connection is gone
	}
	if left := a.handling.Load(); left > 0 {
		a.log.Warn("requests still being handled as the store closes", "requests", left)
	}
}

// ShutdownTimeout bounds a graceful stop: the time requests in flight get,
// stopping the functions still running included.
const ShutdownTimeout = 10 * time.Second

// Stop tells Run when to stop, and lets its caller say what happens.
type Stop struct {
	// Signals: the first value starts a graceful stop (see Close, with
	// ShutdownTimeout); a second one cuts it short, stopping every
	// function at once.
	Signals <-chan os.Signal
	// Graceful, if set, is called as a graceful stop starts, with the
	// number of invocations running and how long they may take.
	Graceful func(running int, within time.Duration)
	// Now, if set, is called when a second signal cuts the stop short,
	// with the number of invocations still running.
	Now func(running int)
}

// Run starts the server and serves until the first signal of stop, then
// stops gracefully (see Stop). A stop that cut requests or invocations short
// is a clean one: Run returns an error only when serving or closing failed.
func Run(ctx context.Context, cfg Config, stop Stop) error {
	a, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	attrs := []any{"addr", "http://" + a.Addr(), "data_dir", cfg.DataDir, "executor", cfg.Executor,
		"account_concurrency", cfg.AccountConcurrency, "strict_roles", cfg.StrictRoles}
	if cfg.PublicURL != "" {
		attrs = append(attrs, "public_url", cfg.PublicURL)
	}
	if a.sandbox != nil {
		attrs = append(attrs, "functions_isolated", a.sandbox.Isolated(), "isolation", a.sandbox.IsolationKind())
	}
	cfg.Logger.Info("reservoir listening", attrs...)
	errc := make(chan error, 1)
	go func() { errc <- a.Serve() }()
	select {
	case err := <-errc:
		closeCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		_ = a.Close(closeCtx)
		return err
	case <-stop.Signals:
	}
	if stop.Graceful != nil {
		stop.Graceful(a.RunningInvocations(), ShutdownTimeout)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	closed := make(chan struct{})
	go func() {
		select {
		case <-stop.Signals:
			if stop.Now != nil {
				stop.Now(a.RunningInvocations())
			}
			cancel()
		case <-closed:
		}
	}()
	err = a.Close(shutdownCtx)
	close(closed)
	if serveErr := <-errc; serveErr != nil && err == nil {
		err = serveErr
	}
	cfg.Logger.Info("reservoir stopped")
	return err
}
