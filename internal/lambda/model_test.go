package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// These tests hold the domain's constraints against botocore's Lambda model
// (testdata/model-shapes.json holds the shapes, copied from botocore
// 1.43.11). Refreshing that file from a newer botocore shows what moved.

type modelShape struct {
	Type    string   `json:"type"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Pattern string   `json:"pattern"`
	Enum    []string `json:"enum"`
}

func loadModel(t *testing.T) map[string]modelShape {
	t.Helper()
	b, err := os.ReadFile("testdata/model-shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Shapes map[string]modelShape `json:"shapes"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Shapes
}

func (s modelShape) bounds(t *testing.T, name string) (lo, hi int) {
	t.Helper()
	if s.Min == nil {
		t.Fatalf("shape %s has no min", name)
	}
	lo, hi = int(*s.Min), -1
	if s.Max != nil {
		hi = int(*s.Max)
	}
	return lo, hi
}

func TestPatternsAreTheModels(t *testing.T) {
	m := loadModel(t)
	for _, c := range []struct{ shape, code string }{
		{"FunctionName", functionNamePattern},
		{"NamespacedFunctionName", functionNameReadPattern},
		{"NumericLatestPublishedOrAliasQualifier", qualifierPattern},
		{"Alias", aliasNamePattern},
		{"VersionWithLatestPublished", functionVersionPattern},
		{"RoleArn", roleARNPattern},
		{"TaggableResource", resourceARNPattern},
		{"EnvironmentVariableName", strings.TrimSuffix(strings.TrimPrefix(envKeyRE.String(), "^"), "$")},
		{"LogGroup", logGroupPattern},
	} {
		if got, want := c.code, m[c.shape].Pattern; got != want {
			t.Errorf("%s pattern:\n got  %s\n want %s", c.shape, got, want)
		}
	}
}

func TestEnumsAreTheModels(t *testing.T) {
	m := loadModel(t)
	if !slices.Equal(knownRuntimes, m["Runtime"].Enum) {
		t.Errorf("knownRuntimes = %v\nmodel Runtime = %v", knownRuntimes, m["Runtime"].Enum)
	}
	for _, c := range []struct {
		shape string
		in    func(string) FunctionInput
	}{
		{"Architecture", func(s string) FunctionInput { return FunctionInput{Architectures: []string{s}} }},
		{"TracingMode", func(s string) FunctionInput { return FunctionInput{TracingMode: &s} }},
		{"PackageType", func(s string) FunctionInput { return FunctionInput{PackageType: &s} }},
		{"Runtime", func(s string) FunctionInput { return FunctionInput{Runtime: &s} }},
		{"LogFormat", func(s string) FunctionInput { return FunctionInput{Logging: &LoggingInput{LogFormat: &s}} }},
		{"ApplicationLogLevel", func(s string) FunctionInput { return FunctionInput{Logging: &LoggingInput{ApplicationLogLevel: &s}} }},
		{"SystemLogLevel", func(s string) FunctionInput { return FunctionInput{Logging: &LoggingInput{SystemLogLevel: &s}} }},
	} {
		enum := m[c.shape].Enum
		for _, value := range enum {
			var v Validation
			in := c.in(value)
			validateConfig(&in, &v)
			if err := v.Err(); err != nil {
				t.Errorf("%s %q refused: %v", c.shape, value, err)
			}
		}
		var v Validation
		in := c.in("bogus")
		validateConfig(&in, &v)
		err := v.Err()
		if err == nil {
			t.Errorf("%s %q accepted", c.shape, "bogus")
		} else if want := "[" + strings.Join(enum, ", ") + "]"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s refusal %q does not list the model's values %s", c.shape, err, want)
		}
	}
	// Invoke's enums: a valid value gets as far as the (missing) function.
	for _, c := range []struct {
		shape string
		in    func(string) InvokeInput
	}{
		{"InvocationType", func(s string) InvokeInput { return InvokeInput{FunctionName: "f", InvocationType: s} }},
		{"LogType", func(s string) InvokeInput { return InvokeInput{FunctionName: "f", LogType: s} }},
	} {
		var s Service
		for _, value := range append(slices.Clone(m[c.shape].Enum), "bogus") {
			in := c.in(value)
			_, err := s.prepareInvoke(Scope{Account: "123456789012", Region: "us-east-1"}, &in)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("%s %q: %v", c.shape, value, err)
			}
			valid := slices.Contains(m[c.shape].Enum, value)
			if got := de.Kind == KindValidation; got == valid {
				t.Errorf("%s %q: %v (model enum %v)", c.shape, value, err, m[c.shape].Enum)
			}
		}
	}
}

