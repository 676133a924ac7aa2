package lambdaapi

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Wire shapes: the JSON members of botocore's Lambda model. They are
// separate from the domain types on purpose.

type environmentIn struct {
	Variables map[string]string `json:"Variables"`
}

type tracingConfig struct {
	Mode string `json:"Mode"`
}

type ephemeralStorage struct {
	Size *int `json:"Size"`
}

type environmentOut struct {
	Variables map[string]string `json:"Variables"`
}

type snapStartOut struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

type runtimeVersionConfig struct {
	RuntimeVersionArn string `json:"RuntimeVersionArn"`
}

// loggingConfig is LoggingConfig as AWS answers it: the levels only with
// the JSON format.
type loggingConfig struct {
	LogFormat           string `json:"LogFormat"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup"`
}

type loggingConfigIn struct {
	LogFormat           *string `json:"LogFormat"`
	ApplicationLogLevel *string `json:"ApplicationLogLevel"`
	SystemLogLevel      *string `json:"SystemLogLevel"`
	LogGroup            *string `json:"LogGroup"`
}

func toLoggingConfig(function string, l lambda.Logging) loggingConfig {
	return loggingConfig{
		LogFormat:           string(l.LogFormat()),
		ApplicationLogLevel: l.ApplicationLogLevel,
		SystemLogLevel:      l.SystemLogLevel,
		LogGroup:            l.Group(function),
	}
}

type ephemeralStorageOut struct {
	Size int `json:"Size"`
}

type functionConfiguration struct {
	FunctionName         string               `json:"FunctionName"`
	FunctionArn          string               `json:"FunctionArn"`
	Runtime              string               `json:"Runtime,omitempty"`
	Role                 string               `json:"Role"`
	Handler              string               `json:"Handler,omitempty"`
	CodeSize             int64                `json:"CodeSize"`
	Description          string               `json:"Description"`
	Timeout              int                  `json:"Timeout"`
	MemorySize           int                  `json:"MemorySize"`
	LastModified         string               `json:"LastModified"`
	CodeSha256           string               `json:"CodeSha256"`
	Version              string               `json:"Version"`
	Environment          *environmentOut      `json:"Environment,omitempty"`
	TracingConfig        tracingConfig        `json:"TracingConfig"`
	RevisionID           string               `json:"RevisionId"`
	PackageType          string               `json:"PackageType"`
	Architectures        []string             `json:"Architectures"`
	EphemeralStorage     ephemeralStorageOut  `json:"EphemeralStorage"`
	SnapStart            snapStartOut         `json:"SnapStart"`
	RuntimeVersionConfig runtimeVersionConfig `json:"RuntimeVersionConfig"`
	LoggingConfig        loggingConfig        `json:"LoggingConfig"`
	Layers               []layerOut           `json:"Layers,omitempty"`
	settingsOut
	functionStates
}

// layerOut is one of a configuration's layers, as AWS shows it.
type layerOut struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

func toLayers(ls []lambda.LayerRef) []layerOut {
	var out []layerOut
	for _, l := range ls {
		out = append(out, layerOut{Arn: l.Arn, CodeSize: l.CodeSize})
	}
	return out
}

