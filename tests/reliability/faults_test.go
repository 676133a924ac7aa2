package reliability

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

type faultFixture struct {
	t     *testing.T
	srv   *reservoirtest.Server
	c     *lambda.Client
	share string // shared with the functions: their MARK_DIRs are in it
}

// newFaultFixture starts a server (process executor) that shares a
// directory with its functions for their markers.
func newFaultFixture(t *testing.T, o reservoirtest.Options) *faultFixture {
	share := testutil.SharedDir(t)
	o.Executor, o.ShareDirs = "process", []string{share}
	srv := reservoirtest.StartWith(t, o)
	return &faultFixture{t: t, srv: srv, c: lambda.NewFromConfig(srv.AWSConfig(t)), share: share}
}

// markDir is a new directory for a function's markers, which the function
// (running as a user of its own) can write.
func (f *faultFixture) markDir() string {
	f.t.Helper()
	dir, err := os.MkdirTemp(f.share, "mark-")
	if err == nil {
		err = os.Chmod(dir, 0o777)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return dir
}

type fnResult struct {
	InFlight int    `json:"in_flight"`
	InitType string `json:"init_type"`
	PID      int    `json:"pid"`
	ChildPID int    `json:"child_pid"`
}

type errorDoc struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// create makes a function from the given zip; env may be nil.
func (f *faultFixture) create(name string, rt types.Runtime, handler string, zip []byte, timeout int32, publish bool, env map[string]string) {
	f.t.Helper()
	if _, err := f.c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: rt, Handler: aws.String(handler), Role: aws.String(role),
		Code: &types.FunctionCode{ZipFile: zip}, Timeout: aws.Int32(timeout), Publish: publish,
		Environment: &types.Environment{Variables: env},
	}); err != nil {
		f.t.Fatalf("CreateFunction %s: %v", name, err)
	}
}

func (f *faultFixture) createPy(name string, timeout int32, publish bool, env map[string]string) {
	f.t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["MARK_DIR"]; !ok {
		env["MARK_DIR"] = f.markDir()
	}
	f.create(name, types.RuntimePython312, "app.handler", faultfnZip(f.t), timeout, publish, env)
}

func (f *faultFixture) invoke(name, qualifier, event string) (*lambda.InvokeOutput, time.Duration) {
	f.t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(event), LogType: types.LogTypeTail}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	start := time.Now()
	out, err := f.c.Invoke(context.Background(), in)
	if err != nil {
		f.t.Fatalf("Invoke %s %s: %v", name, event, err)
	}
	return out, time.Since(start)
}

// ok invokes and expects success; it returns the function's answer.
func (f *faultFixture) ok(name, qualifier, event string) fnResult {
	f.t.Helper()
	out, _ := f.invoke(name, qualifier, event)
	var r fnResult
	if out.StatusCode != 200 || out.FunctionError != nil || json.Unmarshal(out.Payload, &r) != nil || r.PID == 0 {
		f.t.Fatalf("Invoke %s %s: %d %s %.300s\nlog:\n%s", name, event, out.StatusCode, aws.ToString(out.FunctionError), out.Payload, logTail(out))
	}
	return r
}