// TestBoundsAreTheModels tries each constrained member at its model bounds
// and one past them.
func TestBoundsAreTheModels(t *testing.T) {
	m := loadModel(t)
	type check func(n int) error
	configInt := func(set func(in *FunctionInput, n int)) check {
		return func(n int) error {
			var in FunctionInput
			set(&in, n)
			var v Validation
			validateConfig(&in, &v)
			return v.Err()
		}
	}
	configStr := func(set func(in *FunctionInput, s string)) check {
		return func(n int) error {
			var in FunctionInput
			set(&in, strings.Repeat("h", n))
			var v Validation
			validateConfig(&in, &v)
			return v.Err()
		}
	}
	alias := func(set func(in *AliasInput, n int)) check {
		return func(n int) error {
			in := AliasInput{Name: "live"}
			set(&in, n)
			var v Validation
			validateAlias(&in, false, &v)
			return v.Err()
		}
	}
	name := func(form nameForm) check {
		return func(n int) error {
			// An ARN whose name part stays within 64 characters.
			prefix := "arn:aws:lambda:us-east-1:123456789012:function:f:"
			if n <= len(prefix) {
				_, err := ParseFunctionName(strings.Repeat("f", n), form)
				return err
			}
			_, err := ParseFunctionName(prefix+strings.Repeat("q", n-len(prefix)), form)
			return err
		}
	}
	// Operations on a missing function: a valid value gets as far as the lookup.
	var svc Service
	ctx, sc := context.Background(), Scope{Account: "123456789012", Region: "us-east-1"}
	op := func(call func(n int) error) check {
		return func(n int) error {
			err := call(n)
			var de *Error
			if errors.As(err, &de) && de.Kind == KindResourceNotFound {
				return nil
			}
			return err
		}
	}
	for _, c := range []struct {
		shape string
		try   check
	}{
		{"MaxListItems", op(func(n int) error { _, _, _, err := svc.ListFunctions(ctx, sc, "", n, false); return err })},
		{"MaxListItems", op(func(n int) error { _, _, _, err := svc.ListVersions(ctx, sc, "f", "", n); return err })},
		{"MaxListItems", op(func(n int) error { _, _, _, err := svc.ListAliases(ctx, sc, "f", "", "", n); return err })},
		{"MaxProvisionedConcurrencyConfigListItems", op(func(n int) error {
			_, _, err := svc.ListProvisionedConcurrencyConfigs(ctx, sc, "f", "", n)
			return err
		})},
		{"ReservedConcurrentExecutions", op(func(n int) error { _, err := svc.PutFunctionConcurrency(ctx, sc, "f", &n); return err })},
		{"PositiveInteger", op(func(n int) error { _, err := svc.PutProvisionedConcurrencyConfig(ctx, sc, "f", "1", &n); return err })},
		{"Timeout", configInt(func(in *FunctionInput, n int) { in.Timeout = &n })},
		{"MemorySize", configInt(func(in *FunctionInput, n int) { in.MemorySize = &n })},
		{"EphemeralStorageSize", configInt(func(in *FunctionInput, n int) { in.EphemeralStorage = &n })},
		{"ArchitecturesList", configInt(func(in *FunctionInput, n int) {
			in.Architectures = make([]string, n)
			for i := range in.Architectures {
				in.Architectures[i] = "x86_64"
			}
		})},
		{"Handler", configStr(func(in *FunctionInput, s string) { in.Handler = &s })},
		{"Description", configStr(func(in *FunctionInput, s string) { in.Description = &s })},
		{"LogGroup", configStr(func(in *FunctionInput, s string) { in.Logging = &LoggingInput{LogGroup: &s} })},
		{"Alias", alias(func(in *AliasInput, n int) { in.Name = strings.Repeat("a", n) })},
		{"VersionWithLatestPublished", alias(func(in *AliasInput, n int) { s := strings.Repeat("1", n); in.FunctionVersion = &s })},
		{"FunctionName", name(nameWrite)},
		{"NamespacedFunctionName", name(nameRead)},
		{"NumericLatestPublishedOrAliasQualifier", func(n int) error {
			var v Validation
			checkQualifier(strings.Repeat("q", n), "qualifier", &v)
			return v.Err()
		}},
	} {
		lo, hi := m[c.shape].bounds(t, c.shape)
		cases := map[int]bool{lo: true}
		if lo > 0 {
			cases[lo-1] = false
		}
		if hi >= 0 {
			cases[hi], cases[hi+1] = true, false
		}
		for n, ok := range cases {
			if n == 0 && (c.shape == "NumericLatestPublishedOrAliasQualifier" || strings.HasPrefix(c.shape, "Max")) {
				continue // an empty Qualifier or MaxItems is one not sent
			}
			if err := c.try(n); (err == nil) != ok {
				t.Errorf("%s at %d: err %v, want ok=%v (model bounds %d..%d)", c.shape, n, err, ok, lo, hi)
			}
		}
	}
	// Timeout has no model maximum; AWS answers above 900 with the model's
	// sentence form nonetheless.
	n := 901
	var v Validation
	validateConfig(&FunctionInput{Timeout: &n}, &v)
	if err := v.Err(); err == nil || !strings.Contains(err.Error(), "less than or equal to 900") {
		t.Errorf("Timeout 901: %v", err)
	}
}
