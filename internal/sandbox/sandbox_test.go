package sandbox

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

func TestGoEchoColdThenWarm(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "echo", nil)

	res := invoke(t, m, s, "", `{"action":"echo","value":{"n":1}}`)
	if string(res.Payload) != `{"action":"echo","value":{"n":1}}` || res.FunctionError != "" {
		t.Fatalf("payload %q error %q", res.Payload, res.FunctionError)
	}
	if !res.ColdStart || res.InitDuration <= 0 || res.Provisioned || res.ExecutedVersion != "$LATEST" || res.RequestID == "" {
		t.Errorf("first result: %+v", res)
	}
	for _, want := range []string{
		"init starting: on-demand",
		"START RequestId: " + res.RequestID + " Version: $LATEST",
		"END RequestId: " + res.RequestID,
		"REPORT RequestId: " + res.RequestID + "\tDuration: ",
		"\tBilled Duration: ", "\tMemory Size: 256 MB\t", "\tMax Memory Used: ", "\tInit Duration: ",
	} {
		if !strings.Contains(res.LogTail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, res.LogTail)
		}
	}
	if !regexp.MustCompile(`Max Memory Used: [1-9]\d* MB`).MatchString(res.LogTail) {
		t.Errorf("no memory figure:\n%s", res.LogTail)
	}

	pid := pidOf(t, m, s, "")
	res = invoke(t, m, s, "", `{"action":"log"}`)
	if res.ColdStart || res.InitDuration != 0 || strings.Contains(res.LogTail, "Init Duration") {
		t.Errorf("second invocation not warm: %+v", res)
	}
	for _, want := range []string{"hello from the function " + res.RequestID, "and from stderr", "END RequestId: " + res.RequestID} {
		if !strings.Contains(res.LogTail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, res.LogTail)
		}
	}
	if strings.Contains(res.LogTail, "init starting") {
		t.Errorf("warm log tail holds init output:\n%s", res.LogTail)
	}
	if got := pidOf(t, m, s, ""); got != pid {
		t.Errorf("warm invocation ran in process %d, want %d", got, pid)
	}
}

