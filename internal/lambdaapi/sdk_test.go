package lambdaapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

func sdkClient(t *testing.T, srv *reservoirtest.Server) *lambda.Client {
	return lambda.NewFromConfig(srv.AWSConfig(t))
}

// callerRole is an execution role in the client's own account (its access
// key): AWS refuses a role of another account.
func callerRole(t *testing.T, c *lambda.Client) string {
	t.Helper()
	creds, err := c.Options().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return "arn:aws:iam::" + creds.AccessKeyID + ":role/r"
}

func createFn(t *testing.T, c *lambda.Client, name string, publish bool) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimePython312,
		Handler:      aws.String("handler.handler"),
		Role:         aws.String(callerRole(t, c)),
		Code:         &types.FunctionCode{ZipFile: zipOf(t, echoZip)},
		Publish:      publish,
	})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

func TestSDKFunctionLifecycle(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	out := createFn(t, c, "life", true)
	if aws.ToString(out.Version) != "1" || aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:life" {
		t.Fatalf("create with Publish: version %s arn %s", aws.ToString(out.Version), aws.ToString(out.FunctionArn))
	}
	// Publishing again without a change returns the same version.
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("life")})
	if err != nil || aws.ToString(v.Version) != "1" {
		t.Fatalf("republish unchanged: %v %v", aws.ToString(v.Version), err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("life"), MemorySize: aws.Int32(256),
		Environment: &types.Environment{Variables: map[string]string{"MODE": "test"}},
	}); err != nil {
		t.Fatal(err)
	}
	v, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("life"), Description: aws.String("second")})
	if err != nil || aws.ToString(v.Version) != "2" || aws.ToInt32(v.MemorySize) != 256 {
		t.Fatalf("publish after change: %+v %v", v, err)
	}
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("life"), MaxItems: aws.Int32(10000)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range versions.Versions {
		got = append(got, aws.ToString(v.Version))
	}
	if strings.Join(got, ",") != "$LATEST,1,2" {
		t.Fatalf("versions %v, want $LATEST,1,2 (oldest first)", got)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("life"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	// Every form of the name reaches the same function.
	for _, name := range []string{"life:live", "123456789012:function:life:live", "arn:aws:lambda:us-east-1:123456789012:function:life:live"} {
		fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetFunction %s: %v", name, err)
		}
		if aws.ToString(fn.Configuration.Version) != "1" || aws.ToString(fn.Configuration.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:life:live" {
			t.Fatalf("GetFunction %s: version %s arn %s", name, aws.ToString(fn.Configuration.Version), aws.ToString(fn.Configuration.FunctionArn))
		}
		if fn.Code == nil || aws.ToString(fn.Code.Location) == "" {
			t.Fatalf("GetFunction %s: no Code.Location", name)
		}
	}
	// Code.Location serves the package.
	fn, _ := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("life")})
	resp, err := http.Get(aws.ToString(fn.Code.Location))
	if err != nil || resp.StatusCode != 200 || resp.ContentLength != fn.Configuration.CodeSize {
		t.Fatalf("download code: %v %v", resp, err)
	}
	resp.Body.Close()

	// A version an alias uses cannot be deleted; an unused one can.
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("life"), Qualifier: aws.String("1")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("delete aliased version: %v, want ResourceConflictException", err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("life"), Qualifier: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("life")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("life")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestSDKConcurrencyAndTypedErrors(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", SimulatedInitDelay: time.Millisecond})
	c := sdkClient(t, srv)
	createFn(t, c, "conc", true)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("conc"), ReservedConcurrentExecutions: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("conc")})
	if err != nil || fn.Concurrency == nil || aws.ToInt32(fn.Concurrency.ReservedConcurrentExecutions) != 10 {
		t.Fatalf("GetFunction concurrency: %+v %v", fn.Concurrency, err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("conc"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("conc"), Qualifier: aws.String("1")})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status == types.ProvisionedConcurrencyStatusEnumReady {
			if aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) != 4 {
				t.Fatalf("READY with allocated %d", aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not READY: %+v", pc)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Typed errors as the SDK models them.
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("conc"), ReservedConcurrentExecutions: aws.Int32(3)})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), "should not be lower than function's total provisioned concurrency [4]") {
		t.Fatalf("reserve below provisioned: %v", err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("conc"), Qualifier: aws.String("$LATEST")})
	if !errors.As(err, &ipv) {
		t.Fatalf("provisioned $LATEST: %v", err)
	}
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("conc"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("conc"), Qualifier: aws.String("1")})
	var pnf *types.ProvisionedConcurrencyConfigNotFoundException
	if !errors.As(err, &pnf) {
		t.Fatalf("get deleted config: %v", err)
	}
	settings, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || aws.ToInt32(settings.AccountLimit.UnreservedConcurrentExecutions) != 990 || settings.AccountUsage.FunctionCount != 1 {
		t.Fatalf("account settings: %+v %+v %v", settings.AccountLimit, settings.AccountUsage, err)
	}
}

