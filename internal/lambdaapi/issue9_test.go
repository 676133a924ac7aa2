package lambdaapi_test

// Issue 9: AWS facts that moved, and wire details a peer's test suite
// caught, each through aws-sdk-go-v2 against a real server.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
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

// TestSDKCreateWithPublishAnswersTheUnqualifiedARN: CreateFunction with
// Publish answers version 1 under the unqualified ARN (as measured on AWS),
// and that ARN works for every operation that refuses a qualified one;
// UpdateFunctionCode with Publish answers the new version's qualified ARN.
func TestSDKCreateWithPublishAnswersTheUnqualifiedARN(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	const unqualified = "arn:aws:lambda:us-east-1:123456789012:function:pub"
	out := createFn(t, c, "pub", true)
	if aws.ToString(out.Version) != "1" || aws.ToString(out.FunctionArn) != unqualified {
		t.Fatalf("CreateFunction with Publish: version %s at %s, want 1 at %s", aws.ToString(out.Version), aws.ToString(out.FunctionArn), unqualified)
	}
	arn := out.FunctionArn
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: arn, ReservedConcurrentExecutions: aws.Int32(3)}); err != nil {
		t.Fatalf("PutFunctionConcurrency with the answered ARN: %v", err)
	}
	got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: arn})
	if err != nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 3 {
		t.Fatalf("GetFunctionConcurrency with the answered ARN: %v %v", got, err)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: arn}); err != nil {
		t.Fatalf("DeleteFunctionConcurrency with the answered ARN: %v", err)
	}
	if _, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: arn}); err != nil {
		t.Fatalf("ListTags with the answered ARN: %v", err)
	}
	code, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: arn, Publish: true,
		ZipFile: zipOf(t, map[string]string{"handler.py": "def handler(event, context):\n    return 2\n"})})
	if err != nil {
		t.Fatalf("UpdateFunctionCode with the answered ARN: %v", err)
	}
	if aws.ToString(code.Version) != "2" || aws.ToString(code.FunctionArn) != unqualified+":2" {
		t.Errorf("UpdateFunctionCode with Publish: version %s at %s, want 2 at %s:2", aws.ToString(code.Version), aws.ToString(code.FunctionArn), unqualified)
	}
	// Deleting by that ARN deletes the function, every version with it.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: arn}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "1", "2"} {
		in := &lambda.GetFunctionInput{FunctionName: aws.String("pub")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		_, err := c.GetFunction(ctx, in)
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetFunction pub (qualifier %q) after DeleteFunction by the answered ARN: %v, want ResourceNotFoundException", q, err)
		}
	}
}

// TestSDKListFunctionsAllQualifiesLatest: with FunctionVersion ALL, the
// $LATEST entries carry ":$LATEST", as in ListVersionsByFunction.
func TestSDKListFunctionsAllQualifiesLatest(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "listed", true)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:listed"
	all, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"$LATEST": arn + ":$LATEST", "1": arn + ":1"}
	if len(all.Functions) != len(want) {
		t.Fatalf("ListFunctions ALL: %d entries, want %d", len(all.Functions), len(want))
	}
	for _, f := range all.Functions {
		if v := aws.ToString(f.Version); aws.ToString(f.FunctionArn) != want[v] {
			t.Errorf("ListFunctions ALL: version %s at %s, want %s", v, aws.ToString(f.FunctionArn), want[v])
		}
	}
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("listed")})
	if err != nil || len(versions.Versions) == 0 || aws.ToString(versions.Versions[0].FunctionArn) != arn+":$LATEST" {
		t.Fatalf("ListVersionsByFunction: %+v %v", versions, err)
	}
	latest, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(latest.Functions) != 1 || aws.ToString(latest.Functions[0].FunctionArn) != arn {
		t.Fatalf("ListFunctions without ALL: %+v %v, want the unqualified ARN", latest, err)
	}
}

// TestSDKPublishedVersionsKeepTheDescription: a version carries the
// function's Description unless PublishVersion gives its own.
func TestSDKPublishedVersionsKeepTheDescription(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("described"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipOf(t, echoZip)},
		Description: aws.String("first"), Publish: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	describe := func(version string) string {
		t.Helper()
		cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("described"), Qualifier: aws.String(version)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(cfg.Description)
	}
	if got := aws.ToString(out.Description); got != "first" || describe("1") != "first" {
		t.Errorf("CreateFunction with Publish: version 1 described %q (answer) / %q (read back), want %q", got, describe("1"), "first")
	}
	change := func(description string, timeout int32) {
		t.Helper()
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("described"),
			Description: aws.String(description), Timeout: aws.Int32(timeout)}); err != nil {
			t.Fatal(err)
		}
	}
	change("second", 10)
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("described")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v.Version) != "2" || aws.ToString(v.Description) != "second" || describe("2") != "second" {
		t.Errorf("PublishVersion without a description: version %s described %q, want 2 described %q", aws.ToString(v.Version), aws.ToString(v.Description), "second")
	}
	change("third", 11)
	v, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("described"), Description: aws.String("my-version")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v.Description) != "my-version" || describe(aws.ToString(v.Version)) != "my-version" {
		t.Errorf("PublishVersion with a description: version %s described %q, want %q", aws.ToString(v.Version), aws.ToString(v.Description), "my-version")
	}
	code, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("described"), Publish: true,
		ZipFile: zipOf(t, map[string]string{"handler.py": "def handler(event, context):\n    return 4\n"})})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(code.Description) != "third" || describe(aws.ToString(code.Version)) != "third" {
		t.Errorf("UpdateFunctionCode with Publish: version %s described %q, want %q", aws.ToString(code.Version), aws.ToString(code.Description), "third")
	}
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func createWithRole(ctx context.Context, c *lambda.Client, t *testing.T, name, role string) error {
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zipOf(t, echoZip)},
	})
	return err
}

