package storetest

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/logs"
)

// knownFields is the number of fields of each domain type that the fixtures
// populate and the comparisons below check. When a domain type gains a field
// the FieldsCovered subtests fail, so that the field is not silently dropped
// by a store: persist it in every implementation, then extend the fixtures,
// the comparisons and this table. Two fields are in memory only and counted
// here without being stored: Config.Phase and Function's unexported running
// $LATEST, which only a Pending or InProgress snapshot has (the service never
// saves one, and a loaded configuration is settled: Phase's zero value).
func knownFields() map[reflect.Type]int {
	return map[reflect.Type]int{
		reflect.TypeFor[lambda.Scope]():                2,
		reflect.TypeFor[lambda.Function]():             14,
		reflect.TypeFor[lambda.Statement]():            9,
		reflect.TypeFor[lambda.FunctionURLConfig]():    7,
		reflect.TypeFor[lambda.Cors]():                 6,
		reflect.TypeFor[lambda.EventInvokeConfig]():    6,
		reflect.TypeFor[lambda.Config]():               26,
		reflect.TypeFor[lambda.Alias]():                5,
		reflect.TypeFor[lambda.ProvisionedConfig]():    7,
		reflect.TypeFor[lambda.Layer]():                4,
		reflect.TypeFor[lambda.LayerVersion]():         10,
		reflect.TypeFor[lambda.LayerStatement]():       4,
		reflect.TypeFor[lambda.LayerRef]():             3,
		reflect.TypeFor[lambda.VpcConfig]():            3,
		reflect.TypeFor[lambda.FileSystem]():           2,
		reflect.TypeFor[iam.Role]():                    11,
		reflect.TypeFor[iam.ManagedPolicy]():           11,
		reflect.TypeFor[iam.PolicyVersion]():           3,
		reflect.TypeFor[logs.Scope]():                  2,
		reflect.TypeFor[logs.Group]():                  7,
		reflect.TypeFor[logs.Stream]():                 7,
		reflect.TypeFor[cloudwatch.Alarm]():            3,
		reflect.TypeFor[cloudwatch.MetricAlarm]():      29,
		reflect.TypeFor[cloudwatch.MetricDataQuery]():  7,
		reflect.TypeFor[cloudwatch.MetricStat]():       4,
		reflect.TypeFor[cloudwatch.AlarmHistoryItem](): 6,
		reflect.TypeFor[cloudwatch.Aggregate]():        5,
		reflect.TypeFor[cloudwatch.SeriesKey]():        5,
	}
}

func checkFieldsCovered(t *testing.T, types ...reflect.Type) {
	t.Helper()
	known := knownFields()
	for _, typ := range types {
		if got, want := typ.NumField(), known[typ]; got != want {
			t.Errorf("%s has %d fields, the store contract knows %d: persist the new field in every store "+
				"implementation, then extend storetest's fixtures, comparisons and knownFields", typ, got, want)
		}
	}
}

// checker reports differences under a path such as "fn.Versions[1]".
type checker struct {
	t    testing.TB
	path string
}

func (c checker) at(format string, args ...any) checker {
	return checker{t: c.t, path: c.path + fmt.Sprintf(format, args...)}
}

func (c checker) eq(field string, got, want any) {
	c.t.Helper()
	if !reflect.DeepEqual(got, want) {
		c.t.Errorf("%s.%s = %#v, want %#v", c.path, field, got, want)
	}
}

