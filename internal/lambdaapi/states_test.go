package lambdaapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/lambdaapi"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestSDKFunctionStates: through aws-sdk-go-v2, CreateFunction answers
// Pending (Creating) and no LastUpdateStatus, the next GetFunction Active and
// Successful under another RevisionId; UpdateFunctionConfiguration and
// UpdateFunctionCode answer InProgress with AWS's reason and code, the next
// GetFunction Successful under another RevisionId again.
func TestSDKFunctionStates(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	created := createFn(t, c, "states", false)
	if created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating ||
		aws.ToString(created.StateReason) != "The function is being created." || created.LastUpdateStatus != "" {
		t.Errorf("CreateFunction: State %s %s %q, LastUpdateStatus %q; want Pending Creating, no LastUpdateStatus",
			created.State, created.StateReasonCode, aws.ToString(created.StateReason), created.LastUpdateStatus)
	}
	settled := func(what, answered string) string {
		t.Helper()
		fn, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("states")})
		if err != nil {
			t.Fatal(err)
		}
		cfg := fn.Configuration
		if cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
			cfg.StateReason != nil || cfg.LastUpdateStatusReason != nil || cfg.LastUpdateStatusReasonCode != "" {
			t.Errorf("GetFunction after %s: %s %s (reasons %v %v); want Active, Successful, no reasons", what,
				cfg.State, cfg.LastUpdateStatus, cfg.StateReason, cfg.LastUpdateStatusReason)
		}
		if aws.ToString(cfg.RevisionId) == answered {
			t.Errorf("GetFunction after %s: RevisionId %s is still the one answered", what, answered)
		}
		return aws.ToString(cfg.RevisionId)
	}
	rev := settled("CreateFunction", aws.ToString(created.RevisionId))

	inProgress := func(what string, state types.State, status types.LastUpdateStatus, reason *string, code types.LastUpdateStatusReasonCode, answered *string) {
		t.Helper()
		if state != types.StateActive || status != types.LastUpdateStatusInProgress ||
			aws.ToString(reason) != "The function is being created." || code != "Creating" {
			t.Errorf("%s: %s %s %q %s; want Active, InProgress, being created, Creating", what, state, status, aws.ToString(reason), code)
		}
		if aws.ToString(answered) == rev {
			t.Errorf("%s answered the RevisionId it replaced", what)
		}
		rev = settled(what, aws.ToString(answered))
	}
	conf, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("states"), Timeout: aws.Int32(15), RevisionId: aws.String(rev)})
	if err != nil {
		t.Fatal(err)
	}
	inProgress("UpdateFunctionConfiguration", conf.State, conf.LastUpdateStatus, conf.LastUpdateStatusReason, conf.LastUpdateStatusReasonCode, conf.RevisionId)
	code, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("states"), ZipFile: zipOf(t, map[string]string{"handler.py": "def handler(e, c):\n    return 2\n"}),
		RevisionId: aws.String(rev)})
	if err != nil {
		t.Fatal(err)
	}
	inProgress("UpdateFunctionCode", code.State, code.LastUpdateStatus, code.LastUpdateStatusReason, code.LastUpdateStatusReasonCode, code.RevisionId)
	v, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("states")})
	if err != nil || v.State != types.StateActive || v.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("PublishVersion: %v %s %s, want a settled version", err, v.State, v.LastUpdateStatus)
	}
}

// echoExecutor runs every invocation at once and answers its payload.
type echoExecutor struct{}

func (echoExecutor) Provision(lambda.ProvisionTarget, int, func(lambda.ProvisionProgress)) {}
func (echoExecutor) Retire(lambda.RetireTarget)                                            {}
func (echoExecutor) Start(_ lambda.InvocationTarget, inv lambda.Invocation, admit lambda.Admit) (lambda.Execution, error) {
	release, err := admit(false)
	if err != nil {
		return nil, err
	}
	release()
	return echoRun(inv.Payload), nil
}

type echoRun []byte

func (r echoRun) Wait(context.Context) (lambda.InvocationResult, error) {
	return lambda.InvocationResult{Payload: r}, nil
}

