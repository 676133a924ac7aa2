package lambdaapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// invocations is the lambda_invocations_total sample of one function (0
// when the server has none yet).
func invocations(t *testing.T, srv *reservoirtest.Server, account, function string) float64 {
	t.Helper()
	m := string(call(t, urlClient(), newReq(t, "GET", srv.URL+"/metrics", nil)).body)
	sample := `lambda_invocations_total{account="` + account + `",function="` + function + `",region="us-east-1"} `
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, sample); ok {
			var f float64
			if err := json.Unmarshal([]byte(v), &f); err != nil {
				t.Fatalf("sample %q: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// TestFunctionURLPermissions: under --auth sigv4, a call through a function
// URL needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction from
// the function's resource-based policy on the URL's qualifier (AWS's rule
// since October 2025). A refused call is a 403 Forbidden that does not run
// the function. An AWS_IAM URL's caller of the function's own account needs
// no statement; another account's needs both.
func TestFunctionURLPermissions(t *testing.T) {
	needPython(t)
	const owner, other = "111111111111", "222222222222"
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Isolation: "off",
		Credentials: map[string]string{owner: "owner-secret", other: "other-secret"}})
	cfg := srv.AWSConfigFor(owner, "us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(owner, "owner-secret", "")
	c := lambda.NewFromConfig(cfg)
	hc := urlClient()
	forbidden := func(what, u string) {
		t.Helper()
		a := call(t, hc, newReq(t, "GET", u+"?mode=bare", nil))
		if a.status != 403 || string(a.body) != `{"Message":"Forbidden"}` || a.header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
			t.Fatalf("%s: %d %v %s", what, a.status, a.header, a.body)
		}
	}
	allowed := func(what, u string) {
		t.Helper()
		if a := call(t, hc, newReq(t, "GET", u+"?mode=bare", nil)); a.status != 200 || string(a.body) != `"Hello, world!"` {
			t.Fatalf("%s: %d %s", what, a.status, a.body)
		}
	}
	remove := func(name, qualifier, sid string) {
		t.Helper()
		in := &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(sid)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		if _, err := c.RemovePermission(ctx, in); err != nil {
			t.Fatal(err)
		}
	}

	// A NONE URL.
	u := createWebClosed(t, c, "pub", &lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeNone})
	forbidden("no policy", u)
	addURLPermission(t, c, "pub", "", "url", "lambda:InvokeFunctionUrl", "*", types.FunctionUrlAuthTypeNone, false)
	forbidden("only lambda:InvokeFunctionUrl", u)
	remove("pub", "", "url")
	addURLPermission(t, c, "pub", "", "iam-url", "lambda:InvokeFunctionUrl", "*", types.FunctionUrlAuthTypeAwsIam, false)
	addURLPermission(t, c, "pub", "", "invoke", "lambda:InvokeFunction", "*", "", true)
	forbidden("lambda:InvokeFunctionUrl for AWS_IAM URLs only, and lambda:InvokeFunction", u)
	if n := invocations(t, srv, owner, "pub"); n != 0 {
		t.Fatalf("refused calls ran the function: %v invocations", n)
	}
	addURLPermission(t, c, "pub", "", "url", "lambda:InvokeFunctionUrl", "*", types.FunctionUrlAuthTypeNone, false)
	allowed("both permissions", u)
	if n := invocations(t, srv, owner, "pub"); n != 1 {
		t.Fatalf("after one allowed call: %v invocations", n)
	}
	remove("pub", "", "invoke")
	forbidden("lambda:InvokeFunction removed", u)

	// An alias's URL is governed by the alias's policy, not the function's.
	addURLPermission(t, c, "pub", "", "invoke", "lambda:InvokeFunction", "*", "", true)
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("pub"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	live, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("pub"), Qualifier: aws.String("live"),
		AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	lu := aws.ToString(live.FunctionUrl)
	forbidden("alias URL with the unqualified function's permissions", lu)
	grantPublicURL(t, c, "pub", "live")
	allowed("alias URL with the alias's permissions", lu)

	// An AWS_IAM URL.
	iu := createWebClosed(t, c, "priv", &lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeAwsIam})
	signed := func(key, secret string) *http.Request {
		req := newReq(t, "GET", iu+"?mode=bare", nil)
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	if a := call(t, hc, signed(owner, "owner-secret")); a.status != 200 || string(a.body) != `"Hello, world!"` {
		t.Fatalf("the owner's signed call: %d %s", a.status, a.body)
	}
	forbiddenSigned := func(what string) {
		t.Helper()
		if a := call(t, hc, signed(other, "other-secret")); a.status != 403 || string(a.body) != `{"Message":"Forbidden"}` {
			t.Fatalf("%s: %d %s", what, a.status, a.body)
		}
	}
	forbiddenSigned("another account, no policy")
	// A public statement for NONE URLs does not open an AWS_IAM URL.
	addURLPermission(t, c, "priv", "", "url", "lambda:InvokeFunctionUrl", "*", types.FunctionUrlAuthTypeNone, false)
	forbiddenSigned("another account, lambda:InvokeFunctionUrl for NONE URLs")
	addURLPermission(t, c, "priv", "", "other-url", "lambda:InvokeFunctionUrl", other, types.FunctionUrlAuthTypeAwsIam, false)
	forbiddenSigned("another account with lambda:InvokeFunctionUrl only")
	if n := invocations(t, srv, owner, "priv"); n != 1 {
		t.Fatalf("refused calls ran the function: %v invocations, want the owner's 1", n)
	}
	addURLPermission(t, c, "priv", "", "other-invoke", "lambda:InvokeFunction", other, "", true)
	if a := call(t, hc, signed(other, "other-secret")); a.status != 200 || string(a.body) != `"Hello, world!"` {
		t.Fatalf("another account with both: %d %s", a.status, a.body)
	}
}
