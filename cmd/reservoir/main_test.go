package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestParseFlagsDefaultsAndEnv(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	getenv := func(k string) string { return env[k] }
	cfg, level, err := parseFlags(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9001" || cfg.DataDir != "/home/u/.local/share/reservoir" || cfg.AccountConcurrency != 1000 ||
		cfg.Executor != "process" || cfg.Auth != "none" || level.String() != "INFO" || cfg.Isolation != "auto" || cfg.ShareDirs != nil ||
		cfg.PublicURL != "" || cfg.StrictRoles {
		t.Fatalf("defaults: %+v %v", cfg, level)
	}
	env["RESERVOIR_LISTEN"] = "127.0.0.1:0"
	env["RESERVOIR_ACCOUNT_CONCURRENCY"] = "50"
	env["XDG_DATA_HOME"] = "/xdg"
	env["RESERVOIR_SHARE_DIR"] = "/srv/a, /srv/b"
	env["RESERVOIR_PUBLIC_URL"] = "https://lambda.test:8443"
	cfg, _, err = parseFlags([]string{"--executor", "simulate", "--log-level", "debug", "--isolation", "off"}, getenv)
	if err != nil || cfg.Listen != "127.0.0.1:0" || cfg.AccountConcurrency != 50 || cfg.DataDir != "/xdg/reservoir" || cfg.Executor != "simulate" ||
		cfg.Isolation != "off" || strings.Join(cfg.ShareDirs, " ") != "/srv/a /srv/b" || cfg.PublicURL != "https://lambda.test:8443" {
		t.Fatalf("env and flags: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--public-url", "http://10.0.0.5:9001/"}, getenv); err != nil || cfg.PublicURL != "http://10.0.0.5:9001/" {
		t.Fatalf("--public-url over RESERVOIR_PUBLIC_URL: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--strict-roles"}, getenv); err != nil || !cfg.StrictRoles {
		t.Fatalf("--strict-roles: %+v %v", cfg, err)
	}
	env["RESERVOIR_STRICT_ROLES"] = "true"
	if cfg, _, err := parseFlags(nil, getenv); err != nil || !cfg.StrictRoles {
		t.Fatalf("RESERVOIR_STRICT_ROLES=true: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--strict-roles=false"}, getenv); err != nil || cfg.StrictRoles {
		t.Fatalf("--strict-roles=false over RESERVOIR_STRICT_ROLES=true: %+v %v", cfg, err)
	}
	env["RESERVOIR_STRICT_ROLES"] = "maybe"
	if _, _, err := parseFlags(nil, getenv); err == nil {
		t.Error("RESERVOIR_STRICT_ROLES=maybe accepted")
	}
	delete(env, "RESERVOIR_STRICT_ROLES")
	for _, bad := range [][]string{
		{"--account-concurrency", "0"}, {"--account-concurrency", "x"}, {"--executor", "docker"},
		{"--log-level", "loud"}, {"--auth", "sigv4"}, {"--auth", "basic"}, {"extra"}, {"--isolation", "maybe"},
		{"--public-url", "lambda.test:9001"}, {"--public-url", "ftp://lambda.test"}, {"--public-url", "http://h/?a=b"},
	} {
		if _, _, err := parseFlags(bad, getenv); err == nil {
			t.Errorf("parseFlags(%v) accepted bad input", bad)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeLogsAddressAndStopsOnSignal(t *testing.T) {
	signals := make(chan os.Signal, 1)
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(string) string { return "" },
			io.Discard, &stderr, signals)
	}()
	addrRE := regexp.MustCompile(`msg="reservoir listening" addr=(http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	var url string
	for url == "" {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := http.Get(url + "/2016-08-19/account-settings")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GetAccountSettings: %v %v", resp, err)
	}
	resp.Body.Close()
	signals <- syscall.SIGTERM
	select {
	case code := <-done:
		out := stderr.String()
		if code != 0 || !strings.Contains(out, "stopping: waiting up to 10 s for 0 running invocations; press Ctrl-C again to stop now\n") ||
			!strings.Contains(out, "reservoir stopped") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestCommandLine: help and the version go to stdout with status 0, usage
// errors to stderr with status 2, each error said once.
func TestCommandLine(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string // what stdout and stderr must hold ("" : nothing)
		errOnce  string // said exactly once on stderr
	}{
		{args: nil, code: 2, err: "usage: reservoir serve"},
		{args: []string{"--help"}, code: 0, out: "usage: reservoir serve"},
		{args: []string{"-h"}, code: 0, out: "usage: reservoir serve"},
		{args: []string{"help"}, code: 0, out: "usage: reservoir serve"},
		{args: []string{"serve", "--help"}, code: 0, out: "usage: reservoir serve"},
		{args: []string{"serve", "-h"}, code: 0, out: "usage: reservoir serve"},
		{args: []string{"--version"}, code: 0, out: "reservoir "},
		{args: []string{"version"}, code: 0, out: "reservoir "},
		{args: []string{"serve", "--bogus"}, code: 2, errOnce: "flag provided but not defined: -bogus"},
		{args: []string{"serve", "--listen"}, code: 2, errOnce: "flag needs an argument: -listen"},
		{args: []string{"serve", "--executor", "docker"}, code: 2, errOnce: "--executor must be process or simulate"},
		{args: []string{"bogus"}, code: 2, errOnce: `unknown command "bogus"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, getenv, &stdout, &stderr, nil)
		bad := code != tc.code ||
			(tc.out == "") != (stdout.Len() == 0) || !strings.Contains(stdout.String(), tc.out) ||
			!strings.Contains(stderr.String(), tc.err) ||
			(tc.errOnce != "" && strings.Count(stderr.String(), tc.errOnce) != 1)
		if bad {
			t.Errorf("reservoir %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, stdout.String(), stderr.String())
		}
	}
}

// TestHelpListsEveryFlag: the help names every flag of serve, its variable
// and its default; and every flag serve parses is in the table help is made
// from.
func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	writeUsage(&out)
	help := out.String()
	for _, f := range serveFlags {
		head := "  --" + f.name
		if !f.isBool() {
			head += " " + f.arg
		}
		want := head + "\n      " + f.env()
		if d := f.defaultDoc(); d != "" {
			want += ", default " + plain(d)
		}
		if !strings.Contains(help, want+"\n") {
			t.Errorf("the help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "`") {
		t.Errorf("markdown in the help:\n%s", help)
	}
	// Every RESERVOIR_ variable parseFlags reads is a flag's.
	read := map[string]bool{}
	if _, _, err := parseFlags(nil, func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	for k := range read {
		if strings.HasPrefix(k, "RESERVOIR_") && !slices.ContainsFunc(serveFlags, func(f serveFlag) bool { return f.env() == k }) {
			t.Errorf("parseFlags reads %s, which no flag of the table has", k)
		}
	}
	for _, f := range serveFlags {
		if !read[f.env()] {
			t.Errorf("parseFlags does not read %s", f.env())
		}
	}
}

// TestVersionText: the version lines carry the module version and the
// commit from the build information, as `go version -m` prints it.
func TestVersionText(t *testing.T) {
	bi, err := debug.ParseBuildInfo("path\tgithub.com/reservoir-dev/reservoir/cmd/reservoir\n" +
		"mod\tgithub.com/reservoir-dev/reservoir\tv0.0.0-20261205114121-515f9c3b85bd\t\n" +
		"build\tGOOS=linux\nbuild\tGOARCH=arm64\nbuild\tvcs=git\n" +
		"build\tvcs.revision=515f9c3b85bd98eead355b35a640d3ac9896eeb6\nbuild\tvcs.time=2026-12-05T11:41:21Z\nbuild\tvcs.modified=true\n")
	if err != nil {
		t.Fatal(err)
	}
	bi.GoVersion = "go1.26.8"
	want := "reservoir v0.0.0-20261205114121-515f9c3b85bd\n" +
		"module    github.com/reservoir-dev/reservoir\n" +
		"commit    515f9c3b85bd98eead355b35a640d3ac9896eeb6 (2026-12-05T11:41:21Z), with uncommitted changes\n" +
		"go        go1.26.8 linux/arm64\n"
	if got := versionText(bi); got != want {
		t.Errorf("versionText:\n%s\nwant:\n%s", got, want)
	}
	bi.Settings = nil
	bi.Main.Version = "v1.2.3"
	if got := versionText(bi); !strings.Contains(got, "reservoir v1.2.3\n") || !strings.Contains(got, "commit    not recorded in this build\n") {
		t.Errorf("versionText without VCS information:\n%s", got)
	}
}
