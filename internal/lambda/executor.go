package lambda

import (
	"context"
	"time"
)

// CodeLoader returns a version's deployment package.
type CodeLoader func(ctx context.Context) ([]byte, error)

// PackageLoader returns a stored package (a layer version's zip) by digest.
type PackageLoader func(ctx context.Context, digest string) ([]byte, error)

// ProvisionTarget names a provisioned concurrency config and the version
// configuration its environments run.
type ProvisionTarget struct {
	Scope        Scope
	FunctionName string
	Qualifier    string // the config's qualifier: a version number or an alias name
	Config       Config // the version the qualifier resolves to (zero when releasing)
	Code         CodeLoader
	LayerCode    PackageLoader // the zips of Config.Layers
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
	// Allocated counts the config's initialized environments, those of the
	// version it ran before a change included while they stay.
	Allocated int
	Ready     bool   // every requested environment of the current version is initialized
	Failed    bool   // initialization keeps failing
	Reason    string // why, e.g. FUNCTION_ERROR_INIT_FAILURE
}

// InvocationTarget is what one invocation runs.
type InvocationTarget struct {
	Scope        Scope
	FunctionName string
	Config       Config // the version that runs
	Code         CodeLoader
	LayerCode    PackageLoader // the zips of Config.Layers
	// ProvisionedKey is the provisioned config whose free environment may
	// serve the invocation ("" when none may: $LATEST, no config, or an alias
	// routing this call to its additional version).
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
	// ExecutedVersion is the version that ran, when it is not the target's
	// (a provisioned alias moving to another version is served by the old
	// version's environments until the new ones are up); "" otherwise.
	ExecutedVersion string
}

// Admit decides whether one invocation runs. Executor.Start calls it exactly
// once, synchronously, before the invocation takes anything, with
// provisioned set when the executor has taken a free environment of
// InvocationTarget.ProvisionedKey for it: the executor, which owns the
// environments, is the one that decides whether a provisioned environment is
// free. It returns the release, which the executor calls exactly once when
// the invocation has really ended (its environment is free again, or out of
// service), however early its caller stopped waiting; or an error (a
// throttle), which Start returns after giving back what it took. It must not
// block nor call the executor.
type Admit func(provisioned bool) (release func(), err error)

// Execution is an invocation Executor.Start began.
type Execution interface {
	// Wait returns the invocation's result, or ctx's error when ctx ends
	// first: the invocation then runs on to its end (the function's timeout
	// included), as on AWS, and Wait may be called again. An error means the
	// invocation could not be run at all.
	Wait(ctx context.Context) (InvocationResult, error)
}

// Executor runs function code. The service tells it how many provisioned
// environments each config needs; it reports their progress through report,
// from any goroutine, as often as they change. The service calls Provision
// and Retire under the function's writer slot, after the write they follow is
// durable, in the order of the writes.
type Executor interface {
	// Provision keeps n initialized environments for the target's config
	// (n = 0 releases them; a new Config replaces them, the old ones serving
	// what they ran until the new ones are up). It must not block.
	Provision(target ProvisionTarget, n int, report func(ProvisionProgress))
	// Retire stops the on-demand environments of a function (Version ""),
	// or of one of its versions, once they are idle: they can no longer be
	// reached (the function or version was deleted, or $LATEST changed).
	// It must not block.
	Retire(target RetireTarget)
	// Start begins one invocation, asking admit whether it runs; it must not
	// block. The error is admit's, or says the invocation cannot be run at
	// all (ErrShuttingDown when the executor is closing).
	Start(target InvocationTarget, inv Invocation, admit Admit) (Execution, error)
}
