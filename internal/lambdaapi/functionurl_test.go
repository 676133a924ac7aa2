package lambdaapi_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

var urlRE = regexp.MustCompile(`^http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/$`)

// TestSDKFunctionURLConfigs: the five operations through aws-sdk-go-v2 on
// the function and an alias, with AWS's errors; bad input changes nothing;
// the URL is stable (the same after delete and create again, and across a
// restart); deleting the alias deletes its URL.
func TestSDKFunctionURLConfigs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	createFn(t, c, "web", true)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:web"
	before := time.Now().Add(-time.Second)

	_, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	wantAPIError(t, "get none", err, "ResourceNotFoundException", "The resource you requested does not exist.")

	created, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"),
		AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
			AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{"x-id"}, MaxAge: aws.Int32(300), AllowCredentials: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	m := urlRE.FindStringSubmatch(aws.ToString(created.FunctionUrl))
	srvURL, _ := url.Parse(srv.URL)
	if m == nil || m[2] != srvURL.Port() || aws.ToString(created.FunctionArn) != arn || created.AuthType != types.FunctionUrlAuthTypeNone ||
		created.InvokeMode != types.InvokeModeBuffered || created.Cors == nil || aws.ToInt32(created.Cors.MaxAge) != 300 ||
		!aws.ToBool(created.Cors.AllowCredentials) || strings.Join(created.Cors.AllowMethods, ",") != "GET,POST" {
		t.Fatalf("create: %+v", created)
	}
	ct, err := time.Parse("2006-01-02T15:04:05.000000Z", aws.ToString(created.CreationTime))
	if err != nil || ct.Before(before) || ct.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreationTime %q: %v", aws.ToString(created.CreationTime), err)
	}

	// A second URL on the same target conflicts, with AWS's sentence.
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	wantAPIError(t, "create twice", err, "ResourceConflictException",
		"Failed to create function url config for [functionArn = "+arn+"]. Error message:  FunctionUrlConfig exists for this Lambda function")

	// Bad input: version qualifiers, unknown enums, CORS limits; nothing changes.
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("1"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, "version qualifier", err, "ValidationException", "Value '1' at 'qualifier' failed to satisfy constraint")
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("nope"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, "missing alias", err, "ResourceNotFoundException", "Function does not exist")
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("ghost"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, "missing function", err, "ResourceNotFoundException", "Function does not exist")
	_, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: "OPEN"})
	wantAPIError(t, "bad auth type", err, "ValidationException", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	_, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), InvokeMode: "STREAMY"})
	wantAPIError(t, "bad invoke mode", err, "ValidationException", "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
	_, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), Cors: &types.Cors{MaxAge: aws.Int32(86401)}})
	wantAPIError(t, "max age", err, "ValidationException", "Member must have value less than or equal to 86400")
	_, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
		Cors: &types.Cors{AllowMethods: []string{"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"}}})
	wantAPIError(t, "seven methods", err, "ValidationException", "Member must have length less than or equal to 6")
	_, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, "update none", err, "ResourceNotFoundException", "The resource you requested does not exist.")

	got, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(arn)})
	if err != nil || aws.ToString(got.FunctionUrl) != aws.ToString(created.FunctionUrl) || got.AuthType != types.FunctionUrlAuthTypeNone ||
		aws.ToInt32(got.Cors.MaxAge) != 300 || aws.ToString(got.LastModifiedTime) == "" {
		t.Fatalf("get after bad input: %+v %v", got, err)
	}

	// Update: members sent change, Cors is replaced whole, an empty Cors removes it.
	up, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"),
		AuthType: types.FunctionUrlAuthTypeAwsIam, Cors: &types.Cors{AllowOrigins: []string{"*"}}, InvokeMode: types.InvokeModeResponseStream})
	if err != nil || up.AuthType != types.FunctionUrlAuthTypeAwsIam || up.InvokeMode != types.InvokeModeResponseStream ||
		up.Cors == nil || up.Cors.MaxAge != nil || strings.Join(up.Cors.AllowOrigins, ",") != "*" || aws.ToString(up.CreationTime) != aws.ToString(created.CreationTime) {
		t.Fatalf("update: %+v %v", up, err)
	}
	up, err = c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("web"), Cors: &types.Cors{}})
	if err != nil || up.Cors != nil || up.AuthType != types.FunctionUrlAuthTypeAwsIam {
		t.Fatalf("update with an empty Cors: %+v %v", up, err)
	}

	// The alias gets its own URL.
	aliasURL, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web:live"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil || aws.ToString(aliasURL.FunctionArn) != arn+":live" || !urlRE.MatchString(aws.ToString(aliasURL.FunctionUrl)) ||
		aws.ToString(aliasURL.FunctionUrl) == aws.ToString(created.FunctionUrl) {
		t.Fatalf("alias URL: %+v %v", aliasURL, err)
	}
	list, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web")})
	if err != nil || len(list.FunctionUrlConfigs) != 2 || aws.ToString(list.FunctionUrlConfigs[0].FunctionArn) != arn ||
		aws.ToString(list.FunctionUrlConfigs[1].FunctionArn) != arn+":live" {
		t.Fatalf("list: %+v %v", list, err)
	}
	page, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web"), MaxItems: aws.Int32(1)})
	if err != nil || len(page.FunctionUrlConfigs) != 1 || page.NextMarker == nil {
		t.Fatalf("list page: %+v %v", page, err)
	}
	_, err = c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("ghost")})
	wantAPIError(t, "list missing", err, "ResourceNotFoundException", "Function does not exist")

	// Deleting the alias deletes its URL.
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	list, err = c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("web")})
	if err != nil || len(list.FunctionUrlConfigs) != 1 {
		t.Fatalf("list after the alias is deleted: %+v %v", list, err)
	}

	// Delete, then create again: the same URL.
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("web")})
	wantAPIError(t, "delete twice", err, "ResourceNotFoundException", "The resource you requested does not exist.")
	again, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil || aws.ToString(again.FunctionUrl) != aws.ToString(created.FunctionUrl) || again.Cors != nil {
		t.Fatalf("create again: %+v %v", again, err)
	}

	// A restart keeps it, with its URL (the port is the new server's).
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2 := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	got, err = sdkClient(t, srv2).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	m2 := urlRE.FindStringSubmatch(aws.ToString(got.FunctionUrl))
	if err != nil || m2 == nil || m2[1] != m[1] || aws.ToString(got.CreationTime) != aws.ToString(again.CreationTime) {
		t.Fatalf("after a restart: %+v %v", got, err)
	}

	// Deleting the function deletes its URL.
	if _, err := sdkClient(t, srv2).DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	createFn(t, sdkClient(t, srv2), "web", false)
	_, err = sdkClient(t, srv2).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web")})
	wantAPIError(t, "after delete function", err, "ResourceNotFoundException", "The resource you requested does not exist.")
}