func TestSDKDeletingFunctionReleasesConcurrency(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "a", true)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("a"), ReservedConcurrentExecutions: aws.Int32(900)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("a"), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(900)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	createFn(t, c, "b", true)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("b"), ReservedConcurrentExecutions: aws.Int32(900)}); err != nil {
		t.Fatalf("capacity of a deleted function was not released: %v", err)
	}
}

func TestSDKAccountAndRegionIsolation(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	home := lambda.NewFromConfig(srv.AWSConfigFor("111111111111", "us-east-1"))
	otherAccount := lambda.NewFromConfig(srv.AWSConfigFor("222222222222", "us-east-1"))
	otherRegion := lambda.NewFromConfig(srv.AWSConfigFor("111111111111", "eu-west-1"))
	createFn(t, home, "iso", false)
	if _, err := home.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("iso"), ReservedConcurrentExecutions: aws.Int32(900)}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*lambda.Client{"account": otherAccount, "region": otherRegion} {
		_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("iso")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("other %s sees the function: %v", name, err)
		}
		s, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
		if err != nil || aws.ToInt32(s.AccountLimit.UnreservedConcurrentExecutions) != 1000 || s.AccountUsage.FunctionCount != 0 {
			t.Fatalf("other %s's settings: %+v %+v %v", name, s.AccountLimit, s.AccountUsage, err)
		}
		// The same name is free there, with its own capacity.
		createFn(t, c, "iso", false)
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("iso"), ReservedConcurrentExecutions: aws.Int32(900)}); err != nil {
			t.Fatalf("other %s: %v", name, err)
		}
	}
	// Naming another account's function by ARN is refused.
	_, err := otherAccount.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:111111111111:function:iso")})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("cross-account ARN: %v", err)
	}
}

func TestSDKPagination(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	for i := range 7 {
		createFn(t, c, fmt.Sprintf("page-%d", i), false)
	}
	first, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(3)})
	if err != nil || len(first.Functions) != 3 || first.NextMarker == nil {
		t.Fatalf("first page: %d items, marker %v, %v", len(first.Functions), first.NextMarker, err)
	}
	var names []string
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if strings.Join(names, ",") != "page-0,page-1,page-2,page-3,page-4,page-5,page-6" {
		t.Fatalf("paginated names %v", names)
	}
}

// TestConcurrentReservationsNeverOverbook races many writers for the same
// unreserved capacity: exactly as many succeed as fit.
func TestConcurrentReservationsNeverOverbook(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	const fns = 24
	for i := range fns {
		createFn(t, c, fmt.Sprintf("race-%d", i), false)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
				FunctionName: aws.String(fmt.Sprintf("race-%d", i)), ReservedConcurrentExecutions: aws.Int32(50)})
			var ipv *types.InvalidParameterValueException
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.As(err, &ipv):
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 18 { // (1000 − 100) / 50
		t.Fatalf("%d reservations of 50 succeeded, want 18", ok.Load())
	}
	s, _ := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if aws.ToInt32(s.AccountLimit.UnreservedConcurrentExecutions) != 100 {
		t.Fatalf("unreserved %d, want 100", aws.ToInt32(s.AccountLimit.UnreservedConcurrentExecutions))
	}
}

func TestRestartKeepsStateAndRewarmsProvisioned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "durable", true)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("durable"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("durable"), ReservedConcurrentExecutions: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("durable"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:durable"), Tags: map[string]string{"team": "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	srv2 := reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"})
	c2 := sdkClient(t, srv2)
	fn, err := c2.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("durable")})
	if err != nil || aws.ToInt32(fn.Concurrency.ReservedConcurrentExecutions) != 7 || fn.Tags["team"] != "x" {
		t.Fatalf("after restart: %+v %v", fn, err)
	}
	alias, err := c2.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("durable"), Name: aws.String("live")})
	if err != nil || aws.ToString(alias.FunctionVersion) != "1" {
		t.Fatalf("alias after restart: %+v %v", alias, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pc, err := c2.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("durable"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status == types.ProvisionedConcurrencyStatusEnumReady && aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioned config did not warm up again: %+v", pc)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The restored books still enforce the limits.
	_, err = c2.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("durable"), ReservedConcurrentExecutions: aws.Int32(2)})
	if err == nil || !strings.Contains(err.Error(), "total provisioned concurrency [3]") {
		t.Fatalf("reservation below restored provisioned total: %v", err)
	}
}
