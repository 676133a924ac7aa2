package iam

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzPatterns checks that each hand-written matcher agrees with the regular
// expression of the IAM model it stands for.
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a/", "/a b/", "role-name_1+=,.@", "a b", "rôle", "ключ", "a\x00b",
		"k:/=+-@ 1", "\xff", "\ufffd", "tab\there", "/service-role/", "/a//", "a/"} {
		f.Add(s)
	}
	matchers := []struct {
		name    string
		pattern string
		match   func(string) bool
	}{
		{"roleName", `^[\w+=,.@-]+$`, validRoleName},
		{"path", `^(/|/[\x{21}-\x{7E}]+/)$`, validPath},
		{"pathPrefix", `^/[\x{21}-\x{7F}]*$`, validPathPrefix},
		{"policyPathPrefix", `^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`, validPolicyPathPrefix},
		{"document", `^[\t\n\r\x{20}-\x{FF}]+$`, validDocumentChars},
		{"description", `^[\t\n\r\x{20}-\x{7E}\x{A1}-\x{FF}]*$`, validDescription},
		{"tagKey", `^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`, validTagKey},
		{"tagValue", `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, validTagValue},
	}
	res := make([]*regexp.Regexp, len(matchers))
	for i, m := range matchers {
		res[i] = regexp.MustCompile(m.pattern)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, m := range matchers {
			if got, want := m.match(s), res[i].MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, regexp %s says %v", m.name, s, got, m.pattern, want)
			}
		}
	})
}

func FuzzSplitPolicyARN(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::123456789012:policy/p", "arn:aws:iam::aws:policy/", "arn:aws:iam::aws:policy//x",
		"arn:aws-cn:iam::aws:policy/a/b/c", "arn:aws:iam:::policy/x", "arn:aws:s3:::b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		path, name, ok := splitPolicyARN(arn)
		if !ok {
			return
		}
		if !validPath(path) || !validRoleName(name) {
			t.Errorf("splitPolicyARN(%q) = %q, %q: not a path and a name", arn, path, name)
		}
		if !strings.HasSuffix(arn, ":policy"+path+name) {
			t.Errorf("splitPolicyARN(%q) = %q, %q: does not rebuild the ARN", arn, path, name)
		}
	})
}

func TestPolicySizeIgnoresWhiteSpace(t *testing.T) {
	if got := policySize("{ \"a\" :\n\t1 }"); got != 7 {
		t.Errorf("policySize = %d, want 7", got)
	}
}

func TestNewRoleIDShape(t *testing.T) {
	re := regexp.MustCompile(`^AROA[A-Z0-9]{17}$`)
	seen := make(map[string]bool)
	for range 1000 {
		id := newRoleID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("role ID %q: bad shape or repeated", id)
		}
		seen[id] = true
	}
}
