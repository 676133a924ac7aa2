package awsproto_test

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	goodKey    = "111111111111"
	goodSecret = "s3cret/with+chars"
)

func startSigned(t *testing.T) *reservoirtest.Server {
	return reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", Credentials: map[string]string{goodKey: goodSecret}})
}

func cfgWith(srv *reservoirtest.Server, key, secret string) aws.Config {
	c := srv.AWSConfigFor(goodKey, "us-west-2")
	c.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
	return c
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSigV4VerifiesSDKRequests(t *testing.T) {
	ctx := context.Background()
	srv := startSigned(t)
	good := lambda.NewFromConfig(cfgWith(srv, goodKey, goodSecret))
	if _, err := good.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err != nil {
		t.Fatalf("correctly signed request refused: %v", err)
	}
	// A body-carrying, path-escaped request verifies too.
	_, err := good.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("arn:aws:lambda:us-west-2:111111111111:function:missing"), ReservedConcurrentExecutions: aws.Int32(1)})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("signed PUT with an ARN in the path: %v", err)
	}
	_, err = lambda.NewFromConfig(cfgWith(srv, goodKey, "wrong")).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
	_, err = lambda.NewFromConfig(cfgWith(srv, "222222222222", goodSecret)).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("unknown key: %v", err)
	}
	resp, err := http.Get(srv.URL + "/2016-08-19/account-settings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// Health and metrics stay open.
	for _, p := range []string{"/", "/metrics"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
}

func TestSigV4VerifiesQueryProtocol(t *testing.T) {
	ctx := context.Background()
	srv := startSigned(t)
	id, err := sts.NewFromConfig(cfgWith(srv, goodKey, goodSecret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != goodKey {
		t.Fatalf("signed STS: %+v %v", id, err)
	}
	_, err = iam.NewFromConfig(cfgWith(srv, goodKey, "wrong")).ListRoles(ctx, &iam.ListRolesInput{})
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("IAM with a wrong secret: %v", err)
	}
	_, err = iam.NewFromConfig(cfgWith(srv, "AKIAUNKNOWN", goodSecret)).ListRoles(ctx, &iam.ListRolesInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("IAM with an unknown key: %v", err)
	}
}

// TestSigV4ServicesNotServed: with signatures checked, a request for a
// service Reservoir does not serve is still told so (whatever its
// signature), and one for a served service is still checked.
func TestSigV4ServicesNotServed(t *testing.T) {
	ctx := context.Background()
	srv := startSigned(t)
	for _, secret := range []string{goodSecret, "wrong"} {
		_, err := dynamodb.NewFromConfig(cfgWith(srv, goodKey, secret)).ListTables(ctx, &dynamodb.ListTablesInput{})
		if apiCode(err) != awsproto.NotServedCode {
			t.Errorf("DynamoDB with secret %q: %v", secret, err)
		}
	}
	_, err := sts.NewFromConfig(cfgWith(srv, goodKey, "wrong")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("STS with a wrong secret: %v", err)
	}
}

func TestSigV4VerifiesAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	srv := startSigned(t)
	run := func(secret string, args ...string) (string, error) {
		cmd := exec.Command("aws", append(args, "--endpoint-url", srv.URL, "--output", "json")...)
		cmd.Env = append(srv.Env(goodKey, "us-west-2"), "AWS_SECRET_ACCESS_KEY="+secret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(goodSecret, "lambda", "get-account-settings"); err != nil {
		t.Fatalf("CLI with the right secret: %v\n%s", err, out)
	}
	if out, err := run(goodSecret, "lambda", "get-function-concurrency", "--function-name", "arn:aws:lambda:us-west-2:111111111111:function:nope"); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Fatalf("CLI signed request with an escaped ARN: %v\n%s", err, out)
	}
	if out, err := run("wrong", "lambda", "get-account-settings"); err == nil || !strings.Contains(out, "InvalidSignatureException") {
		t.Fatalf("CLI with a wrong secret: %v\n%s", err, out)
	}
}
