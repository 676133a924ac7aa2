package app

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

// processExecutor adapts the sandbox (real processes) to the domain's
// Executor interface.
type processExecutor struct{ m *sandbox.Manager }

func specOf(sc lambda.Scope, function string, c lambda.Config, code lambda.CodeLoader) sandbox.Spec {
	return sandbox.Spec{
		Account: sc.Account, Region: sc.Region, FunctionName: function, Version: c.Version,
		Runtime: c.Runtime, Handler: c.Handler, MemoryMB: c.MemorySize,
		Timeout: time.Duration(c.Timeout) * time.Second, Env: c.Environment,
		CodeSha256: c.CodeSha256, RevisionID: c.RevisionID, Code: code,
	}
}

func (e processExecutor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	var spec sandbox.Spec
	if n > 0 {
		spec = specOf(t.Scope, t.FunctionName, t.Config, t.Code)
	}
	e.m.Provision(t.Key(), spec, n, func(p sandbox.Progress) {
		report(lambda.ProvisionProgress{Allocated: p.Allocated, Failed: p.Failed, Reason: p.Reason})
	})
}

func (e processExecutor) Retire(t lambda.RetireTarget) {
	e.m.Retire(t.Scope.Account, t.Scope.Region, t.FunctionName, t.Version)
}

func (e processExecutor) Invoke(ctx context.Context, t lambda.InvocationTarget, inv lambda.Invocation) (lambda.InvocationResult, error) {
	var clientContext string
	if inv.ClientContext != "" {
		b, _ := base64.StdEncoding.DecodeString(inv.ClientContext) // validated by the domain
		clientContext = string(b)
	}
	res, err := e.m.Invoke(ctx, specOf(t.Scope, t.FunctionName, t.Config, t.Code), t.ProvisionedKey, sandbox.Invocation{
		RequestID: inv.RequestID, Payload: inv.Payload, InvokedFunctionARN: inv.InvokedARN, ClientContext: clientContext,
		SkipLogTail: !inv.LogTail,
	})
	switch {
	case err == nil:
	case errors.Is(err, sandbox.ErrRuntimeUnavailable), errors.Is(err, sandbox.ErrUnsupportedRuntime):
		return lambda.InvocationResult{}, &lambda.Error{Kind: lambda.KindInvalidRuntime, Message: err.Error()}
	case errors.Is(err, sandbox.ErrInvalidCode):
		return lambda.InvocationResult{}, &lambda.Error{Kind: lambda.KindInvalidZipFile, Message: err.Error()}
	case errors.Is(err, lambda.ErrCodeNotFound):
		// The function was deleted while this invocation was starting.
		return lambda.InvocationResult{}, &lambda.Error{Kind: lambda.KindResourceNotFound,
			Message: "Function not found: " + t.Scope.FunctionARN(t.FunctionName) + ":" + t.Config.Version}
	case errors.Is(err, sandbox.ErrClosed):
		return lambda.InvocationResult{}, &lambda.Error{Kind: lambda.KindServiceUnavailable, Message: "The service is shutting down."}
	default:
		return lambda.InvocationResult{}, err
	}
	return lambda.InvocationResult{
		Payload: res.Payload, FunctionError: res.FunctionError, Log: []byte(res.LogTail), InitDuration: res.InitDuration,
	}, nil
}