func TestGoContextAndPayloadDefaults(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "ctx", nil)
	s.Version = "7"
	res, err := m.Invoke(context.Background(), s, "", Invocation{
		RequestID: "11111111-2222-3333-4444-555555555555", Payload: []byte(`{"action":"context"}`),
		InvokedFunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:ctx:live",
		ClientContext:      `{"custom":{"k":"v"}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("%s: %v", res.Payload, err)
	}
	if got["request_id"] != "11111111-2222-3333-4444-555555555555" || got["arn"] != "arn:aws:lambda:eu-west-1:123456789012:function:ctx:live" ||
		got["function_name"] != "ctx" || got["memory"] != float64(256) || got["version"] != "7" {
		t.Errorf("context = %v", got)
	}
	if ms := got["remaining_ms"].(float64); ms < 5000 || ms > 10000 {
		t.Errorf("remaining = %v ms, want about 10 s", ms)
	}
	if cc, _ := got["client_context"].(map[string]any); cc["k"] != "v" {
		t.Errorf("client context = %v", got["client_context"])
	}
	if res.ExecutedVersion != "7" || !strings.Contains(res.LogTail, "Version: 7") {
		t.Errorf("version: %q\n%s", res.ExecutedVersion, res.LogTail)
	}

	// An empty payload arrives as {}.
	res, err = m.Invoke(context.Background(), s, "", Invocation{})
	if err != nil || string(res.Payload) != "{}" {
		t.Errorf("empty payload: %q %v", res.Payload, err)
	}
}

func TestGoFunctionErrors(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "errs", nil)
	for _, tc := range []struct{ action, errorType, message string }{
		{"error", "errorString", "boom"},
		{"custom-error", "customError", "custom failure"},
	} {
		res := invoke(t, m, s, "", `{"action":"`+tc.action+`"}`)
		var doc struct{ ErrorMessage, ErrorType string }
		_ = json.Unmarshal(res.Payload, &doc)
		if res.FunctionError != "Unhandled" || res.ErrorType != tc.errorType || doc.ErrorType != tc.errorType || doc.ErrorMessage != tc.message {
			t.Errorf("%s: %+v %s", tc.action, res, res.Payload)
		}
	}
	// A function error does not cost the environment.
	if res := invoke(t, m, s, "", `{}`); res.ColdStart {
		t.Error("environment replaced after a function error")
	}
}

func TestEnvironmentVariables(t *testing.T) {
	t.Setenv("RESERVOIR_TEST_HOST_SECRET", "must-not-leak")
	m := newManager(t, Options{ExtraEnv: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}})
	s := goSpec(t, "envfn", map[string]string{"MY_SETTING": "42", "AWS_LAMBDA_FUNCTION_NAME": "spoofed", "TZ": "Europe/Paris"})
	vars := envOf(t, m, s, "")

	if _, ok := vars["RESERVOIR_TEST_HOST_SECRET"]; ok {
		t.Error("host variable visible to the function")
	}
	if _, ok := vars["HOME"]; ok {
		t.Error("HOME inherited from the host")
	}
	want := map[string]string{
		"MY_SETTING":                      "42",
		"TZ":                              "Europe/Paris",
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"_HANDLER":                        "bootstrap",
		"LANG":                            "en_US.UTF-8",
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:1",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
		"PATH", "LD_LIBRARY_PATH", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if vars[k] == "" {
			t.Errorf("%s not set", k)
		}
	}
	if !strings.HasPrefix(vars["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", vars["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(vars["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("log stream %q", vars["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if _, ok := vars["AWS_EXECUTION_ENV"]; ok {
		t.Error("AWS_EXECUTION_ENV set for an OS-only runtime")
	}
}

func TestConcurrentInvocationsScaleOut(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "wide", nil)
	var wg sync.WaitGroup
	results := make([]Result, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = invoke(t, m, s, "", `{"action":"sleep","sleep_ms":300}`)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if !r.ColdStart || string(r.Payload) != `"slept"` {
			t.Errorf("invocation %d: cold=%v payload=%s", i, r.ColdStart, r.Payload)
		}
	}
	// Three warm environments now serve three more at once.
	pids := map[int]bool{}
	var mu sync.Mutex
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pidOf(t, m, s, "")
			mu.Lock()
			pids[p] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(pids) < 1 || len(pids) > 3 {
		t.Errorf("pids %v", pids)
	}
}

func TestTimeoutKillsAndReplaces(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "slow", nil)
	s.Timeout = 500 * time.Millisecond
	pid := pidOf(t, m, s, "")

	start := time.Now()
	res := invoke(t, m, s, "", `{"action":"sleep","sleep_ms":5000}`)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
	re := regexp.MustCompile(`^\{"errorMessage":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + res.RequestID + ` Task timed out after 0\.50 seconds"\}$`)
	if !re.Match(res.Payload) || res.FunctionError != "Unhandled" {
		t.Errorf("timeout result %q %q", res.Payload, res.FunctionError)
	}
	if !strings.Contains(res.LogTail, "Task timed out after 0.50 seconds") || !strings.Contains(res.LogTail, "Duration: 500.00 ms") {
		t.Errorf("log tail:\n%s", res.LogTail)
	}
	waitGone(t, pid)
	res = invoke(t, m, s, "", `{"action":"pid"}`)
	if !res.ColdStart || string(res.Payload) == strconv.Itoa(pid) {
		t.Errorf("not replaced: %+v", res)
	}
}

func TestCrashReplaces(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "crashy", nil)
	pid := pidOf(t, m, s, "")
	res := invoke(t, m, s, "", `{"action":"crash"}`)
	var doc struct{ ErrorMessage, ErrorType string }
	_ = json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || doc.ErrorType != "Runtime.ExitError" ||
		doc.ErrorMessage != "RequestId: "+res.RequestID+" Error: Runtime exited with error: exit status 1" {
		t.Errorf("crash result %+v %s", res, res.Payload)
	}
	if !strings.Contains(res.LogTail, "about to crash") || !strings.Contains(res.LogTail, "Runtime.ExitError") {
		t.Errorf("log tail:\n%s", res.LogTail)
	}
	waitGone(t, pid)
	if res := invoke(t, m, s, "", `{}`); !res.ColdStart || res.FunctionError != "" {
		t.Errorf("after crash: %+v", res)
	}
}