// functionStates are a configuration's state members: AWS sends no
// LastUpdateStatus members while a function is being created, and reason
// members only with a transient state.
type functionStates struct {
	State                      string `json:"State"`
	StateReason                string `json:"StateReason,omitempty"`
	StateReasonCode            string `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string `json:"LastUpdateStatusReasonCode,omitempty"`
}

func statesOf(p lambda.Phase) functionStates {
	var out functionStates
	out.State, out.StateReason, out.StateReasonCode = p.State()
	out.LastUpdateStatus, out.LastUpdateStatusReason, out.LastUpdateStatusReasonCode = p.LastUpdate()
	return out
}

// lastModifiedLayout is FunctionConfiguration.LastModified's format.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// provisionedLayout is the provisioned config's LastModified format.
const provisionedLayout = "2006-01-02T15:04:05-0700"

// toConfiguration renders a version's configuration. qualifier is appended to
// the ARN when the request asked for one (GetFunction?Qualifier=…); published
// versions always carry their number.
func toConfiguration(fn *lambda.Function, c lambda.Config, qualifier string) functionConfiguration {
	arn := fn.Scope.FunctionARN(fn.Name)
	switch {
	case qualifier != "":
		arn += ":" + qualifier
	case c.Version != lambda.LatestVersion:
		arn += ":" + c.Version
	}
	// Environment appears only when the function has one (an empty one
	// included); a function created without it has none, as on AWS.
	var env *environmentOut
	if c.Environment != nil {
		env = &environmentOut{Variables: c.Environment}
	}
	sum := sha256.Sum256([]byte(c.Runtime))
	return functionConfiguration{
		FunctionName:         fn.Name,
		FunctionArn:          arn,
		Runtime:              c.Runtime,
		Role:                 c.Role,
		Handler:              c.Handler,
		CodeSize:             c.CodeSize,
		Description:          c.Description,
		Timeout:              c.Timeout,
		MemorySize:           c.MemorySize,
		LastModified:         c.LastModified.UTC().Format(lastModifiedLayout),
		CodeSha256:           c.CodeSha256,
		Version:              c.Version,
		Environment:          env,
		TracingConfig:        tracingConfig{Mode: c.TracingMode},
		RevisionID:           c.RevisionID,
		functionStates:       statesOf(c.Phase),
		PackageType:          c.PackageType,
		Architectures:        c.Architectures,
		EphemeralStorage:     ephemeralStorageOut{Size: c.EphemeralStorage},
		SnapStart:            toSnapStart(c),
		RuntimeVersionConfig: runtimeVersionConfig{RuntimeVersionArn: "arn:aws:lambda:" + fn.Scope.Region + "::runtime:" + hex.EncodeToString(sum[:])},
		LoggingConfig:        toLoggingConfig(fn.Name, c.Logging),
		Layers:               toLayers(c.Layers),
		settingsOut:          toSettings(c),
	}
}

type aliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RevisionID      string         `json:"RevisionId"`
	RoutingConfig   *routingConfig `json:"RoutingConfig,omitempty"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func toAlias(fn *lambda.Function, a lambda.Alias) aliasConfiguration {
	out := aliasConfiguration{
		AliasArn:        fn.Scope.FunctionARN(fn.Name) + ":" + a.Name,
		Name:            a.Name,
		FunctionVersion: a.FunctionVersion,
		Description:     a.Description,
		RevisionID:      a.RevisionID,
	}
	if len(a.AdditionalVersionWeights) > 0 {
		out.RoutingConfig = &routingConfig{AdditionalVersionWeights: a.AdditionalVersionWeights}
	}
	return out
}

type provisionedConfig struct {
	FunctionArn                              string `json:"FunctionArn,omitempty"`
	RequestedProvisionedConcurrentExecutions int    `json:"RequestedProvisionedConcurrentExecutions"`
	AvailableProvisionedConcurrentExecutions int    `json:"AvailableProvisionedConcurrentExecutions"`
	AllocatedProvisionedConcurrentExecutions int    `json:"AllocatedProvisionedConcurrentExecutions"`
	Status                                   string `json:"Status"`
	StatusReason                             string `json:"StatusReason,omitempty"`
	LastModified                             string `json:"LastModified"`
}

func toProvisioned(v lambda.ProvisionedView, withARN bool) provisionedConfig {
	out := provisionedConfig{
		RequestedProvisionedConcurrentExecutions: v.Requested,
		AvailableProvisionedConcurrentExecutions: v.Available,
		AllocatedProvisionedConcurrentExecutions: v.Allocated,
		Status:                                   v.Status,
		StatusReason:                             v.StatusReason,
		LastModified:                             v.LastModified.UTC().Format(provisionedLayout),
	}
	if withARN {
		out.FunctionArn = v.FunctionARN
	}
	return out
}
