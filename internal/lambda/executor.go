package lambda

// ProvisionTarget names a provisioned concurrency config and the version
// configuration its environments run.
type ProvisionTarget struct {
	Scope        Scope
	FunctionName string
	Qualifier    string // the config's qualifier: a version number or an alias name
	Config       Config // the version the qualifier resolves to (zero when releasing)
}

// Key identifies the config across scopes.
func (t ProvisionTarget) Key() string {
	return t.Scope.Account + "/" + t.Scope.Region + "/" + t.FunctionName + "/" + t.Qualifier
}

// ProvisionProgress reports the environments of one provisioned config.
type ProvisionProgress struct {
	Allocated int    // environments initialized and able to serve
	Failed    bool   // initialization keeps failing
	Reason    string // why, e.g. FUNCTION_ERROR_INIT_FAILURE
}

// Executor runs function code. The service tells it how many provisioned
// environments each config needs; it reports their progress through report,
// from any goroutine, as often as they change.
type Executor interface {
	// Provision keeps n initialized environments for the target's config
	// (n = 0 releases them; a new Config replaces them). It must not block.
	Provision(target ProvisionTarget, n int, report func(ProvisionProgress))
}
