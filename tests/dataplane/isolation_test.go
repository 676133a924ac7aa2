package dataplane

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/process"
	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// probePy tries what its event asks: to write and read paths, to fetch
// URLs. It returns, for each, "ok" or the error (a fetch: what became of it,
// whatever words the network stack uses: "refused", "closed" when the server
// hung up without answering, "timeout" when the request is held, or
// "answered" and the status line), with its uid, pid and task root.
const probePy = `import os
import socket
import urllib.parse

def fetch(url):
    u = urllib.parse.urlsplit(url)
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=1)
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "connect: " + type(e).__name__ + ": " + str(e)
    try:
        s.sendall(("GET " + (u.path or "/") + " HTTP/1.1\r\nHost: " + u.netloc + "\r\n\r\n").encode())
        line = s.makefile("rb").readline()
        return "answered " + line.decode(errors="replace").strip() if line else "closed"
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return "closed"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error: " + type(e).__name__ + ": " + str(e)
    finally:
        s.close()

def handler(event, context):
    out = {"uid": os.getuid(), "pid": os.getpid(), "task_root": os.environ.get("LAMBDA_TASK_ROOT"), "cwd": os.getcwd(),
           "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"]}
    for url in event.get("fetch", []):
        out["fetch " + url] = fetch(url)
    for p in event.get("write", []):
        try:
            with open(p, "w") as f:
                f.write("secret of " + context.function_name)
            out["write " + p] = "ok"
        except OSError as e:
            out["write " + p] = e.strerror
    for p in event.get("read", []):
        try:
            if os.path.isdir(p):
                os.listdir(p)
            else:
                with open(p, "rb") as f:
                    f.read()
            out["read " + p] = "ok"
        except OSError as e:
            out["read " + p] = e.strerror
    return out
`

// TestFunctionsAreIsolated drives two functions through aws-sdk-go-v2: the
// intruder reaches none of the victim's files (its code, its /tmp, its
// environment variables in /proc, Reservoir's data directory), by the host
// paths where they are, while its own code and /tmp work as on Lambda.
func TestFunctionsAreIsolated(t *testing.T) {
	if err := process.IsolationSupported(); errors.Is(err, process.ErrIsolationUnsupported) {
		t.Skip(err) // not Linux, or not root; CI runs as root
	}
	f := start(t)
	checkIsolated(t, f.c, f.srv.DataDir, false)
}

// TestRootlessFunctionsAreIsolated runs the same intruder against the real
// reservoir binary started by a user that is not root (nobody, when the
// test runs as root, as in CI), with --isolation on: functions are isolated
// rootless, in namespaces of their own.
func TestRootlessFunctionsAreIsolated(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with real function processes; skipped with -short")
	}
	if err := process.RootlessSupported(); errors.Is(err, process.ErrIsolationUnsupported) {
		t.Skip(err)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 for a user other than root to run")
	}
	url, dataDir, logs := serveUnprivileged(t, "on")
	if !strings.Contains(logs(), "isolation=rootless") {
		t.Fatalf("the server does not say it isolates rootless:\n%s", logs())
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "secret", "")}
	checkIsolated(t, lambda.NewFromConfig(cfg), dataDir, true)
}

// serveUnprivileged builds cmd/reservoir and runs `reservoir serve` as a
// user that is not root (nobody, if this test runs as root), with
// --isolation isolation. It returns the server's URL, its data directory
// and its log so far.
func serveUnprivileged(tb testing.TB, isolation string) (string, string, func() string) {
	tb.Helper()
	// Everything the server needs is in a directory any user may enter.
	dir := testutil.SharedDir(tb)
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil { // the test's own, 0700
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "reservoir")
	if err := testutil.BuildGo("../../cmd/reservoir", bin); err != nil {
		tb.Fatal(err)
	}
	// The data directory is best outside /tmp, which every view replaces
	// anyway: where a user's is (~/.local/share/reservoir), in view but
	// for Reservoir hiding it.
	dataDir := filepath.Join(dir, "data")
	if os.Getuid() == 0 {
		d, err := os.MkdirTemp("/run", "reservoir-rootless-test-")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = os.RemoveAll(d) })
		if err := os.Chmod(d, 0o777); err != nil {
			tb.Fatal(err)
		}
		dataDir = filepath.Join(d, "data")
	} else {
		tb.Logf("the data directory is under /tmp, which the views replace: %s", dataDir)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--isolation", isolation)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir}
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	url, logs := serve(tb, cmd)
	return url, dataDir, logs
}

// serve starts cmd, a `reservoir serve` that logs to stderr, and returns its
// URL once it listens, and what it has logged so far.
func serve(t testing.TB, cmd *exec.Cmd) (string, func() string) {
	t.Helper()
	var mu sync.Mutex
	var log strings.Builder
	logs := func() string { mu.Lock(); defer mu.Unlock(); return log.String() }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	listening := regexp.MustCompile(`msg="reservoir listening" addr=(http://[0-9.:]+)`)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case url := <-addr:
		return url, logs
	case <-done:
		t.Fatalf("reservoir exited at start:\n%s", logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("reservoir did not start listening:\n%s", logs())
	}
	return "", nil
}

