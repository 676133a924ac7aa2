package awsproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// TestCloudWatchProtocolsThroughBoto3: boto3 calls the test-only cloudwatch
// service as botocore picks the protocol (JSON 1.0) and forced, by a model
// listing only one, to RPC v2 CBOR and to query. Each protocol's wire marks
// are what AWS's are, and the same input decodes, the same output and the
// same error come back. It skips without python3 and boto3.
func TestCloudWatchProtocolsThroughBoto3(t *testing.T) {
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
	script, err := filepath.Abs("testdata/cw_protocols_boto3.py")
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
		t.Fatalf("cw_protocols_boto3.py: %v\n%s", err, stderr.String())
	}
	type wire struct{ ContentType, SmithyProtocol, Target, Action, Path string }
	type clientError struct {
		Code, Message string
		Status        int
	}
	type result struct {
		PutWire    wire
		Label      string
		Datapoints []struct {
			Timestamp string
			Sum       float64
			Unit      string
		}
		DeleteAlarms, UnknownOperation *clientError
	}
	var got map[string]result
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) // botocore drops the fraction in JSON and CBOR
	wantPut := putMetricDataIn{Namespace: "Custom/App", MetricData: []metricDatum{
		{MetricName: "Latency", Timestamp: &awsproto.Timestamp{Time: at}, Value: aws.Float64(12.5), Unit: "Milliseconds",
			Dimensions: []dimension{{"FunctionName", "fn"}, {"Resource", "fn:1"}}},
		{MetricName: "Count & <more>", Values: []float64{1, 2.5, 1e22}, StorageResolution: aws.Int32(1)},
	}}
	e.fake.mu.Lock()
	puts := e.fake.puts
	e.fake.mu.Unlock()
	if len(puts) != 3 {
		t.Fatalf("%d PutMetricData calls arrived, want 3", len(puts))
	}
	for i, p := range puts {
		if !reflect.DeepEqual(p, wantPut) {
			t.Errorf("PutMetricData %d decoded as\n%+v\nwant\n%+v", i, p, wantPut)
		}
	}
	for name, want := range map[string]struct {
		wire    wire
		unknown string
	}{
		"default": {wire{ContentType: "application/x-amz-json-1.0", Target: "GraniteServiceVersion20100801.PutMetricData", Path: "/"}, "UnknownOperationException"},
		"cbor":    {wire{ContentType: "application/cbor", SmithyProtocol: "rpc-v2-cbor", Path: "/service/GraniteServiceVersion20100801/operation/PutMetricData"}, "UnknownOperationException"},
		"query":   {wire{ContentType: "application/x-www-form-urlencoded; charset=utf-8", Action: "PutMetricData", Path: "/"}, "InvalidAction"},
	} {
		r, ok := got[name]
		if !ok {
			t.Errorf("%s: no result", name)
			continue
		}
		if r.PutWire != want.wire {
			t.Errorf("%s: PutMetricData went out as %+v, want %+v", name, r.PutWire, want.wire)
		}
		if r.Label != "Throttles" || len(r.Datapoints) != 1 || r.Datapoints[0].Timestamp != "2025-03-04T05:07:07+00:00" ||
			r.Datapoints[0].Sum != 120.5 || r.Datapoints[0].Unit != "Count" {
			t.Errorf("%s: get_metric_statistics = %s %+v", name, r.Label, r.Datapoints)
		}
		if d := r.DeleteAlarms; d == nil || d.Code != "ResourceNotFound" || d.Status != 404 || d.Message != "2 alarms were not found: a,b" {
			t.Errorf("%s: delete_alarms: %+v", name, d)
		}
		if u := r.UnknownOperation; u == nil || u.Code != want.unknown || u.Status != 400 {
			t.Errorf("%s: describe_alarms (not in the table): %+v", name, u)
		}
	}
	if n := len(e.log.lines()); n != 0 {
		t.Errorf("the server logged:\n%s", e.log)
	}
}
