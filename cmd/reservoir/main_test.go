package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlagsDefaultsAndEnv(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	getenv := func(k string) string { return env[k] }
	cfg, level, err := parseFlags(nil, getenv, &bytes.Buffer{})
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
	cfg, _, err = parseFlags([]string{"--executor", "simulate", "--log-level", "debug", "--isolation", "off"}, getenv, &bytes.Buffer{})
	if err != nil || cfg.Listen != "127.0.0.1:0" || cfg.AccountConcurrency != 50 || cfg.DataDir != "/xdg/reservoir" || cfg.Executor != "simulate" ||
		cfg.Isolation != "off" || strings.Join(cfg.ShareDirs, " ") != "/srv/a /srv/b" || cfg.PublicURL != "https://lambda.test:8443" {
		t.Fatalf("env and flags: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--public-url", "http://10.0.0.5:9001/"}, getenv, &bytes.Buffer{}); err != nil || cfg.PublicURL != "http://10.0.0.5:9001/" {
		t.Fatalf("--public-url over RESERVOIR_PUBLIC_URL: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--strict-roles"}, getenv, &bytes.Buffer{}); err != nil || !cfg.StrictRoles {
		t.Fatalf("--strict-roles: %+v %v", cfg, err)
	}
	env["RESERVOIR_STRICT_ROLES"] = "true"
	if cfg, _, err := parseFlags(nil, getenv, &bytes.Buffer{}); err != nil || !cfg.StrictRoles {
		t.Fatalf("RESERVOIR_STRICT_ROLES=true: %+v %v", cfg, err)
	}
	if cfg, _, err := parseFlags([]string{"--strict-roles=false"}, getenv, &bytes.Buffer{}); err != nil || cfg.StrictRoles {
		t.Fatalf("--strict-roles=false over RESERVOIR_STRICT_ROLES=true: %+v %v", cfg, err)
	}
	env["RESERVOIR_STRICT_ROLES"] = "maybe"
	if _, _, err := parseFlags(nil, getenv, &bytes.Buffer{}); err == nil {
		t.Error("RESERVOIR_STRICT_ROLES=maybe accepted")
	}
	delete(env, "RESERVOIR_STRICT_ROLES")
	for _, bad := range [][]string{
		{"--account-concurrency", "0"}, {"--account-concurrency", "x"}, {"--executor", "docker"},
		{"--log-level", "loud"}, {"--auth", "sigv4"}, {"--auth", "basic"}, {"extra"}, {"--isolation", "maybe"},
		{"--public-url", "lambda.test:9001"}, {"--public-url", "ftp://lambda.test"}, {"--public-url", "http://h/?a=b"},
	} {
		if _, _, err := parseFlags(bad, getenv, &bytes.Buffer{}); err == nil {
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(string) string { return "" }, &stderr)
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
	cancel() // what SIGTERM does through signal.NotifyContext
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stderr.String(), "reservoir stopped") {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), nil, func(string) string { return "" }, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: reservoir serve") {
		t.Fatalf("no args: %d %q", code, stderr.String())
	}
}
