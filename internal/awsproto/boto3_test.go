package awsproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRPCServicesThroughBoto3: boto3 calls the test-only services, logs
// over JSON 1.1 and cloudwatch over JSON 1.0 (what botocore sends it):
// outputs, times, a mapped domain error and an unknown
// operation come out as boto3 reads AWS's. It skips without python3 and
// boto3.
func TestRPCServicesThroughBoto3(t *testing.T) {
	if testing.Short() {
		t.Skip("boto3 test; skipped with -short")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed for python3")
	}
	e := newEnv(t, envOptions{})
	script, err := filepath.Abs("testdata/rpc_boto3.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	dir := t.TempDir()
	cmd.Env = append(withoutAWSEnv(), "AWS_ENDPOINT_URL="+e.url, "AWS_ACCESS_KEY_ID=210987654321", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=eu-west-1", "AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"), "AWS_EC2_METADATA_DISABLED=true")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rpc_boto3.py: %v\n%s", err, stderr.String())
	}
	type clientError struct {
		Code, Message string
		Status        int
	}
	var got struct {
		Groups []struct {
			LogGroupName    string `json:"logGroupName"`
			CreationTime    int64  `json:"creationTime"`
			RetentionInDays int    `json:"retentionInDays"`
		}
		DeleteMissing, UnknownOperation *clientError
		Label                           string
		Datapoints                      []struct {
			Timestamp string
			Sum       float64
			Unit      string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if len(got.Groups) != 1 || got.Groups[0].LogGroupName != "/boto3-group" || got.Groups[0].CreationTime != 1700000000123 || got.Groups[0].RetentionInDays != 7 {
		t.Errorf("describe_log_groups = %+v", got.Groups)
	}
	if d := got.DeleteMissing; d == nil || d.Code != "ResourceNotFoundException" || d.Status != 400 || d.Message != "The specified log group does not exist." {
		t.Errorf("delete_log_group of a missing group: %+v", d)
	}
	if u := got.UnknownOperation; u == nil || u.Code != "UnknownOperationException" || u.Status != 400 {
		t.Errorf("create_log_stream (not in the table): %+v", u)
	}
	// 05:06:07 went out as epoch seconds and came back a minute later.
	if got.Label != "Throttles" || len(got.Datapoints) != 1 || got.Datapoints[0].Timestamp != "2025-03-04T05:07:07+00:00" ||
		got.Datapoints[0].Sum != 120.5 || got.Datapoints[0].Unit != "Count" {
		t.Errorf("get_metric_statistics = %s %+v", got.Label, got.Datapoints)
	}
	if n := len(e.log.lines()); n != 0 {
		t.Errorf("the server logged:\n%s", e.log)
	}
}

// withoutAWSEnv is the process environment without AWS_* variables.
func withoutAWSEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}
