package lambdaapi_test

// Issue 9: AWS facts that moved, and wire details a peer's test suite
// caught, each through aws-sdk-go-v2 against a real server.

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// apiError returns err's AWS error code and HTTP status.
func apiError(t *testing.T, err error) (code string, status int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("not an AWS error answer: %v", err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

// TestSDKEventPayloadLimitIs1MB: an Event payload may be 1 MB (it was
// 256 KB); one byte more is a 413 RequestEntityTooLargeException.
func TestSDKEventPayloadLimitIs1MB(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "big-events", false)
	for _, size := range []int{900 * 1024, 1024 * 1024} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("big-events"), InvocationType: types.InvocationTypeEvent,
			Payload: bytes.Repeat([]byte("x"), size)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event of %d bytes: %v, want 202", size, err)
		}
	}
	for size, message := range map[int]string{
		1024*1024 + 1:   "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
		6*1024*1024 + 1: "6291457 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
	} {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("big-events"), InvocationType: types.InvocationTypeEvent,
			Payload: bytes.Repeat([]byte("x"), size)})
		if code, status := apiError(t, err); code != "RequestEntityTooLargeException" || status != 413 {
			t.Fatalf("Event of %d bytes: %s %d, want 413 RequestEntityTooLargeException", size, code, status)
		}
		var ae smithy.APIError
		if errors.As(err, &ae); ae.ErrorMessage() != message {
			t.Errorf("Event of %d bytes: message %q, want AWS's %q", size, ae.ErrorMessage(), message)
		}
	}
}

// TestSDKMemoryQuota: the model allows 32768 MB, a function gets at most
// 10240 MB; both refusals are ValidationExceptions.
func TestSDKMemoryQuota(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "mem", false)
	for memory, ok := range map[int32]bool{10240: true, 10241: false, 32769: false} {
		_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("mem"), MemorySize: aws.Int32(memory)})
		if ok {
			if err != nil {
				t.Errorf("MemorySize %d: %v", memory, err)
			}
			continue
		}
		if code, status := apiError(t, err); code != "ValidationException" || status != 400 {
			t.Errorf("MemorySize %d: %s %d, want 400 ValidationException", memory, code, status)
		}
	}
}