func (c checker) time(field string, got, want time.Time) {
	c.t.Helper()
	if !got.Equal(want) {
		c.t.Errorf("%s.%s = %s, want %s", c.path, field, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// eqMap compares maps, treating nil and empty as equal.
func eqMap[V any](c checker, field string, got, want map[string]V) {
	c.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	c.eq(field, got, want)
}

// eqSlice compares slices, treating nil and empty as equal.
func eqSlice[T any](c checker, field string, got, want []T) {
	c.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	c.eq(field, got, want)
}

// AssertFunction checks that got is want as a store returns it: every field
// equal, times compared with Equal, nil and empty collections alike, and the
// live state of provisioned configs (Status, StatusReason, Allocated,
// Available) reset to zero.
func AssertFunction(t testing.TB, got, want *lambda.Function) {
	t.Helper()
	c := checker{t: t, path: "function " + want.Scope.FunctionARN(want.Name)}
	if got == nil {
		t.Errorf("%s: got nil", c.path)
		return
	}
	c.eq("Scope", got.Scope, want.Scope)
	c.eq("Name", got.Name, want.Name)
	assertConfig(c.at(".Latest"), got.Latest, want.Latest)
	if len(got.Versions) != len(want.Versions) {
		t.Errorf("%s: %d versions, want %d", c.path, len(got.Versions), len(want.Versions))
	} else {
		for i := range want.Versions {
			assertConfig(c.at(".Versions[%d]", i), got.Versions[i], want.Versions[i])
		}
	}
	c.eq("LastVersion", got.LastVersion, want.LastVersion)

	if (got.ReservedConcurrency == nil) != (want.ReservedConcurrency == nil) {
		t.Errorf("%s.ReservedConcurrency = %s, want %s", c.path,
			fmtIntPtr(got.ReservedConcurrency), fmtIntPtr(want.ReservedConcurrency))
	} else if want.ReservedConcurrency != nil {
		c.eq("ReservedConcurrency", *got.ReservedConcurrency, *want.ReservedConcurrency)
	}

	c.eq("alias names", sortedKeys(got.Aliases), sortedKeys(want.Aliases))
	for name, wa := range want.Aliases {
		ga := got.Aliases[name]
		ac := c.at(".Aliases[%q]", name)
		if ga == nil {
			continue // reported by the names check
		}
		ac.eq("Name", ga.Name, wa.Name)
		ac.eq("FunctionVersion", ga.FunctionVersion, wa.FunctionVersion)
		ac.eq("Description", ga.Description, wa.Description)
		ac.eq("RevisionID", ga.RevisionID, wa.RevisionID)
		eqMap(ac, "AdditionalVersionWeights", ga.AdditionalVersionWeights, wa.AdditionalVersionWeights)
	}

	c.eq("provisioned qualifiers", sortedKeys(got.Provisioned), sortedKeys(want.Provisioned))
	for q, wp := range want.Provisioned {
		gp := got.Provisioned[q]
		pc := c.at(".Provisioned[%q]", q)
		if gp == nil {
			continue
		}
		pc.eq("Qualifier", gp.Qualifier, wp.Qualifier)
		pc.eq("Requested", gp.Requested, wp.Requested)
		pc.time("LastModified", gp.LastModified, wp.LastModified)
		// Live state is rebuilt after a restart, never loaded.
		pc.eq("Status", gp.Status, "")
		pc.eq("StatusReason", gp.StatusReason, "")
		pc.eq("Allocated", gp.Allocated, 0)
		pc.eq("Available", gp.Available, 0)
	}

	c.eq("RecursiveLoop", got.RecursiveLoop, want.RecursiveLoop)
	c.eq("event invoke qualifiers", sortedKeys(got.EventInvoke), sortedKeys(want.EventInvoke))
	for q, we := range want.EventInvoke {
		ge := got.EventInvoke[q]
		ec := c.at(".EventInvoke[%q]", q)
		if ge == nil {
			continue
		}
		ec.eq("Qualifier", ge.Qualifier, we.Qualifier)
		ec.eq("MaximumRetryAttempts", fmt.Sprint(derefInt(ge.MaximumRetryAttempts)), fmt.Sprint(derefInt(we.MaximumRetryAttempts)))
		ec.eq("MaximumEventAgeInSeconds", fmt.Sprint(derefInt(ge.MaximumEventAgeInSeconds)), fmt.Sprint(derefInt(we.MaximumEventAgeInSeconds)))
		ec.eq("OnSuccess", ge.OnSuccess, we.OnSuccess)
		ec.eq("OnFailure", ge.OnFailure, we.OnFailure)
		ec.time("LastModified", ge.LastModified, we.LastModified)
	}

	c.eq("policy qualifiers", sortedKeys(got.Policies), sortedKeys(want.Policies))
	for q, ws := range want.Policies {
		c.eq(fmt.Sprintf("Policies[%q]", q), fmt.Sprintf("%+v", got.Policies[q]), fmt.Sprintf("%+v", ws))
	}
	c.eq("URL qualifiers", sortedKeys(got.URLs), sortedKeys(want.URLs))
	for q, wu := range want.URLs {
		gu := got.URLs[q]
		uc := c.at(".URLs[%q]", q)
		if gu == nil {
			continue
		}
		uc.eq("Qualifier", gu.Qualifier, wu.Qualifier)
		uc.eq("URLID", gu.URLID, wu.URLID)
		uc.eq("AuthType", gu.AuthType, wu.AuthType)
		uc.eq("InvokeMode", gu.InvokeMode, wu.InvokeMode)
		uc.time("CreationTime", gu.CreationTime, wu.CreationTime)
		uc.time("LastModifiedTime", gu.LastModifiedTime, wu.LastModifiedTime)
		uc.eq("Cors set", gu.Cors != nil, wu.Cors != nil)
		if gu.Cors != nil && wu.Cors != nil {
			cc := uc.at(".Cors")
			cc.eq("AllowCredentials", fmt.Sprint(derefBool(gu.Cors.AllowCredentials)), fmt.Sprint(derefBool(wu.Cors.AllowCredentials)))
			cc.eq("AllowHeaders", fmt.Sprint(gu.Cors.AllowHeaders), fmt.Sprint(wu.Cors.AllowHeaders))
			cc.eq("AllowMethods", fmt.Sprint(gu.Cors.AllowMethods), fmt.Sprint(wu.Cors.AllowMethods))
			cc.eq("AllowOrigins", fmt.Sprint(gu.Cors.AllowOrigins), fmt.Sprint(wu.Cors.AllowOrigins))
			cc.eq("ExposeHeaders", fmt.Sprint(gu.Cors.ExposeHeaders), fmt.Sprint(wu.Cors.ExposeHeaders))
			cc.eq("MaxAge", fmt.Sprint(derefInt(gu.Cors.MaxAge)), fmt.Sprint(derefInt(wu.Cors.MaxAge)))
		}
	}

	eqMap(c, "Tags", got.Tags, want.Tags)
}

// derefBool renders an optional bool: "unset" or its value.
func derefBool(p *bool) any {
	if p == nil {
		return "unset"
	}
	return *p
}

// derefInt renders an optional int: "unset" or its value.
func derefInt(p *int) any {
	if p == nil {
		return "unset"
	}
	return *p
}

func assertConfig(c checker, got, want lambda.Config) {
	c.t.Helper()
	c.eq("Version", got.Version, want.Version)
	c.eq("Description", got.Description, want.Description)
	c.eq("Runtime", got.Runtime, want.Runtime)
	c.eq("Handler", got.Handler, want.Handler)
	c.eq("Role", got.Role, want.Role)
	c.eq("MemorySize", got.MemorySize, want.MemorySize)
	c.eq("Timeout", got.Timeout, want.Timeout)
	c.eq("EphemeralStorage", got.EphemeralStorage, want.EphemeralStorage)
	eqSlice(c, "Architectures", got.Architectures, want.Architectures)
	c.eq("PackageType", got.PackageType, want.PackageType)
	eqMap(c, "Environment", got.Environment, want.Environment)
	c.eq("TracingMode", got.TracingMode, want.TracingMode)
	c.eq("Logging", got.Logging, want.Logging)
	c.eq("CodeSha256", got.CodeSha256, want.CodeSha256)
	c.eq("CodeSize", got.CodeSize, want.CodeSize)
	eqSlice(c, "Layers", got.Layers, want.Layers)
	c.eq("Vpc != nil", got.Vpc != nil, want.Vpc != nil)
	if got.Vpc != nil && want.Vpc != nil {
		eqSlice(c, "Vpc.SubnetIDs", got.Vpc.SubnetIDs, want.Vpc.SubnetIDs)
		eqSlice(c, "Vpc.SecurityGroupIDs", got.Vpc.SecurityGroupIDs, want.Vpc.SecurityGroupIDs)
		c.eq("Vpc.IPv6DualStack", got.Vpc.IPv6DualStack, want.Vpc.IPv6DualStack)
	}
	c.eq("DeadLetterTarget", got.DeadLetterTarget, want.DeadLetterTarget)
	c.eq("SnapStartApplyOn", got.SnapStartApplyOn, want.SnapStartApplyOn)
	eqSlice(c, "FileSystems", got.FileSystems, want.FileSystems)
	c.eq("KMSKeyArn", got.KMSKeyArn, want.KMSKeyArn)
	c.eq("RuntimeUpdateOn", got.RuntimeUpdateOn, want.RuntimeUpdateOn)
	c.eq("RuntimeVersionArn", got.RuntimeVersionArn, want.RuntimeVersionArn)
	c.time("LastModified", got.LastModified, want.LastModified)
	c.eq("RevisionID", got.RevisionID, want.RevisionID)
	c.eq("Phase", got.Phase, lambda.Settled) // never stored: loaded settled
}

// AssertRole checks that got is want as a store returns it: every field
// equal, CreateDate compared with Equal, nil and empty collections alike, and
// AttachedPolicies in the same order.
func AssertRole(t testing.TB, got, want iam.Role) {
	t.Helper()
	c := checker{t: t, path: fmt.Sprintf("role %s/%s", want.Account, want.Name)}
	c.eq("Account", got.Account, want.Account)
	c.eq("Name", got.Name, want.Name)
	c.eq("ID", got.ID, want.ID)
	c.eq("Path", got.Path, want.Path)
	c.eq("AssumeRolePolicyDocument", got.AssumeRolePolicyDocument, want.AssumeRolePolicyDocument)
	c.eq("Description", got.Description, want.Description)
	c.eq("MaxSessionDuration", got.MaxSessionDuration, want.MaxSessionDuration)
	c.time("CreateDate", got.CreateDate, want.CreateDate)
	eqMap(c, "Tags", got.Tags, want.Tags)
	eqMap(c, "InlinePolicies", got.InlinePolicies, want.InlinePolicies)
	eqSlice(c, "AttachedPolicies", got.AttachedPolicies, want.AttachedPolicies)
}

func fmtIntPtr(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("&%d", *p)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AssertPolicy reports every difference between two managed policies.
// Times compare as instants.
func AssertPolicy(t testing.TB, got, want iam.ManagedPolicy) {
	t.Helper()
	c := checker{t: t, path: fmt.Sprintf("policy %s/%s", want.Account, want.Name)}
	c.eq("Account", got.Account, want.Account)
	c.eq("Name", got.Name, want.Name)
	c.eq("ID", got.ID, want.ID)
	c.eq("Path", got.Path, want.Path)
	c.eq("Description", got.Description, want.Description)
	c.time("CreateDate", got.CreateDate, want.CreateDate)
	c.time("UpdateDate", got.UpdateDate, want.UpdateDate)
	c.eq("DefaultVersionID", got.DefaultVersionID, want.DefaultVersionID)
	c.eq("NextVersion", got.NextVersion, want.NextVersion)
	eqMap(c, "Tags", got.Tags, want.Tags)
	if len(got.Versions) != len(want.Versions) {
		c.t.Errorf("%s.Versions has %d versions, want %d", c.path, len(got.Versions), len(want.Versions))
		return
	}
	for i, w := range want.Versions {
		vc := c.at(".Versions[%d]", i)
		vc.eq("ID", got.Versions[i].ID, w.ID)
		vc.eq("Document", got.Versions[i].Document, w.Document)
		vc.time("CreateDate", got.Versions[i].CreateDate, w.CreateDate)
	}
}