// unhandled invokes and expects AWS's function error shape: 200 with
// X-Amz-Function-Error: Unhandled and a JSON error document.
func (f *faultFixture) unhandled(name, qualifier, event string) (errorDoc, *lambda.InvokeOutput) {
	f.t.Helper()
	out, _ := f.invoke(name, qualifier, event)
	var d errorDoc
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || json.Unmarshal(out.Payload, &d) != nil || d.ErrorMessage == "" {
		f.t.Fatalf("Invoke %s %s: want 200 Unhandled with an error document, got %d %q %.300s", name, event, out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	return d, out
}

// healthy checks that a normal invocation of another function works.
func (f *faultFixture) healthy() {
	f.t.Helper()
	f.ok("healthy", "", `{}`)
}

func logTail(out *lambda.InvokeOutput) string {
	b, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	return string(b)
}

func (f *faultFixture) gone(pid int) {
	f.t.Helper()
	if !waitFor(5*time.Second, func() bool { return !pidAlive(pid) }) {
		f.t.Errorf("the environment's process %d is still alive", pid)
	}
}

// TestFunctionFaults makes functions fail in every way the data plane must
// survive; each failure gets AWS's error shape, the broken environment is
// replaced, and the service stays healthy.
func TestFunctionFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs function processes")
	}
	f := newFaultFixture(t, reservoirtest.Options{})
	srv := f.srv
	f.createPy("healthy", 10, false, nil)
	f.healthy()
	var results []string
	report := func(s string) { results = append(results, s) }

	t.Run("crash mid-invocation", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("crasher", 10, false, nil)
		p1 := f.ok("crasher", "", `{}`).PID
		d, _ := f.unhandled("crasher", "", `{"exit": 2}`)
		if d.ErrorType != "Runtime.ExitError" || !strings.Contains(d.ErrorMessage, "Runtime exited with error: exit status 2") {
			t.Errorf("error document %+v, want Runtime.ExitError / exit status 2", d)
		}
		f.gone(p1)
		if p2 := f.ok("crasher", "", `{}`).PID; p2 == p1 {
			t.Errorf("the crashed environment (pid %d) served again", p1)
		}
		f.healthy()
		report("crash mid-invocation: " + d.ErrorType)
	})

	t.Run("hang past the timeout", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("hanger", 1, false, nil)
		p1 := f.ok("hanger", "", `{}`).PID
		start := time.Now()
		d, _ := f.unhandled("hanger", "", `{"hold_ms": 5000}`)
		took := time.Since(start)
		if !strings.Contains(d.ErrorMessage, "Task timed out after 1.00 seconds") {
			t.Errorf("error document %+v, want Task timed out after 1.00 seconds", d)
		}
		if took > 3*time.Second {
			t.Errorf("the timed-out call took %v, want about 1 s", took)
		}
		f.gone(p1)
		if p2 := f.ok("hanger", "", `{}`).PID; p2 == p1 {
			t.Errorf("the timed-out environment (pid %d) served again", p1)
		}
		f.healthy()
		report("hang past the timeout: " + d.ErrorMessage[strings.Index(d.ErrorMessage, "Task"):] + " after " + took.Round(time.Millisecond).String())
	})

	t.Run("response over 6 MB", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("flood", 10, false, nil)
		p1 := f.ok("flood", "", `{}`).PID
		d, _ := f.unhandled("flood", "", `{"big_bytes": 7000000}`)
		if d.ErrorType != "Function.ResponseSizeTooLarge" || !strings.Contains(d.ErrorMessage, "Response payload size exceeded maximum allowed payload size (6291556 bytes).") {
			t.Errorf("error document %+v, want Function.ResponseSizeTooLarge", d)
		}
		f.gone(p1)
		if p2 := f.ok("flood", "", `{}`).PID; p2 == p1 {
			t.Errorf("the environment answered 413 (pid %d) served again", p1)
		}
		// Just under the limit is fine.
		f.ok("flood", "", `{"big_bytes": 6000000}`)
		f.healthy()
		report("response over 6 MB: " + d.ErrorType)
	})

	t.Run("output after the response", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("chatty", 10, false, nil)
		p1 := f.ok("chatty", "", `{"late_lines": 40}`).PID
		for range 3 {
			out, _ := f.invoke("chatty", "", `{}`)
			var r fnResult
			if out.FunctionError != nil || json.Unmarshal(out.Payload, &r) != nil || r.PID != p1 {
				t.Fatalf("after late output: %s %.300s (want the same environment, pid %d)", aws.ToString(out.FunctionError), out.Payload, p1)
			}
			if !strings.Contains(logTail(out), "REPORT RequestId:") {
				t.Errorf("log tail lacks its REPORT line:\n%s", logTail(out))
			}
		}
		f.healthy()
		report("output after the response: environment kept, following calls answered normally")
	})

	t.Run("huge log output", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		// 20 MB through a pipe, the line splitter and log ingestion takes
		// about a second alone, and took over 10 s once in CI on a busy
		// 2-core machine under -race: the property is that it is answered
		// normally, not how fast, so the timeout leaves room (within the
		// test client's 30 s).
		f.createPy("loud", 25, false, nil)
		p1 := f.ok("loud", "", `{}`).PID
		out, _ := f.invoke("loud", "", `{"print_bytes": 20000000}`)
		var r fnResult
		if out.FunctionError != nil || json.Unmarshal(out.Payload, &r) != nil || r.PID != p1 {
			t.Fatalf("20 MB on stdout: %s %.300s", aws.ToString(out.FunctionError), out.Payload)
		}
		if n := len(aws.ToString(out.LogResult)); n > 4096*4/3+4 {
			t.Errorf("X-Amz-Log-Result is %d bytes of base64, want at most 4 KB of log", n)
		}
		f.ok("loud", "", `{}`)
		f.healthy()
		report("huge log output: 20 MB line on stdout, answered normally, log tail 4 KB, environment kept")
	})

	t.Run("background process", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("spawner", 10, false, nil)
		r := f.ok("spawner", "", `{"spawn": true}`)
		if r.ChildPID == 0 || !pidAlive(r.ChildPID) {
			t.Fatalf("no background process: %+v", r)
		}
		f.unhandled("spawner", "", `{"exit": 2}`)
		f.gone(r.PID)
		f.gone(r.ChildPID)
		f.healthy()
		report("background process: killed with its crashed environment")
	})

	t.Run("crash at init", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.createPy("initcrash", 10, true, map[string]string{"CRASH_AT_INIT": "1"})
		var d errorDoc
		for i := range 2 {
			var out *lambda.InvokeOutput
			d, out = f.unhandled("initcrash", "", `{}`)
			if d.ErrorType != "Runtime.ExitError" {
				t.Errorf("call %d: error document %+v, want Runtime.ExitError", i, d)
			}
			// Each call starts a new environment, which crashes again.
			if !strings.Contains(logTail(out), "faultfn: crashing during init") {
				t.Errorf("call %d: log tail lacks the init output:\n%s", i, logTail(out))
			}
		}
		// A provisioned config of it fails, with a reason.
		if _, err := f.c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String("initcrash"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		var pc *lambda.GetProvisionedConcurrencyConfigOutput
		if !waitFor(20*time.Second, func() bool {
			var err error
			pc, err = f.c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("initcrash"), Qualifier: aws.String("1")})
			return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumFailed
		}) {
			t.Errorf("provisioned config of a function crashing at init: %s, want FAILED", pc.Status)
		} else if aws.ToString(pc.StatusReason) == "" {
			t.Errorf("FAILED without a StatusReason")
		}
		f.healthy()
		report("crash at init: " + d.ErrorType + "; provisioned config FAILED (" + aws.ToString(pc.StatusReason) + ")")
	})

	t.Run("bootstrap not executable", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.create("noexec", types.RuntimeProvidedal2023, "bootstrap",
			zipOf(t, zipEntry{name: "bootstrap", mode: 0o644, data: []byte("#!/bin/sh\nexit 0\n")}), 10, false, nil)
		d, _ := f.unhandled("noexec", "", `{}`)
		if d.ErrorType != "Runtime.InvalidEntrypoint" {
			t.Errorf("error document %+v, want Runtime.InvalidEntrypoint", d)
		}
		f.healthy()
		report("bootstrap not executable: " + d.ErrorType + " (" + d.ErrorMessage + ")")
	})

	t.Run("missing bootstrap", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		f.create("nobootstrap", types.RuntimeProvidedal2023, "bootstrap",
			zipOf(t, zipEntry{name: "README", mode: 0o644, data: []byte("no bootstrap here\n")}), 10, false, nil)
		d, _ := f.unhandled("nobootstrap", "", `{}`)
		if d.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(d.ErrorMessage, "Couldn't find valid bootstrap(s)") {
			t.Errorf("error document %+v, want Runtime.InvalidEntrypoint", d)
		}
		f.healthy()
		report("missing bootstrap: " + d.ErrorType)
	})

	t.Run("provisioned environment crashes", func(t *testing.T) {
		f := &faultFixture{t: t, srv: srv, c: f.c, share: f.share}
		mark := f.markDir()
		f.createPy("provcrash", 10, true, map[string]string{"MARK_DIR": mark})
		if _, err := f.c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String("provcrash"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		ready := func() bool {
			pc, err := f.c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("provcrash"), Qualifier: aws.String("1")})
			return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumReady && aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions) == 2
		}
		if !waitFor(20*time.Second, ready) {
			t.Fatal("provisioned config not READY")
		}
		inits := len(markerPIDs(mark))
		d, _ := f.unhandled("provcrash", "1", `{"exit": 2}`)
		if d.ErrorType != "Runtime.ExitError" {
			t.Errorf("error document %+v, want Runtime.ExitError", d)
		}
		// A replacement is initialized, as provisioned-concurrency.
		if !waitFor(20*time.Second, func() bool { return len(markerPIDs(mark)) == inits+1 && ready() }) {
			t.Fatalf("no replacement environment: %d inits (was %d)", len(markerPIDs(mark)), inits)
		}
		if r := f.ok("provcrash", "1", `{}`); r.InitType != "provisioned-concurrency" {
			t.Errorf("after the crash the call ran on %s, want a provisioned environment", r.InitType)
		}
		f.healthy()
		report("provisioned environment crashes: " + d.ErrorType + "; replaced, READY with 2 again")
	})

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if left := childrenOf(t, os.Getpid()); len(left) != 0 {
		t.Errorf("processes left after Close: %v", left)
	}
	for _, r := range results {
		t.Logf("RESULT fault %s", r)
	}
}
