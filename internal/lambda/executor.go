package lambda

import (
	"context"
	"time"
)

// CodeLoader returns a version's deployment package.
type CodeLoader func(ctx context.Context) ([]byte, error)

// ProvisionTarget names a provisioned concurrency config and the version
// configuration its environments run.
type ProvisionTarget struct {
	Scope        Scope
	FunctionName string
	Qualifier    string // the config's qualifier: a version number or an alias name
	Config       Config // the version the qualifier resolves to (zero when releasing)
	Code         CodeLoader
}

// Key identifies the config across scopes.
func (t ProvisionTarget) Key() string {
	return ProvisionKey(t.Scope, t.FunctionName, t.Qualifier)
}

// ProvisionKey identifies a provisioned config across scopes.
func ProvisionKey(sc Scope, function, qualifier string) string {
	return sc.Account + "/" + sc.Region + "/" + function + "/" + qualifier
}

// ProvisionProgress reports the environments of one provisioned config.
type ProvisionProgress struct {
	Allocated int    // environments initialized and able to serve
	Failed    bool   // initialization keeps failing
	Reason    string // why, e.g. FUNCTION_ERROR_INIT_FAILURE
}

// InvocationTarget is what one invocation runs.
type InvocationTarget struct {
	Scope        Scope
	FunctionName string
	Config       Config // the version that runs
	Code         CodeLoader
	// ProvisionedKey is the provisioned config whose environment serves the
	// invocation ("" for on-demand).
	ProvisionedKey string
}

// RetireTarget names the on-demand environments to stop.
type RetireTarget struct {
	Scope        Scope
	FunctionName string
	Version      string // "" for every version
}

// Invocation is one request to a function.
type Invocation struct {
	RequestID     string
	Payload       []byte
	InvokedARN    string // the ARN the caller used, qualified as called
	ClientContext string // base64 JSON, as in X-Amz-Client-Context
	LogTail       bool
}

// InvocationResult is what the function answered.
type InvocationResult struct {
	Payload       []byte
	FunctionError string        // "" or "Unhandled"
	Log           []byte        // the invocation's log, for LogType Tail
	InitDuration  time.Duration // > 0 when the invocation started a new environment
}

// Executor runs function code. The service tells it how many provisioned
// environments each config needs; it reports their progress through report,
// from any goroutine, as often as they change. The service has already
// admitted every invocation it hands over (concurrency is decided before).
type Executor interface {
	// Provision keeps n initialized environments for the target's config
	// (n = 0 releases them; a new Config replaces them). It must not block.
	Provision(target ProvisionTarget, n int, report func(ProvisionProgress))
	// Retire stops the on-demand environments of a function (Version ""),
	// or of one of its versions, once they are idle: they can no longer be
	// reached (the function or version was deleted, or $LATEST changed).
	// It must not block.
	Retire(target RetireTarget)
	// Invoke runs one invocation to its end (the function's timeout included).
	// An error means the invocation could not be run at all.
	Invoke(ctx context.Context, target InvocationTarget, inv Invocation) (InvocationResult, error)
}
