package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/dashboard"
)

// snapshotServer answers every snapshot request with snap (or status and
// body when status is not 200) and records each request's query and
// whether its signature verifies against creds.
type snapshotServer struct {
	*httptest.Server
	mu       sync.Mutex
	queries  []string
	verified []bool
}

func newSnapshotServer(t *testing.T, status int, body string, creds awsproto.Credentials) *snapshotServer {
	s := &snapshotServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.Path+"?"+r.URL.RawQuery)
		s.verified = append(s.verified, awsproto.VerifySigV4(r, creds, time.Now(), "lambda"))
		s.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func snapshotJSON(t *testing.T) string {
	ten := 10
	b, err := json.Marshal(dashboard.Snapshot{
		Time: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC), Account: "123456789012", Region: "us-east-1",
		Accounts: []dashboard.AccountRegion{{Account: "123456789012", Region: "us-east-1"}},
		Pool:     dashboard.Pool{Limit: 1000, UnreservedMinimum: 100, Reserved: 10, Unreserved: 990, Inflight: 12, ThrottlesPerMinute: 4, Throttles: 4},
		Functions: []dashboard.Function{
			{Name: "busy", Reserved: &ten, Inflight: 10, ThrottlesPerMinute: 4, Throttles: 4},
			{Name: "idle", Inflight: 2},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func runTopCmd(getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"top"}, args...), getenv, &o, &e, nil)
	return code, o.String(), e.String()
}

func noEnv(string) string { return "" }

// TestTopClientTimesOut: `top --once` against a server that accepts and
// never answers ends, unsuccessfully, once the request timeout passes.
func TestTopClientTimesOut(t *testing.T) {
	saved := topRequestTimeout
	topRequestTimeout = 200 * time.Millisecond
	t.Cleanup(func() { topRequestTimeout = saved })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	done := make(chan struct{})
	var code int
	var out, errOut string
	go func() {
		defer close(done)
		code, out, errOut = runTopCmd(noEnv, "--once", "--endpoint", srv.URL)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a failure bound, not a measurement
		t.Fatal("top --once did not end against a server that never answers")
	}
	if code != 1 || out != "" || errOut == "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, no frame, a message", code, out, errOut)
	}
}

func TestTopOnce(t *testing.T) {
	srv := newSnapshotServer(t, 200, snapshotJSON(t), nil)
	code, out, errOut := runTopCmd(noEnv, "--once", "--endpoint", srv.URL, "--sort", "name", "--account", "123456789012", "--region", "us-east-1")
	if code != 0 || errOut != "" || strings.ContainsRune(out, '\x1b') {
		t.Fatalf("exit %d\nstdout:\n%q\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "account 123456789012  region us-east-1") || !strings.HasPrefix(lines[2], "FUNCTION") ||
		!strings.HasPrefix(lines[3], "busy ") || !strings.HasPrefix(lines[4], "idle ") {
		t.Errorf("frame sorted by name:\n%s", out)
	}
	if srv.queries[0] != "/_reservoir/api/snapshot?account=123456789012&region=us-east-1" || srv.verified[0] {
		t.Errorf("asked %v (signed %v)", srv.queries, srv.verified)
	}
	// The default order is in flight, descending; no account: the server's choice.
	code, out, _ = runTopCmd(noEnv, "--once", "--endpoint", srv.URL)
	if lines := strings.Split(out, "\n"); code != 0 || !strings.HasPrefix(lines[3], "busy ") || srv.queries[1] != "/_reservoir/api/snapshot?" {
		t.Errorf("exit %d, asked %v:\n%s", code, srv.queries, out)
	}
}

// TestTopOnceFails: an unreachable endpoint or an error answer is exit 1
// with the reason on stderr and nothing on stdout; bad flags are exit 2.
func TestTopOnceFails(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	forbidden := newSnapshotServer(t, 403, `{"message":"account 210987654321 is not yours"}`, nil)
	broken := newSnapshotServer(t, 500, `{"message":"snapshot failed"}`, nil)
	garbage := newSnapshotServer(t, 200, `<html>`, nil)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--once", "--endpoint", gone.URL}, 1, "cannot reach " + gone.URL},
		{[]string{"--once", "--endpoint", forbidden.URL, "--account", "210987654321"}, 1, "403 Forbidden: account 210987654321 is not yours"},
		{[]string{"--once", "--endpoint", broken.URL}, 1, "500 Internal Server Error: snapshot failed"},
		{[]string{"--once", "--endpoint", garbage.URL}, 1, "not what top reads"},
		{[]string{"--endpoint", forbidden.URL}, 2, "not a terminal; use --once"},
		{[]string{"--once", "--endpoint", "127.0.0.1:9001"}, 2, "--endpoint"},
		{[]string{"--once", "--sort", "p99"}, 2, "--sort: want one of inflight, name, throttles, invocations, errors"},
		{[]string{"--once", "--account", "12345"}, 2, "--account must be 12 digits"},
		{[]string{"--once", "--interval", "0s"}, 2, "--interval"},
		{[]string{"--once", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
	} {
		code, out, errOut := runTopCmd(noEnv, tc.args...)
		if code != tc.code || out != "" || strings.Count(errOut, tc.err) != 1 {
			t.Errorf("reservoir top %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, out, errOut)
		}
	}
	code, out, errOut := runTopCmd(noEnv, "--help")
	if code != 0 || !strings.HasPrefix(out, "usage: reservoir top") || errOut != "" {
		t.Errorf("--help: exit %d\n%s%s", code, out, errOut)
	}
	for _, f := range topFlags {
		if !strings.Contains(out, "  --"+f.name) {
			t.Errorf("top's help lacks --%s:\n%s", f.name, out)
		}
	}
}

// TestTopSignsWithCredentials: with AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or a --profile, every request carries a signature
// the server's verifier accepts, and the account shown is the key's.
func TestTopSignsWithCredentials(t *testing.T) {
	creds := awsproto.Credentials{"123456789012": "secret", "AKIDPROFILE": "profile-secret"}
	srv := newSnapshotServer(t, 200, snapshotJSON(t), creds)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "123456789012")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	if code, out, errOut := runTopCmd(os.Getenv, "--once", "--endpoint", srv.URL); code != 0 || !srv.verified[0] ||
		srv.queries[0] != "/_reservoir/api/snapshot?account=123456789012&region=eu-west-1" {
		t.Errorf("env credentials: exit %d, asked %v, verified %v\n%s%s", code, srv.queries, srv.verified, out, errOut)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if code, _, _ := runTopCmd(os.Getenv, "--once", "--endpoint", srv.URL); code != 0 || srv.verified[1] {
		t.Errorf("a wrong secret: exit %d, verified %v", code, srv.verified)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_REGION", "")
	if err := os.WriteFile(filepath.Join(home, "credentials"), []byte("[watch]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config"), []byte("[profile watch]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runTopCmd(os.Getenv, "--once", "--endpoint", srv.URL, "--profile", "watch", "--account", "123456789012"); code != 0 ||
		!srv.verified[2] || srv.queries[2] != "/_reservoir/api/snapshot?account=123456789012&region=ap-south-1" {
		t.Errorf("--profile: exit %d, asked %v, verified %v\n%s%s", code, srv.queries, srv.verified, out, errOut)
	}
	if code, out, errOut := runTopCmd(os.Getenv, "--once", "--endpoint", srv.URL, "--profile", "missing"); code != 1 || out != "" ||
		!strings.Contains(errOut, "credentials") || len(srv.queries) != 3 {
		t.Errorf("a missing profile: exit %d\n%s%s", code, out, errOut)
	}
}
