package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Deployment package limits (AWS quotas).
const (
	MaxZipSize      = 50 * 1024 * 1024  // 52428800: direct upload
	MaxUnzippedSize = 250 * 1024 * 1024 // 262144000
	TotalCodeSize   = 80530636800       // per account and region
	maxEnvSize      = 4 * 1024
)

// Memory limits. botocore's MemorySize shape allows up to 32768 (32 GB, for
// functions on Lambda Managed Instances); a function on Lambda's own fleet,
// as every Reservoir function is, may have at most MaxMemorySize (the quota),
// which AWS enforces after the model's constraints in its own sentence.
const (
	maxMemoryModel = 32768
	MaxMemorySize  = 10240
)

// FunctionInput carries CreateFunction and UpdateFunctionConfiguration
// members; nil pointers are members the request did not send.
type FunctionInput struct {
	FunctionName     string
	Runtime          *string
	Role             *string
	Handler          *string
	Description      *string
	Timeout          *int
	MemorySize       *int
	Environment      map[string]string // nil: not sent
	Architectures    []string
	EphemeralStorage *int
	Layers           []string // layer version ARNs; nil: not sent, empty: none
	Settings         SettingsInput
	TracingMode      *string
	Logging          *LoggingInput // nil: not sent
	PackageType      *string
	Publish          bool
	Tags             map[string]string
	RevisionID       string
	// Code: ZipFile, or an S3 location / image URI (which Reservoir cannot fetch).
	ZipFile  []byte
	HasS3    bool
	ImageURI string
	HasCode  bool // the Code member was sent (CreateFunction)
}

var envKeyRE = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)

// reservedEnvKeys are the variables Lambda sets itself and refuses to take.
var reservedEnvKeys = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// knownRuntimes is the Runtime enum of the Lambda API model.
var knownRuntimes = []string{"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "java8", "java8.al2", "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "provided", "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2", "ruby3.3", "ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21", "python3.13", "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0"}

// validateConfig checks the configuration members common to create and update.
func validateConfig(in *FunctionInput, v *Validation) {
	if in.Role != nil && !roleARNRE.MatchString(*in.Role) {
		v.Add(Quote(*in.Role), "role", "Member must satisfy regular expression pattern: "+roleARNPattern)
	}
	if in.Handler != nil {
		v.Length(*in.Handler, 0, 128, "handler")
		if *in.Handler != "" && strings.ContainsAny(*in.Handler, " \t\r\n") {
			v.Add(Quote(*in.Handler), "handler", `Member must satisfy regular expression pattern: [^\s]+`)
		}
	}
	if in.Description != nil {
		v.Length(*in.Description, 0, 256, "description")
	}
	v.MinInt(in.Timeout, 1, "timeout")
	v.MaxInt(in.Timeout, 900, "timeout")
	v.MinInt(in.MemorySize, 128, "memorySize")
	v.MaxInt(in.MemorySize, maxMemoryModel, "memorySize")
	v.MinInt(in.EphemeralStorage, 512, "ephemeralStorage.size")
	v.MaxInt(in.EphemeralStorage, 10240, "ephemeralStorage.size")
	if in.Runtime != nil && !slices.Contains(knownRuntimes, *in.Runtime) {
		v.Add(Quote(*in.Runtime), "runtime", "Member must satisfy enum value set: ["+strings.Join(knownRuntimes, ", ")+"]")
	}
	if in.Architectures != nil {
		switch list := Quote("[" + strings.Join(in.Architectures, ", ") + "]"); {
		case len(in.Architectures) == 0:
			v.Add(list, "architectures", "Member must have length greater than or equal to 1")
		case len(in.Architectures) > 1:
			v.Add(list, "architectures", "Member must have length less than or equal to 1")
		case in.Architectures[0] != "x86_64" && in.Architectures[0] != "arm64":
			v.Add(list, "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]")
		}
	}
	if in.PackageType != nil && *in.PackageType != "Zip" && *in.PackageType != "Image" {
		v.Add(Quote(*in.PackageType), "packageType", "Member must satisfy enum value set: [Zip, Image]")
	}
	if in.TracingMode != nil && *in.TracingMode != "Active" && *in.TracingMode != "PassThrough" {
		v.Add(Quote(*in.TracingMode), "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")
	}
	validateLogging(in.Logging, v)
	validateSettings(&in.Settings, v)
}

