// Package reliability tests what happens when things go wrong: the server
// is killed with SIGKILL mid-write, functions crash, hang or flood, the
// service is loaded far past its concurrency, and it is asked to stop while
// an invocation runs. docs/RELIABILITY.md describes every test, its short
// and long forms, and the last results.
package reliability

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

const (
	account = "123456789012"
	region  = "us-east-1"
	role    = "arn:aws:iam::123456789012:role/reliability"
)

// long reports whether the long forms run (RESERVOIR_LONG=1).
func long() bool { return os.Getenv("RESERVOIR_LONG") == "1" }

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// buildDir holds the programs the tests build; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "reservoir-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// built is a program built once per test binary.
type built struct {
	once sync.Once
	path string
	err  error
}

// serverBin is cmd/reservoir.
var serverBin built

func (b *built) get(t testing.TB, name string, build func(out string) error) string {
	t.Helper()
	b.once.Do(func() {
		b.path = filepath.Join(buildDir, name)
		b.err = build(b.path)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func goBuild(out, dir, pkg string, extra ...string) error {
	args := append([]string{"build"}, extra...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo(extra))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

func cgo(flags []string) string {
	for _, f := range flags {
		if f == "-race" {
			return "1"
		}
	}
	return "0"
}

// reservoirBinary builds cmd/reservoir (with -race when the tests run with it,
// so that the real server's shutdown and recovery paths are race-checked too).
func reservoirBinary(t testing.TB) string {
	return serverBin.get(t, "reservoir", func(out string) error {
		var flags []string
		if raceEnabled {
			flags = append(flags, "-race")
		}
		return goBuild(out, "../..", "./cmd/reservoir", flags...)
	})
}

// faultfnZip returns testdata/faultfn.py as the module "app" (handler
// app.handler); it needs python3 on PATH.
func faultfnZip(t testing.TB) []byte {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	b, err := os.ReadFile("testdata/faultfn.py")
	if err != nil {
		t.Fatal(err)
	}
	return zipOf(t, zipEntry{name: "app.py", mode: 0o644, data: b})
}

type zipEntry struct {
	name string
	mode os.FileMode
	data []byte
}

func zipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sdkConfig is an aws-sdk-go-v2 config for endpoint that never retries, so
// that every call is exactly one request whose fate the test knows.
func sdkConfig(endpoint string, timeout time.Duration) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(account, "secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		HTTPClient:       &http.Client{Timeout: timeout},
		RetryMaxAttempts: 1,
	}
}

func sdkClient(endpoint string, timeout time.Duration) *lambda.Client {
	return lambda.NewFromConfig(sdkConfig(endpoint, timeout))
}

// serverProc is the real reservoir binary running as a child process.
type serverProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	URL    string
	done   chan struct{} // closed when the process has exited and been reaped
	err    error         // Wait's result, set before done is closed
	logMu  sync.Mutex
	logBuf bytes.Buffer
}

var listeningRE = regexp.MustCompile(`msg="reservoir listening" addr=(http://[0-9.:]+)`)

// startServer runs `reservoir serve` on a free port and waits until it answers.
// Extra flags follow the others.
func startServer(t testing.TB, dataDir, executor string, flags ...string) *serverProc {
	t.Helper()
	bin := reservoirBinary(t)
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--executor", executor}, flags...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RESERVOIR_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{t: t, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.logMu.Lock()
			p.logBuf.WriteString(line + "\n")
			p.logMu.Unlock()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if strings.Contains(p.log(), "WARNING: DATA RACE") {
			t.Errorf("the server reported a data race:\n%s", p.log())
		}
	})
	select {
	case p.URL = <-addr:
	case <-p.done:
		t.Fatalf("reservoir exited at start (%v):\n%s", p.err, p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("reservoir did not start listening:\n%s", p.log())
	}
	// It listens before it serves; wait for a real answer.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservoir does not answer GET /: %v\n%s", err, p.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *serverProc) log() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.logBuf.String()
}

// kill9 sends SIGKILL and waits until the process is gone.
func (p *serverProc) kill9() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// pidAlive reports whether pid names a live (not zombie) process.
func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// childrenOf lists the live child processes of pid ("pid (comm)").
func childrenOf(t testing.TB, pid int) []string {
	out, err := testutil.Children(pid)
	if err != nil {
		t.Skip("no /proc")
	}
	return out
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// markerPIDs returns the pids of the init-<pid> files in dir.
func markerPIDs(dir string) []int {
	entries, _ := os.ReadDir(dir)
	var out []int
	for _, e := range entries {
		if n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "init-")); err == nil && strings.HasPrefix(e.Name(), "init-") {
			out = append(out, n)
		}
	}
	return out
}

// countPrefix counts the entries of dir whose name starts with prefix.
func countPrefix(dir, prefix string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scrape returns the server's /metrics text.
func scrape(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricValue returns the value of the sample whose line starts with series
// (name and labels, exactly as Prometheus writes them), 0 when absent.
func metricValue(body, series string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, series+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(l, series)), 64)
			return v
		}
	}
	return 0
}

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
