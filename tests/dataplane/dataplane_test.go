// Package dataplane tests Invoke end to end: real function processes (a Go
// bootstrap built by the test, Python and Node.js handlers) driven through
// aws-sdk-go-v2 against an in-process Reservoir, with concurrency enforced.
package dataplane

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

var (
	buildOnce sync.Once
	holdZip   []byte
	buildErr  error
)

// goZip builds testdata/holdfn once and returns it zipped as "bootstrap".
func goZip(t *testing.T) []byte {
	t.Helper()
	buildOnce.Do(func() { holdZip, buildErr = testutil.GoBootstrapZip("./testdata/holdfn") })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return holdZip
}

func zipFiles(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type fixture struct {
	srv  *reservoirtest.Server
	c    *lambda.Client
	mark string
}

func start(t *testing.T) *fixture {
	if testing.Short() {
		t.Skip("end-to-end test with real function processes; skipped with -short")
	}
	mark := testutil.SharedDir(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{AsyncRetryDelay: 50 * time.Millisecond, ShareDirs: []string{mark}})
	return &fixture{srv: srv, c: lambda.NewFromConfig(srv.AWSConfig(t)), mark: mark}
}

func (f *fixture) createGo(t *testing.T, name string, publish bool, timeout int32) {
	t.Helper()
	_, err := f.c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: goZip(t)},
		Publish: publish, Timeout: aws.Int32(timeout),
		Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": f.mark}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

type holdResult struct {
	InFlight int    `json:"in_flight"`
	InitType string `json:"init_type"`
}

func (f *fixture) invoke(name, qualifier string, event string) (*lambda.InvokeOutput, error) {
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(event)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	return f.c.Invoke(context.Background(), in)
}

func (f *fixture) count(prefix string) int {
	entries, _ := os.ReadDir(f.mark)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

func waitReady(t *testing.T, c *lambda.Client, name, q string) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pc, err := c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(name), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status == types.ProvisionedConcurrencyStatusEnumReady || pc.Status == types.ProvisionedConcurrencyStatusEnumFailed || time.Now().After(deadline) {
			return pc
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReservedConcurrencyUnderLoad(t *testing.T) {
	f := start(t)
	f.createGo(t, "hold", false, 10)
	if _, err := f.c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("hold"), ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ok, peak := 0, 0
	reasons := map[string]int{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.invoke("hold", "", `{"hold_ms": 3000}`)
			mu.Lock()
			defer mu.Unlock()
			var tmr *types.TooManyRequestsException
			switch {
			case err == nil:
				var r holdResult
				if jerr := json.Unmarshal(out.Payload, &r); jerr != nil || out.FunctionError != nil {
					t.Errorf("payload %s (%v)", out.Payload, aws.ToString(out.FunctionError))
				}
				ok++
				peak = max(peak, r.InFlight)
			case errors.As(err, &tmr):
				reasons[string(tmr.Reason)]++
			default:
				t.Errorf("invoke: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 5 || reasons["ReservedFunctionConcurrentInvocationLimitExceeded"] != 45 {
		t.Fatalf("%d ran, throttles %v; want 5 and 45 ReservedFunctionConcurrentInvocationLimitExceeded", ok, reasons)
	}
	if peak > 5 || peak < 1 {
		t.Fatalf("the function observed %d executions in flight, want at most 5", peak)
	}
	// Throttles are counted in the metrics, by reason.
	body := scrape(t, f.srv.URL)
	if !strings.Contains(body, `lambda_throttles_total{account="123456789012",function="hold",reason="ReservedFunctionConcurrentInvocationLimitExceeded",region="us-east-1"} 45`) {
		t.Fatalf("metrics lack the 45 throttles:\n%s", grep(body, "lambda_throttles_total"))
	}
}

func scrape(t *testing.T, url string) string {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestAsyncEventsAllRunEventually(t *testing.T) {
	f := start(t)
	f.createGo(t, "events", false, 10)
	if _, err := f.c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("events"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		out, err := f.c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("events"),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"hold_ms": 100, "done": true}`)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event: %v %v", out, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.count("done-") < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 12 events ran", f.count("done-"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProvisionedReadyAfterInitsAndSpillover(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.createGo(t, "prov", true, 10)
	put, err := f.c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("prov"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(3)})
	if err != nil || put.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
		t.Fatalf("put: %+v %v", put, err)
	}
	pc := waitReady(t, f.c, "prov", "1")
	if pc.Status != types.ProvisionedConcurrencyStatusEnumReady || aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) != 3 {
		t.Fatalf("config: %+v", pc)
	}
	// READY means three environments have initialized, as provisioned-concurrency.
	if n := f.count("init-"); n != 3 {
		t.Fatalf("%d inits when READY, want 3", n)
	}
	out, err := f.invoke("prov", "1", `{}`)
	if err != nil || aws.ToString(out.ExecutedVersion) != "1" || !strings.Contains(string(out.Payload), `"init_type":"provisioned-concurrency"`) {
		t.Fatalf("version 1: %s %v", payloadOf(out), err)
	}
	out, err = f.invoke("prov", "", `{}`)
	if err != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" || !strings.Contains(string(out.Payload), `"init_type":"on-demand"`) {
		t.Fatalf("$LATEST: %s %v", payloadOf(out), err)
	}
	// Four at once on version 1: three provisioned environments, one spills over to on-demand.
	var wg sync.WaitGroup
	var mu sync.Mutex
	types4 := map[string]int{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.invoke("prov", "1", `{"hold_ms": 2500}`)
			if err != nil {
				t.Error(err)
				return
			}
			var r holdResult
			_ = json.Unmarshal(out.Payload, &r)
			mu.Lock()
			types4[r.InitType]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if types4["provisioned-concurrency"] != 3 || types4["on-demand"] != 1 {
		t.Fatalf("init types of 4 concurrent calls: %v, want 3 provisioned and 1 on-demand", types4)
	}
	body := scrape(t, f.srv.URL)
	if !strings.Contains(body, `lambda_provisioned_concurrency_spillover_invocations_total{account="123456789012",function="prov",region="us-east-1"} 1`) {
		t.Fatalf("spillover not counted:\n%s", grep(body, "spillover"))
	}
}

func payloadOf(out *lambda.InvokeOutput) string {
	if out == nil {
		return "<nil>"
	}
	return string(out.Payload)
}

func TestFunctionErrorsTimeoutsAndLogTail(t *testing.T) {
	f := start(t)
	f.createGo(t, "errs", false, 1)
	out, err := f.invoke("errs", "", `{"fail": true}`)
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "failing on purpose") {
		t.Fatalf("function error: %s %v %v", payloadOf(out), aws.ToString(out.FunctionError), err)
	}
	out, err = f.invoke("errs", "", `{"hold_ms": 3000}`)
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Task timed out after 1.00 seconds") {
		t.Fatalf("timeout: %s %v", payloadOf(out), err)
	}
	// The environment was replaced: the next call works (a cold start, with Init Duration in its log).
	out, err = f.c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("errs"), LogType: types.LogTypeTail, Payload: []byte(`{}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("after timeout: %s %v", payloadOf(out), err)
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	for _, want := range []string{"START RequestId:", "END RequestId:", "REPORT RequestId:", "Init Duration:"} {
		if !strings.Contains(string(tail), want) {
			t.Fatalf("log tail lacks %q:\n%s", want, tail)
		}
	}
}

func TestPythonAndNodeHandlers(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	runtimes := []struct {
		name, runtime, handler, bin string
		files                       map[string]string
	}{
		{"py", "python3.12", "app.handler", "python3", map[string]string{"app.py": "import os\n\ndef handler(event, context):\n    if event.get('fail'):\n        raise ValueError('bad input')\n    return {'echo': event, 'init': os.environ['AWS_LAMBDA_INITIALIZATION_TYPE'], 'fn': context.function_name}\n"}},
		{"js", "nodejs20.x", "index.handler", "node", map[string]string{"index.js": "exports.handler = async (event, context) => {\n  if (event.fail) { throw new TypeError('bad input'); }\n  return { echo: event, init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, fn: context.functionName };\n};\n"}},
	}
	for _, rt := range runtimes {
		t.Run(rt.runtime, func(t *testing.T) {
			if _, err := exec.LookPath(rt.bin); err != nil {
				t.Skipf("%s not on PATH", rt.bin)
			}
			if _, err := f.c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(rt.name), Runtime: types.Runtime(rt.runtime),
				Handler: aws.String(rt.handler), Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFiles(t, rt.files)}}); err != nil {
				t.Fatal(err)
			}
			out, err := f.invoke(rt.name, "", `{"a":1}`)
			if err != nil || out.FunctionError != nil {
				t.Fatalf("invoke: %s %v", payloadOf(out), err)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Payload, &got); err != nil || fmt.Sprint(got["echo"]) != "map[a:1]" || got["init"] != "on-demand" || got["fn"] != rt.name {
				t.Fatalf("payload %s", out.Payload)
			}
			out, err = f.invoke(rt.name, "", `{"fail":true}`)
			if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "bad input") {
				t.Fatalf("error: %s %v", payloadOf(out), err)
			}
		})
	}
}

func TestNoProcessLeftAfterStop(t *testing.T) {
	f := start(t)
	f.createGo(t, "leak", true, 10)
	if _, err := f.c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("leak"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, f.c, "leak", "1")
	if _, err := f.invoke("leak", "", `{}`); err != nil {
		t.Fatal(err)
	}
	if n := len(children(t)); n < 3 {
		t.Fatalf("%d function processes running, want at least 3", n)
	}
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if left := children(t); len(left) != 0 {
		t.Fatalf("processes left after stop: %v", left)
	}
}

// children lists the live child processes of this test process.
func children(t *testing.T) []string {
	out, err := testutil.Children(os.Getpid())
	if err != nil {
		t.Skip("no /proc")
	}
	return out
}