// checkMemoryQuota refuses more memory than a function may have (checked
// after the model's constraints, as AWS does).
func checkMemoryQuota(memory *int) error {
	if memory != nil && *memory > MaxMemorySize {
		return newErr(KindValidation, "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to %d", MaxMemorySize)
	}
	return nil
}

// checkEnvironment applies Lambda's environment variable rules.
func checkEnvironment(env map[string]string) error {
	var reserved []string
	size := 0
	keys := slices.Sorted(maps.Keys(env))
	for _, k := range keys {
		if !envKeyRE.MatchString(k) {
			var v Validation
			v.Add(Quote("["+k+"]"), "environment.variables", "Member must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
			return v.Err()
		}
		if slices.Contains(reservedEnvKeys, k) {
			reserved = append(reserved, k)
		}
		size += len(k) + len(env[k])
	}
	if len(reserved) > 0 {
		return newErr(KindInvalidParameterValue, "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ","))
	}
	if size > maxEnvSize {
		return newErr(KindInvalidParameterValue, "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	return nil
}

// msgCannotUnzip is AWS's answer to a deployment package it cannot use.
const msgCannotUnzip = "Could not unzip uploaded file. Please check your file, then try to upload again."

// inspectZip checks a deployment package and returns its digest and the
// files in it that Lambda could not read (see unreadableFiles).
func inspectZip(b []byte) (digest string, unreadable []string, err error) {
	if len(b) > MaxZipSize {
		return "", nil, newErr(KindRequestTooLarge, "Request must be smaller than %d bytes for the CreateFunction operation", MaxZipSize)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", nil, newErr(KindInvalidParameterValue, msgCannotUnzip)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > MaxUnzippedSize {
		return "", nil, newErr(KindInvalidParameterValue, "Unzipped size must be smaller than %d bytes", MaxUnzippedSize)
	}
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:]), unreadableFiles(zr), nil
}

// msgImage refuses container images, which Reservoir cannot run.
const msgImage = "Reservoir runs .zip deployment packages only; container images (PackageType Image) are not supported."

// isImage reports whether the request asks for a container image.
func isImage(in *FunctionInput) bool {
	return in.ImageURI != "" || (in.PackageType != nil && *in.PackageType == "Image")
}

// codeFromInput validates the Code member of CreateFunction / UpdateFunctionCode.
func codeFromInput(in *FunctionInput) (digest string, unreadable []string, err error) {
	switch {
	case isImage(in):
		return "", nil, newErr(KindInvalidParameterValue, msgImage)
	case in.ZipFile == nil && in.HasS3:
		return "", nil, newErr(KindInvalidParameterValue, "Reservoir cannot read code from Amazon S3; upload the deployment package as ZipFile.")
	case in.ZipFile == nil:
		return "", nil, newErr(KindInvalidParameterValue, "Please provide a source for function code.")
	}
	return inspectZip(in.ZipFile)
}

// CreateFunction creates a function and returns its $LATEST configuration,
// or that of version 1 when Publish is set.
func (s *Service) CreateFunction(ctx context.Context, sc Scope, in FunctionInput) (Config, error) {
	var v Validation
	v.Required(in.FunctionName != "", "functionName")
	v.Required(in.Role != nil, "role")
	v.Required(in.HasCode, "code")
	validateConfig(&in, &v)
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	if err := checkMemoryQuota(in.MemorySize); err != nil {
		return Config{}, err
	}
	ref, err := s.resolve(sc, in.FunctionName, "", nameWrite)
	if err != nil {
		return Config{}, err
	}
	if ref.Qualifier != "" {
		return Config{}, newErr(KindInvalidParameterValue, "Function name cannot be qualified when creating a function.")
	}
	if isImage(&in) { // before the Runtime, which an image function has not
		return Config{}, newErr(KindInvalidParameterValue, msgImage)
	}
	if in.Runtime == nil || *in.Runtime == "" {
		return Config{}, newErr(KindInvalidParameterValue, "Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if in.Environment != nil {
		if err := checkEnvironment(in.Environment); err != nil {
			return Config{}, err
		}
	}
	logging, err := resolveLogging(Logging{}, in.Logging)
	if err != nil {
		return Config{}, err
	}
	if err := checkRoleAccount(sc, *in.Role); err != nil {
		return Config{}, err
	}
	if err := s.checkAssumable(ctx, ref.Name, *in.Role); err != nil {
		return Config{}, err
	}
	digest, unreadable, err := codeFromInput(&in)
	if err != nil {
		return Config{}, err
	}
	layers, err := s.resolveLayers(ctx, sc, in.Layers, unzippedSize(in.ZipFile))
	if err != nil {
		return Config{}, err
	}
	unpinLayers, err := s.pinLayers(ctx, layers)
	if err != nil {
		return Config{}, err
	}
	defer unpinLayers()

	now := s.now()
	cfg := Config{
		Version:          LatestVersion,
		Runtime:          *in.Runtime,
		Role:             *in.Role,
		Handler:          deref(in.Handler, ""),
		Description:      deref(in.Description, ""),
		Timeout:          deref(in.Timeout, 3),
		MemorySize:       deref(in.MemorySize, 128),
		EphemeralStorage: deref(in.EphemeralStorage, 512),
		Architectures:    []string{"x86_64"},
		PackageType:      "Zip",
		Environment:      in.Environment,
		TracingMode:      deref(in.TracingMode, "PassThrough"),
		Logging:          logging,
		CodeSha256:       digest,
		CodeSize:         int64(len(in.ZipFile)),
		Layers:           layers,
		LastModified:     now,
		RevisionID:       newRevisionID(),
		Phase:            Creating,
	}
	if in.Architectures != nil {
		cfg.Architectures = slices.Clone(in.Architectures)
	}
	if err := applySettings(&cfg, &in.Settings); err != nil {
		return Config{}, err
	}
	pending := &Function{Scope: sc, Name: ref.Name, Latest: cfg, Tags: in.Tags}
	normalize(pending)
	if in.Publish {
		pending.publish("")
	}
	answer := pending.Latest
	if in.Publish {
		answer = pending.Versions[len(pending.Versions)-1]
	}

	unpin, err := s.pinCode(ctx, digest)
	if err != nil {
		return Config{}, err
	}
	defer unpin()
	// Claim the name, showing the function Pending while its package is
	// checked and stored; then it is written, settled, outside the index lock.
	s.mu.Lock()
	idx := s.index(sc)
	if _, exists := idx[ref.Name]; exists {
		s.mu.Unlock()
		return Config{}, newErr(KindResourceConflict, "Function already exist: %s", ref.Name)
	}
	e := newEntry()
	h, _ := e.lock(context.Background()) // new: free
	h.show(pending)
	idx[ref.Name] = e
	s.mu.Unlock()

	stored := false
	err = s.checkPackage(in.ZipFile)
	if err == nil {
		err = s.store.PutCode(ctx, digest, in.ZipFile)
		stored = err == nil
	}
	if err == nil {
		done := pending.settle()
		if err = s.save(ctx, done); err == nil {
			h.publish(done)
			h.unlock()
			s.warnUnreadable(ref.Name, unreadable)
			s.warnRuntime(ref.Name, cfg.Runtime)
			return answer, nil
		}
	}
	s.mu.Lock()
	delete(idx, ref.Name)
	s.mu.Unlock()
	h.publish(nil)
	h.unlock()
	if stored {
		unpin()
		s.collectCode(ctx, digest)
	}
	var de *Error
	if errors.As(err, &de) {
		return Config{}, err
	}
	return Config{}, fmt.Errorf("create function %s: %w", ref.Name, err)
}

// settle returns the function as it stands once the work its Pending or
// InProgress snapshot stood for is done: every configuration settled, and
// those that were not under a new RevisionId (AWS's changes with the state).
func (fn *Function) settle() *Function {
	c := fn.clone()
	renew := func(cfg *Config) {
		if cfg.Phase != Settled {
			cfg.Phase, cfg.RevisionID = Settled, newRevisionID()
		}
	}
	renew(&c.Latest)
	for i := range c.Versions {
		renew(&c.Versions[i])
	}
	return c
}

// checkWritable refuses an update or a PublishVersion while the function is
// being created or updated, with AWS's conflicts.
func (fn *Function) checkWritable() error {
	switch fn.Latest.Phase {
	case Creating:
		return errUpdatePending(fn.Scope.FunctionARN(fn.Name))
	case Updating:
		return errUpdateInProgress(fn.Scope.FunctionARN(fn.Name))
	}
	return nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// publish appends a new version made from $LATEST, unless $LATEST is
// unchanged since the newest version, in which case that version stands.
// The version carries the function's description unless description ("":
// none given) overrides it.
func (fn *Function) publish(description string) Config {
	if n := len(fn.Versions); n > 0 && sameCode(fn.Versions[n-1], fn.Latest) {
		return fn.Versions[n-1]
	}
	fn.LastVersion++
	v := fn.Latest.clone()
	v.Version = strconv.Itoa(fn.LastVersion)
	if description != "" {
		v.Description = description
	}
	v.RevisionID = newRevisionID()
	fn.Versions = append(fn.Versions, v)
	return v
}

// sameCode reports whether a published version already captures $LATEST.
func sameCode(a, b Config) bool {
	return a.CodeSha256 == b.CodeSha256 && a.Runtime == b.Runtime && a.Handler == b.Handler &&
		a.Role == b.Role && a.MemorySize == b.MemorySize && a.Timeout == b.Timeout &&
		a.EphemeralStorage == b.EphemeralStorage && slices.Equal(a.Architectures, b.Architectures) &&
		maps.Equal(a.Environment, b.Environment) && a.TracingMode == b.TracingMode && a.Logging == b.Logging &&
		slices.Equal(a.Layers, b.Layers) && a.sameSettings(b)
}

// FunctionView is what GetFunction returns.
type FunctionView struct {
	Config    Config
	Qualifier string    // the qualifier asked for ("" for none)
	Function  *Function // the snapshot the view was taken from
	// Reserved is the function's reservation (nil: none).
	Reserved *int
	Tags     map[string]string
}

// getConfig resolves a qualifier on an existing function.
func (fn *Function) getConfig(q string) (Config, error) {
	switch {
	case q == "" || q == LatestVersion:
		return fn.Latest, nil
	case isVersionNumber(q):
		if c, ok := fn.version(q); ok {
			return c, nil
		}
	default:
		if a, ok := fn.Aliases[q]; ok {
			if c, ok := fn.versionFor(a.Name); ok {
				return c, nil
			}
		}
	}
	return Config{}, errFunctionNotFound(fn.Scope.FunctionARN(fn.Name) + ":" + q)
}

// GetFunction returns a function's configuration at the qualifier.
func (s *Service) GetFunction(ctx context.Context, sc Scope, name, qualifier string) (FunctionView, error) {
	ref, err := s.resolve(sc, name, qualifier, nameRead)
	if err != nil {
		return FunctionView{}, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		arn := sc.FunctionARN(ref.Name)
		if ref.Qualifier != "" {
			arn += ":" + ref.Qualifier
		}
		return FunctionView{}, errFunctionNotFound(arn)
	}
	cfg, err := fn.getConfig(ref.Qualifier)
	if err != nil {
		return FunctionView{}, err
	}
	return FunctionView{Config: cfg, Qualifier: ref.Qualifier, Function: fn, Reserved: fn.ReservedConcurrency, Tags: fn.Tags}, nil
}

// Code returns the deployment package of a function version.
func (s *Service) Code(ctx context.Context, sc Scope, name, qualifier string) ([]byte, error) {
	view, err := s.GetFunction(ctx, sc, name, qualifier)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Code(ctx, view.Config.CodeSha256)
	if errors.Is(err, ErrCodeNotFound) && view.Config.Phase != Settled {
		return nil, view.Function.checkWritable() // its package is still being stored
	}
	return b, err
}

func (s *Service) checkRevision(have, want, what string) error {
	if want != "" && want != have {
		return newErr(KindPreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the %s API to retrieve the latest Revision Id", what)
	}
	return nil
}

// unqualified resolves a write-form name that must not carry a qualifier
// other than $LATEST.
func (s *Service) unqualified(sc Scope, name string) (FunctionRef, error) {
	ref, err := s.resolve(sc, name, "", nameWrite)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" && ref.Qualifier != LatestVersion {
		return ref, newErr(KindInvalidParameterValue, "Unsupported qualifier %s; only $LATEST may be updated.", ref.Qualifier)
	}
	return ref, nil
}

// UpdateFunctionConfiguration changes $LATEST's configuration.
func (s *Service) UpdateFunctionConfiguration(ctx context.Context, sc Scope, in FunctionInput) (Config, error) {
	var v Validation
	validateConfig(&in, &v)
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	if err := checkMemoryQuota(in.MemorySize); err != nil {
		return Config{}, err
	}
	ref, err := s.unqualified(sc, in.FunctionName)
	if err != nil {
		return Config{}, err
	}
	if in.Environment != nil {
		if err := checkEnvironment(in.Environment); err != nil {
			return Config{}, err
		}
	}
	if in.Role != nil {
		if err := checkRoleAccount(sc, *in.Role); err != nil {
			return Config{}, err
		}
		if _, cur := s.lookup(sc, ref.Name); cur != nil && cur.Latest.Role != *in.Role {
			if err := s.checkAssumable(ctx, ref.Name, *in.Role); err != nil {
				return Config{}, err
			}
		}
	}
	var layers []LayerRef
	if in.Layers != nil {
		_, cur := s.lookup(sc, ref.Name)
		if cur == nil {
			return Config{}, errFunctionNotFound(sc.FunctionARN(ref.Name))
		}
		codeSize, err := s.storedUnzippedSize(ctx, cur.Latest.CodeSha256)
		if err != nil {
			return Config{}, err
		}
		if layers, err = s.resolveLayers(ctx, sc, in.Layers, codeSize); err != nil {
			return Config{}, err
		}
		unpin, err := s.pinLayers(ctx, layers)
		if err != nil {
			return Config{}, err
		}
		defer unpin()
	}
	shown, _, err := s.updateLatest(ctx, sc, ref.Name, func(fn *Function) error {
		if err := s.checkRevision(fn.Latest.RevisionID, in.RevisionID, "GetFunction/GetAlias"); err != nil {
			return err
		}
		c := &fn.Latest
		if in.Layers != nil {
			c.Layers = layers
		}
		setIf(&c.Runtime, in.Runtime)
		setIf(&c.Role, in.Role)
		setIf(&c.Handler, in.Handler)
		setIf(&c.Description, in.Description)
		setIf(&c.Timeout, in.Timeout)
		setIf(&c.MemorySize, in.MemorySize)
		setIf(&c.EphemeralStorage, in.EphemeralStorage)
		setIf(&c.TracingMode, in.TracingMode)
		if in.Environment != nil {
			c.Environment = in.Environment
		}
		logging, err := resolveLogging(c.Logging, in.Logging)
		if err != nil {
			return err
		}
		c.Logging = logging
		return applySettings(c, &in.Settings)
	}, nil, false)
	if err != nil {
		return Config{}, err
	}
	if in.Runtime != nil {
		s.warnRuntime(ref.Name, *in.Runtime)
	}
	return shown.Latest, nil
}

// newCode is the deployment package an UpdateFunctionCode brings.
type newCode struct {
	digest string
	zip    []byte
}

// updateLatest changes $LATEST through AWS's update states. It refuses at
// once a function whose creation or update is under way; otherwise, under the
// writer slot, it applies change to a copy of the function and shows that
// copy, InProgress, while the update's work runs (invocations keep running
// the previous $LATEST; updates arriving meanwhile get the conflict): checking
// and storing code, if any, and the durable write of the function, settled
// under a new RevisionId (with a new version when publish is set). Then it
// publishes the function and retires the previous $LATEST's environments. It
// returns the InProgress snapshot (what AWS answers) and the durable one.
// When the work fails, the previous function is shown again.
//
// code's package is pinned from before it is stored until the function
// referencing it is published, and collected when the update fails after
// storing it; the package the update replaces is collected once it is done.
func (s *Service) updateLatest(ctx context.Context, sc Scope, name string, change func(fn *Function) error,
	code *newCode, publish bool) (shown, done *Function, err error) {
	notFound := errFunctionNotFound(sc.FunctionARN(name))
	e, cur := s.lookup(sc, name)
	if cur == nil {
		return nil, nil, notFound
	}
	if err := cur.checkWritable(); err != nil {
		return nil, nil, err
	}
	unpin := func() {}
	if code != nil {
		if unpin, err = s.pinCode(ctx, code.digest); err != nil {
			return nil, nil, err
		}
		defer unpin()
	}
	h, err := e.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	if h.fn == nil {
		h.unlock()
		return nil, nil, notFound
	}
	prev := h.fn.Latest
	next := h.fn.clone()
	if err := change(next); err != nil {
		h.unlock()
		return nil, nil, err
	}
	next.Latest.LastModified = s.now()
	next.Latest.RevisionID = newRevisionID()
	shown = next.updating(prev)
	h.show(shown)

	stored := false
	if code != nil {
		if err = s.checkPackage(code.zip); err == nil {
			if err = s.store.PutCode(ctx, code.digest, code.zip); err != nil {
				err = fmt.Errorf("store code: %w", err)
			}
			stored = err == nil
		}
	}
	if err == nil {
		next.Latest.RevisionID = newRevisionID()
		if publish {
			next.publish("")
		}
		if err = s.save(ctx, next); err != nil {
			err = fmt.Errorf("save function %s: %w", name, err)
		}
	}
	if err != nil {
		h.restore()
		h.unlock()
		if stored {
			unpin()
			s.collectCode(ctx, code.digest)
		}
		return nil, nil, err
	}
	h.publish(next)
	s.retire(h, LatestVersion)
	h.unlock()
	unpin()
	if prev.CodeSha256 != next.Latest.CodeSha256 {
		s.collectCode(ctx, prev.CodeSha256)
	}
	if !slices.Equal(prev.Layers, next.Latest.Layers) {
		var gone []string
		for _, l := range prev.Layers {
			gone = append(gone, l.CodeSha256)
		}
		s.collectCode(ctx, gone...)
	}
	return shown, next, nil
}

// updating returns the InProgress snapshot of fn, whose $LATEST replaces
// prev: invocations of $LATEST run prev until the update is done.
func (fn *Function) updating(prev Config) *Function {
	c := *fn
	c.Latest.Phase = Updating
	c.running = &prev
	return &c
}

// retire stops the on-demand environments of one version of the held
// function (every version with ""): they can no longer be reached as they
// are. It takes the writer slot, so it follows the write that made them
// unreachable.
func (s *Service) retire(h *held, version string) {
	s.exec.Retire(RetireTarget{Scope: h.fn.Scope, FunctionName: h.fn.Name, Version: version})
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// UpdateFunctionCode replaces $LATEST's code, publishing a version if asked.
func (s *Service) UpdateFunctionCode(ctx context.Context, sc Scope, in FunctionInput, dryRun bool) (Config, error) {
	ref, err := s.unqualified(sc, in.FunctionName)
	if err != nil {
		return Config{}, err
	}
	var v Validation
	validateConfig(&FunctionInput{Architectures: in.Architectures}, &v)
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	digest, unreadable, err := codeFromInput(&in)
	if err != nil {
		return Config{}, err
	}
	if dryRun {
		view, err := s.GetFunction(ctx, sc, ref.Name, "")
		if err != nil {
			return Config{}, err
		}
		c := view.Config
		c.CodeSha256, c.CodeSize = digest, int64(len(in.ZipFile))
		return c, nil
	}
	if _, cur := s.lookup(sc, ref.Name); cur != nil && len(cur.Latest.Layers) > 0 {
		if err := s.checkLayersSize(ctx, cur.Latest.Layers, unzippedSize(in.ZipFile)); err != nil {
			return Config{}, err
		}
	}
	shown, done, err := s.updateLatest(ctx, sc, ref.Name, func(fn *Function) error {
		if err := s.checkRevision(fn.Latest.RevisionID, in.RevisionID, "GetFunction/GetAlias"); err != nil {
			return err
		}
		c := &fn.Latest
		c.CodeSha256, c.CodeSize = digest, int64(len(in.ZipFile))
		if in.Architectures != nil {
			c.Architectures = slices.Clone(in.Architectures)
		}
		return nil
	}, &newCode{digest: digest, zip: in.ZipFile}, in.Publish)
	if err == nil {
		s.warnUnreadable(ref.Name, unreadable)
	}
	switch {
	case err != nil:
		return Config{}, err
	case in.Publish:
		// A version is published from the settled $LATEST: it is settled.
		return done.Versions[len(done.Versions)-1], nil
	}
	return shown.Latest, nil
}

// PublishVersion publishes $LATEST as a new version.
func (s *Service) PublishVersion(ctx context.Context, sc Scope, name, codeSha256, description, revisionID string) (Config, error) {
	var v Validation
	v.Length(description, 0, 256, "description")
	if err := v.Err(); err != nil {
		return Config{}, err
	}
	ref, err := s.unqualified(sc, name)
	if err != nil {
		return Config{}, err
	}
	if _, fn := s.lookup(sc, ref.Name); fn != nil {
		if err := fn.checkWritable(); err != nil {
			return Config{}, err
		}
	}
	var out Config
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			if err := s.checkRevision(fn.Latest.RevisionID, revisionID, "GetFunction/GetAlias"); err != nil {
				return nil, nil, err
			}
			if codeSha256 != "" && codeSha256 != fn.Latest.CodeSha256 {
				return nil, nil, newErr(KindInvalidParameterValue, "CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again.", codeSha256, fn.Latest.CodeSha256)
			}
			out = fn.publish(description)
			return nil, nil, nil
		})
	return out, err
}

// DeleteFunction deletes a function, or one published version of it.
func (s *Service) DeleteFunction(ctx context.Context, sc Scope, name, qualifier string) error {
	ref, err := s.resolve(sc, name, qualifier, nameRead)
	if err != nil {
		return err
	}
	notFound := func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) }
	switch {
	case ref.Qualifier == LatestVersion:
		return newErr(KindInvalidParameterValue, "$LATEST version cannot be deleted without deleting the function.")
	case ref.Qualifier != "" && !isVersionNumber(ref.Qualifier):
		return newErr(KindInvalidParameterValue, "Deletion of aliases is not supported.")
	case ref.Qualifier != "":
		return s.deleteVersion(ctx, sc, ref)
	}
	e, _ := s.lookup(sc, ref.Name)
	if e == nil {
		return notFound()
	}
	h, err := e.lock(ctx)
	if err != nil {
		return err
	}
	fn := h.fn
	if fn == nil {
		h.unlock()
		return notFound()
	}
	if err := s.store.DeleteFunction(ctx, sc, ref.Name); err != nil {
		h.unlock()
		return fmt.Errorf("delete function %s: %w", ref.Name, err)
	}
	// Its environments and books go before its name is free again, so that
	// a function created anew under the name starts from nothing of it.
	for q := range fn.Provisioned {
		s.provision(h, q, 0)
	}
	s.acct.RemoveFunction(cscope(sc), ref.Name)
	s.retire(h, "")
	h.publish(nil)
	s.mu.Lock()
	delete(s.scopes[sc], ref.Name)
	s.mu.Unlock()
	h.unlock()
	// Outside the writer slot: a delete is an fsync.
	var digests []string
	fn.eachDigest(func(d string) { digests = append(digests, d) })
	s.collectCode(ctx, digests...)
	return nil
}

func (s *Service) deleteVersion(ctx context.Context, sc Scope, ref FunctionRef) error {
	var gone Config // the deleted version
	_, err := s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + ref.Qualifier) },
		func(fn *Function) (func(), func(*held), error) {
			i := slices.IndexFunc(fn.Versions, func(c Config) bool { return c.Version == ref.Qualifier })
			if i < 0 {
				return nil, nil, errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + ref.Qualifier)
			}
			var users []string
			for _, a := range fn.Aliases {
				if a.FunctionVersion == ref.Qualifier || a.AdditionalVersionWeights[ref.Qualifier] > 0 {
					users = append(users, a.Name)
				}
			}
			if len(users) > 0 {
				sort.Strings(users)
				return nil, nil, newErr(KindResourceConflict, "Unable to delete version because the following aliases reference it: [%s]", strings.Join(users, ", "))
			}
			gone = fn.Versions[i]
			fn.Versions = slices.Delete(fn.Versions, i, i+1)
			delete(fn.EventInvoke, ref.Qualifier)
			delete(fn.Policies, ref.Qualifier)
			var undo func()
			_, released := fn.Provisioned[ref.Qualifier]
			if released {
				n := fn.Provisioned[ref.Qualifier].Requested
				delete(fn.Provisioned, ref.Qualifier)
				cs := cscope(sc)
				s.acct.SetProvisioned(cs, ref.Name, ref.Qualifier, 0)
				undo = func() { s.acct.SetProvisioned(cs, ref.Name, ref.Qualifier, n) }
			}
			return undo, func(h *held) {
				if released {
					s.provision(h, ref.Qualifier, 0)
				}
				s.retire(h, ref.Qualifier)
			}, nil
		})
	if err != nil {
		return err
	}
	var digests []string
	gone.eachDigest(func(d string) { digests = append(digests, d) })
	s.collectCode(ctx, digests...)
	return nil
}

