package dataplane

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/process"
)

// probePy tries what its event asks: to write and read paths, to fetch
// URLs. It returns,
// for each, "ok" or the error, with its uid, pid and task root.
const probePy = `import os
import urllib.request

def handler(event, context):
    out = {"uid": os.getuid(), "pid": os.getpid(), "task_root": os.environ.get("LAMBDA_TASK_ROOT"), "cwd": os.getcwd(),
           "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"]}
    for url in event.get("fetch", []):
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                out["fetch " + url] = str(r.status)
        except Exception as e:
            out["fetch " + url] = type(e).__name__ + ": " + str(e)
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
	ctx := context.Background()
	create := func(name string, files map[string]string) {
		files["app.py"] = probePy
		if _, err := f.c.CreateFunction(ctx, &lambda.CreateFunctionInput{
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
		out, err := f.invoke(name, "", string(payload))
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
	envDir := filepath.Join(f.srv.DataDir, "environments")
	code, _ := filepath.Glob(filepath.Join(envDir, "code-*", "secret.txt"))
	tmp, _ := filepath.Glob(filepath.Join(envDir, "env-*", "tmp", "victim-secret"))
	if len(code) != 1 || len(tmp) != 1 {
		t.Fatalf("the victim's files on the host: code %v, tmp %v", code, tmp)
	}
	if b, err := os.ReadFile(tmp[0]); err != nil || string(b) != "secret of victim" {
		t.Fatalf("the victim's /tmp file on the host: %q %v", b, err)
	}
	pid := strconv.Itoa(int(victim["pid"].(float64)))
	targets := []string{code[0], tmp[0], "/tmp/victim-secret", f.srv.DataDir, filepath.Join(f.srv.DataDir, "reservoir.db"),
		"/proc/" + pid + "/environ", "/proc/" + pid + "/root/tmp/victim-secret"}

	victimEvents := "http://" + victim["runtime_api"].(string) + "/2018-06-01/runtime/invocation/next"
	intruder := probe("intruder", map[string]any{"read": targets, "write": []string{"/tmp/mine", "/var/task/app.py"}, "fetch": []string{victimEvents}})
	if r, _ := intruder["fetch "+victimEvents].(string); !strings.Contains(r, "RemoteDisconnected") && !strings.Contains(r, "reset") {
		t.Errorf("the intruder's GET of the victim's next event: %q, want the connection closed", r)
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
	if intruder["uid"] == victim["uid"] || intruder["uid"] == float64(0) {
		t.Errorf("uids: intruder %v, victim %v", intruder["uid"], victim["uid"])
	}
	t.Logf("the intruder's probe: %v", intruder)
}
