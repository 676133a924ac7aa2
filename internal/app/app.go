// Package app wires Reservoir together: it opens the store, builds the
// domain services and the executor, and serves the Lambda, IAM and STS wire
// layers on one listener. Start and shutdown run in a fixed order, and
// shutdown is idempotent.
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
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/iamapi"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/lambdaapi"
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
	log      *slog.Logger
	store    *boltstore.Store
	svc      *lambda.Service
	sim      *simulate.Executor
	sandbox  *sandbox.Manager
	listener net.Listener
	server   *http.Server
	// stopReserve is the part of a shutdown's time kept for stopping the
	// functions that still run when the time for requests is up.
	stopReserve time.Duration

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
	iamSvc, err := iam.NewService(ctx, st, time.Now)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.svc, err = lambda.NewService(ctx, lambda.Options{
		Store: st, Executor: exec, Accountant: acct, Logger: cfg.Logger, Observer: m, Async: cfg.Async,
		Roles: lambdaRoles{iamSvc}, StrictRoles: cfg.StrictRoles, CheckCode: checkPackage,
	})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}

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

	mux := http.NewServeMux()
	if err := lambdaapi.Register(mux, a.svc, cfg.Logger, lambdaapi.Options{
		CodeURLKey: codeKey, BaseURL: baseURL(cfg.PublicURL, ln.Addr()), Now: cfg.CodeURLClock,
	}); err != nil {
		a.Close(ctx)
		return nil, err
	}
	query := iamapi.NewHandler(iamSvc, func(r *http.Request) string { return awsproto.ParseCaller(r).Account }, cfg.Logger)
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("POST /{$}", query)
	mux.Handle("GET /{$}", queryOrHealth(query))
	mux.HandleFunc("/", lambdaapi.UnknownOperation)

	var handler http.Handler = mux
	switch cfg.Auth {
	case "", AuthNone:
	case AuthSigV4:
		if len(cfg.Credentials) == 0 {
			a.Close(ctx)
			return nil, errors.New("--auth sigv4 needs --credentials AKID:SECRET[,...]")
		}
		handler = awsproto.RequireSigV4(cfg.Credentials, time.Now, unsignedAllowed, mux)
	default:
		a.Close(ctx)
		return nil, fmt.Errorf("unknown auth mode %q (want %s or %s)", cfg.Auth, AuthNone, AuthSigV4)
	}
	a.server = &http.Server{
		Handler:           awsproto.Middleware(cfg.Logger, handler),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	// Only now that it can serve does the server run function code: stored
	// events resume and provisioned configs warm up.
	if err := a.svc.Start(ctx); err != nil {
		a.Close(ctx)
		return nil, err
	}
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

// queryOrHealth answers a bare GET / (a browser, a health probe) with a
// short JSON status, and query-protocol GETs (?Action=...) with IAM/STS.
func queryOrHealth(query http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") != "" {
			query.ServeHTTP(w, r)
			return
		}
		awsproto.WriteJSON(w, http.StatusOK, map[string]string{"service": "reservoir", "status": "ok"})
	})
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

// shutdownTimeout bounds Run's graceful stop: requests in flight get this
// long, less the stop reserve.
const shutdownTimeout = 10 * time.Second

// defaultStopReserve is how much of a shutdown's time is kept for stopping
// function processes (SIGTERM, the sandbox's grace, SIGKILL) and closing the
// store once the time for requests in flight is up.
const defaultStopReserve = 2 * time.Second

// Close stops accepting requests and starting asynchronous events, lets
// the requests in flight finish until ctx's deadline less the stop reserve,
// then stops every function still running (their callers get 503
// ServiceException; running asynchronous events stay stored and run after the
// next start), and closes the store. It returns within ctx's deadline plus
// what stopping the processes takes. Calling it again returns the first result.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.svc != nil {
			a.svc.Stop()
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
		requestsDone := false
		select {
		case err := <-shutdown:
			requestsDone = true
			if err != nil {
				errs = append(errs, fmt.Errorf("shutdown http: %w", err))
			}
		case <-requestsUp:
		case <-ctx.Done():
		}
		if a.sim != nil {
			a.sim.Close()
		}
		if a.sandbox != nil {
			// Within the caller's deadline: the reserve covers the grace
			// between SIGTERM and SIGKILL.
			if err := a.sandbox.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop environments: %w", err))
			}
		}
		if !requestsDone {
			if err := <-shutdown; err != nil {
				errs = append(errs, fmt.Errorf("shutdown http: %w", err))
			}
		}
		if a.svc != nil {
			a.svc.Close()
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

// Run starts the server and serves until ctx is canceled, then shuts down
// gracefully (in-flight requests get up to 10 s).
func Run(ctx context.Context, cfg Config) error {
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
		closeCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = a.Close(closeCtx)
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = a.Close(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && err == nil {
		err = serveErr
	}
	cfg.Logger.Info("reservoir stopped")
	return err
}