// slowCheckServer serves the Lambda API of a service whose package check
// waits, while armed, until released: the Pending and InProgress windows
// stay open for as long as a test needs.
type slowCheckServer struct {
	client  *awslambda.Client
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newSlowCheckServer(t *testing.T) *slowCheckServer {
	t.Helper()
	ctx := context.Background()
	s := &slowCheckServer{entered: make(chan struct{}, 1), release: make(chan struct{})}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.NewService(ctx, lambda.Options{Store: st, Executor: echoExecutor{}, CheckCode: func([]byte) error {
		if s.armed.Load() {
			s.entered <- struct{}{}
			<-s.release
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	if err := lambdaapi.Register(mux, svc, logger, lambdaapi.Options{
		CodeURLKey: bytes.Repeat([]byte{7}, 32), BaseURL: "http://127.0.0.1:9001",
	}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(awsproto.Middleware(logger, mux))
	t.Cleanup(func() {
		hs.Close()
		svc.Close()
		_ = st.Close()
	})
	s.client = awslambda.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("123456789012", "secret", ""),
		BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
	})
	return s
}

func (s *slowCheckServer) await(t *testing.T) {
	t.Helper()
	select {
	case <-s.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the package check did not start")
	}
}

// wantConflict checks a 409 ResourceConflictException with AWS's message.
func wantConflict(t *testing.T, what string, err error, message string) {
	t.Helper()
	var rc *types.ResourceConflictException
	var re *smithyhttp.ResponseError
	if !errors.As(err, &rc) || !errors.As(err, &re) || re.HTTPStatusCode() != 409 || rc.ErrorMessage() != message {
		t.Errorf("%s: %v, want 409 ResourceConflictException %q", what, err, message)
	}
}

// TestSDKConflictsDuringWindows: a client that arrives while a function is
// Pending or its update InProgress gets AWS's ResourceConflictException:
// an Invoke of a Pending function, an update during another update. An
// Invoke during an update runs.
func TestSDKConflictsDuringWindows(t *testing.T) {
	ctx := context.Background()
	s := newSlowCheckServer(t)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:w"
	zip := zipOf(t, echoZip)
	s.armed.Store(true)
	created := make(chan error, 1)
	go func() {
		_, err := s.client.CreateFunction(ctx, &awslambda.CreateFunctionInput{
			FunctionName: aws.String("w"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
			Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zip},
		})
		created <- err
	}()
	s.await(t)
	fn, err := s.client.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("w")})
	if err != nil || fn.Configuration.State != types.StatePending {
		t.Errorf("GetFunction during creation: %v, want State Pending", err)
	}
	_, err = s.client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("w"), Payload: []byte(`{}`)})
	wantConflict(t, "Invoke while Pending", err, "The operation cannot be performed at this time. The function is currently in the following state: Pending")
	_, err = s.client.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("w"), Timeout: aws.Int32(9)})
	wantConflict(t, "UpdateFunctionConfiguration while Pending", err,
		"The operation cannot be performed at this time. The resource "+arn+" is currently in the following state: 'Pending'. StateReasonCode: 'Creating'")
	s.release <- struct{}{}
	if err := <-created; err != nil {
		t.Fatal(err)
	}

	updated := make(chan error, 1)
	go func() {
		_, err := s.client.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("w"),
			ZipFile: zipOf(t, map[string]string{"handler.py": "def handler(e, c):\n    return 3\n"})})
		updated <- err
	}()
	s.await(t)
	_, err = s.client.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("w"), Timeout: aws.Int32(9)})
	wantConflict(t, "UpdateFunctionConfiguration during an update", err, "The operation cannot be performed at this time. An update is in progress for resource: "+arn)
	_, err = s.client.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("w")})
	wantConflict(t, "PublishVersion during an update", err, "The operation cannot be performed at this time. An update is in progress for resource: "+arn)
	if out, err := s.client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("w"), Payload: []byte(`{"a":1}`)}); err != nil || string(out.Payload) != `{"a":1}` {
		t.Errorf("Invoke during an update: %v, want it to run", err)
	}
	s.armed.Store(false)
	close(s.release)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
}
