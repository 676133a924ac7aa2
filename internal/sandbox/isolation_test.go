package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/process"
)

// isolatedOrSkip skips where the system cannot isolate (not Linux, or not
// root). CI runs as root, where these tests run.
func isolatedOrSkip(t *testing.T) {
	t.Helper()
	if err := process.IsolationSupported(); err != nil {
		if errors.Is(err, process.ErrIsolationUnsupported) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}

// neighbours runs function "victim" (which writes a file to its /tmp and
// keeps a secret in its environment) and then lets function "intruder"
// probe every way to the victim's files and process that a path gives: the
// victim's code tree, environment directory and /tmp file by their host
// paths, the Reservoir work directory, and the victim's /proc entries. It
// returns the intruder's probe, keyed as testdata/gofn's probe keys it, and
// the paths tried.
func neighbours(t *testing.T, m *Manager) (map[string]string, map[string]string) {
	t.Helper()
	victim := goSpec(t, "victim", map[string]string{"SECRET": "hunter2"})
	intruder := goSpec(t, "intruder", nil)

	res := invoke(t, m, victim, "", `{"action":"probe","write":["/tmp/victim-secret"]}`)
	if got := probeOf(t, res)["write /tmp/victim-secret"]; got != "ok" {
		t.Fatalf("the victim cannot write its own /tmp: %s", got)
	}
	pid := pidOf(t, m, victim, "")
	var vars []string
	if err := json.Unmarshal(invoke(t, m, victim, "", `{"action":"env"}`).Payload, &vars); err != nil {
		t.Fatal(err)
	}
	var runtimeAPI string
	for _, kv := range vars {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_RUNTIME_API="); ok {
			runtimeAPI = v
		}
	}

	// Where the victim's files are on the host.
	codes, _ := filepath.Glob(filepath.Join(m.workDir, "code-*", "bootstrap"))
	var victimTmp string
	for _, cand := range []string{
		filepath.Join("*", "tmp", "victim-secret"), // isolated: the environment's own /tmp
		"/tmp/victim-secret",                       // unisolated: the host's
	} {
		if !filepath.IsAbs(cand) {
			cand = filepath.Join(m.workDir, cand)
		}
		if found, _ := filepath.Glob(cand); len(found) == 1 {
			victimTmp = found[0]
			break
		}
	}
	if len(codes) != 1 || victimTmp == "" {
		t.Fatalf("the victim's files on the host: code %v, tmp %q", codes, victimTmp)
	}
	if !m.isolated {
		t.Cleanup(func() { os.Remove(victimTmp) })
	}
	paths := map[string]string{
		"victim code":    codes[0],
		"victim tmp":     victimTmp,
		"work dir":       m.workDir,
		"victim environ": "/proc/" + strconv.Itoa(pid) + "/environ",
		"victim root":    "/proc/" + strconv.Itoa(pid) + "/root/tmp/victim-secret",
		"victim events":  "http://" + runtimeAPI + "/2018-06-01/runtime/invocation/next",
	}
	ev, _ := json.Marshal(map[string]any{
		"action": "probe",
		"read":   []string{paths["victim code"], paths["victim tmp"], paths["work dir"], paths["victim environ"], paths["victim root"], "/var/task/bootstrap"},
		"write":  []string{"/tmp/intruder-file"},
		"signal": []int{pid},
		"fetch":  []string{paths["victim events"]},
	})
	return probeOf(t, invoke(t, m, intruder, "", string(ev))), paths
}

func probeOf(t *testing.T, res Result) map[string]string {
	t.Helper()
	var out map[string]string
	if err := json.Unmarshal(res.Payload, &out); err != nil || res.FunctionError != "" {
		t.Fatalf("probe: %s %s %v", res.FunctionError, res.Payload, err)
	}
	return out
}

