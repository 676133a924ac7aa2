// Command reservoir runs a local AWS Lambda service whose concurrency
// behaves like AWS's.
//
//	reservoir serve [flags]   run the service
//	reservoir version         print the version and the commit it was built from
//	reservoir top [flags]     watch a server's concurrency in the terminal
//
// `reservoir --help` lists every flag of serve with its RESERVOIR_* variable
// and default; they are in one table, serveFlags, which also makes README's.
// The first SIGINT or SIGTERM stops the service gracefully, a second one at
// once.
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
	"time"

	"github.com/reservoir-dev/reservoir/internal/app"
	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

func main() {
	// Two signals may arrive before Run reads them: the second stops at once.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, signals))
}

// run is the command: it returns the exit status. Help and the version go to
// stdout, everything else (logs, errors, what a stop does) to stderr.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
	case "top":
		return runTop(args, getenv, stdout, stderr, signals)
	case "-h", "-help", "--help", "help":
		writeUsage(stdout)
		return 0
	case "-version", "--version", "version":
		writeVersion(stdout)
		return 0
	case "":
		writeUsage(stderr)
		return 2
	default:
		fmt.Fprintf(stderr, "reservoir: unknown command %q\n%s", cmd, seeHelp)
		return 2
	}
	cfg, level, err := parseFlags(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		writeUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "reservoir: %v\n%s", err, seeHelp)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	err = app.Run(context.Background(), cfg, app.Stop{
		Signals: signals,
		Graceful: func(running int, within time.Duration) {
			fmt.Fprintf(stderr, "stopping: waiting up to %d s for %d running %s; press Ctrl-C again to stop now\n",
				int(within.Seconds()), running, plural(running, "invocation", "invocations"))
		},
		Now: func(running int) {
			fmt.Fprintf(stderr, "stopping now: %d running %s cut short\n", running, plural(running, "invocation", "invocations"))
		},
	})
	if err != nil {
		cfg.Logger.Error("reservoir failed", "err", err)
		return 1
	}
	return 0
}

const seeHelp = "Run 'reservoir --help' for the commands and flags.\n"

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseFlags reads serve's flags (serveFlags) from args over their
// environment variables over their defaults.
func parseFlags(args []string, getenv func(string) string) (app.Config, slog.Level, error) {
	fs := flag.NewFlagSet("reservoir serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints the error, once
	strs := map[string]*string{}
	bools := map[string]*bool{}
	for _, f := range serveFlags {
		def := f.def
		if v := getenv(f.env()); v != "" {
			def = v
		}
		if !f.isBool() {
			strs[f.name] = fs.String(f.name, def, f.doc)
			continue
		}
		b, err := strconv.ParseBool(def)
		if err != nil {
			return app.Config{}, 0, fmt.Errorf("%s must be true or false, got %q", f.env(), def)
		}
		bools[f.name] = fs.Bool(f.name, b, f.doc)
	}
	if err := fs.Parse(args); err != nil {
		return app.Config{}, 0, err
	}
	if fs.NArg() > 0 {
		return app.Config{}, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	get := func(name string) string { return *strs[name] }
	n, err := strconv.Atoi(get("account-concurrency"))
	if err != nil || n < 1 {
		return app.Config{}, 0, fmt.Errorf("--account-concurrency must be a positive integer, got %q", get("account-concurrency"))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(get("log-level")))); err != nil {
		return app.Config{}, 0, fmt.Errorf("--log-level must be debug, info, warn or error, got %q", get("log-level"))
	}
	executor := get("executor")
	if executor != app.ExecutorProcess && executor != app.ExecutorSimulate {
		return app.Config{}, 0, fmt.Errorf("--executor must be %s or %s, got %q", app.ExecutorProcess, app.ExecutorSimulate, executor)
	}
	isolation := get("isolation")
	switch sandbox.Isolation(isolation) {
	case sandbox.IsolationAuto, sandbox.IsolationOn, sandbox.IsolationOff:
	default:
		return app.Config{}, 0, fmt.Errorf("--isolation must be %s, %s or %s, got %q", sandbox.IsolationAuto, sandbox.IsolationOn, sandbox.IsolationOff, isolation)
	}
	publicURL := get("public-url")
	if publicURL != "" {
		if err := app.CheckPublicURL(publicURL); err != nil {
			return app.Config{}, 0, fmt.Errorf("--public-url: %w", err)
		}
	}
	dataDir := get("data-dir")
	if dataDir == "" {
		dataDir = defaultDataDir(getenv)
	}
	auth := get("auth")
	cfg := app.Config{Listen: get("listen"), PublicURL: publicURL, DataDir: dataDir, AccountConcurrency: n, Executor: executor,
		Auth: auth, Isolation: isolation, StrictRoles: *bools["strict-roles"]}
	for _, d := range strings.Split(get("share-dir"), ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return app.Config{}, 0, fmt.Errorf("--share-dir: %w", err)
		}
		cfg.ShareDirs = append(cfg.ShareDirs, abs)
	}
	switch auth {
	case app.AuthNone:
	case app.AuthSigV4:
		creds, err := awsproto.ParseCredentials(get("credentials"))
		if err != nil {
			return app.Config{}, 0, fmt.Errorf("--credentials: %w", err)
		}
		cfg.Credentials = creds
	default:
		return app.Config{}, 0, fmt.Errorf("--auth must be %s or %s, got %q", app.AuthNone, app.AuthSigV4, auth)
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
