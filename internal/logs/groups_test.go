package logs_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

const (
	groupNamePattern = `1 validation error detected: Value at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`
	emptyGroupName   = `2 validation errors detected: Value at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`
)

// groupNames lists a scope's groups through DescribeLogGroups.
func (e *env) groupNames(scope logs.Scope) []string {
	e.t.Helper()
	out, err := e.svc.DescribeLogGroups(e.ctx, scope, logs.DescribeLogGroupsInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, g := range out.Groups {
		names = append(names, g.Name)
	}
	return names
}

func TestCreateLogGroupValidation(t *testing.T) {
	e := newEnv(t)
	tags51 := map[string]string{}
	for i := range 51 {
		tags51[fmt.Sprintf("k%d", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		in   logs.CreateLogGroupInput
		msg  string
	}{
		{"empty name", logs.CreateLogGroupInput{}, emptyGroupName},
		{"bad character", logs.CreateLogGroupInput{Name: "a:b"}, groupNamePattern},
		{"space", logs.CreateLogGroupInput{Name: "a b"}, groupNamePattern},
		{"too long", logs.CreateLogGroupInput{Name: strings.Repeat("a", 513)},
			"1 validation error detected: Value at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"reserved prefix", logs.CreateLogGroupInput{Name: "aws/mine"}, "Log groups starting with AWS/ are reserved for AWS."},
		{"reserved prefix upper case", logs.CreateLogGroupInput{Name: "AWS/mine"}, "Log groups starting with AWS/ are reserved for AWS."},
		{"class", logs.CreateLogGroupInput{Name: "g", Class: "COLD"},
			"1 validation error detected: Value at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"},
		{"kms key too long", logs.CreateLogGroupInput{Name: "g", KMSKeyID: strings.Repeat("k", 257)},
			"1 validation error detected: Value at 'kmsKeyId' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"empty tags", logs.CreateLogGroupInput{Name: "g", Tags: map[string]string{}},
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"51 tags", logs.CreateLogGroupInput{Name: "g", Tags: tags51},
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"tag key character", logs.CreateLogGroupInput{Name: "g", Tags: map[string]string{"a*b": "v"}},
			`1 validation error detected: Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]`},
		{"tag key empty and long value", logs.CreateLogGroupInput{Name: "g", Tags: map[string]string{"": strings.Repeat("v", 257)}},
			`2 validation errors detected: Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]; ` +
				`Value at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, e.svc.CreateLogGroup(e.ctx, scopeA(), tc.in), logs.CodeInvalidParameter, tc.msg)
		})
	}
	if names := e.groupNames(scopeA()); len(names) != 0 {
		t.Errorf("refused creations left groups %q", names)
	}
}

func TestLogGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	created := e.now()
	err := e.svc.CreateLogGroup(e.ctx, scopeA(), logs.CreateLogGroupInput{
		Name: "/aws/lambda/my-fn", KMSKeyID: "arn:aws:kms:us-east-1:111111111111:key/k", Tags: map[string]string{"team": "a", "ünï": "ß 1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.CreateLogGroup(e.ctx, scopeA(), logs.CreateLogGroupInput{Name: "/aws/lambda/my-fn"}),
		logs.CodeResourceAlreadyExists, "The specified log group already exists")
	// Names are case-sensitive, and scopes apart.
	e.mustCreateGroup(scopeA(), "/AWS/lambda/my-fn")
	e.mustCreateGroup(scopeB(), "/aws/lambda/my-fn")
	e.mustCreateGroup(logs.Scope{Account: "111111111111", Region: "eu-west-1"}, "/aws/lambda/my-fn")

	out, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), logs.DescribeLogGroupsInput{Prefix: "/aws/"})
	if err != nil {
		t.Fatal(err)
	}
	want := logs.GroupDescription{
		Name:         "/aws/lambda/my-fn",
		ARN:          "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/my-fn:*",
		LogGroupARN:  "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/my-fn",
		CreationTime: created,
		KMSKeyID:     "arn:aws:kms:us-east-1:111111111111:key/k",
		Class:        logs.ClassStandard,
	}
	if len(out.Groups) != 1 || out.Groups[0] != want || out.Brief || out.NextToken != "" {
		t.Fatalf("DescribeLogGroups = %+v, want [%+v]", out, want)
	}
	tags, err := e.svc.ListTagsLogGroup(e.ctx, scopeA(), "/aws/lambda/my-fn")
	if err != nil || !maps.Equal(tags, map[string]string{"team": "a", "ünï": "ß 1"}) {
		t.Errorf("tags given at creation: %v, %v", tags, err)
	}

	if err := e.svc.DeleteLogGroup(e.ctx, scopeA(), "/aws/lambda/my-fn"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.DeleteLogGroup(e.ctx, scopeA(), "/aws/lambda/my-fn"), logs.CodeResourceNotFound, "The specified log group does not exist.")
	if got := e.groupNames(scopeA()); !slices.Equal(got, []string{"/AWS/lambda/my-fn"}) {
		t.Errorf("after delete: %q", got)
	}
	if got := e.groupNames(scopeB()); !slices.Equal(got, []string{"/aws/lambda/my-fn"}) {
		t.Errorf("another account's group: %q", got)
	}
	wantErr(t, e.svc.DeleteLogGroup(e.ctx, scopeA(), "bad:name"), logs.CodeInvalidParameter, groupNamePattern)
}

func TestDescribeLogGroups(t *testing.T) {
	e := newEnv(t)
	names := []string{"b", "a", "/aws/lambda/x", "DataLogs", "aws-DataLogs", "GroupDataLogs", "datalogs", "Data/log/s"}
	for _, n := range names {
		e.mustCreateGroup(scopeA(), n)
	}
	if err := e.svc.CreateLogGroup(e.ctx, scopeA(), logs.CreateLogGroupInput{Name: "cold", Class: logs.ClassInfrequentAccess}); err != nil {
		t.Fatal(err)
	}
	sorted := append(slices.Clone(names), "cold")
	slices.Sort(sorted) // ASCII order
	if got := e.groupNames(scopeA()); !slices.Equal(got, sorted) {
		t.Fatalf("all groups: %q, want %q", got, sorted)
	}

	// Paging with limit 3 visits every group once, in order.
	var paged []string
	in := logs.DescribeLogGroupsInput{Limit: ptr(3)}
	for pages := 1; ; pages++ {
		out, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Groups) > 3 {
			t.Fatalf("page of %d", len(out.Groups))
		}
		for _, g := range out.Groups {
			paged = append(paged, g.Name)
		}
		if out.NextToken == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		in.NextToken = out.NextToken
	}
	if !slices.Equal(paged, sorted) {
		t.Errorf("paged: %q", paged)
	}

	for _, tc := range []struct {
		name  string
		in    logs.DescribeLogGroupsInput
		want  []string
		brief bool
	}{
		{"prefix", logs.DescribeLogGroupsInput{Prefix: "Data"}, []string{"Data/log/s", "DataLogs"}, false},
		// The model's own example of logGroupNamePattern.
		{"pattern", logs.DescribeLogGroupsInput{Pattern: "DataLogs"}, []string{"DataLogs", "GroupDataLogs", "aws-DataLogs"}, true},
		{"identifiers", logs.DescribeLogGroupsInput{Identifiers: []string{"a", "arn:aws:logs:us-east-1:111111111111:log-group:b", "missing",
			"arn:aws:logs:us-east-1:222222222222:log-group:DataLogs"}}, []string{"a", "b"}, false},
		{"class", logs.DescribeLogGroupsInput{Class: logs.ClassInfrequentAccess}, []string{"cold"}, false},
		{"standard class", logs.DescribeLogGroupsInput{Class: logs.ClassStandard, Prefix: "a"}, []string{"a", "aws-DataLogs"}, false},
		{"no match", logs.DescribeLogGroupsInput{Prefix: "zzz"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range out.Groups {
				got = append(got, g.Name)
			}
			if !slices.Equal(got, tc.want) || out.Brief != tc.brief || out.Groups == nil {
				t.Errorf("got %q (brief %v), want %q (brief %v)", got, out.Brief, tc.want, tc.brief)
			}
		})
	}

	for _, tc := range []struct {
		name string
		in   logs.DescribeLogGroupsInput
		msg  string
	}{
		{"limit 0", logs.DescribeLogGroupsInput{Limit: ptr(0)},
			"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"limit 51", logs.DescribeLogGroupsInput{Limit: ptr(51)},
			"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"},
		{"prefix and pattern", logs.DescribeLogGroupsInput{Prefix: "a", Pattern: "b"},
			"logGroupNamePrefix and logGroupNamePattern are mutually exclusive. Only one of these parameters can be passed."},
		{"bad prefix", logs.DescribeLogGroupsInput{Prefix: "a b"},
			`1 validation error detected: Value at 'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`},
		{"bad pattern", logs.DescribeLogGroupsInput{Pattern: "a*"},
			`1 validation error detected: Value at 'logGroupNamePattern' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]*`},
		{"identifiers and prefix", logs.DescribeLogGroupsInput{Identifiers: []string{"a"}, Prefix: "a"},
			"If you specify logGroupIdentifiers, the only other filter that you can choose to specify is includeLinkedAccounts."},
		{"identifier with :*", logs.DescribeLogGroupsInput{Identifiers: []string{"arn:aws:logs:us-east-1:111111111111:log-group:a:*"}},
			`1 validation error detected: Value at 'logGroupIdentifiers.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w#+=/:,.@-]*`},
		{"bad token", logs.DescribeLogGroupsInput{NextToken: "%%%"}, "The specified nextToken is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), tc.in)
			wantErr(t, err, logs.CodeInvalidParameter, tc.msg)
		})
	}
}

func TestRetentionPolicy(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	for _, days := range logs.RetentionPeriods() {
		if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "g", days); err != nil {
			t.Fatalf("PutRetentionPolicy(%d): %v", days, err)
		}
	}
	enum := "1 validation error detected: Value at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: " +
		"[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
	for _, days := range []int{0, 2, 4, 10, 366, 3654, -1} {
		wantErr(t, e.svc.PutRetentionPolicy(e.ctx, scopeA(), "g", days), logs.CodeInvalidParameter, enum)
	}
	wantErr(t, e.svc.PutRetentionPolicy(e.ctx, scopeA(), "missing", 7), logs.CodeResourceNotFound, "The specified log group does not exist.")
	wantErr(t, e.svc.DeleteRetentionPolicy(e.ctx, scopeA(), "missing"), logs.CodeResourceNotFound, "The specified log group does not exist.")
	retention := func() int {
		out, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), logs.DescribeLogGroupsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.Groups[0].RetentionDays
	}
	if got := retention(); got != 3653 {
		t.Errorf("retention %d after the last valid put, want 3653 (refused puts change nothing)", got)
	}
	if err := e.svc.DeleteRetentionPolicy(e.ctx, scopeA(), "g"); err != nil {
		t.Fatal(err)
	}
	if got := retention(); got != 0 {
		t.Errorf("retention %d after delete", got)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "/aws/lambda/f")
	arn := "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f"
	list := func() map[string]string {
		t.Helper()
		byARN, err := e.svc.ListTagsForResource(e.ctx, scopeA(), arn)
		if err != nil {
			t.Fatal(err)
		}
		byName, err := e.svc.ListTagsLogGroup(e.ctx, scopeA(), "/aws/lambda/f")
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(byARN, byName) || byARN == nil {
			t.Fatalf("ListTagsForResource %v, ListTagsLogGroup %v", byARN, byName)
		}
		return byARN
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("new group's tags: %v", got)
	}
	if err := e.svc.TagResource(e.ctx, scopeA(), arn, map[string]string{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.TagLogGroup(e.ctx, scopeA(), "/aws/lambda/f", map[string]string{"b": "3", "c": ""}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !maps.Equal(got, map[string]string{"a": "1", "b": "3", "c": ""}) {
		t.Errorf("after tagging: %v", got)
	}
	if err := e.svc.UntagResource(e.ctx, scopeA(), arn, []string{"a", "never"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.UntagLogGroup(e.ctx, scopeA(), "/aws/lambda/f", []string{"c"}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !maps.Equal(got, map[string]string{"b": "3"}) {
		t.Errorf("after untagging: %v", got)
	}

	// 50 tags are fine; the 51st is TooManyTags, and changes nothing.
	many := map[string]string{}
	for i := range 49 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	if err := e.svc.TagResource(e.ctx, scopeA(), arn, many); err != nil {
		t.Fatal(err)
	}
	err := e.svc.TagResource(e.ctx, scopeA(), arn, map[string]string{"one-too-many": "v"})
	wantErr(t, err, logs.CodeTooManyTags, "A resource can have no more than 50 tags.")
	if le := err.(*logs.Error); le.ResourceName != arn {
		t.Errorf("TooManyTags resourceName %q", le.ResourceName)
	}
	if got := list(); len(got) != 50 {
		t.Errorf("%d tags after a refused tagging", len(got))
	}

	for _, tc := range []struct {
		name, arn string
		code      logs.ErrorCode
		msg       string
	}{
		{"DescribeLogGroups' arn with :*", arn + ":*", logs.CodeValidation, "Invalid resourceArn"},
		{"not an ARN", "/aws/lambda/f", logs.CodeValidation, "Invalid resourceArn"},
		{"another service", "arn:aws:lambda:us-east-1:111111111111:function:f", logs.CodeValidation, "Invalid resourceArn"},
		{"missing group", "arn:aws:logs:us-east-1:111111111111:log-group:nope", logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"another account", "arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/f", logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"another region", "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/f", logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"a destination", "arn:aws:logs:us-east-1:111111111111:destination:d", logs.CodeResourceNotFound, "The specified resource does not exist."},
		{"empty", "", logs.CodeInvalidParameter, "1 validation error detected: Value at 'resourceArn' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.ListTagsForResource(e.ctx, scopeA(), tc.arn)
			wantErr(t, err, tc.code, tc.msg)
			wantErr(t, e.svc.TagResource(e.ctx, scopeA(), tc.arn, map[string]string{"x": "y"}), tc.code, tc.msg)
			wantErr(t, e.svc.UntagResource(e.ctx, scopeA(), tc.arn, []string{"b"}), tc.code, tc.msg)
		})
	}
	wantErr(t, e.svc.TagResource(e.ctx, scopeA(), arn, map[string]string{"bad*key": "v"}), logs.CodeInvalidParameter, "")
	wantErr(t, e.svc.TagLogGroup(e.ctx, scopeA(), "/aws/lambda/f", nil), logs.CodeInvalidParameter,
		"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	wantErr(t, e.svc.UntagLogGroup(e.ctx, scopeA(), "/aws/lambda/f", nil), logs.CodeInvalidParameter,
		"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	wantErr(t, e.svc.UntagResource(e.ctx, scopeA(), arn, []string{""}), logs.CodeInvalidParameter, "")
	wantErr(t, e.svc.TagLogGroup(e.ctx, scopeA(), "missing", map[string]string{"a": "b"}), logs.CodeResourceNotFound, "The specified log group does not exist.")
	if got := list(); len(got) != 50 {
		t.Errorf("%d tags after refused calls", len(got))
	}
	// Tags survive a restart.
	e.restart()
	if got := list(); len(got) != 50 || got["b"] != "3" {
		t.Errorf("tags after restart: %v", got)
	}
}
