package sandbox

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func needProgram(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

func TestPythonRuntime(t *testing.T) {
	needProgram(t, "python3")
	t.Setenv("RESERVOIR_TEST_HOST_SECRET", "must-not-leak")
	m := newManager(t, Options{})
	zip := dirZip(t, "testdata/python")
	s := spec("py", "python3.12", "app.handler", zip, map[string]string{"MY_SETTING": "py"})

	res := invoke(t, m, s, "", `{"action":"echo","n":[1,2]}`)
	if res.FunctionError != "" || !jsonEqual(res.Payload, `{"action":"echo","n":[1,2]}`) || !res.ColdStart {
		t.Fatalf("echo: %+v %s", res, res.Payload)
	}
	if !strings.Contains(res.LogTail, "python init on-demand") || !strings.Contains(res.LogTail, "Init Duration") {
		t.Errorf("log tail:\n%s", res.LogTail)
	}

	res = invoke(t, m, s, "", `{"action":"error"}`)
	var doc struct {
		ErrorMessage, ErrorType string
		StackTrace              []string
	}
	_ = json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || res.ErrorType != "CustomError" || doc.ErrorType != "CustomError" ||
		doc.ErrorMessage != "python says no" || len(doc.StackTrace) == 0 || !strings.Contains(doc.StackTrace[len(doc.StackTrace)-1], "app.py") {
		t.Errorf("error: %+v %s", res, res.Payload)
	}
	if res.ColdStart {
		t.Error("error invocation was cold")
	}

	res = invoke(t, m, s, "", `{"action":"context"}`)
	var ctx map[string]any
	_ = json.Unmarshal(res.Payload, &ctx)
	if ctx["request_id"] != res.RequestID || ctx["function_name"] != "py" || ctx["memory_limit_in_mb"] != "256" ||
		ctx["arn"] != s.FunctionARN() || ctx["remaining_ms"].(float64) < 5000 {
		t.Errorf("context: %v", ctx)
	}

	res = invoke(t, m, s, "", `{"action":"log"}`)
	if !strings.Contains(res.LogTail, "hello from python "+res.RequestID) {
		t.Errorf("log tail:\n%s", res.LogTail)
	}

	env := envOf(t, m, s, "")
	if env["RESERVOIR_TEST_HOST_SECRET"] != "" || env["MY_SETTING"] != "py" || env["AWS_EXECUTION_ENV"] != "AWS_Lambda_python3.12" ||
		env["AWS_LAMBDA_INITIALIZATION_TYPE"] != "on-demand" {
		t.Errorf("env: %v", env)
	}

	res = invoke(t, m, s, "", `{"action":"unserializable"}`)
	if res.ErrorType != "Runtime.MarshalError" {
		t.Errorf("unserializable: %+v %s", res, res.Payload)
	}

	res = invoke(t, m, s, "", `{"action":"crash"}`)
	if res.ErrorType != "Runtime.ExitError" || !strings.Contains(string(res.Payload), "exit status 2") {
		t.Errorf("crash: %+v %s", res, res.Payload)
	}
}

func TestPythonInitErrors(t *testing.T) {
	needProgram(t, "python3")
	m := newManager(t, Options{})
	zip := dirZip(t, "testdata/python")

	res := invoke(t, m, spec("py-broken", "python3.11", "broken.handler", zip, nil), "", `{}`)
	var doc struct{ ErrorMessage, ErrorType string }
	_ = json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || doc.ErrorType != "Runtime.ImportModuleError" ||
		doc.ErrorMessage != "Unable to import module 'broken': No module named 'does_not_exist'" {
		t.Errorf("import error: %+v %s", res, res.Payload)
	}
	if !strings.Contains(res.LogTail, "[ERROR] Runtime.ImportModuleError: Unable to import module 'broken'") {
		t.Errorf("import error log tail:\n%s", res.LogTail)
	}

	res = invoke(t, m, spec("py-nohandler", "python3.11", "app.nope", zip, nil), "", `{}`)
	if res.ErrorType != "Runtime.HandlerNotFound" {
		t.Errorf("missing handler: %+v %s", res, res.Payload)
	}

	// Init that fails only under provisioned concurrency.
	s := spec("py-prov", "python3.11", "app.handler", zip, map[string]string{"FAIL_INIT_WHEN": "provisioned-concurrency"})
	s.Version = "1"
	var log progressLog
	m.Provision("py", s, 1, log.report)
	p := log.waitFor(t, func(p Progress) bool { return p.Failed }, "failed")
	if p.Reason != ReasonInitFailure || !strings.Contains(p.Detail, "init failing on purpose") {
		t.Errorf("progress %+v", p)
	}
	if res := invoke(t, m, s, "py", `{"x":1}`); res.FunctionError != "" || res.Provisioned {
		t.Errorf("on-demand fallback: %+v %s", res, res.Payload)
	}
}

func TestPythonProvisioned(t *testing.T) {
	needProgram(t, "python3")
	m := newManager(t, Options{})
	s := spec("py-ready", "python3.12", "app.handler", dirZip(t, "testdata/python"), nil)
	s.Version = "4"
	var log progressLog
	m.Provision("cfg", s, 2, log.report)
	log.waitFor(t, func(p Progress) bool { return p.Allocated == 2 }, "reached 2")
	env := envOf(t, m, s, "cfg")
	if env["AWS_LAMBDA_INITIALIZATION_TYPE"] != "provisioned-concurrency" || env["AWS_LAMBDA_FUNCTION_VERSION"] != "4" {
		t.Errorf("env: %v", env)
	}
}

func TestNodeRuntime(t *testing.T) {
	needProgram(t, "node")
	t.Setenv("RESERVOIR_TEST_HOST_SECRET", "must-not-leak")
	m := newManager(t, Options{})
	zip := dirZip(t, "testdata/node")
	s := spec("js", "nodejs20.x", "index.handler", zip, map[string]string{"MY_SETTING": "js"})

	res := invoke(t, m, s, "", `{"action":"echo","n":[1,2]}`)
	if res.FunctionError != "" || !jsonEqual(res.Payload, `{"action":"echo","n":[1,2]}`) {
		t.Fatalf("echo: %+v %s", res, res.Payload)
	}
	if !strings.Contains(res.LogTail, "node init on-demand") {
		t.Errorf("log tail:\n%s", res.LogTail)
	}

	res = invoke(t, m, s, "", `{"action":"error"}`)
	var doc struct {
		ErrorMessage, ErrorType string
		Trace                   []string
	}
	_ = json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || res.ErrorType != "CustomError" || doc.ErrorMessage != "node says no" || len(doc.Trace) == 0 {
		t.Errorf("error: %+v %s", res, res.Payload)
	}

	res = invoke(t, m, s, "", `{"action":"context"}`)
	var ctx map[string]any
	_ = json.Unmarshal(res.Payload, &ctx)
	if ctx["requestId"] != res.RequestID || ctx["functionName"] != "js" || ctx["memory"] != "256" || ctx["remaining"].(float64) < 5000 {
		t.Errorf("context: %v", ctx)
	}

	res = invoke(t, m, s, "", `{"action":"log"}`)
	if !strings.Contains(res.LogTail, "\t"+res.RequestID+"\tINFO\thello from node "+res.RequestID) {
		t.Errorf("log tail:\n%s", res.LogTail)
	}

	env := envOf(t, m, s, "")
	if env["RESERVOIR_TEST_HOST_SECRET"] != "" || env["MY_SETTING"] != "js" || env["AWS_EXECUTION_ENV"] != "AWS_Lambda_nodejs20.x" {
		t.Errorf("env: %v", env)
	}

	cb := spec("js-cb", "nodejs22.x", "index.callback", zip, nil)
	if res := invoke(t, m, cb, "", `{"a":1}`); !jsonEqual(res.Payload, `{"via":"callback","got":{"a":1}}`) {
		t.Errorf("callback: %+v %s", res, res.Payload)
	}
	if res := invoke(t, m, cb, "", `{"fail":true}`); res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "callback failure") {
		t.Errorf("callback error: %+v %s", res, res.Payload)
	}
	esm := spec("js-esm", "nodejs18.x", "esm.handler", zip, nil)
	if res := invoke(t, m, esm, "", `{"b":2}`); !jsonEqual(res.Payload, `{"via":"esm","got":{"b":2}}`) {
		t.Errorf("esm: %+v %s", res, res.Payload)
	}
	missing := spec("js-missing", "nodejs20.x", "nope.handler", zip, nil)
	if res := invoke(t, m, missing, "", `{}`); res.ErrorType != "Runtime.ImportModuleError" {
		t.Errorf("missing module: %+v %s", res, res.Payload)
	}
	noExport := spec("js-noexport", "nodejs20.x", "index.nothing", zip, nil)
	if res := invoke(t, m, noExport, "", `{}`); res.ErrorType != "Runtime.HandlerNotFound" {
		t.Errorf("missing export: %+v %s", res, res.Payload)
	}

	res = invoke(t, m, s, "", `{"action":"crash"}`)
	if res.ErrorType != "Runtime.ExitError" || !strings.Contains(string(res.Payload), "exit status 4") {
		t.Errorf("crash: %+v %s", res, res.Payload)
	}
}

func TestNodeTimeout(t *testing.T) {
	needProgram(t, "node")
	m := newManager(t, Options{})
	zip := zipOf(map[string]zipEntry{"index.js": {body: `
exports.handler = () => new Promise((resolve) => setTimeout(resolve, 10000));
exports.forgotten = (event, context, callback) => {}; // never calls back; the loop empties
`}})
	s := spec("js-hang", "nodejs20.x", "index.handler", zip, nil)
	s.Timeout = 300 * time.Millisecond
	res := invoke(t, m, s, "", `{}`)
	if res.ErrorType != "Sandbox.Timedout" || !strings.Contains(string(res.Payload), "Task timed out after 0.30 seconds") {
		t.Errorf("timeout: %+v %s", res, res.Payload)
	}
	s = spec("js-forgotten", "nodejs20.x", "index.forgotten", zip, nil)
	if res := invoke(t, m, s, "", `{}`); res.FunctionError != "" || string(res.Payload) != "null" {
		t.Errorf("empty event loop: %+v %s", res, res.Payload)
	}
}

func jsonEqual(got []byte, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
