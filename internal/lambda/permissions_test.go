package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

func errKind(err error) lambda.Kind {
	var e *lambda.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// TestStatementAllows is the evaluation table of one statement against
// requests: action, principal and each condition.
func TestStatementAllows(t *testing.T) {
	const other, third = "210987654321", "333333333333"
	invoke := lambda.PolicyRequest{Action: "lambda:InvokeFunction", PrincipalAccount: other}
	cases := []struct {
		name string
		st   lambda.Statement
		req  lambda.PolicyRequest
		want bool
	}{
		{"account id", lambda.Statement{Action: "lambda:InvokeFunction", Principal: other}, invoke, true},
		{"another account", lambda.Statement{Action: "lambda:InvokeFunction", Principal: third}, invoke, false},
		{"account root ARN", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + other + ":root"}, invoke, true},
		{"root ARN of another account", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + third + ":root"}, invoke, false},
		{"user ARN, caller known by account only", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + other + ":user/u"}, invoke, false},
		{"user ARN, that user", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + other + ":user/u"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", PrincipalAccount: other, PrincipalARN: "arn:aws:iam::" + other + ":user/u"}, true},
		{"anyone", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*"}, invoke, true},
		{"anyone, anonymous caller", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*"}, lambda.PolicyRequest{Action: "lambda:InvokeFunction"}, true},
		{"account, anonymous caller", lambda.Statement{Action: "lambda:InvokeFunction", Principal: other}, lambda.PolicyRequest{Action: "lambda:InvokeFunction"}, false},
		{"lambda:*", lambda.Statement{Action: "lambda:*", Principal: other}, invoke, true},
		{"*", lambda.Statement{Action: "*", Principal: other}, invoke, true},
		{"action case", lambda.Statement{Action: "lambda:invokefunction", Principal: other}, invoke, true},
		{"other action", lambda.Statement{Action: "lambda:GetFunction", Principal: other}, invoke, false},
		{"URL action does not invoke", lambda.Statement{Action: "lambda:InvokeFunctionUrl", Principal: other}, invoke, false},
		{"service principal, direct call", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"}, invoke, false},
		{"service principal, that service", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", ServicePrincipal: "s3.amazonaws.com"}, true},
		{"SourceAccount, direct call lacks it", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: other}, invoke, false},
		{"SourceAccount matches", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceAccount: other},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", ServicePrincipal: "s3.amazonaws.com", SourceAccount: other}, true},
		{"SourceArn, direct call lacks it", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:s3:::b"}, invoke, false},
		{"SourceArn wildcard", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:execute-api:us-east-1:" + other + ":api/*/GET/*"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", SourceArn: "arn:aws:execute-api:us-east-1:" + other + ":api/prod/GET/items"}, true},
		{"SourceArn wildcard stays in its part", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:s3:::b*"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", SourceArn: "arn:aws:sqs:::b"}, false},
		{"PrincipalOrgID never holds", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", PrincipalOrgID: "o-abcdefghij"}, invoke, false},
		{"EventSourceToken", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", EventSourceToken: "tok"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", EventSourceToken: "tok"}, true},
		{"URL auth type NONE", lambda.Statement{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "NONE"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunctionUrl", FunctionURLAuthType: "NONE", ViaFunctionURL: true}, true},
		{"URL auth type differs", lambda.Statement{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "NONE"},
			lambda.PolicyRequest{Action: "lambda:InvokeFunctionUrl", FunctionURLAuthType: "AWS_IAM", ViaFunctionURL: true}, false},
		{"invoked via URL, direct call", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionURL: true}, invoke, false},
		{"invoked via URL, URL call", lambda.Statement{Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionURL: true},
			lambda.PolicyRequest{Action: "lambda:InvokeFunction", ViaFunctionURL: true}, true},
	}
	for _, c := range cases {
		if got := c.st.Allows(c.req); got != c.want {
			t.Errorf("%s: Allows = %v, want %v", c.name, got, c.want)
		}
	}
}

func getPolicyDoc(t *testing.T, svc *lambda.Service, name, qualifier string) (doc struct {
	Version, Id string
	Statement   []map[string]any
}, rev string) {
	t.Helper()
	v, err := svc.GetPolicy(context.Background(), sc, name, qualifier)
	if err != nil {
		t.Fatalf("GetPolicy(%s, %q): %v", name, qualifier, err)
	}
	if err := json.Unmarshal([]byte(v.Policy), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v: %s", err, v.Policy)
	}
	return doc, v.RevisionID
}

// TestPermissions: statements per qualifier in AWS's shape, the RevisionId
// of the resource changing with its policy, and every refusal.
func TestPermissions(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, &gateExecutor{}, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true) // version 1
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: strPtr("1")}); err != nil {
		t.Fatal(err)
	}
	add := func(q string, st lambda.Statement, rev string) (string, error) {
		return svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "f", Qualifier: q, RevisionID: rev, Statement: st})
	}
	before, _ := svc.GetFunction(ctx, sc, "f", "")
	out, err := add("", lambda.Statement{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com",
		SourceArn: "arn:aws:s3:::bucket", SourceAccount: "123456789012"}, before.Config.RevisionID)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}`
	if out != want {
		t.Errorf("statement\n got %s\nwant %s", out, want)
	}
	after, _ := svc.GetFunction(ctx, sc, "f", "")
	if after.Config.RevisionID == before.Config.RevisionID {
		t.Error("AddPermission kept $LATEST's RevisionId")
	}
	doc, rev := getPolicyDoc(t, svc, "f", "")
	if doc.Version != "2012-10-17" || doc.Id != "default" || len(doc.Statement) != 1 || rev != after.Config.RevisionID {
		t.Errorf("GetPolicy = %+v rev %s, want one statement and $LATEST's RevisionId %s", doc, rev, after.Config.RevisionID)
	}
	if _, r2 := getPolicyDoc(t, svc, "f", "$LATEST"); r2 != rev {
		t.Errorf("GetPolicy of $LATEST: rev %s, want the unqualified one", r2)
	}

	// Qualified: the alias's own policy, its Resource and RevisionId.
	alias, _ := svc.GetAlias(ctx, sc, "f", "live")
	out, err = add("live", lambda.Statement{Sid: "x", Action: "lambda:InvokeFunction", Principal: "210987654321"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"Principal":{"AWS":"arn:aws:iam::210987654321:root"}`) || !strings.Contains(out, `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:f:live"`) {
		t.Errorf("alias statement %s", out)
	}
	doc, rev = getPolicyDoc(t, svc, "f", "live")
	alias2, _ := svc.GetAlias(ctx, sc, "f", "live")
	if len(doc.Statement) != 1 || rev != alias2.RevisionID || rev == alias.RevisionID {
		t.Errorf("alias policy %+v rev %s; alias rev before %s after %s", doc, rev, alias.RevisionID, alias2.RevisionID)
	}
	// The same Sid on another qualifier is another statement.
	if _, err := add("1", lambda.Statement{Sid: "s3", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "NONE"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetPolicy(ctx, sc, "f:1", ""); err != nil {
		t.Errorf("GetPolicy by qualified name: %v", err)
	}

	refusals := []struct {
		name string
		q    string
		st   lambda.Statement
		rev  string
		kind lambda.Kind
	}{
		{"duplicate sid", "", lambda.Statement{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindResourceConflict},
		{"stale revision", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*"}, before.Config.RevisionID, lambda.KindPreconditionFailed},
		{"$LATEST", "$LATEST", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindInvalidParameterValue},
		{"bad principal", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "somebody"}, "", lambda.KindInvalidParameterValue},
		{"bad sid", "", lambda.Statement{Sid: "a b", Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindValidation},
		{"long sid", "", lambda.Statement{Sid: strings.Repeat("a", 101), Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindValidation},
		{"bad action", "", lambda.Statement{Sid: "n", Action: "s3:GetObject", Principal: "*"}, "", lambda.KindValidation},
		{"no principal", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction"}, "", lambda.KindValidation},
		{"bad source account", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: "12"}, "", lambda.KindValidation},
		{"bad source arn", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "bucket"}, "", lambda.KindValidation},
		{"bad org", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*", PrincipalOrgID: "org"}, "", lambda.KindValidation},
		{"bad auth type", "", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "IAM"}, "", lambda.KindValidation},
		{"auth type on another action", "", lambda.Statement{Sid: "n", Action: "lambda:*", Principal: "*", FunctionURLAuthType: "NONE"}, "", lambda.KindInvalidParameterValue},
		{"missing alias", "nope", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindResourceNotFound},
		{"missing version", "7", lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*"}, "", lambda.KindResourceNotFound},
	}
	for _, r := range refusals {
		fnBefore, _ := svc.GetFunction(ctx, sc, "f", "")
		if _, err := add(r.q, r.st, r.rev); errKind(err) != r.kind {
			t.Errorf("%s: %v, want kind %d", r.name, err, r.kind)
		}
		if fnAfter, _ := svc.GetFunction(ctx, sc, "f", ""); fnAfter.Config.RevisionID != fnBefore.Config.RevisionID {
			t.Errorf("%s: a refused AddPermission changed the RevisionId", r.name)
		}
	}
	if _, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "nope", Statement: lambda.Statement{Sid: "n", Action: "lambda:InvokeFunction", Principal: "*"}}); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("missing function: %v", err)
	}

	// Removal: missing sid, stale revision, then the last statement takes
	// the policy with it.
	if err := svc.RemovePermission(ctx, sc, "f", "", "nope", ""); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("remove missing sid: %v", err)
	}
	if err := svc.RemovePermission(ctx, sc, "f", "", "s3", before.Config.RevisionID); errKind(err) != lambda.KindPreconditionFailed {
		t.Errorf("remove with stale revision: %v", err)
	}
	_, rev = getPolicyDoc(t, svc, "f", "")
	if err := svc.RemovePermission(ctx, sc, "f", "", "s3", rev); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetPolicy(ctx, sc, "f", ""); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("GetPolicy after the last statement went: %v", err)
	}
	if err := svc.RemovePermission(ctx, sc, "f", "", "s3", ""); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("remove from no policy: %v", err)
	}
	if err := svc.RemovePermission(ctx, sc, "nope", "", "s3", ""); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("remove from a missing function: %v", err)
	}
	if _, err := svc.GetPolicy(ctx, sc, "f", "1"); err != nil {
		t.Errorf("version 1's policy went with the unqualified one's: %v", err)
	}

	// Deleting the alias deletes its policy: a new alias of that name has none.
	if err := svc.DeleteAlias(ctx, sc, "f", "live"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: strPtr("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetPolicy(ctx, sc, "f", "live"); errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("a re-created alias has the deleted one's policy: %v", err)
	}
}

// TestPolicySizeLimit: statements are added until the document would pass
// 20480 bytes; that one is refused and the policy keeps the others.
func TestPolicySizeLimit(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, &gateExecutor{}, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	arn := "arn:aws:execute-api:us-east-1:123456789012:" + strings.Repeat("a", 200)
	var n int
	for n = 0; n < 200; n++ {
		_, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "f",
			Statement: lambda.Statement{Sid: "s" + strings.Repeat("0", 3) + string(rune('a'+n%26)) + strings.Repeat("b", n/26), Action: "lambda:InvokeFunction", Principal: "apigateway.amazonaws.com", SourceArn: arn}})
		if errKind(err) == lambda.KindPolicyLengthExceeded {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 || n == 200 {
		t.Fatalf("refused after %d statements", n)
	}
	v, err := svc.GetPolicy(ctx, sc, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Policy) > lambda.MaxPolicySize || strings.Count(v.Policy, `"Sid"`) != n {
		t.Errorf("policy of %d bytes with %d statements, want ≤ %d bytes and %d", len(v.Policy), strings.Count(v.Policy, `"Sid"`), lambda.MaxPolicySize, n)
	}
}

// TestCrossAccountInvoke: a caller of another account invokes a function by
// ARN only where the invoked qualifier's policy allows it; the function's
// own account needs no statement.
func TestCrossAccountInvoke(t *testing.T) {
	ctx := context.Background()
	g := &gateExecutor{}
	svc := newService(t, g, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: strPtr("1")}); err != nil {
		t.Fatal(err)
	}
	other := lambda.Scope{Account: "210987654321", Region: sc.Region}
	invoke := func(caller lambda.Scope, name, q string) error {
		_, err := svc.Invoke(ctx, caller, lambda.InvokeInput{FunctionName: name, Qualifier: q, Payload: []byte(`{}`)})
		return err
	}
	arn := sc.FunctionARN("f")
	if err := invoke(other, arn, ""); errKind(err) != lambda.KindAccessDenied {
		t.Fatalf("no policy: %v, want AccessDenied", err)
	}
	if err := invoke(other, sc.FunctionARN("missing"), ""); errKind(err) != lambda.KindAccessDenied {
		t.Errorf("missing function: %v, want AccessDenied", err)
	}
	if err := invoke(sc, arn, ""); err != nil {
		t.Errorf("own account: %v", err)
	}
	if _, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "f", Qualifier: "live",
		Statement: lambda.Statement{Sid: "other", Action: "lambda:InvokeFunction", Principal: other.Account}}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(other, arn+":live", ""); err != nil {
		t.Errorf("alias with a statement for the caller: %v", err)
	}
	if err := invoke(other, arn, "live"); err != nil {
		t.Errorf("alias as Qualifier: %v", err)
	}
	if err := invoke(other, arn, ""); errKind(err) != lambda.KindAccessDenied {
		t.Errorf("unqualified, whose policy is empty: %v", err)
	}
	if err := invoke(lambda.Scope{Account: "333333333333", Region: sc.Region}, arn+":live", ""); errKind(err) != lambda.KindAccessDenied {
		t.Errorf("a third account: %v", err)
	}
	// A statement that needs a SourceArn does not let a direct call in.
	if _, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "f",
		Statement: lambda.Statement{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:s3:::b"}}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(other, arn, ""); errKind(err) != lambda.KindAccessDenied {
		t.Errorf("statement with SourceArn: %v", err)
	}
	if _, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "f",
		Statement: lambda.Statement{Sid: "all", Action: "lambda:*", Principal: "*"}}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(other, arn, ""); err != nil {
		t.Errorf("lambda:* for anyone: %v", err)
	}
	if err := invoke(other, arn, "$LATEST"); err != nil {
		t.Errorf("$LATEST answers to the unqualified policy: %v", err)
	}
	// An allowed Event invocation is queued, and runs, in the owner's
	// account; DryRun answers the permission only.
	calls, _, _ := g.stats()
	if out, err := svc.Invoke(ctx, other, lambda.InvokeInput{FunctionName: arn, InvocationType: lambda.InvokeEvent, Payload: []byte(`{}`)}); err != nil || out.StatusCode != 202 {
		t.Fatalf("Event: %+v %v", out, err)
	}
	waitFor(t, func() bool { n, _, _ := g.stats(); return n == calls+1 })
	if out, err := svc.Invoke(ctx, other, lambda.InvokeInput{FunctionName: arn, InvocationType: lambda.InvokeDryRun}); err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %+v %v", out, err)
	}
	if _, err := svc.Invoke(ctx, other, lambda.InvokeInput{FunctionName: arn + ":1", InvocationType: lambda.InvokeDryRun}); errKind(err) != lambda.KindAccessDenied {
		t.Errorf("DryRun of version 1, which has no policy: %v", err)
	}
	ok, err := svc.PolicyAllows(ctx, sc, "f", "7", lambda.PolicyRequest{Action: "lambda:InvokeFunction", PrincipalAccount: other.Account})
	if ok || errKind(err) != lambda.KindResourceNotFound {
		t.Errorf("PolicyAllows on a missing version = %v, %v", ok, err)
	}
}

func strPtr(s string) *string { return &s }
