package sandbox

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	// testdata/gofn is built with aws-lambda-go; go mod tidy ignores testdata,
	// so this import keeps the module required.
	_ "github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/jonboulle/clockwork"
)

// goFunction builds testdata/gofn once per test binary.
var goFunction struct {
	once sync.Once
	zip  []byte
	err  error
}

// goZip returns a deployment package whose bootstrap is testdata/gofn.
func goZip(t *testing.T) []byte {
	t.Helper()
	goFunction.once.Do(func() {
		dir, err := os.MkdirTemp("", "gofn-")
		if err != nil {
			goFunction.err = err
			return
		}
		defer os.RemoveAll(dir)
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		out := filepath.Join(dir, "bootstrap")
		cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./testdata/gofn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			goFunction.err = err
			goFunction.zip = b
			return
		}
		bin, err := os.ReadFile(out)
		if err != nil {
			goFunction.err = err
			return
		}
		goFunction.zip = zipOf(map[string]zipEntry{"bootstrap": {body: string(bin), mode: 0o755}})
	})
	if goFunction.err != nil {
		t.Fatalf("building testdata/gofn: %v\n%s", goFunction.err, goFunction.zip)
	}
	return goFunction.zip
}

type zipEntry struct {
	body    string
	mode    fs.FileMode
	symlink bool
}

func zipOf(files map[string]zipEntry) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, f := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if len(f.body) > 1<<20 {
			h.Method = zip.Store // inflating megabytes under -race is slow
		}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		if f.symlink {
			mode = fs.ModeSymlink | 0o777
		}
		h.SetMode(mode)
		fw, err := w.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := fw.Write([]byte(f.body)); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// dirZip zips the files of a testdata directory.
func dirZip(t *testing.T, dir string) []byte {
	t.Helper()
	files := map[string]zipEntry{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = zipEntry{body: string(b)}
	}
	return zipOf(files)
}

func newManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func spec(name, runtime, handler string, zip []byte, env map[string]string) Spec {
	return Spec{
		Account: "123456789012", Region: "eu-west-1", FunctionName: name, Version: "$LATEST",
		Runtime: runtime, Handler: handler, MemoryMB: 256, Timeout: 10 * time.Second,
		Env: env, CodeSha256: "sha-" + name, RevisionID: "rev-1",
		Code: func(context.Context) ([]byte, error) { return zip, nil },
	}
}

func goSpec(t *testing.T, name string, env map[string]string) Spec {
	return spec(name, "provided.al2023", "bootstrap", goZip(t), env)
}

func invoke(t *testing.T, m *Manager, s Spec, provisionedKey, payload string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := m.Invoke(ctx, s, provisionedKey, Invocation{Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return res
}

func pidOf(t *testing.T, m *Manager, s Spec, key string) int {
	t.Helper()
	res := invoke(t, m, s, key, `{"action":"pid"}`)
	pid, err := strconv.Atoi(string(res.Payload))
	if err != nil {
		t.Fatalf("pid payload %q (%s): %v", res.Payload, res.ErrorType, err)
	}
	return pid
}

func envOf(t *testing.T, m *Manager, s Spec, key string) map[string]string {
	t.Helper()
	res := invoke(t, m, s, key, `{"action":"env"}`)
	if res.FunctionError != "" {
		t.Fatalf("env: %s %s", res.ErrorType, res.Payload)
	}
	vars := map[string]string{}
	var list []string
	if err := json.Unmarshal(res.Payload, &list); err == nil {
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		return vars
	}
	if err := json.Unmarshal(res.Payload, &vars); err != nil {
		t.Fatalf("env payload %q: %v", res.Payload, err)
	}
	return vars
}

// alive reports whether pid runs (zombies count as gone).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	eventually(t, 5*time.Second, func() bool { return !alive(pid) }, "process %d still alive", pid)
}

// children lists the live child processes of the test binary.
func children() []int {
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == me && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

func eventually(t *testing.T, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// progressLog records the reports of a provisioned config.
type progressLog struct {
	mu  sync.Mutex
	all []Progress
	on  func(Progress) // called under mu for each report
}

func (l *progressLog) report(p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, p)
	if l.on != nil {
		l.on(p)
	}
}

func (l *progressLog) last() Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return Progress{Requested: -1}
	}
	return l.all[len(l.all)-1]
}

func (l *progressLog) waitFor(t *testing.T, cond func(Progress) bool, what string) Progress {
	t.Helper()
	eventually(t, 20*time.Second, func() bool { return cond(l.last()) }, "progress never %s; reports: %+v", what, l.snapshot())
	return l.last()
}

func (l *progressLog) snapshot() []Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Progress(nil), l.all...)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// countEnvs counts the environments in state of the provisioned config key,
// or with key "" of the on-demand pool of s.
func countEnvs(m *Manager, s Spec, key string, state envState) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.onDemand[s.withDefaults().identity()]
	if key != "" {
		p = m.provisioned[key]
	}
	if p == nil {
		return 0
	}
	n := 0
	for e := range p.envs {
		if e.state == state {
			n++
		}
	}
	return n
}

// blockUntil waits until at least n timers and tickers wait on clock.
func blockUntil(t *testing.T, clock *clockwork.FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, n); err != nil {
		t.Fatalf("never %d waiters on the clock: %v", n, err)
	}
}

// failProvisioned moves clock through the backoff after each round of init
// failures of the provisioned config key until the config is Failed, and
// returns that progress and the backoffs it waited out. Before each advance it checks that a reconcile pass
// starts nothing before the retry time. It advances the clock holding m.mu,
// so that no pass is between reading the clock and setting its retry timer:
// each pass either has set its timer (which the advance fires) or will see
// the retry time passed.
func failProvisioned(t *testing.T, m *Manager, clock *clockwork.FakeClock, log *progressLog, key string) (Progress, []time.Duration) {
	t.Helper()
	var backoffs []time.Duration
	for {
		failed := false
		eventually(t, 20*time.Second, func() bool {
			m.mu.Lock()
			defer m.mu.Unlock()
			p := m.provisioned[key]
			if p == nil || len(p.envs) != 0 {
				return false
			}
			failed = p.failed
			return p.failed || p.failures > 0 && p.retryAt.After(clock.Now())
		}, "provisioned config %s neither failed nor waited for a retry; reports: %+v", key, log.snapshot())
		if failed {
			return log.waitFor(t, func(p Progress) bool { return p.Failed }, "failed"), backoffs
		}
		reconciled(t, m, log, key)
		m.mu.Lock()
		p := m.provisioned[key]
		if len(p.envs) != 0 {
			m.mu.Unlock()
			t.Fatalf("provisioned config %s started an environment before its retry time", key)
		}
		wait := p.retryAt.Sub(clock.Now())
		clock.Advance(wait)
		m.mu.Unlock()
		backoffs = append(backoffs, wait)
	}
}

// reconciled makes the reconcile loop of the provisioned config key run a
// pass that begins after this call and returns that pass's progress (also
// recorded in log).
func reconciled(t *testing.T, m *Manager, log *progressLog, key string) Progress {
	t.Helper()
	got := make(chan Progress, 1)
	m.mu.Lock()
	p := m.provisioned[key]
	// A pass reads its report function when it begins: only a pass that
	// begins after this one reports to got.
	p.report = func(pr Progress) {
		log.report(pr)
		select {
		case got <- pr:
		default:
		}
	}
	p.reportAlways = true
	p.kick()
	m.mu.Unlock()
	select {
	case pr := <-got:
		return pr
	case <-time.After(20 * time.Second):
		t.Fatalf("no reconcile pass of %s", key)
		panic("unreachable")
	}
}