// TestFunctionsCannotReachEachOther: an isolated function reaches none of
// another function's files or processes, by any path, while its own code,
// /tmp and working directory work as on Lambda.
func TestFunctionsCannotReachEachOther(t *testing.T) {
	isolatedOrSkip(t)
	m := newManager(t, Options{Isolation: IsolationOn})
	got, paths := neighbours(t, m)
	t.Logf("the intruder's probe: %v", got)
	for _, key := range []string{"victim code", "victim tmp", "work dir", "victim environ", "victim root"} {
		if r := got["read "+paths[key]]; r == "ok" || r == "" {
			t.Errorf("the intruder read the %s (%s): %q", key, paths[key], r)
		}
	}
	if r := got["signal "+strings.TrimPrefix(filepath.Dir(paths["victim environ"]), "/proc/")]; !strings.Contains(r, "not permitted") {
		t.Errorf("the intruder may signal the victim: %q", r)
	}
	// The victim's Runtime API hangs up on the intruder before reading its
	// request: it cannot take the victim's events or answer for it. Go's
	// client words the hang-up by when it noticed: EOF after writing the
	// request, a reset while writing it, or a closed idle connection before.
	if r := got["fetch "+paths["victim events"]]; !strings.Contains(r, "EOF") && !strings.Contains(r, "reset") &&
		!strings.Contains(r, "server closed idle connection") {
		t.Errorf("the intruder's GET of the victim's next event: %q, want the connection closed", r)
	}
	for key, want := range map[string]string{
		"read /var/task/bootstrap": "ok", "write /tmp/intruder-file": "ok", "cwd": "/var/task",
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
	if uid, _ := strconv.Atoi(got["uid"]); uid < process.FirstUID {
		t.Errorf("the function runs as uid %q", got["uid"])
	}
}

// TestUnisolatedFunctionsReachEachOther is the same probe with isolation
// off: the reads that isolation forbids succeed, so the test above can fail.
func TestUnisolatedFunctionsReachEachOther(t *testing.T) {
	m := newManager(t, Options{Isolation: IsolationOff})
	got, paths := neighbours(t, m)
	for _, key := range []string{"victim code", "victim tmp", "work dir", "victim environ"} {
		if r := got["read "+paths[key]]; r != "ok" {
			t.Errorf("unisolated, the intruder could not read the %s: %q", key, r)
		}
	}
	// Unisolated, the victim's Runtime API takes the intruder's request and
	// holds it as it would its own runtime's, until the client gives up.
	if r := got["fetch "+paths["victim events"]]; !strings.Contains(r, "Timeout") {
		t.Errorf("unisolated, the intruder's GET of the victim's next event: %q, want a timeout", r)
	}
}

// TestEnvironmentsOfOneFunctionAreApart: two environments of one function
// run as different users, each with its own /tmp.
func TestEnvironmentsOfOneFunctionAreApart(t *testing.T) {
	isolatedOrSkip(t)
	m := newManager(t, Options{Isolation: IsolationOn})
	s := goSpec(t, "twins", nil)
	first := make(chan Result, 1)
	go func() {
		res, _ := m.Invoke(context.Background(), s, "", Invocation{
			Payload: []byte(`{"action":"probe","write":["/tmp/first"],"sleep_ms":3000}`)})
		first <- res
	}()
	// Once the first environment has written its file, it is busy: the
	// second invocation gets an environment of its own.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if found, _ := filepath.Glob(filepath.Join(m.workDir, "env-*", "tmp", "first")); len(found) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first invocation never wrote /tmp/first")
		}
		time.Sleep(10 * time.Millisecond)
	}
	second := probeOf(t, invoke(t, m, s, "", `{"action":"probe","read":["/tmp/first"]}`))
	one := probeOf(t, <-first)
	if r := second["read /tmp/first"]; !strings.Contains(r, "no such file") {
		t.Errorf("the second environment sees the first one's /tmp: %q", r)
	}
	if one["uid"] == second["uid"] {
		t.Errorf("both environments run as uid %s", one["uid"])
	}
}

