package boltstore

import (
	"fmt"
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// The record types are the on-disk shape of schema version 2 (see the package
// comment). Their JSON tags are the schema: change them only together with
// SchemaVersion and a migration.

type functionRecord struct {
	Account             string                       `json:"account"`
	Region              string                       `json:"region"`
	Name                string                       `json:"name"`
	Latest              configRecord                 `json:"latest"`
	Versions            []configRecord               `json:"versions,omitempty"`
	LastVersion         int                          `json:"last_version"`
	Aliases             map[string]aliasRecord       `json:"aliases,omitempty"`
	ReservedConcurrency *int                         `json:"reserved_concurrency,omitempty"`
	Provisioned         map[string]provisionedRecord `json:"provisioned,omitempty"`
	Tags                map[string]string            `json:"tags,omitempty"`
	EventInvoke         map[string]eventInvokeRecord `json:"event_invoke,omitempty"`
	Policies            map[string][]statementRecord `json:"policies,omitempty"`
	RecursiveLoop       string                       `json:"recursive_loop,omitempty"`
	URLs                map[string]functionURLRecord `json:"urls,omitempty"`
}

// statementRecord is one resource policy statement, as AddPermission was
// sent it; an absent condition member is one it does not have.
type statementRecord struct {
	Sid                   string `json:"sid"`
	Action                string `json:"action"`
	Principal             string `json:"principal"`
	SourceArn             string `json:"source_arn,omitempty"`
	SourceAccount         string `json:"source_account,omitempty"`
	EventSourceToken      string `json:"event_source_token,omitempty"`
	PrincipalOrgID        string `json:"principal_org_id,omitempty"`
	FunctionURLAuthType   string `json:"function_url_auth_type,omitempty"`
	InvokedViaFunctionURL bool   `json:"invoked_via_function_url,omitempty"`
}

// functionURLRecord is one function URL (qualifier $LATEST or an alias).
type functionURLRecord struct {
	Qualifier        string      `json:"qualifier"`
	URLID            string      `json:"url_id"`
	AuthType         string      `json:"auth_type"`
	Cors             *corsRecord `json:"cors,omitempty"`
	InvokeMode       string      `json:"invoke_mode"`
	CreationTime     time.Time   `json:"creation_time"`
	LastModifiedTime time.Time   `json:"last_modified_time"`
}

// corsRecord is a function URL's CORS settings; absent members are unset.
type corsRecord struct {
	AllowCredentials *bool    `json:"allow_credentials,omitempty"`
	AllowHeaders     []string `json:"allow_headers,omitempty"`
	AllowMethods     []string `json:"allow_methods,omitempty"`
	AllowOrigins     []string `json:"allow_origins,omitempty"`
	ExposeHeaders    []string `json:"expose_headers,omitempty"`
	MaxAge           *int     `json:"max_age_s,omitempty"`
}

func corsToRecord(c *lambda.Cors) *corsRecord {
	if c == nil {
		return nil
	}
	out := &corsRecord{AllowHeaders: cloneSlice(c.AllowHeaders), AllowMethods: cloneSlice(c.AllowMethods),
		AllowOrigins: cloneSlice(c.AllowOrigins), ExposeHeaders: cloneSlice(c.ExposeHeaders), MaxAge: cloneInt(c.MaxAge)}
	if c.AllowCredentials != nil {
		b := *c.AllowCredentials
		out.AllowCredentials = &b
	}
	return out
}

func (c *corsRecord) toDomain() *lambda.Cors {
	if c == nil {
		return nil
	}
	out := &lambda.Cors{AllowHeaders: cloneSlice(c.AllowHeaders), AllowMethods: cloneSlice(c.AllowMethods),
		AllowOrigins: cloneSlice(c.AllowOrigins), ExposeHeaders: cloneSlice(c.ExposeHeaders), MaxAge: cloneInt(c.MaxAge)}
	if c.AllowCredentials != nil {
		b := *c.AllowCredentials
		out.AllowCredentials = &b
	}
	return out
}

// eventInvokeRecord is one qualifier's event invoke config; an absent limit
// is one the config does not set.
type eventInvokeRecord struct {
	Qualifier        string    `json:"qualifier"`
	MaxRetryAttempts *int      `json:"max_retry_attempts,omitempty"`
	MaxEventAgeS     *int      `json:"max_event_age_s,omitempty"`
	OnSuccess        string    `json:"on_success,omitempty"`
	OnFailure        string    `json:"on_failure,omitempty"`
	LastModified     time.Time `json:"last_modified"`
}

type configRecord struct {
	Version           string             `json:"version"`
	Description       string             `json:"description,omitempty"`
	Runtime           string             `json:"runtime,omitempty"`
	Handler           string             `json:"handler,omitempty"`
	Role              string             `json:"role,omitempty"`
	MemorySize        int                `json:"memory_size_mb"`
	Timeout           int                `json:"timeout_s"`
	EphemeralStorage  int                `json:"ephemeral_storage_mb"`
	Architectures     []string           `json:"architectures,omitempty"`
	PackageType       string             `json:"package_type,omitempty"`
	Environment       map[string]string  `json:"environment,omitempty"`
	TracingMode       string             `json:"tracing_mode,omitempty"`
	Logging           *loggingRecord     `json:"logging,omitempty"`
	CodeSha256        string             `json:"code_sha256,omitempty"`
	CodeSize          int64              `json:"code_size"`
	Layers            []layerRefRecord   `json:"layers,omitempty"`
	Vpc               *vpcRecord         `json:"vpc,omitempty"`
	DeadLetterTarget  string             `json:"dead_letter_target,omitempty"`
	SnapStartApplyOn  string             `json:"snap_start_apply_on,omitempty"`
	FileSystems       []fileSystemRecord `json:"file_systems,omitempty"`
	KMSKeyArn         string             `json:"kms_key_arn,omitempty"`
	RuntimeUpdateOn   string             `json:"runtime_update_on,omitempty"`
	RuntimeVersionArn string             `json:"runtime_version_arn,omitempty"`
	LastModified      time.Time          `json:"last_modified"`
	RevisionID        string             `json:"revision_id,omitempty"`
}

// vpcRecord is a configuration's VpcConfig (absent: never given).
type vpcRecord struct {
	SubnetIDs        []string `json:"subnet_ids,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
	IPv6DualStack    bool     `json:"ipv6_dual_stack,omitempty"`
}

func vpcToRecord(v *lambda.VpcConfig) *vpcRecord {
	if v == nil {
		return nil
	}
	return &vpcRecord{SubnetIDs: cloneSlice(v.SubnetIDs), SecurityGroupIDs: cloneSlice(v.SecurityGroupIDs), IPv6DualStack: v.IPv6DualStack}
}

func (r *vpcRecord) toDomain() *lambda.VpcConfig {
	if r == nil {
		return nil
	}
	return &lambda.VpcConfig{SubnetIDs: r.SubnetIDs, SecurityGroupIDs: r.SecurityGroupIDs, IPv6DualStack: r.IPv6DualStack}
}

type fileSystemRecord struct {
	Arn            string `json:"arn"`
	LocalMountPath string `json:"local_mount_path"`
}

func fileSystemsToRecord(fs []lambda.FileSystem) []fileSystemRecord {
	var out []fileSystemRecord
	for _, f := range fs {
		out = append(out, fileSystemRecord{Arn: f.Arn, LocalMountPath: f.LocalMountPath})
	}
	return out
}

func fileSystemsFromRecord(fs []fileSystemRecord) []lambda.FileSystem {
	var out []lambda.FileSystem
	for _, f := range fs {
		out = append(out, lambda.FileSystem{Arn: f.Arn, LocalMountPath: f.LocalMountPath})
	}
	return out
}

// layerRefRecord is one layer of a configuration.
type layerRefRecord struct {
	Arn        string `json:"arn"`
	CodeSha256 string `json:"code_sha256"`
	CodeSize   int64  `json:"code_size"`
}

func layerRefsToRecord(ls []lambda.LayerRef) []layerRefRecord {
	var out []layerRefRecord
	for _, l := range ls {
		out = append(out, layerRefRecord{Arn: l.Arn, CodeSha256: l.CodeSha256, CodeSize: l.CodeSize})
	}
	return out
}

func layerRefsFromRecord(ls []layerRefRecord) []lambda.LayerRef {
	var out []lambda.LayerRef
	for _, l := range ls {
		out = append(out, lambda.LayerRef{Arn: l.Arn, CodeSha256: l.CodeSha256, CodeSize: l.CodeSize})
	}
	return out
}

// loggingRecord is a configuration's LoggingConfig; absent, AWS's default
// (Text to /aws/lambda/<name>).
type loggingRecord struct {
	Format              string `json:"format,omitempty"`
	ApplicationLogLevel string `json:"application_log_level,omitempty"`
	SystemLogLevel      string `json:"system_log_level,omitempty"`
	LogGroup            string `json:"log_group,omitempty"`
}

type aliasRecord struct {
	Name                     string             `json:"name"`
	FunctionVersion          string             `json:"function_version"`
	Description              string             `json:"description,omitempty"`
	RevisionID               string             `json:"revision_id,omitempty"`
	AdditionalVersionWeights map[string]float64 `json:"additional_version_weights,omitempty"`
}

// provisionedRecord keeps only the durable half of a config; status and
// environment counts are live state.
type provisionedRecord struct {
	Qualifier    string    `json:"qualifier"`
	Requested    int       `json:"requested"`
	LastModified time.Time `json:"last_modified"`
}

type roleRecord struct {
	Account                  string            `json:"account"`
	Name                     string            `json:"name"`
	ID                       string            `json:"id,omitempty"`
	Path                     string            `json:"path,omitempty"`
	AssumeRolePolicyDocument string            `json:"assume_role_policy_document,omitempty"`
	Description              string            `json:"description,omitempty"`
	MaxSessionDuration       int               `json:"max_session_duration_s"`
	CreateDate               time.Time         `json:"create_date"`
	Tags                     map[string]string `json:"tags,omitempty"`
	InlinePolicies           map[string]string `json:"inline_policies,omitempty"`
	AttachedPolicies         []string          `json:"attached_policies,omitempty"`
}

// --- domain -> record -------------------------------------------------------

func functionToRecord(fn *lambda.Function) (functionRecord, error) {
	rec := functionRecord{
		Account:       fn.Scope.Account,
		Region:        fn.Scope.Region,
		Name:          fn.Name,
		Latest:        configToRecord(fn.Latest),
		LastVersion:   fn.LastVersion,
		Tags:          cloneMap(fn.Tags),
		RecursiveLoop: fn.RecursiveLoop,
	}
	if fn.ReservedConcurrency != nil {
		n := *fn.ReservedConcurrency
		rec.ReservedConcurrency = &n
	}
	if len(fn.Versions) > 0 {
		rec.Versions = make([]configRecord, len(fn.Versions))
		for i, c := range fn.Versions {
			rec.Versions[i] = configToRecord(c)
		}
	}
	if len(fn.Aliases) > 0 {
		rec.Aliases = make(map[string]aliasRecord, len(fn.Aliases))
		for name, a := range fn.Aliases {
			if a == nil {
				return functionRecord{}, fmt.Errorf("alias %q is nil", name)
			}
			rec.Aliases[name] = aliasRecord{
				Name:                     a.Name,
				FunctionVersion:          a.FunctionVersion,
				Description:              a.Description,
				RevisionID:               a.RevisionID,
				AdditionalVersionWeights: cloneMap(a.AdditionalVersionWeights),
			}
		}
	}
	if len(fn.Provisioned) > 0 {
		rec.Provisioned = make(map[string]provisionedRecord, len(fn.Provisioned))
		for q, p := range fn.Provisioned {
			if p == nil {
				return functionRecord{}, fmt.Errorf("provisioned config %q is nil", q)
			}
			rec.Provisioned[q] = provisionedRecord{
				Qualifier:    p.Qualifier,
				Requested:    p.Requested,
				LastModified: utc(p.LastModified),
			}
		}
	}
	if len(fn.EventInvoke) > 0 {
		rec.EventInvoke = make(map[string]eventInvokeRecord, len(fn.EventInvoke))
		for q, c := range fn.EventInvoke {
			if c == nil {
				return functionRecord{}, fmt.Errorf("event invoke config %q is nil", q)
			}
			rec.EventInvoke[q] = eventInvokeRecord{
				Qualifier:        c.Qualifier,
				MaxRetryAttempts: cloneInt(c.MaximumRetryAttempts),
				MaxEventAgeS:     cloneInt(c.MaximumEventAgeInSeconds),
				OnSuccess:        c.OnSuccess,
				OnFailure:        c.OnFailure,
				LastModified:     utc(c.LastModified),
			}
		}
	}
	if len(fn.Policies) > 0 {
		rec.Policies = make(map[string][]statementRecord, len(fn.Policies))
		for q, sts := range fn.Policies {
			out := make([]statementRecord, len(sts))
			for i, st := range sts {
				out[i] = statementRecord{Sid: st.Sid, Action: st.Action, Principal: st.Principal, SourceArn: st.SourceArn,
					SourceAccount: st.SourceAccount, EventSourceToken: st.EventSourceToken, PrincipalOrgID: st.PrincipalOrgID,
					FunctionURLAuthType: st.FunctionURLAuthType, InvokedViaFunctionURL: st.InvokedViaFunctionURL}
			}
			rec.Policies[q] = out
		}
	}
	if len(fn.URLs) > 0 {
		rec.URLs = make(map[string]functionURLRecord, len(fn.URLs))
		for q, u := range fn.URLs {
			if u == nil {
				return functionRecord{}, fmt.Errorf("function URL config %q is nil", q)
			}
			rec.URLs[q] = functionURLRecord{
				Qualifier:        u.Qualifier,
				URLID:            u.URLID,
				AuthType:         u.AuthType,
				Cors:             corsToRecord(u.Cors),
				InvokeMode:       u.InvokeMode,
				CreationTime:     utc(u.CreationTime),
				LastModifiedTime: utc(u.LastModifiedTime),
			}
		}
	}
	return rec, nil
}

func cloneInt(p *int) *int {
	if p == nil {
		return nil
	}
	n := *p
	return &n
}

func configToRecord(c lambda.Config) configRecord {
	return configRecord{
		Version:           c.Version,
		Description:       c.Description,
		Runtime:           c.Runtime,
		Handler:           c.Handler,
		Role:              c.Role,
		MemorySize:        c.MemorySize,
		Timeout:           c.Timeout,
		EphemeralStorage:  c.EphemeralStorage,
		Architectures:     cloneSlice(c.Architectures),
		PackageType:       c.PackageType,
		Environment:       cloneMap(c.Environment),
		TracingMode:       c.TracingMode,
		Logging:           loggingToRecord(c.Logging),
		CodeSha256:        c.CodeSha256,
		CodeSize:          c.CodeSize,
		Layers:            layerRefsToRecord(c.Layers),
		Vpc:               vpcToRecord(c.Vpc),
		DeadLetterTarget:  c.DeadLetterTarget,
		SnapStartApplyOn:  c.SnapStartApplyOn,
		FileSystems:       fileSystemsToRecord(c.FileSystems),
		KMSKeyArn:         c.KMSKeyArn,
		RuntimeUpdateOn:   c.RuntimeUpdateOn,
		RuntimeVersionArn: c.RuntimeVersionArn,
		LastModified:      utc(c.LastModified),
		RevisionID:        c.RevisionID,
	}
}

func loggingToRecord(l lambda.Logging) *loggingRecord {
	if l == (lambda.Logging{}) {
		return nil
	}
	return &loggingRecord{Format: string(l.Format), ApplicationLogLevel: l.ApplicationLogLevel,
		SystemLogLevel: l.SystemLogLevel, LogGroup: l.LogGroup}
}

func roleToRecord(r iam.Role) roleRecord {
	return roleRecord{
		Account:                  r.Account,
		Name:                     r.Name,
		ID:                       r.ID,
		Path:                     r.Path,
		AssumeRolePolicyDocument: r.AssumeRolePolicyDocument,
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSessionDuration,
		CreateDate:               utc(r.CreateDate),
		Tags:                     cloneMap(r.Tags),
		InlinePolicies:           cloneMap(r.InlinePolicies),
		AttachedPolicies:         cloneSlice(r.AttachedPolicies),
	}
}

// --- record -> domain -------------------------------------------------------

func (rec functionRecord) toDomain() *lambda.Function {
	fn := &lambda.Function{
		Scope:         lambda.Scope{Account: rec.Account, Region: rec.Region},
		Name:          rec.Name,
		Latest:        rec.Latest.toDomain(),
		LastVersion:   rec.LastVersion,
		RecursiveLoop: rec.RecursiveLoop,
		Aliases:       make(map[string]*lambda.Alias, len(rec.Aliases)),
		Provisioned:   make(map[string]*lambda.ProvisionedConfig, len(rec.Provisioned)),
		Tags:          make(map[string]string, len(rec.Tags)),
	}
	if rec.ReservedConcurrency != nil {
		n := *rec.ReservedConcurrency
		fn.ReservedConcurrency = &n
	}
	if len(rec.Versions) > 0 {
		fn.Versions = make([]lambda.Config, len(rec.Versions))
		for i, c := range rec.Versions {
			fn.Versions[i] = c.toDomain()
		}
	}
	for name, a := range rec.Aliases {
		fn.Aliases[name] = &lambda.Alias{
			Name:                     a.Name,
			FunctionVersion:          a.FunctionVersion,
			Description:              a.Description,
			RevisionID:               a.RevisionID,
			AdditionalVersionWeights: a.AdditionalVersionWeights,
		}
	}
	for q, p := range rec.Provisioned {
		// Status, StatusReason, Allocated and Available are live state:
		// whoever re-warms the environments sets them.
		fn.Provisioned[q] = &lambda.ProvisionedConfig{
			Qualifier:    p.Qualifier,
			Requested:    p.Requested,
			LastModified: p.LastModified,
		}
	}
	for k, v := range rec.Tags {
		fn.Tags[k] = v
	}
	if len(rec.EventInvoke) > 0 {
		fn.EventInvoke = make(map[string]*lambda.EventInvokeConfig, len(rec.EventInvoke))
		for q, c := range rec.EventInvoke {
			fn.EventInvoke[q] = &lambda.EventInvokeConfig{
				Qualifier:                c.Qualifier,
				MaximumRetryAttempts:     cloneInt(c.MaxRetryAttempts),
				MaximumEventAgeInSeconds: cloneInt(c.MaxEventAgeS),
				OnSuccess:                c.OnSuccess,
				OnFailure:                c.OnFailure,
				LastModified:             c.LastModified,
			}
		}
	}
	if len(rec.Policies) > 0 {
		fn.Policies = make(map[string][]lambda.Statement, len(rec.Policies))
		for q, sts := range rec.Policies {
			out := make([]lambda.Statement, len(sts))
			for i, st := range sts {
				out[i] = lambda.Statement{Sid: st.Sid, Action: st.Action, Principal: st.Principal, SourceArn: st.SourceArn,
					SourceAccount: st.SourceAccount, EventSourceToken: st.EventSourceToken, PrincipalOrgID: st.PrincipalOrgID,
					FunctionURLAuthType: st.FunctionURLAuthType, InvokedViaFunctionURL: st.InvokedViaFunctionURL}
			}
			fn.Policies[q] = out
		}
	}
	if len(rec.URLs) > 0 {
		fn.URLs = make(map[string]*lambda.FunctionURLConfig, len(rec.URLs))
		for q, u := range rec.URLs {
			fn.URLs[q] = &lambda.FunctionURLConfig{
				Qualifier:        u.Qualifier,
				URLID:            u.URLID,
				AuthType:         u.AuthType,
				Cors:             u.Cors.toDomain(),
				InvokeMode:       u.InvokeMode,
				CreationTime:     u.CreationTime,
				LastModifiedTime: u.LastModifiedTime,
			}
		}
	}
	return fn
}

func (rec configRecord) toDomain() lambda.Config {
	var logging lambda.Logging
	if l := rec.Logging; l != nil {
		logging = lambda.Logging{Format: lambda.LogFormat(l.Format), ApplicationLogLevel: l.ApplicationLogLevel,
			SystemLogLevel: l.SystemLogLevel, LogGroup: l.LogGroup}
	}
	return lambda.Config{
		Version:           rec.Version,
		Description:       rec.Description,
		Runtime:           rec.Runtime,
		Handler:           rec.Handler,
		Role:              rec.Role,
		MemorySize:        rec.MemorySize,
		Timeout:           rec.Timeout,
		EphemeralStorage:  rec.EphemeralStorage,
		Architectures:     rec.Architectures,
		PackageType:       rec.PackageType,
		Environment:       rec.Environment,
		TracingMode:       rec.TracingMode,
		Logging:           logging,
		CodeSha256:        rec.CodeSha256,
		CodeSize:          rec.CodeSize,
		Layers:            layerRefsFromRecord(rec.Layers),
		Vpc:               rec.Vpc.toDomain(),
		DeadLetterTarget:  rec.DeadLetterTarget,
		SnapStartApplyOn:  rec.SnapStartApplyOn,
		FileSystems:       fileSystemsFromRecord(rec.FileSystems),
		KMSKeyArn:         rec.KMSKeyArn,
		RuntimeUpdateOn:   rec.RuntimeUpdateOn,
		RuntimeVersionArn: rec.RuntimeVersionArn,
		LastModified:      rec.LastModified,
		RevisionID:        rec.RevisionID,
	}
}

func (rec roleRecord) toDomain() iam.Role {
	return iam.Role{
		Account:                  rec.Account,
		Name:                     rec.Name,
		ID:                       rec.ID,
		Path:                     rec.Path,
		AssumeRolePolicyDocument: rec.AssumeRolePolicyDocument,
		Description:              rec.Description,
		MaxSessionDuration:       rec.MaxSessionDuration,
		CreateDate:               rec.CreateDate,
		Tags:                     rec.Tags,
		InlinePolicies:           rec.InlinePolicies,
		AttachedPolicies:         rec.AttachedPolicies,
	}
}

// --- helpers ----------------------------------------------------------------

// utc drops the monotonic reading and location so stored times are uniform.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// cloneMap copies m, returning nil for an empty map (omitted on disk).
func cloneMap[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cloneSlice copies s, returning nil for an empty slice (omitted on disk).
func cloneSlice[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}

// asyncRecord is an accepted asynchronous invocation that has not ended.
type asyncRecord struct {
	Account       string    `json:"account"`
	Region        string    `json:"region"`
	RequestID     string    `json:"request_id"`
	FunctionName  string    `json:"function_name"`
	Qualifier     string    `json:"qualifier,omitempty"`
	ClientContext string    `json:"client_context,omitempty"`
	Payload       []byte    `json:"payload,omitempty"`
	Received      time.Time `json:"received"`
	Attempts      int       `json:"attempts,omitempty"`
	NotBefore     time.Time `json:"not_before,omitzero"`
}

func asyncToRecord(ev lambda.AsyncEvent) asyncRecord {
	return asyncRecord{Account: ev.Scope.Account, Region: ev.Scope.Region, RequestID: ev.RequestID,
		FunctionName: ev.FunctionName, Qualifier: ev.Qualifier, ClientContext: ev.ClientContext,
		Payload: ev.Payload, Received: ev.Received.UTC(), Attempts: ev.Attempts, NotBefore: ev.NotBefore.UTC()}
}

func (r asyncRecord) toDomain() lambda.AsyncEvent {
	return lambda.AsyncEvent{Scope: lambda.Scope{Account: r.Account, Region: r.Region}, RequestID: r.RequestID,
		FunctionName: r.FunctionName, Qualifier: r.Qualifier, ClientContext: r.ClientContext,
		Payload: r.Payload, Received: r.Received, Attempts: r.Attempts, NotBefore: r.NotBefore}
}