func TestIdleCrashIsReplaced(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "killed", nil)
	pid := pidOf(t, m, s, "")
	if err := syscallKill(pid); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	eventually(t, 5*time.Second, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.onDemand) == 0
	}, "dead idle environment still pooled")
	if res := invoke(t, m, s, "", `{}`); !res.ColdStart || res.FunctionError != "" {
		t.Errorf("after idle crash: %+v", res)
	}
}

func TestIdleReaping(t *testing.T) {
	clock := clockwork.NewFakeClock()
	m := newManager(t, Options{IdleTimeout: time.Minute, Clock: clock})
	older, newer := goSpec(t, "reaped", nil), goSpec(t, "kept", nil)
	pid := pidOf(t, m, older, "")
	blockUntil(t, clock, 1) // the reaper's ticker
	clock.Advance(100 * time.Millisecond)
	keptPid := pidOf(t, m, newer, "")

	// The reaper's pass that stops the environment idle for IdleTimeout
	// also sees the one idle for a little less, and keeps it.
	clock.Advance(time.Minute - 100*time.Millisecond)
	waitGone(t, pid)
	if n := countEnvs(m, newer, "", stateIdle); n != 1 {
		t.Fatalf("%d idle environments of %s, want the one idle for less than IdleTimeout", n, newer.FunctionName)
	}
	if res := invoke(t, m, older, "", `{}`); !res.ColdStart {
		t.Error("reaped environment reused")
	}
	if got := pidOf(t, m, newer, ""); got != keptPid {
		t.Errorf("kept environment replaced: %d != %d", got, keptPid)
	}
}

func TestInitTimeout(t *testing.T) {
	clock := clockwork.NewFakeClock()
	m := newManager(t, Options{InitTimeout: 30 * time.Second, Clock: clock})
	s := goSpec(t, "init-forever", map[string]string{"INIT_SLEEP_MS": "600000"})
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := m.Invoke(context.Background(), s, "", Invocation{})
		done <- outcome{res, err}
	}()
	blockUntil(t, clock, 2) // the reaper's ticker and the init timer
	clock.Advance(30 * time.Second)
	var o outcome
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the init timeout never ended the invocation")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.FunctionError != "Unhandled" || o.res.ErrorType != "Runtime.Unknown" || !o.res.ColdStart ||
		!strings.Contains(string(o.res.Payload), "Init timed out after 30.00 seconds") {
		t.Errorf("init timeout result %+v %s", o.res, o.res.Payload)
	}
	eventually(t, 10*time.Second, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.onDemand) == 0
	}, "timed-out environment still pooled")
}