// checkIsolated creates a victim and an intruder function through c and
// checks that the intruder reaches none of the victim's files, by their
// host paths under dataDir or through /proc. Rootless, both run as user 993
// and the victim's Runtime API is not guarded by user.
func checkIsolated(t *testing.T, c *lambda.Client, dataDir string, rootless bool) {
	ctx := context.Background()
	create := func(name string, files map[string]string) {
		files["app.py"] = probePy
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
			Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFiles(t, files)},
			Environment: &types.Environment{Variables: map[string]string{"SECRET": "hunter2"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	probe := func(name string, ev map[string]any) map[string]any {
		t.Helper()
		payload, _ := json.Marshal(ev)
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("invoke %s: %v %s", name, err, out.Payload)
		}
		var res map[string]any
		if err := json.Unmarshal(out.Payload, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	create("victim", map[string]string{"secret.txt": "the victim's code"})
	create("intruder", map[string]string{})

	victim := probe("victim", map[string]any{"write": []string{"/tmp/victim-secret"}, "read": []string{"/var/task/secret.txt"}})
	if victim["write /tmp/victim-secret"] != "ok" || victim["read /var/task/secret.txt"] != "ok" {
		t.Fatalf("the victim cannot use its own /tmp and code: %v", victim)
	}
	if victim["task_root"] != "/var/task" || victim["cwd"] != "/var/task" {
		t.Errorf("task root %v, working directory %v; want /var/task as on Lambda", victim["task_root"], victim["cwd"])
	}
	// Where the victim's files are on the host.
	envDir := filepath.Join(dataDir, "environments")
	code, _ := filepath.Glob(filepath.Join(envDir, "code-*", "secret.txt"))
	tmp, _ := filepath.Glob(filepath.Join(envDir, "env-*", "tmp", "victim-secret"))
	if len(code) != 1 || len(tmp) != 1 {
		t.Fatalf("the victim's files on the host: code %v, tmp %v", code, tmp)
	}
	if b, err := os.ReadFile(tmp[0]); err != nil || string(b) != "secret of victim" {
		t.Fatalf("the victim's /tmp file on the host: %q %v", b, err)
	}
	pid := hostPid(t, "victim")
	if !rootless && pid != strconv.Itoa(int(victim["pid"].(float64))) {
		t.Fatalf("the victim's pid: %s on the host, %v inside", pid, victim["pid"])
	}
	targets := []string{code[0], tmp[0], "/tmp/victim-secret", dataDir, filepath.Join(dataDir, "reservoir.db"),
		"/proc/" + pid + "/environ", "/proc/" + pid + "/root/tmp/victim-secret"}

	victimEvents := "http://" + victim["runtime_api"].(string) + "/2018-06-01/runtime/invocation/next"
	ev := map[string]any{"read": targets, "write": []string{"/tmp/mine", "/var/task/app.py"}}
	if !rootless {
		ev["fetch"] = []string{victimEvents}
	}
	intruder := probe("intruder", ev)
	if r, _ := intruder["fetch "+victimEvents].(string); !rootless && r != "closed" && r != "refused" {
		t.Errorf("the intruder's GET of the victim's next event: %q, want no answer and the connection refused or closed", r)
	}
	for _, p := range targets {
		if r := intruder["read "+p]; r == "ok" || r == nil {
			t.Errorf("the intruder read %s: %v", p, r)
		}
	}
	if intruder["write /tmp/mine"] != "ok" {
		t.Errorf("the intruder cannot write its own /tmp: %v", intruder["write /tmp/mine"])
	}
	if r := intruder["write /var/task/app.py"]; r == "ok" {
		t.Error("the code directory is writable; on Lambda /var/task is read-only")
	}
	if rootless {
		if intruder["uid"] != float64(process.SandboxUID) || victim["uid"] != float64(process.SandboxUID) {
			t.Errorf("uids: intruder %v, victim %v; want %d (sbx_user1051) rootless", intruder["uid"], victim["uid"], process.SandboxUID)
		}
	} else if intruder["uid"] == victim["uid"] || intruder["uid"] == float64(0) {
		t.Errorf("uids: intruder %v, victim %v", intruder["uid"], victim["uid"])
	}
	t.Logf("the intruder's probe: %v", intruder)
}

// hostPid finds, in the host's /proc, the process of function name (by its
// AWS_LAMBDA_FUNCTION_NAME).
func hostPid(t *testing.T, name string) string {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	want := "\x00AWS_LAMBDA_FUNCTION_NAME=" + name + "\x00"
	for _, e := range entries {
		if b, err := os.ReadFile("/proc/" + e.Name() + "/environ"); err == nil && strings.Contains("\x00"+string(b), want) {
			return e.Name()
		}
	}
	t.Fatalf("no process of function %s on the host", name)
	return ""
}

// BenchmarkUnprivilegedColdStart is what rootless isolation costs a cold
// start: the real binary, run by a user that is not root, with isolation
// off and then on; each iteration creates a Go function (untimed) and
// times its first Invoke.
func BenchmarkUnprivilegedColdStart(b *testing.B) {
	if err := process.RootlessSupported(); errors.Is(err, process.ErrIsolationUnsupported) {
		b.Skip(err)
	}
	zip, err := testutil.GoBootstrapZip("./testdata/holdfn")
	if err != nil {
		b.Fatal(err)
	}
	for _, isolation := range []string{"off", "on"} {
		b.Run("isolation="+isolation, func(b *testing.B) {
			url, _, _ := serveUnprivileged(b, isolation)
			c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
				Credentials: credentials.NewStaticCredentialsProvider("123456789012", "secret", "")})
			ctx := context.Background()
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				name := "cold-" + strconv.Itoa(i)
				if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
					FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
					Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zip},
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)})
				if err != nil || out.FunctionError != nil {
					b.Fatalf("invoke: %v", err)
				}
			}
		})
	}
}
