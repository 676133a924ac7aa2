package lambdaapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

type policyDoc struct {
	Version   string
	Id        string
	Statement []map[string]any
}

func getPolicy(t *testing.T, c *lambda.Client, name, qualifier string) (policyDoc, string, error) {
	t.Helper()
	in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.GetPolicy(context.Background(), in)
	if err != nil {
		return policyDoc{}, "", err
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		t.Fatalf("Policy is not a JSON document: %v: %s", err, aws.ToString(out.Policy))
	}
	return doc, aws.ToString(out.RevisionId), nil
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestSDKPermissions: AddPermission, GetPolicy and RemovePermission through
// aws-sdk-go-v2 on the function, a version and an alias: the statement AWS
// renders, RevisionIds, and every error type with its status; refused
// requests change nothing.
func TestSDKPermissions(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "f", true)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:f"

	_, _, err := getPolicy(t, c, "f", "")
	wantAPIError(t, "no policy", err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, _, err = getPolicy(t, c, "missing", "")
	wantAPIError(t, "no function", err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing")

	fn, _ := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
	rev0 := aws.ToString(fn.Configuration.RevisionId)
	add, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
		SourceArn: aws.String("arn:aws:s3:::bucket"), SourceAccount: aws.String("123456789012"), RevisionId: aws.String(rev0)})
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(add.Statement)), &st); err != nil {
		t.Fatalf("Statement is not JSON: %v", err)
	}
	wantSt := map[string]any{"Sid": "s3", "Effect": "Allow", "Principal": map[string]any{"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
		"Resource": arn, "Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceAccount": "123456789012"}, "ArnLike": map[string]any{"AWS:SourceArn": "arn:aws:s3:::bucket"}}}
	if got, want := mustJSON(t, st), mustJSON(t, wantSt); got != want {
		t.Errorf("statement\n got %s\nwant %s", got, want)
	}
	doc, rev, err := getPolicy(t, c, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	fn, _ = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
	if doc.Version != "2012-10-17" || doc.Id != "default" || len(doc.Statement) != 1 || mustJSON(t, doc.Statement[0]) != mustJSON(t, wantSt) ||
		rev == rev0 || rev != aws.ToString(fn.Configuration.RevisionId) {
		t.Errorf("GetPolicy %+v rev %s; function rev before %s now %s", doc, rev, rev0, aws.ToString(fn.Configuration.RevisionId))
	}

	// The alias (by Qualifier) and the version (by qualified ARN) have
	// their own policies.
	add, err = c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), Qualifier: aws.String("live"), StatementId: aws.String("xacct"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("210987654321")})
	if err != nil {
		t.Fatal(err)
	}
	if s := aws.ToString(add.Statement); !strings.Contains(s, `"Principal":{"AWS":"arn:aws:iam::210987654321:root"}`) || !strings.Contains(s, `"Resource":"`+arn+`:live"`) {
		t.Errorf("alias statement %s", s)
	}
	add, err = c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(arn + ":1"), StatementId: aws.String("url"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	if s := aws.ToString(add.Statement); !strings.Contains(s, `"Principal":"*"`) || !strings.Contains(s, `"Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}`) {
		t.Errorf("version statement %s", s)
	}
	alias, _ := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("live")})
	if doc, rev, err := getPolicy(t, c, arn+":live", ""); err != nil || len(doc.Statement) != 1 || rev != aws.ToString(alias.RevisionId) {
		t.Errorf("alias policy %+v %s %v; alias rev %s", doc, rev, err, aws.ToString(alias.RevisionId))
	}
	v1, _ := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f"), Qualifier: aws.String("1")})
	if doc, rev, err := getPolicy(t, c, "f", "1"); err != nil || len(doc.Statement) != 1 || rev != aws.ToString(v1.Configuration.RevisionId) {
		t.Errorf("version policy %+v %s %v; version rev %s", doc, rev, err, aws.ToString(v1.Configuration.RevisionId))
	}

	// Refusals: each with its code and status, and nothing changes.
	_, rev, _ = getPolicy(t, c, "f", "")
	refused := []struct {
		name   string
		in     lambda.AddPermissionInput
		code   string
		status int
		msg    string
	}{
		{"duplicate", lambda.AddPermissionInput{StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")},
			"ResourceConflictException", 409, "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement."},
		{"stale revision", lambda.AddPermissionInput{StatementId: aws.String("n"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), RevisionId: aws.String(rev0)},
			"PreconditionFailedException", 412, "The Revision Id provided does not match the latest Revision Id."},
		{"$LATEST", lambda.AddPermissionInput{StatementId: aws.String("n"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), Qualifier: aws.String("$LATEST")},
			"InvalidParameterValueException", 400, "We currently do not support adding policies for $LATEST."},
		{"principal", lambda.AddPermissionInput{StatementId: aws.String("n"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("bob")},
			"InvalidParameterValueException", 400, "The provided principal was invalid. Please check the principal and try again."},
		{"sid pattern", lambda.AddPermissionInput{StatementId: aws.String("a.b"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")},
			"ValidationException", 400, "Value 'a.b' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"},
		{"action pattern", lambda.AddPermissionInput{StatementId: aws.String("n"), Action: aws.String("s3:GetObject"), Principal: aws.String("*")},
			"ValidationException", 400, "at 'action' failed to satisfy constraint"},
		{"missing alias", lambda.AddPermissionInput{StatementId: aws.String("n"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), Qualifier: aws.String("nope")},
			"ResourceNotFoundException", 404, "Function not found: " + arn + ":nope"},
	}
	for _, r := range refused {
		in := r.in
		in.FunctionName = aws.String("f")
		_, err := c.AddPermission(ctx, &in)
		wantAPIError(t, r.name, err, r.code, r.msg)
		if s := httpStatus(err); s != r.status {
			t.Errorf("%s: status %d, want %d", r.name, s, r.status)
		}
	}
	if doc, rev2, _ := getPolicy(t, c, "f", ""); len(doc.Statement) != 1 || rev2 != rev {
		t.Errorf("refused requests changed the policy: %+v, rev %s → %s", doc, rev, rev2)
	}

	// The 20 KB limit.
	long := "arn:aws:execute-api:us-east-1:123456789012:" + strings.Repeat("x", 1000)
	var lenErr error
	for i := 0; i < 40 && lenErr == nil; i++ {
		_, lenErr = c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), Qualifier: aws.String("1"),
			StatementId: aws.String("big" + strings.Repeat("i", i+1)), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("apigateway.amazonaws.com"), SourceArn: aws.String(long)})
	}
	wantAPIError(t, "20 KB", lenErr, "PolicyLengthExceededException", "is bigger than the limit (20480).")
	if s := httpStatus(lenErr); s != 400 {
		t.Errorf("PolicyLengthExceededException status %d", s)
	}

	// RemovePermission: errors, then the last statement takes the policy.
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("nope")})
	wantAPIError(t, "remove missing sid", err, "ResourceNotFoundException", "Statement nope is not found in resource policy.")
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("s3"), RevisionId: aws.String(rev0)})
	wantAPIError(t, "remove stale", err, "PreconditionFailedException", "The Revision Id provided does not match")
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("missing"), StatementId: aws.String("s3")})
	wantAPIError(t, "remove from missing function", err, "ResourceNotFoundException", "No policy found for: arn:aws:lambda:us-east-1:123456789012:function:missing")
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("s3"), RevisionId: aws.String(rev)}); err != nil {
		t.Fatal(err)
	}
	_, _, err = getPolicy(t, c, "f", "")
	wantAPIError(t, "after the last remove", err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("s3")})
	wantAPIError(t, "remove from no policy", err, "ResourceNotFoundException", "No policy is associated with the given resource.")

	// Deleting the version deletes its policy (the alias goes first).
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("f"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("f"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, _, err = getPolicy(t, c, "f", "1")
	wantAPIError(t, "deleted version", err, "ResourceNotFoundException", "Function not found: "+arn+":1")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSDKPermissionsSurviveRestart: a policy is durable, with its RevisionId.
func TestSDKPermissionsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "f", false)
	if _, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("a"),
		Action: aws.String("lambda:*"), Principal: aws.String("arn:aws:iam::210987654321:root"), PrincipalOrgID: aws.String("o-abcdefghij")}); err != nil {
		t.Fatal(err)
	}
	before, rev, err := getPolicy(t, c, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2 := reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"})
	after, rev2, err := getPolicy(t, sdkClient(t, srv2), "f", "")
	if err != nil || mustJSON(t, after) != mustJSON(t, before) || rev2 != rev {
		t.Errorf("after a restart: %+v %s %v, want %+v %s", after, rev2, err, before, rev)
	}
}