func TestResponseTooLarge(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "big", nil)
	pid := pidOf(t, m, s, "")
	res := invoke(t, m, s, "", `{"action":"big","size":7000000}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Function.ResponseSizeTooLarge" ||
		!strings.Contains(string(res.Payload), "Response payload size exceeded maximum allowed payload size (6291556 bytes).") {
		t.Errorf("got %+v %.200s", res, res.Payload)
	}
	waitGone(t, pid)
}

func TestInvokeReturnsWhenContextEnds(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "impatient", nil)
	pid := pidOf(t, m, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := m.Invoke(ctx, s, "", Invocation{Payload: []byte(`{"action":"sleep","sleep_ms":400}`)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// The invocation runs on to its end; the same environment serves again afterwards.
	eventually(t, 20*time.Second, func() bool { return countEnvs(m, s, "", stateIdle) == 1 }, "the environment never became idle again")
	if got := pidOf(t, m, s, ""); got != pid {
		t.Errorf("environment replaced: %d != %d", got, pid)
	}
}

func TestProvisionedEnvironments(t *testing.T) {
	m := newManager(t, Options{IdleTimeout: time.Hour})
	s := goSpec(t, "prov", nil)
	s.Version = "1"
	var log progressLog
	m.Provision("cfg", s, 1, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 1 }, "reached 1")

	res := invoke(t, m, s, "cfg", `{"action":"env"}`)
	if !res.Provisioned || res.ColdStart || res.InitDuration != 0 || strings.Contains(res.LogTail, "Init Duration") {
		t.Errorf("provisioned result: %+v", res)
	}
	var vars []string
	_ = json.Unmarshal(res.Payload, &vars)
	if !contains(vars, "AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency") {
		t.Errorf("provisioned env vars: %v", vars)
	}
	if env := envOf(t, m, s, ""); env["AWS_LAMBDA_INITIALIZATION_TYPE"] != "on-demand" {
		t.Errorf("on-demand init type = %q", env["AWS_LAMBDA_INITIALIZATION_TYPE"])
	}

	// When the provisioned environment is busy, invocations spill to on-demand.
	done := make(chan Result)
	go func() { done <- invoke(t, m, s, "cfg", `{"action":"sleep","sleep_ms":400}`) }()
	eventually(t, 10*time.Second, func() bool { return countEnvs(m, s, "cfg", stateBusy) == 1 }, "the provisioned environment never got busy")
	spill := invoke(t, m, s, "cfg", `{}`)
	if spill.Provisioned {
		t.Error("second concurrent invocation served by the single provisioned environment")
	}
	if r := <-done; !r.Provisioned {
		t.Error("first invocation not provisioned")
	}
	// A spec that differs from the config's is never served by it.
	other := s
	other.Version = "2"
	if r := invoke(t, m, other, "cfg", `{}`); r.Provisioned {
		t.Error("version 2 served by version 1's provisioned environment")
	}
}

func TestProvisionReportsOnlyInitializedEnvironments(t *testing.T) {
	orderDir, doneDir := testutil.SharedDir(t), testutil.SharedDir(t)
	m := newManager(t, Options{ShareDirs: []string{orderDir, doneDir}})
	s := goSpec(t, "staggered", map[string]string{"INIT_ORDER_DIR": orderDir, "INIT_STEP_MS": "300", "INIT_DONE_DIR": doneDir})
	s.Version = "3"
	initsDone := func() int {
		entries, _ := os.ReadDir(doneDir)
		return len(entries)
	}
	var log progressLog
	var violations []string
	log.on = func(p Progress) {
		if n := initsDone(); p.Allocated > n {
			violations = append(violations, "Allocated "+strconv.Itoa(p.Allocated)+" with "+strconv.Itoa(n)+" inits done")
		}
	}
	start := time.Now()
	m.Provision("cfg", s, 3, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 3 }, "reached 3")
	if d := time.Since(start); d < 550*time.Millisecond {
		t.Errorf("3 allocated after %v, before the slowest init could end", d)
	}
	seen := map[int]bool{}
	prev := -1
	for _, p := range log.snapshot() {
		if p.Requested != 3 || p.Failed {
			t.Errorf("report %+v", p)
		}
		if p.Allocated < prev {
			t.Errorf("Allocated went down: %+v", log.snapshot())
		}
		prev = p.Allocated
		seen[p.Allocated] = true
	}
	if !seen[0] || !seen[1] || !seen[2] || !seen[3] {
		t.Errorf("intermediate counts missing: %+v", log.snapshot())
	}
	log.mu.Lock()
	if len(violations) > 0 {
		t.Errorf("reported environments before their init: %v", violations)
	}
	log.mu.Unlock()
}

func TestProvisionInitFailure(t *testing.T) {
	clock := clockwork.NewFakeClock()
	m := newManager(t, Options{Clock: clock})
	s := goSpec(t, "fails-provisioned", map[string]string{"FAIL_INIT_WHEN": "provisioned-concurrency"})
	s.Version = "1"
	var log progressLog
	m.Provision("cfg", s, 2, log.report)
	p, backoffs := failProvisioned(t, m, clock, &log, "cfg")
	if len(backoffs) == 0 {
		t.Error("no backoff between rounds of init failures")
	}
	if p.Reason != ReasonInitFailure || p.Allocated != 0 || p.Requested != 2 || !strings.Contains(p.Detail, "exit status 3") {
		t.Errorf("failed progress %+v", p)
	}
	// Failed stays failed: past every backoff, the reconcile loop starts nothing.
	m.mu.Lock()
	failures := m.provisioned["cfg"].failures
	m.mu.Unlock()
	clock.Advance(time.Hour)
	if p := reconciled(t, m, &log, "cfg"); !p.Failed {
		t.Errorf("config left FAILED by itself: %+v", p)
	}
	m.mu.Lock()
	if p := m.provisioned["cfg"]; len(p.envs) != 0 || p.failures != failures {
		t.Errorf("started again after FAILED: %d environments, %d failures (then %d)", len(p.envs), p.failures, failures)
	}
	m.mu.Unlock()
	// The same code initializes fine on demand.
	if res := invoke(t, m, s, "cfg", `{}`); res.FunctionError != "" || res.Provisioned {
		t.Errorf("on-demand fallback: %+v %s", res, res.Payload)
	}
}

func TestOnDemandInitFailure(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "fails-on-demand", map[string]string{"FAIL_INIT_WHEN": "on-demand"})
	res := invoke(t, m, s, "", `{}`)
	var doc struct{ ErrorMessage, ErrorType string }
	_ = json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || doc.ErrorType != "Runtime.ExitError" || !res.ColdStart ||
		!strings.Contains(doc.ErrorMessage, "Runtime exited with error: exit status 3") {
		t.Errorf("init failure result %+v %s", res, res.Payload)
	}
	if !strings.Contains(res.LogTail, "init failing on purpose") || !strings.Contains(res.LogTail, "REPORT RequestId: "+res.RequestID) {
		t.Errorf("log tail:\n%s", res.LogTail)
	}
}

func TestProvisionResizeReplaceRelease(t *testing.T) {
	m := newManager(t, Options{IdleTimeout: time.Hour})
	s := goSpec(t, "resize", map[string]string{"GEN": "one"})
	s.Version = "1"
	var log progressLog
	m.Provision("alias", s, 2, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 2 }, "reached 2")
	pids := provisionedPids(m, "alias")
	if len(pids) != 2 {
		t.Fatalf("pids %v", pids)
	}

	m.Provision("alias", s, 1, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Requested == 1 && p.Allocated == 1 }, "shrank to 1")
	eventually(t, 5*time.Second, func() bool { return !alive(pids[0]) || !alive(pids[1]) }, "no environment stopped on shrink")

	// The alias moves to version 2: the environments are replaced.
	s2 := goSpec(t, "resize", map[string]string{"GEN": "two"})
	s2.Version, s2.RevisionID = "2", "rev-2"
	m.Provision("alias", s2, 1, log.report)
	eventually(t, 10*time.Second, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		p := m.provisioned["alias"]
		for e := range p.envs {
			if e.specKey != p.specKey {
				return false
			}
		}
		_, n := p.liveLocked()
		return n == 1
	}, "environments not replaced")
	if env := envOf(t, m, s2, "alias"); env["GEN"] != "two" || env["AWS_LAMBDA_INITIALIZATION_TYPE"] != "provisioned-concurrency" {
		t.Errorf("after replacement: GEN=%q type=%q", env["GEN"], env["AWS_LAMBDA_INITIALIZATION_TYPE"])
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}

	m.Provision("alias", s2, 0, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Requested == 0 && p.Allocated == 0 }, "released")
	eventually(t, 5*time.Second, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.provisioned["alias"] == nil
	}, "pool not removed")
}

func TestShrinkWaitsForBusyEnvironment(t *testing.T) {
	m := newManager(t, Options{IdleTimeout: time.Hour})
	s := goSpec(t, "busy-shrink", nil)
	s.Version = "1"
	var log progressLog
	m.Provision("cfg", s, 1, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 1 }, "reached 1")
	done := make(chan Result)
	go func() { done <- invoke(t, m, s, "cfg", `{"action":"sleep","sleep_ms":400}`) }()
	eventually(t, 10*time.Second, func() bool { return countEnvs(m, s, "cfg", stateBusy) == 1 }, "the provisioned environment never got busy")
	m.Provision("cfg", s, 0, log.report)
	res := <-done
	if res.FunctionError != "" || string(res.Payload) != `"slept"` || !res.Provisioned {
		t.Errorf("busy invocation disturbed by shrink: %+v %s", res, res.Payload)
	}
	log.waitFor(t, func(p Progress) bool { return p.Requested == 0 && p.Allocated == 0 }, "released")
}

func TestUnsafeZipRejected(t *testing.T) {
	m := newManager(t, Options{})
	cases := map[string]map[string]zipEntry{
		"traversal":     {"../evil": {body: "x"}, "bootstrap": {body: "#!/bin/sh\n", mode: 0o755}},
		"deep":          {"a/../../evil": {body: "x"}},
		"absolute":      {"/tmp/evil": {body: "x"}},
		"backslash":     {`..\evil`: {body: "x"}},
		"symlink-out":   {"link": {body: "../../etc", symlink: true}},
		"symlink-abs":   {"link": {body: "/etc/passwd", symlink: true}},
		"symlink-climb": {"d": {body: ".", symlink: true}, "e": {body: "d/../..", symlink: true}},
	}
	for name, files := range cases {
		zip := zipOf(files)
		if _, err := CheckZip(zip); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%s: CheckZip = %v", name, err)
		}
		s := spec("unsafe-"+name, "provided.al2023", "bootstrap", zip, nil)
		if _, err := m.Invoke(context.Background(), s, "", Invocation{}); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%s: Invoke = %v", name, err)
		}
	}
	if _, err := CheckZip([]byte("not a zip")); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := CheckZip(hugeDeclaredZip(t)); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("oversized: %v", err)
	}
	// Links that stay inside are fine.
	ok := zipOf(map[string]zipEntry{"lib/real": {body: "x"}, "lib/alias": {body: "real", symlink: true}, "top": {body: "lib/real", symlink: true}, "sub/up": {body: "../lib", symlink: true}})
	if _, err := CheckZip(ok); err != nil {
		t.Errorf("safe links: %v", err)
	}
	dir := t.TempDir() + "/code"
	if err := extract(ok, dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dir + "/sub/up/alias"); err != nil || string(b) != "x" {
		t.Errorf("reading through links: %q %v", b, err)
	}
}

func TestBadEntrypoints(t *testing.T) {
	m := newManager(t, Options{})
	for name, files := range map[string]map[string]zipEntry{
		"missing":        {"other": {body: "x"}},
		"not-executable": {"bootstrap": {body: "#!/bin/sh\necho hi\n", mode: 0o644}},
	} {
		res := invoke(t, m, spec("entry-"+name, "provided.al2", "x", zipOf(files), nil), "", `{}`)
		if res.FunctionError != "Unhandled" || res.ErrorType != "Runtime.InvalidEntrypoint" {
			t.Errorf("%s: %+v %s", name, res, res.Payload)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	m := newManager(t, Options{HostPath: t.TempDir()})
	zip := dirZip(t, "testdata/python")
	_, err := m.Invoke(context.Background(), spec("py", "python3.12", "app.handler", zip, nil), "", Invocation{})
	if !errors.Is(err, ErrRuntimeUnavailable) || err.Error() != "python3 not found on PATH: runtime python3.12 needs it" {
		t.Errorf("missing python: %v", err)
	}
	_, err = m.Invoke(context.Background(), spec("js", "nodejs20.x", "index.handler", zip, nil), "", Invocation{})
	if !errors.Is(err, ErrRuntimeUnavailable) || err.Error() != "node not found on PATH: runtime nodejs20.x needs it" {
		t.Errorf("missing node: %v", err)
	}
	_, err = m.Invoke(context.Background(), spec("java", "java21", "x", zip, nil), "", Invocation{})
	if !errors.Is(err, ErrUnsupportedRuntime) {
		t.Errorf("java: %v", err)
	}
	failing := spec("codeless", "provided.al2023", "x", nil, nil)
	storeDown := errors.New("store down")
	failing.Code = func(context.Context) ([]byte, error) { return nil, storeDown }
	if _, err := m.Invoke(context.Background(), failing, "", Invocation{}); !errors.Is(err, storeDown) {
		t.Errorf("code failure: %v", err)
	}
}

func TestCloseLeavesNothingBehind(t *testing.T) {
	before := children()
	// The sink counts the on-demand inits and the invocations begun.
	var sinkMu sync.Mutex
	inits, starts := 0, 0
	sink := func(b LogLines) {
		sinkMu.Lock()
		defer sinkMu.Unlock()
		for _, text := range b.Texts {
			switch {
			case text == "init starting: on-demand":
				inits++
			case strings.HasPrefix(text, "START RequestId: "):
				starts++
			}
		}
	}
	m, err := NewManager(Options{Logger: testLogger(t), WorkDir: t.TempDir() + "/work", LogSink: sink})
	if err != nil {
		t.Fatal(err)
	}
	s := goSpec(t, "closing", map[string]string{"INIT_SLEEP_MS": "50"})
	var pids []int
	pids = append(pids, pidOf(t, m, s, ""))
	s1 := s
	s1.Version = "1"
	var log progressLog
	m.Provision("cfg", s1, 2, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 2 }, "reached 2")
	pids = append(pids, provisionedPids(m, "cfg")...)
	slowSpec := s
	slowSpec.RevisionID = "slow"
	pids = append(pids, pidOf(t, m, slowSpec, ""))
	busy := make(chan error, 1)
	go func() {
		_, err := m.Invoke(context.Background(), slowSpec, "", Invocation{Payload: []byte(`{"action":"sleep","sleep_ms":5000}`)})
		busy <- err
	}()
	slowInit := s
	slowInit.RevisionID = "slow-init"
	slowInit.Env = map[string]string{"INIT_SLEEP_MS": "5000"}
	starting := make(chan error, 1)
	go func() {
		_, err := m.Invoke(context.Background(), slowInit, "", Invocation{})
		starting <- err
	}()
	// The third invocation begun is the busy one, the third on-demand init
	// the slow one.
	eventually(t, 20*time.Second, func() bool {
		sinkMu.Lock()
		defer sinkMu.Unlock()
		return starts >= 3 && inits >= 3
	}, "the busy invocation or the slow init never began")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-busy; !errors.Is(err, ErrClosed) {
		t.Errorf("busy invocation: %v", err)
	}
	if err := <-starting; !errors.Is(err, ErrClosed) {
		t.Errorf("starting invocation: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d survived Close", pid)
		}
	}
	if now := children(); len(now) > len(before) {
		t.Errorf("child processes left: %v (before: %v)", now, before)
	}
	if entries, _ := os.ReadDir(m.workDir); len(entries) != 0 {
		t.Errorf("work dir not cleaned: %v", entries)
	}
	if _, err := m.Invoke(context.Background(), s, "", Invocation{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v", err)
	}
	m.Provision("cfg", s1, 1, log.report) // no-op
	eventually(t, 3*time.Second, func() bool { return packageGoroutines() == 0 }, "goroutines left:\n%s", allStacks())
}

func provisionedPids(m *Manager, key string) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	if p := m.provisioned[key]; p != nil {
		for e := range p.envs {
			if (e.state == stateIdle || e.state == stateBusy) && e.proc != nil {
				out = append(out, e.proc.Pid())
			}
		}
	}
	return out
}

func packageGoroutines() int {
	n := 0
	for _, g := range strings.Split(allStacks(), "\n\n") {
		if strings.Contains(g, "reservoir/internal/") && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "packageGoroutines") {
			n++
		}
	}
	return n
}

func allStacks() string {
	buf := make([]byte, 1<<22)
	return string(buf[:runtime.Stack(buf, true)])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func syscallKill(pid int) error {
	return exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
}

// hugeDeclaredZip is a small zip whose header claims 300 MB.
func hugeDeclaredZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, err := w.CreateRaw(&zip.FileHeader{Name: "big", Method: zip.Store, CompressedSize64: 1, UncompressedSize64: 300 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProvisionedCrashIsReplaced(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "prov-crash", nil)
	s.Version = "1"
	var log progressLog
	m.Provision("cfg", s, 1, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 1 }, "reached 1")
	old := provisionedPids(m, "cfg")
	res := invoke(t, m, s, "cfg", `{"action":"crash"}`)
	if !res.Provisioned || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("crash: %+v", res)
	}
	eventually(t, 10*time.Second, func() bool {
		now := provisionedPids(m, "cfg")
		return len(now) == 1 && now[0] != old[0]
	}, "crashed provisioned environment not replaced")
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 1 }, "back to 1")
	if res := invoke(t, m, s, "cfg", `{}`); !res.Provisioned || res.FunctionError != "" {
		t.Errorf("after replacement: %+v", res)
	}
}

func TestLogSinkAndTail(t *testing.T) {
	var mu sync.Mutex
	var lines []LogLine
	m := newManager(t, Options{LogSink: func(b LogLines) {
		mu.Lock()
		for l := range b.Lines() {
			lines = append(lines, l)
		}
		mu.Unlock()
	}})
	s := goSpec(t, "sink", nil)
	res := invoke(t, m, s, "", `{"action":"log"}`)
	mu.Lock()
	defer mu.Unlock()
	var texts []string
	for _, l := range lines {
		if l.FunctionName != "sink" || l.Version != "$LATEST" || !strings.Contains(l.LogStream, "[$LATEST]") {
			t.Errorf("line %+v", l)
		}
		texts = append(texts, l.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"init starting: on-demand", "START RequestId: " + res.RequestID, "hello from the function", "REPORT RequestId: " + res.RequestID} {
		if !strings.Contains(all, want) {
			t.Errorf("sink lacks %q:\n%s", want, all)
		}
	}

	var b tailBuffer
	for i := range 1000 {
		b.add("line " + strconv.Itoa(i) + " é")
	}
	b.add("REPORT last")
	tail := b.tail(logTailBytes)
	if len(tail) > logTailBytes || !strings.HasSuffix(tail, "REPORT last\n") || !utf8Valid(tail) {
		t.Errorf("tail of %d bytes ends %q", len(tail), tail[max(0, len(tail)-40):])
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestSkipLogTail(t *testing.T) {
	m := newManager(t, Options{})
	s := goSpec(t, "skiptail", nil)
	invoke(t, m, s, "", `{"action":"echo"}`) // cold start: always captured
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := m.Invoke(ctx, s, "", Invocation{Payload: []byte(`{"action":"log"}`), SkipLogTail: true})
	if err != nil || res.ColdStart || res.LogTail != "" || res.FunctionError != "" {
		t.Fatalf("warm invocation without a tail: cold=%v tail=%q err=%v", res.ColdStart, res.LogTail, err)
	}
	res = invoke(t, m, s, "", `{"action":"log"}`)
	if !strings.Contains(res.LogTail, "START RequestId: "+res.RequestID) || !strings.Contains(res.LogTail, "REPORT RequestId: "+res.RequestID) {
		t.Fatalf("warm invocation with a tail:\n%s", res.LogTail)
	}
}
