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

func specOf(sc lambda.Scope, function string, c lambda.Config, code lambda.CodeLoader, layerCode lambda.PackageLoader) sandbox.Spec {
	var layers []string
	for _, l := range c.Layers {
		layers = append(layers, l.CodeSha256)
	}
	return sandbox.Spec{
		Layers: layers, LayerCode: layerCode,
		Account: sc.Account, Region: sc.Region, FunctionName: function, Version: c.Version,
		Runtime: c.Runtime, Handler: c.Handler, MemoryMB: c.MemorySize,
		Timeout: time.Duration(c.Timeout) * time.Second, Env: c.Environment,
		Logging: sandbox.Logging{
			LogGroup: c.Logging.Group(function), JSON: c.Logging.LogFormat() == lambda.LogFormatJSON,
			ApplicationLogLevel: c.Logging.ApplicationLogLevel, SystemLogLevel: c.Logging.SystemLogLevel,
		},
		CodeSha256: c.CodeSha256, RevisionID: c.RevisionID, Code: code,
	}
}

func (e processExecutor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	var spec sandbox.Spec
	if n > 0 {
		spec = specOf(t.Scope, t.FunctionName, t.Config, t.Code, t.LayerCode)
	}
	e.m.Provision(t.Key(), spec, n, func(p sandbox.Progress) {
		report(lambda.ProvisionProgress{Allocated: p.Allocated, Ready: p.Ready, Failed: p.Failed, Reason: p.Reason})
	})
}

func (e processExecutor) Retire(t lambda.RetireTarget) {
	e.m.Retire(t.Scope.Account, t.Scope.Region, t.FunctionName, t.Version)
}

func (e processExecutor) Start(t lambda.InvocationTarget, inv lambda.Invocation, admit lambda.Admit) (lambda.Execution, error) {
	var clientContext string
	if inv.ClientContext != "" {
		b, _ := base64.StdEncoding.DecodeString(inv.ClientContext) // validated by the domain
		clientContext = string(b)
	}
	run, err := e.m.Start(specOf(t.Scope, t.FunctionName, t.Config, t.Code, t.LayerCode), t.ProvisionedKey, sandbox.Invocation{
		RequestID: inv.RequestID, Payload: inv.Payload, InvokedFunctionARN: inv.InvokedARN, ClientContext: clientContext,
		SkipLogTail: !inv.LogTail,
	}, sandbox.Admit(admit))
	if err != nil {
		return nil, executorError(t, err)
	}
	return processRun{run: run, t: t}, nil
}

// processRun is a sandbox invocation as the domain sees it.
type processRun struct {
	run *sandbox.Run
	t   lambda.InvocationTarget
}

func (r processRun) Wait(ctx context.Context) (lambda.InvocationResult, error) {
	res, err := r.run.Wait(ctx)
	if err != nil {
		return lambda.InvocationResult{}, executorError(r.t, err)
	}
	out := lambda.InvocationResult{
		Payload: res.Payload, FunctionError: res.FunctionError, Log: []byte(res.LogTail), InitDuration: res.InitDuration,
	}
	if res.ExecutedVersion != r.t.Config.Version {
		out.ExecutedVersion = res.ExecutedVersion
	}
	return out, nil
}

// executorError turns the sandbox's errors into the domain's.
func executorError(t lambda.InvocationTarget, err error) error {
	var de *lambda.Error
	switch {
	case errors.As(err, &de):
		return err // admit's (a throttle)
	case errors.Is(err, sandbox.ErrRuntimeUnavailable), errors.Is(err, sandbox.ErrUnsupportedRuntime):
		return &lambda.Error{Kind: lambda.KindInvalidRuntime, Message: err.Error()}
	case errors.Is(err, sandbox.ErrInvalidCode):
		return &lambda.Error{Kind: lambda.KindInvalidZipFile, Message: err.Error()}
	case errors.Is(err, lambda.ErrCodeNotFound):
		// The function was deleted while this invocation was starting.
		return &lambda.Error{Kind: lambda.KindResourceNotFound,
			Message: "Function not found: " + t.Scope.FunctionARN(t.FunctionName) + ":" + t.Config.Version}
	case errors.Is(err, sandbox.ErrClosed):
		return lambda.ErrShuttingDown
	default:
		return err
	}
}