// TestLeftoverProcessesAreKilled: a process that leaves its environment's
// process group (a daemon) still dies with the environment, found by its uid.
func TestLeftoverProcessesAreKilled(t *testing.T) {
	isolatedOrSkip(t)
	m := newManager(t, Options{Isolation: IsolationOn})
	s := goSpec(t, "daemon", nil)
	res := invoke(t, m, s, "", `{"action":"daemon"}`)
	pid, err := strconv.Atoi(string(res.Payload))
	if err != nil {
		t.Fatalf("daemon payload %q: %v", res.Payload, err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the daemon is not running: %v", err)
	}
	m.Retire(s.Account, s.Region, s.FunctionName, s.Version)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && !isZombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("daemon %d outlived its environment", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces, so look after the last ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// TestBadIsolationOptions: an unknown mode and a shared directory that is
// not an existing absolute directory are refused up front.
func TestBadIsolationOptions(t *testing.T) {
	for _, opts := range []Options{
		{Isolation: "maybe"},
		{ShareDirs: []string{filepath.Join(t.TempDir(), "missing")}},
		{ShareDirs: []string{"relative/dir"}},
	} {
		opts.Logger = testLogger(t)
		if m, err := NewManager(opts); err == nil {
			_ = m.Close(context.Background())
			t.Errorf("NewManager(%+v) accepted it", opts)
		}
	}
}

// TestCodeMustBeWorldReadable: as on Lambda, which "requires global read
// permissions on code files", an isolated function cannot load a file of
// its package that only its owner may read.
func TestCodeMustBeWorldReadable(t *testing.T) {
	isolatedOrSkip(t)
	m := newManager(t, Options{Isolation: IsolationOn})
	handler := "def handler(event, context):\n    return 'loaded'\n"
	for mode, want := range map[fs.FileMode]string{0o644: `"loaded"`, 0o600: "Permission denied"} {
		s := spec("mode"+strconv.Itoa(int(mode)), "python3.12", "app.handler",
			zipOf(map[string]zipEntry{"app.py": {body: handler, mode: mode}}), nil)
		res := invoke(t, m, s, "", `{}`)
		if !strings.Contains(string(res.Payload), want) {
			t.Errorf("app.py of mode %o: %s %s, want %q", mode, res.FunctionError, res.Payload, want)
		}
	}
}

// TestUnreachableInterpreterIsSkipped: an interpreter in a directory only
// its owner may enter (pyenv's under /root, say) is no use to isolated
// functions; the next one on PATH is taken, and without one the error
// names the unreachable one.
func TestUnreachableInterpreterIsSkipped(t *testing.T) {
	isolatedOrSkip(t)
	private := t.TempDir() // mode 0700
	fake := filepath.Join(private, "python3")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	zip := dirZip(t, "testdata/python")
	py := spec("py", "python3.12", "app.handler", zip, nil)

	m := newManager(t, Options{Isolation: IsolationOn, HostPath: private})
	_, err := m.Invoke(context.Background(), py, "", Invocation{})
	if !errors.Is(err, ErrRuntimeUnavailable) || !strings.Contains(err.Error(), fake+" is out of reach of isolated functions") {
		t.Errorf("only an unreachable python3: %v", err)
	}

	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to fall back to")
	}
	m = newManager(t, Options{Isolation: IsolationOn, HostPath: private + ":/usr/bin"})
	res, err := m.Invoke(context.Background(), py, "", Invocation{Payload: []byte(`{}`)})
	if err != nil || res.FunctionError != "" {
		t.Errorf("with /usr/bin after it: %v %s %s", err, res.FunctionError, res.Payload)
	}
}

// TestOutermost: a hidden directory inside another hidden one (WorkDir in
// the data directory) is not covered twice.
func TestOutermost(t *testing.T) {
	got := outermost([]string{"/data/environments", "/data", "/other/", "/data", "/database"})
	want := []string{"/data", "/other", "/database"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("outermost: %q, want %q", got, want)
	}
}
