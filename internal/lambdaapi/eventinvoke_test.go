package lambdaapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// wantAPIError asserts err is the AWS error code with a message containing msg.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: got %v, want %s containing %q", what, err, code, msg)
	}
}

// TestSDKEventInvokeConfigs: the five operations through aws-sdk-go-v2, on
// $LATEST, a version and an alias, with AWS's errors; bad input changes
// nothing; deleting an alias or version deletes its config.
func TestSDKEventInvokeConfigs(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "src", true)
	createFn(t, c, "dst", false)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("src"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:"
	before := time.Now().Add(-time.Second)

	// Get with none: AWS's not-found sentence.
	_, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("src")})
	wantAPIError(t, "get none", err, "ResourceNotFoundException", "The function "+arn+"src:$LATEST doesn't have an EventInvokeConfig")

	put, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("src"),
		MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(120),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(arn + "dst")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != arn+"src:$LATEST" || aws.ToInt32(put.MaximumRetryAttempts) != 1 || aws.ToInt32(put.MaximumEventAgeInSeconds) != 120 ||
		put.DestinationConfig == nil || aws.ToString(put.DestinationConfig.OnSuccess.Destination) != arn+"dst" ||
		put.DestinationConfig.OnFailure == nil || put.DestinationConfig.OnFailure.Destination != nil ||
		put.LastModified == nil || put.LastModified.Before(before) || put.LastModified.After(time.Now().Add(time.Second)) {
		t.Fatalf("put: %+v", put)
	}

	// Update merges: only the retries change.
	up, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("src"), MaximumRetryAttempts: aws.Int32(0)})
	if err != nil || aws.ToInt32(up.MaximumRetryAttempts) != 0 || up.MaximumRetryAttempts == nil || aws.ToInt32(up.MaximumEventAgeInSeconds) != 120 ||
		aws.ToString(up.DestinationConfig.OnSuccess.Destination) != arn+"dst" {
		t.Fatalf("update: %+v %v", up, err)
	}
	// Put replaces: what it does not send is gone.
	put, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("src"), MaximumEventAgeInSeconds: aws.Int32(60)})
	if err != nil || put.MaximumRetryAttempts != nil || aws.ToInt32(put.MaximumEventAgeInSeconds) != 60 || put.DestinationConfig.OnSuccess.Destination != nil {
		t.Fatalf("put replaces: %+v %v", put, err)
	}
	got, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(arn + "src:$LATEST")})
	if err != nil || aws.ToInt32(got.MaximumEventAgeInSeconds) != 60 || got.MaximumRetryAttempts != nil {
		t.Fatalf("get: %+v %v", got, err)
	}

	// Version and alias configs, an SQS destination stored (not delivered).
	for _, q := range []string{"1", "live"} {
		out, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("src"), Qualifier: aws.String(q),
			DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}})
		if err != nil || aws.ToString(out.FunctionArn) != arn+"src:"+q {
			t.Fatalf("put %s: %+v %v", q, out, err)
		}
	}
	var arns []string
	var marker *string
	for {
		page, err := c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("src"), MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range page.FunctionEventInvokeConfigs {
			arns = append(arns, aws.ToString(cfg.FunctionArn))
		}
		if marker = page.NextMarker; marker == nil {
			break
		}
	}
	if want := fmt.Sprint([]string{arn + "src:$LATEST", arn + "src:1", arn + "src:live"}); fmt.Sprint(arns) != want {
		t.Fatalf("list pages: %v, want %v", arns, want)
	}

	// Bad input: AWS's errors, nothing changed.
	for _, tc := range []struct {
		name string
		in   lambda.PutFunctionEventInvokeConfigInput
		code string
		msg  string
	}{
		{"retries over", lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(3)}, "ValidationException",
			"1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2"},
		{"age under", lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(59)}, "ValidationException",
			"Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"},
		{"age over", lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(21601)}, "ValidationException",
			"Member must have value less than or equal to 21600"},
		{"nothing", lambda.PutFunctionEventInvokeConfigInput{}, "InvalidParameterValueException",
			"You must specify at least one of error handling or destination setting."},
		{"self", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(arn + "src")}}},
			"InvalidParameterValueException", "You can't specify the function as a destination for itself."},
		{"missing function destination", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(arn + "nope")}}},
			"InvalidParameterValueException", "The destination ARN " + arn + "nope is invalid."},
		{"s3 on success", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String("arn:aws:s3:::bucket")}}},
			"InvalidParameterValueException", "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:s3:::bucket), onFailure=null) is invalid."},
		{"not an arn", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("queue")}}},
			"ValidationException", "at 'destinationConfig.onFailure.destination' failed to satisfy constraint: Member must satisfy regular expression pattern"},
	} {
		in := tc.in
		in.FunctionName = aws.String("src")
		_, err := c.PutFunctionEventInvokeConfig(ctx, &in)
		wantAPIError(t, tc.name, err, tc.code, tc.msg)
	}
	got, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("src")})
	if err != nil || aws.ToInt32(got.MaximumEventAgeInSeconds) != 60 || got.MaximumRetryAttempts != nil || got.DestinationConfig.OnSuccess.Destination != nil {
		t.Fatalf("after bad input: %+v %v", got, err)
	}

	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("nope"), MaximumRetryAttempts: aws.Int32(1)})
	wantAPIError(t, "put on a missing function", err, "ResourceNotFoundException", "The function doesn't exist.")
	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("src"), Qualifier: aws.String("9"), MaximumRetryAttempts: aws.Int32(1)})
	wantAPIError(t, "put on a missing version", err, "ResourceNotFoundException", "The function doesn't exist.")
	_, err = c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("dst"), MaximumRetryAttempts: aws.Int32(1)})
	wantAPIError(t, "update without a config", err, "ResourceNotFoundException", "The function "+arn+"dst:$LATEST doesn't have an EventInvokeConfig")
	_, err = c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("src"), MaxItems: aws.Int32(51)})
	wantAPIError(t, "list over 50", err, "ValidationException", "maxItems")

	// Deleting the alias and the version deletes their configs; Delete of
	// $LATEST's answers 204, then not found.
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("src"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("src"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("src")})
	if err != nil || len(list.FunctionEventInvokeConfigs) != 1 {
		t.Fatalf("after deleting alias and version: %+v %v", list, err)
	}
	if _, err := c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("src")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("src")})
	wantAPIError(t, "delete again", err, "ResourceNotFoundException", "The function "+arn+"src:$LATEST doesn't have an EventInvokeConfig")
}

// TestEventInvokeConfigWire: LastModified is epoch seconds (the service's
// default timestamp format) and unset destinations answer as empty objects.
func TestEventInvokeConfigWire(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "w", false)
	if _, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("w"), MaximumRetryAttempts: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/2019-09-25/functions/w/event-invoke-config", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=123456789012/20261121/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s := string(b)
	if resp.StatusCode != 200 || !strings.Contains(s, `"DestinationConfig":{"OnSuccess":{},"OnFailure":{}}`) ||
		!strings.Contains(s, `"MaximumRetryAttempts":2`) || strings.Contains(s, "MaximumEventAgeInSeconds") || !strings.Contains(s, `"LastModified":1`) {
		t.Fatalf("%d %s", resp.StatusCode, s)
	}
}
