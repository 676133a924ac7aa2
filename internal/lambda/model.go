package lambda

import "time"

// Scope isolates resources: one AWS account in one region. Nothing in one
// scope can see or affect anything in another.
type Scope struct {
	Account string
	Region  string
}

// FunctionARN is the unqualified ARN of the function name in this scope.
func (s Scope) FunctionARN(name string) string {
	return "arn:aws:lambda:" + s.Region + ":" + s.Account + ":function:" + name
}

// LatestVersion is the qualifier of a function's unpublished, mutable version.
const LatestVersion = "$LATEST"

// Function is everything durable about one function: its $LATEST
// configuration, its published versions, aliases, concurrency settings and
// tags. Code bytes live apart, content-addressed by CodeSha256.
type Function struct {
	Scope Scope
	Name  string

	Latest   Config   // Version == "$LATEST"
	Versions []Config // published versions, oldest first
	// LastVersion is the number of the newest version ever published; AWS never
	// reuses a number, even after the version is deleted.
	LastVersion int

	Aliases map[string]*Alias // by alias name

	// ReservedConcurrency is nil when the function has no reservation; 0 is a
	// valid reservation that throttles every invocation.
	ReservedConcurrency *int

	// Provisioned holds the provisioned concurrency configs by qualifier (a
	// version number or an alias name).
	Provisioned map[string]*ProvisionedConfig

	Tags map[string]string

	// EventInvoke holds the event invoke configs by qualifier ($LATEST, a
	// version number or an alias name).
	EventInvoke map[string]*EventInvokeConfig

	// Policies holds the resource policies' statements, in the order they
	// were added, by qualifier ($LATEST for the unqualified function, a
	// version number or an alias name); a policy has at least one.
	Policies map[string][]Statement
	// RecursiveLoop is PutFunctionRecursionConfig's setting ("" is
	// Terminate, AWS's default).
	RecursiveLoop string
	// URLs holds the function URL configs by qualifier ($LATEST for the
	// unqualified function, or an alias name).
	URLs map[string]*FunctionURLConfig

	// running is the settled $LATEST that invocations run while Latest is
	// being updated (Latest.Phase is Updating); nil otherwise. It lives only
	// in the in-memory snapshot shown during the update.
	running *Config
}

// Config is one version's configuration ($LATEST or a published number).
type Config struct {
	Version          string
	Description      string
	Runtime          string
	Handler          string
	Role             string
	MemorySize       int
	Timeout          int // seconds
	EphemeralStorage int // MB
	Architectures    []string
	PackageType      string
	Environment      map[string]string
	TracingMode      string
	Logging          Logging
	CodeSha256       string // base64 of the SHA-256 of the zip, as AWS reports it
	CodeSize         int64
	// Layers are the layer versions the configuration runs with, in order
	// (later ones overwrite earlier ones under /opt); nil: none.
	Layers []LayerRef
	// Settings stored and shown, without effect here (settings.go).
	Vpc              *VpcConfig // nil: never given
	DeadLetterTarget string
	SnapStartApplyOn string // "" is None
	FileSystems      []FileSystem
	KMSKeyArn        string
	// RuntimeUpdateOn is PutRuntimeManagementConfig's UpdateRuntimeOn
	// ("" is Auto); RuntimeVersionArn its RuntimeVersionArn (Manual only).
	RuntimeUpdateOn   string
	RuntimeVersionArn string
	LastModified      time.Time
	RevisionID        string
	// Phase is where the configuration stands in AWS's function states. It
	// is never stored: the store only ever holds settled functions.
	Phase Phase
}

// LogFormat is how Lambda writes a function's logs (LoggingConfig.LogFormat).
type LogFormat string

// The log formats of botocore's LogFormat enum.
const (
	LogFormatText LogFormat = "Text"
	LogFormatJSON LogFormat = "JSON"
)

// Logging is a version's LoggingConfig. Its zero value is AWS's default:
// plain text to /aws/lambda/<function>. The levels are set exactly when
// Format is JSON (resolveLogging keeps it so): log-level filtering needs the
// JSON format, and AWS answers INFO for a level JSON was chosen without.
type Logging struct {
	Format LogFormat // "" is Text
	// ApplicationLogLevel is TRACE, DEBUG, INFO, WARN, ERROR or FATAL;
	// SystemLogLevel is DEBUG, INFO or WARN.
	ApplicationLogLevel, SystemLogLevel string
	LogGroup                            string // "": /aws/lambda/<function>
}

// LogFormat returns the format, Text when none was chosen.
func (l Logging) LogFormat() LogFormat {
	if l.Format == "" {
		return LogFormatText
	}
	return l.Format
}

// Group returns the log group the function's logs go to.
func (l Logging) Group(function string) string {
	if l.LogGroup == "" {
		return "/aws/lambda/" + function
	}
	return l.LogGroup
}

// Phase is where a configuration stands in AWS's function states (State
// and LastUpdateStatus, with their reasons). A configuration is Creating or
// Updating only in the in-memory snapshot shown while CreateFunction or an
// update does the work it stands for (storing and checking a package, the
// durable write), under the function's writer slot; the slot's holder
// settles it, or takes it back, before it lets the slot go.
type Phase uint8

const (
	// Settled is State Active, LastUpdateStatus Successful. It is the zero
	// value: a configuration loaded from the store is settled.
	Settled Phase = iota
	// Creating is State Pending while CreateFunction works; AWS sends no
	// LastUpdateStatus yet. Invocations and updates are refused.
	Creating
	// Updating is State Active, LastUpdateStatus InProgress while an update
	// works. Invocations run the previous $LATEST; updates are refused.
	Updating
)

// AWS's reason and reason code for both Pending and InProgress (an update
// too says "being created").
const (
	reasonCreating     = "The function is being created."
	reasonCodeCreating = "Creating"
)

// State returns the State member and its reason and code ("" when AWS sends
// none).
func (p Phase) State() (state, reason, code string) {
	if p == Creating {
		return "Pending", reasonCreating, reasonCodeCreating
	}
	return "Active", "", ""
}

// LastUpdate returns the LastUpdateStatus member and its reason and code
// ("" when AWS sends none: all three while the function is being created).
func (p Phase) LastUpdate() (status, reason, code string) {
	switch p {
	case Creating:
		return "", "", ""
	case Updating:
		return "InProgress", reasonCreating, reasonCodeCreating
	default:
		return "Successful", "", ""
	}
}

// Alias names a published version (or $LATEST) of a function.
type Alias struct {
	Name            string
	FunctionVersion string
	Description     string
	RevisionID      string
	// AdditionalVersionWeights routes a share of invocations to another version.
	AdditionalVersionWeights map[string]float64
}

// Provisioned concurrency config statuses.
const (
	ProvisionedInProgress = "IN_PROGRESS"
	ProvisionedReady      = "READY"
	ProvisionedFailed     = "FAILED"
)

// ProvisionedConfig is one provisioned concurrency config. Requested and
// LastModified are durable; Status, Allocated, Available and StatusReason
// describe the live environments and are rebuilt after a restart.
type ProvisionedConfig struct {
	Qualifier    string
	Requested    int
	LastModified time.Time

	Status       string
	StatusReason string
	Allocated    int
	Available    int
}
