package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestBoto3WaitersPassOnFirstPoll runs boto3's own function_active_v2 and
// function_updated_v2 waiters after CreateFunction, UpdateFunctionConfiguration
// and UpdateFunctionCode (testdata/waiters.py). Each call answers Pending or
// InProgress, as AWS does, and each waiter must succeed on its first
// GetFunction: one poll, well under the waiter's 1 s delay. It skips when
// python3 with boto3 is not installed.
func TestBoto3WaitersPassOnFirstPoll(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end boto3 test; skipped with -short")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed for python3")
	}
	t.Parallel()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	script, err := filepath.Abs("testdata/waiters.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Env = append(srv.Env(account, region),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"))
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("waiters.py: %v\n%s", err, stderr.String())
	}
	var results []struct {
		Waiter   string
		Answered string
		Polls    int
		Seconds  float64
	}
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("waiters.py output %q: %v", stdout.String(), err)
	}
	want := []struct{ waiter, answered string }{
		{"function_active_v2", "Pending"}, {"function_updated_v2", "InProgress"}, {"function_updated_v2", "InProgress"},
	}
	if len(results) != len(want) {
		t.Fatalf("results %+v", results)
	}
	for i, r := range results {
		if r.Waiter != want[i].waiter || r.Answered != want[i].answered {
			t.Errorf("step %d: %s after an answer %q, want %s after %q", i, r.Waiter, r.Answered, want[i].waiter, want[i].answered)
		}
		if r.Polls != 1 || r.Seconds >= 0.5 {
			t.Errorf("%s (step %d) took %d polls, %.3f s: want it to pass on its first poll, well under its 1 s delay", r.Waiter, i, r.Polls, r.Seconds)
		}
		t.Logf("%s after %s: %d poll, %.1f ms", r.Waiter, r.Answered, r.Polls, r.Seconds*1000)
	}
}
