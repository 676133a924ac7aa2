package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// invocationRecord is AWS's destination record, as a destination function
// receives it.
type invocationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  map[string]any `json:"requestPayload"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload map[string]any `json:"responsePayload"`
}

// TestDestinationsReceiveInvocationRecords: a Python function with an event
// invoke config sends AWS's invocation record to a Python destination
// function, on success and (with MaximumRetryAttempts 0, after one attempt)
// on failure; the destination writes what it received to the shared dir.
func TestDestinationsReceiveInvocationRecords(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	f := start(t)
	ctx := context.Background()
	create := func(name, code string) {
		t.Helper()
		if _, err := f.c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython312,
			Handler: aws.String("app.handler"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
			Code:        &types.FunctionCode{ZipFile: zipFiles(t, map[string]string{"app.py": code})},
			Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": f.mark}}}); err != nil {
			t.Fatal(err)
		}
	}
	create("worker", "import os\n\ndef handler(event, context):\n    import uuid; open(os.path.join(os.environ['MARK_DIR'], 'attempt-' + uuid.uuid4().hex), 'w').close()\n    if event.get('fail'):\n        raise ValueError('bad input')\n    return {'doubled': event['n'] * 2}\n")
	create("sink", "import json, os\n\ndef handler(event, context):\n    cond = event['requestContext']['condition']\n    with open(os.path.join(os.environ['MARK_DIR'], 'record-' + cond + '-' + event['requestContext']['requestId']), 'w') as f:\n        json.dump(event, f)\n")
	sink := "arn:aws:lambda:us-east-1:123456789012:function:sink"
	if _, err := f.c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("worker"),
		MaximumRetryAttempts: aws.Int32(0), DestinationConfig: &types.DestinationConfig{
			OnSuccess: &types.OnSuccess{Destination: aws.String(sink)}, OnFailure: &types.OnFailure{Destination: aws.String(sink)}}}); err != nil {
		t.Fatal(err)
	}
	send := func(payload string) {
		t.Helper()
		out, err := f.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event: %v %v", out, err)
		}
	}
	send(`{"n": 21}`)
	send(`{"n": 1, "fail": true}`)
	records := map[string]invocationRecord{}
	deadline := time.Now().Add(30 * time.Second)
	for len(records) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("records received: %d of 2", len(records))
		}
		time.Sleep(20 * time.Millisecond)
		entries, _ := os.ReadDir(f.mark)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "record-") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(f.mark, e.Name()))
			if err != nil || len(b) == 0 {
				continue // being written
			}
			var r invocationRecord
			if err := json.Unmarshal(b, &r); err != nil {
				continue
			}
			records[r.RequestContext.Condition] = r
		}
	}
	ok, failed := records["Success"], records["RetriesExhausted"]
	if ok.Version != "1.0" || ok.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:worker:$LATEST" ||
		ok.RequestContext.ApproximateInvokeCount != 1 || ok.RequestPayload["n"] != float64(21) ||
		ok.ResponseContext.StatusCode != 200 || ok.ResponseContext.ExecutedVersion != "$LATEST" || ok.ResponseContext.FunctionError != "" ||
		ok.ResponsePayload["doubled"] != float64(42) || ok.RequestContext.RequestID == "" {
		t.Errorf("success record: %+v", ok)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", ok.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", ok.Timestamp, err)
	}
	if failed.RequestContext.ApproximateInvokeCount != 1 || failed.RequestPayload["fail"] != true ||
		failed.ResponseContext.FunctionError != "Unhandled" || !strings.Contains(fmt.Sprint(failed.ResponsePayload["errorMessage"]), "bad input") {
		t.Errorf("failure record: %+v", failed)
	}
	// MaximumRetryAttempts 0: the failing event ran once, the other once.
	time.Sleep(300 * time.Millisecond) // six retry delays: a retry would have run
	if n := f.count("attempt-"); n != 2 {
		t.Errorf("worker ran %d times, want 2 (no retry with MaximumRetryAttempts 0)", n)
	}
}