// TestSigV4CrossAccountInvoke: under --auth sigv4 with credentials in two
// accounts, the second invokes the first's function by ARN only where a
// statement allows it; the owner needs none. The function really runs.
func TestSigV4CrossAccountInvoke(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	const owner, other = "111111111111", "222222222222"
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Credentials: map[string]string{owner: "owner-secret", other: "other-secret"}})
	client := func(key, secret string) *lambda.Client {
		cfg := srv.AWSConfigFor(key, "us-east-1")
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
		return lambda.NewFromConfig(cfg)
	}
	oc, xc := client(owner, "owner-secret"), client(other, "other-secret")
	createFn(t, oc, "f", true)
	if _, err := oc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:" + owner + ":function:f"
	invoke := func(c *lambda.Client, name string) error {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"hello":"x"}`)})
		if err == nil && (out.FunctionError != nil || string(out.Payload) != `{"hello": "x"}` && string(out.Payload) != `{"hello":"x"}`) {
			t.Errorf("invoke %s: %s %s", name, aws.ToString(out.FunctionError), out.Payload)
		}
		return err
	}
	denied := func(what string, err error, resource string) {
		t.Helper()
		wantAPIError(t, what, err, "AccessDeniedException", "User: arn:aws:iam::"+other+":root is not authorized to perform: lambda:InvokeFunction on resource: "+resource+" because no resource-based policy allows the lambda:InvokeFunction action")
		if s := httpStatus(err); s != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", what, s)
		}
	}
	if err := invoke(oc, "f"); err != nil {
		t.Fatalf("owner: %v", err)
	}
	denied("no policy", invoke(xc, arn), arn)
	denied("no such function", invoke(xc, "arn:aws:lambda:us-east-1:"+owner+":function:nope"), "arn:aws:lambda:us-east-1:"+owner+":function:nope")

	// A statement on the alias for the other account: the alias opens, the
	// unqualified function stays closed.
	if _, err := oc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), Qualifier: aws.String("live"), StatementId: aws.String("other"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(xc, arn+":live"); err != nil {
		t.Errorf("alias allowed: %v", err)
	}
	denied("unqualified", invoke(xc, arn), arn)
	// The other account's own scope has no function f.
	if err := invoke(xc, "f"); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("plain name from the other account: %v, want ResourceNotFoundException", err)
	}
	// A statement only a service could satisfy does not open it.
	if _, err := oc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), SourceAccount: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	denied("SourceAccount condition", invoke(xc, arn), arn)
	if _, err := oc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("root"),
		Action: aws.String("lambda:*"), Principal: aws.String("arn:aws:iam::" + other + ":root")}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(xc, arn); err != nil {
		t.Errorf("root ARN with lambda:*: %v", err)
	}
	// The permission is to invoke, nothing else.
	if _, err := xc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("cross-account GetFunction: %v, want AccessDeniedException", err)
	}
	// Removing the statement closes it again.
	if _, err := oc.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("f"), StatementId: aws.String("root")}); err != nil {
		t.Fatal(err)
	}
	denied("after RemovePermission", invoke(xc, arn), arn)
}

func apiCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
