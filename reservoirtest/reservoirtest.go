// Package reservoirtest starts an in-process Reservoir server for Go tests and
// hands out an aws-sdk-go-v2 configuration that talks to it.
//
//	srv := reservoirtest.Start(t)
//	client := lambda.NewFromConfig(srv.AWSConfig(t))
//
// Each server listens on 127.0.0.1 with a free port, keeps its state in the
// test's temporary directory, and is stopped when the test ends.
package reservoirtest

import (
	"context"
	"github.com/jonboulle/clockwork"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reservoir-dev/reservoir/internal/app"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Options change how Start configures the server.
type Options struct {
	// DataDir keeps state there instead of in a fresh temporary directory
	// (to test restarts).
	DataDir string
	// AccountConcurrency is every account's limit (default 1000).
	AccountConcurrency int
	// Executor is "process" (default: function code runs as local processes)
	// or "simulate" (provisioned environments are virtual, nothing runs).
	Executor string
	// SimulatedInitDelay is how long a simulated environment takes to start.
	SimulatedInitDelay time.Duration
	// IdleTimeout is how long an idle environment is kept (0: the default).
	IdleTimeout time.Duration
	// Isolation is "auto" (default: function processes are isolated from
	// each other and the host where the system allows it, as root on
	// Linux), "on" (isolate or fail) or "off".
	Isolation string
	// ShareDirs are host directories that isolated functions see at their
	// own paths, read-write: for a test and its functions to exchange files.
	// Isolated functions run as users of their own, so make them writable
	// by everyone (mode 0777) if functions write there.
	ShareDirs []string
	// AsyncRetryDelay is the wait before retrying an asynchronous event whose
	// function failed (0: AWS's 1 minute; the second retry waits twice as long).
	AsyncRetryDelay time.Duration
	// Credentials, when set, turn on signature checking (--auth sigv4) with
	// these access key → secret pairs.
	Credentials map[string]string
	// Logger receives the server's logs (default: only errors, to the test log).
	Logger *slog.Logger
	// PublicURL is where GetFunction's Code.Location URLs point (default:
	// the server's URL), as with --public-url.
	PublicURL string
	// CodeURLClock is the clock GetFunction's Code.Location URLs are issued
	// and checked with (default time.Now): move it to expire them.
	CodeURLClock func() time.Time
	// StrictRoles refuses, as AWS does, a function whose execution role
	// Lambda could not assume: one not created through IAM first, or whose
	// trust policy does not let lambda.amazonaws.com call sts:AssumeRole
	// (--strict-roles). By default such a role is accepted with a warning.
	StrictRoles bool
	// Clock, when set, drives the minutes of AWS/Lambda's metrics,
	// CloudWatch's alarm evaluation and Application Auto Scaling: pass a
	// clockwork.NewFakeClock() and Advance it to run a scale-out and
	// scale-in in seconds.
	Clock clockwork.Clock
}

// Server is a running Reservoir.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:41234.
	URL string
	// DataDir is where the server keeps its state.
	DataDir string

	app  *app.App
	done chan error
}

// Start starts a server with default options.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts a server; it is closed when the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	auth := app.AuthNone
	if len(o.Credentials) > 0 {
		auth = app.AuthSigV4
	}
	a, err := app.New(context.Background(), app.Config{
		Auth:               auth,
		Credentials:        o.Credentials,
		Listen:             "127.0.0.1:0",
		DataDir:            o.DataDir,
		AccountConcurrency: o.AccountConcurrency,
		Executor:           o.Executor,
		SimulatedInitDelay: o.SimulatedInitDelay,
		IdleTimeout:        o.IdleTimeout,
		Isolation:          o.Isolation,
		ShareDirs:          o.ShareDirs,
		Async:              lambda.AsyncOptions{RetryDelay: o.AsyncRetryDelay},
		Logger:             o.Logger,
		PublicURL:          o.PublicURL,
		CodeURLClock:       o.CodeURLClock,
		StrictRoles:        o.StrictRoles,
		Clock:              o.Clock,
	})
	if err != nil {
		t.Fatalf("start reservoir: %v", err)
	}
	s := &Server{URL: "http://" + a.Addr(), DataDir: o.DataDir, app: a, done: make(chan error, 1)}
	go func() { s.done <- a.Serve() }()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Close stops the server (idempotent). State stays in DataDir.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.app.Close(ctx)
	if serveErr := <-s.done; serveErr != nil && err == nil {
		err = serveErr
	}
	s.done <- nil // later Close calls return at once
	return err
}

// AWSConfig returns an aws-sdk-go-v2 config for account 123456789012 in
// us-east-1 (the access key is the account ID) whose endpoint is the server.
func (s *Server) AWSConfig(t testing.TB) aws.Config {
	return s.AWSConfigFor("123456789012", "us-east-1")
}

// AWSConfigFor returns a config for another account (12 digits) or region.
func (s *Server) AWSConfigFor(account, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(account, "secret", ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		// Tests want to see throttles and errors, not retries of them.
		RetryMaxAttempts: 1,
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Env returns environment variables that point the AWS CLI (or any SDK
// reading the standard variables) at the server, for account and region.
func (s *Server) Env(account, region string) []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return append(out,
		"AWS_ACCESS_KEY_ID="+account, "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION="+region,
		"AWS_REGION="+region, "AWS_ENDPOINT_URL="+s.URL, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
}