// ListFunctions lists the scope's functions ($LATEST, or every version with
// allVersions), sorted by name, paginated by Marker/MaxItems.
func (s *Service) ListFunctions(ctx context.Context, sc Scope, marker string, maxItems int, allVersions bool) ([]Config, []*Function, string, error) {
	if err := checkMaxItems(maxItems, 10000); err != nil {
		return nil, nil, "", err
	}
	var cfgs []Config
	var owners []*Function
	for _, e := range s.entries(sc) {
		fn := e.cur.Load()
		if fn == nil {
			continue
		}
		cfgs = append(cfgs, fn.Latest)
		owners = append(owners, fn)
		if allVersions {
			for _, v := range fn.Versions {
				cfgs = append(cfgs, v)
				owners = append(owners, fn)
			}
		}
	}
	start, end, next, err := page(len(cfgs), marker, maxItems, 50)
	if err != nil {
		return nil, nil, "", err
	}
	return cfgs[start:end], owners[start:end], next, nil
}

// ListVersions lists $LATEST and the published versions, oldest first.
func (s *Service) ListVersions(ctx context.Context, sc Scope, name, marker string, maxItems int) ([]Config, *Function, string, error) {
	if err := checkMaxItems(maxItems, 10000); err != nil {
		return nil, nil, "", err
	}
	ref, err := s.resolve(sc, name, "", nameRead)
	if err != nil {
		return nil, nil, "", err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, nil, "", errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	all := append([]Config{fn.Latest}, fn.Versions...)
	start, end, next, err := page(len(all), marker, maxItems, 50)
	if err != nil {
		return nil, nil, "", err
	}
	return all[start:end], fn, next, nil
}

func checkMaxItems(maxItems, hi int) error {
	if maxItems == 0 {
		return nil
	}
	var v Validation
	v.MinInt(&maxItems, 1, "maxItems")
	v.MaxInt(&maxItems, hi, "maxItems")
	return v.Err()
}

// page turns Marker/MaxItems into slice bounds. Markers are opaque offsets.
func page(n int, marker string, maxItems, def int) (start, end int, next string, err error) {
	if maxItems <= 0 {
		maxItems = def
	}
	if marker != "" {
		off, perr := strconv.Atoi(strings.TrimPrefix(marker, "o"))
		if perr != nil || off < 0 || !strings.HasPrefix(marker, "o") {
			return 0, 0, "", newErr(KindInvalidParameterValue, "Invalid marker: %s", marker)
		}
		start = min(off, n)
	}
	end = min(start+maxItems, n)
	if end < n {
		next = "o" + strconv.Itoa(end)
	}
	return start, end, next, nil
}
