// Command reservoir runs a local AWS Lambda service whose concurrency
// behaves like AWS's.
//
//	reservoir serve [--listen 127.0.0.1:9001] [--public-url URL] [--data-dir DIR]
//	                [--account-concurrency 1000] [--executor process|simulate]
//	                [--isolation auto|on|off] [--share-dir DIR[,DIR...]] [--strict-roles]
//	                [--log-level info]
//
// Every flag has an environment equivalent: RESERVOIR_LISTEN, RESERVOIR_PUBLIC_URL,
// RESERVOIR_DATA_DIR, RESERVOIR_ACCOUNT_CONCURRENCY, RESERVOIR_EXECUTOR,
// RESERVOIR_ISOLATION, RESERVOIR_SHARE_DIR, RESERVOIR_STRICT_ROLES, RESERVOIR_LOG_LEVEL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/reservoir-dev/reservoir/internal/app"
	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: reservoir serve [flags]

Runs the Reservoir server. Flags (each also read from its RESERVOIR_* variable):
`

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprint(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return 0
		}
		return 2
	}
	cfg, level, err := parseFlags(args[1:], getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "reservoir:", err)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := app.Run(ctx, cfg); err != nil {
		cfg.Logger.Error("reservoir failed", "err", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (app.Config, slog.Level, error) {
	env := func(name, def string) string {
		if v := getenv("RESERVOIR_" + name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("reservoir serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", env("LISTEN", "127.0.0.1:9001"), "address to listen on (RESERVOIR_LISTEN)")
	publicURL := fs.String("public-url", env("PUBLIC_URL", ""), "http(s)://host[:port] clients reach the server at, for GetFunction's Code.Location; default: the listen address, 0.0.0.0 or [::] as 127.0.0.1 (RESERVOIR_PUBLIC_URL)")
	dataDir := fs.String("data-dir", env("DATA_DIR", defaultDataDir(getenv)), "where state is kept (RESERVOIR_DATA_DIR)")
	accountConc := fs.String("account-concurrency", env("ACCOUNT_CONCURRENCY", "1000"), "concurrency limit of every account and region (RESERVOIR_ACCOUNT_CONCURRENCY)")
	executor := fs.String("executor", env("EXECUTOR", app.ExecutorProcess), "process: run function code; simulate: virtual environments, no code runs (RESERVOIR_EXECUTOR)")
	isolation := fs.String("isolation", env("ISOLATION", string(sandbox.IsolationAuto)), "auto: isolate functions from each other and the host where the system allows (root on Linux); on: isolate or refuse to start; off: never (RESERVOIR_ISOLATION)")
	shareDirs := fs.String("share-dir", env("SHARE_DIR", ""), "host directories isolated functions see at their own paths, comma-separated (RESERVOIR_SHARE_DIR)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (RESERVOIR_LOG_LEVEL)")
	auth := fs.String("auth", env("AUTH", app.AuthNone), "none: accept any credentials; sigv4: verify request signatures against --credentials (RESERVOIR_AUTH)")
	credentials := fs.String("credentials", env("CREDENTIALS", ""), "AKID:SECRET[,AKID:SECRET...] accepted in --auth sigv4 mode (RESERVOIR_CREDENTIALS)")
	strictDefault, err := strconv.ParseBool(env("STRICT_ROLES", "false"))
	if err != nil {
		return app.Config{}, 0, fmt.Errorf("RESERVOIR_STRICT_ROLES must be true or false, got %q", getenv("RESERVOIR_STRICT_ROLES"))
	}
	strictRoles := fs.Bool("strict-roles", strictDefault, "refuse, as AWS does, a function whose execution role Lambda could not assume (not created in IAM, or not trusting lambda.amazonaws.com); by default it is accepted with a warning (RESERVOIR_STRICT_ROLES)")
	if err := fs.Parse(args); err != nil {
		return app.Config{}, 0, err
	}
	if fs.NArg() > 0 {
		return app.Config{}, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	n, err := strconv.Atoi(*accountConc)
	if err != nil || n < 1 {
		return app.Config{}, 0, fmt.Errorf("--account-concurrency must be a positive integer, got %q", *accountConc)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(*logLevel))); err != nil {
		return app.Config{}, 0, fmt.Errorf("--log-level: %w", err)
	}
	if *executor != app.ExecutorProcess && *executor != app.ExecutorSimulate {
		return app.Config{}, 0, fmt.Errorf("--executor must be %s or %s, got %q", app.ExecutorProcess, app.ExecutorSimulate, *executor)
	}
	switch sandbox.Isolation(*isolation) {
	case sandbox.IsolationAuto, sandbox.IsolationOn, sandbox.IsolationOff:
	default:
		return app.Config{}, 0, fmt.Errorf("--isolation must be %s, %s or %s, got %q", sandbox.IsolationAuto, sandbox.IsolationOn, sandbox.IsolationOff, *isolation)
	}
	if *publicURL != "" {
		if err := app.CheckPublicURL(*publicURL); err != nil {
			return app.Config{}, 0, fmt.Errorf("--public-url: %w", err)
		}
	}
	cfg := app.Config{Listen: *listen, PublicURL: *publicURL, DataDir: *dataDir, AccountConcurrency: n, Executor: *executor, Auth: *auth, Isolation: *isolation,
		StrictRoles: *strictRoles}
	for _, d := range strings.Split(*shareDirs, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return app.Config{}, 0, fmt.Errorf("--share-dir: %w", err)
		}
		cfg.ShareDirs = append(cfg.ShareDirs, abs)
	}
	switch *auth {
	case app.AuthNone:
	case app.AuthSigV4:
		creds, err := awsproto.ParseCredentials(*credentials)
		if err != nil {
			return app.Config{}, 0, fmt.Errorf("--credentials: %w", err)
		}
		cfg.Credentials = creds
	default:
		return app.Config{}, 0, fmt.Errorf("--auth must be %s or %s, got %q", app.AuthNone, app.AuthSigV4, *auth)
	}
	return cfg, level, nil
}

// defaultDataDir is a "reservoir" folder under the user's data directory.
func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "reservoir")
	}
	home := getenv("HOME")
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "reservoir")
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "reservoir")
		}
	}
	if home == "" {
		return filepath.Join(os.TempDir(), "reservoir")
	}
	return filepath.Join(home, ".local", "share", "reservoir")
}