// TestSDKExecutionRoleChecks: a role of another account is refused as AWS
// refuses it; a role Lambda could not assume is accepted with a warning in
// the log by default.
func TestSDKExecutionRoleChecks(t *testing.T) {
	ctx := context.Background()
	var logs logBuffer
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	c := sdkClient(t, srv)

	const foreign = "arn:aws:iam::210987654321:role/r"
	crossAccount := func(op string, err error) {
		t.Helper()
		if code, status := apiError(t, err); code != "AccessDeniedException" || status != 403 {
			t.Errorf("%s with a role of another account: %s %d, want 403 AccessDeniedException", op, code, status)
		}
		var ae smithy.APIError
		if errors.As(err, &ae); ae.ErrorMessage() != "Cross-account pass role is not allowed." {
			t.Errorf("%s with a role of another account: message %q, want AWS's", op, ae.ErrorMessage())
		}
	}
	crossAccount("CreateFunction", createWithRole(ctx, c, t, "foreign", foreign))

	const missing = "arn:aws:iam::123456789012:role/never-created"
	if err := createWithRole(ctx, c, t, "unchecked", missing); err != nil {
		t.Fatalf("CreateFunction with a role missing from IAM, by default: %v", err)
	}
	if log := logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, missing) {
		t.Errorf("no warning names the role Lambda could not assume; log:\n%s", log)
	}
	_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("unchecked"), Role: aws.String(foreign)})
	crossAccount("UpdateFunctionConfiguration", err)
}

// TestSDKStrictRoles: with StrictRoles, CreateFunction and a role change
// refuse a role Lambda could not assume with AWS's error; a role created
// through IAM that trusts Lambda is taken.
func TestSDKStrictRoles(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", StrictRoles: true})
	c := sdkClient(t, srv)
	ic := iam.NewFromConfig(srv.AWSConfig(t))
	role := func(name, service string) string {
		t.Helper()
		out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Role.Arn)
	}
	good, ec2 := role("lambda-exec", "lambda.amazonaws.com"), role("ec2-only", "ec2.amazonaws.com")
	const missing = "arn:aws:iam::123456789012:role/never-created"

	refused := func(op string, err error) {
		t.Helper()
		if code, status := apiError(t, err); code != "InvalidParameterValueException" || status != 400 {
			t.Errorf("%s: %s %d, want 400 InvalidParameterValueException", op, code, status)
		}
		var ae smithy.APIError
		if errors.As(err, &ae); ae.ErrorMessage() != "The role defined for the function cannot be assumed by Lambda." {
			t.Errorf("%s: message %q, want AWS's", op, ae.ErrorMessage())
		}
	}
	refused("CreateFunction with a role missing from IAM", createWithRole(ctx, c, t, "f-missing", missing))
	refused("CreateFunction with a role that does not trust Lambda", createWithRole(ctx, c, t, "f-ec2", ec2))
	if code, _ := apiError(t, createWithRole(ctx, c, t, "f-foreign", "arn:aws:iam::210987654321:role/r")); code != "AccessDeniedException" {
		t.Errorf("CreateFunction with a role of another account: %s, want AccessDeniedException", code)
	}
	if err := createWithRole(ctx, c, t, "f", good); err != nil {
		t.Fatalf("CreateFunction with a role that trusts Lambda: %v", err)
	}
	for _, fn := range []string{"f-missing", "f-ec2", "f-foreign"} {
		if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err == nil {
			t.Errorf("refused function %s exists", fn)
		}
	}

	_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Role: aws.String(ec2)})
	refused("UpdateFunctionConfiguration to a role that does not trust Lambda", err)
	// Only a change of role is checked: once its role is gone, the function
	// can still be updated naming the role it has.
	if _, err := ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("lambda-exec")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"),
		Role: aws.String(good), Timeout: aws.Int32(10)}); err != nil {
		t.Errorf("UpdateFunctionConfiguration naming the function's own role: %v", err)
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cfg.Role) != good {
		t.Errorf("role after the refused change: %s, want %s", aws.ToString(cfg.Role), good)
	}
}
