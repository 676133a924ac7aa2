package iamapi_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

const (
	identityDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	basicARN    = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

// TestSDKManagedPolicyLifecycle drives a customer managed policy through
// aws-sdk-go-v2: create, versions, attach, counts, entities, tags, delete.
func TestSDKManagedPolicyLifecycle(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()

	created, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{
		PolicyName: aws.String("app-logs"), Path: aws.String("/app/"), PolicyDocument: aws.String(identityDoc),
		Description: aws.String("lets the app log"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := created.Policy
	arn := aws.ToString(p.Arn)
	if arn != "arn:aws:iam::123456789012:policy/app/app-logs" || aws.ToString(p.DefaultVersionId) != "v1" ||
		!p.IsAttachable || p.AttachmentCount == nil || *p.AttachmentCount != 0 ||
		p.PermissionsBoundaryUsageCount == nil || !aws.ToTime(p.CreateDate).Equal(testClock()) ||
		!regexp.MustCompile(`^ANPA[A-Z0-9]{17}$`).MatchString(aws.ToString(p.PolicyId)) {
		t.Errorf("created = %+v", p)
	}
	got, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToString(got.Policy.Description) != "lets the app log" || fmtTags(got.Policy.Tags) != "team=core" {
		t.Fatalf("GetPolicy = %+v, %v", got, err)
	}

	v2, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{
		PolicyArn: aws.String(arn), PolicyDocument: aws.String(strings.Replace(identityDoc, "logs:PutLogEvents", "logs:DescribeLogStreams", 1)), SetAsDefault: true,
	})
	if err != nil || aws.ToString(v2.PolicyVersion.VersionId) != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion = %+v, %v", v2, err)
	}
	gv, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	// IAM returns documents URL-encoded.
	if doc, err := url.QueryUnescape(aws.ToString(gv.PolicyVersion.Document)); err != nil || doc != identityDoc || gv.PolicyVersion.IsDefaultVersion {
		t.Errorf("v1 = %q (%v), default %v", doc, err, gv.PolicyVersion.IsDefaultVersion)
	}
	lv, err := c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil || len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].VersionId) != "v2" || !lv.Versions[0].IsDefaultVersion || lv.Versions[1].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v, %v", lv, err)
	}
	if _, err := c.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{arn, basicARN} {
		if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("fn-role"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	if aws.ToInt32(got.Policy.AttachmentCount) != 1 || aws.ToString(got.Policy.DefaultVersionId) != "v1" {
		t.Errorf("after attach = %+v", got.Policy)
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: aws.String(basicARN)})
	if err != nil || len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "fn-role" || len(ents.PolicyUsers) != 0 {
		t.Errorf("ListEntitiesForPolicy = %+v, %v", ents, err)
	}
	lp, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{OnlyAttached: true})
	if err != nil || len(lp.Policies) != 2 {
		t.Fatalf("ListPolicies OnlyAttached = %+v, %v", lp, err)
	}
	local, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
	if err != nil || len(local.Policies) != 1 || aws.ToString(local.Policies[0].Arn) != arn || local.Policies[0].Description != nil {
		t.Errorf("ListPolicies Local = %+v, %v", local, err)
	}

	if _, err := c.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagPolicy(ctx, &iamsdk.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: aws.String(arn)})
	if err != nil || fmtTags(tags.Tags) != "env=dev" {
		t.Errorf("ListPolicyTags = %+v, %v", tags, err)
	}

	wantAPIError(t, func() error {
		_, err := c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)})
		return err
	}, 409, "DeleteConflict", "Cannot delete a policy attached to entities.")
	if _, err := c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("fn-role"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, func() error {
		_, err := c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)})
		return err
	}, 409, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	if _, err := c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetPolicy after delete: %v, want NoSuchEntityException", err)
	}
}

// TestSDKAWSManagedPolicy: the catalog answers GetPolicy and
// GetPolicyVersion with the real document, and refuses changes.
func TestSDKAWSManagedPolicy(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()
	p, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(basicARN)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(p.Policy.PolicyName) != "AWSLambdaBasicExecutionRole" || aws.ToString(p.Policy.Path) != "/service-role/" ||
		aws.ToString(p.Policy.DefaultVersionId) != "v1" || aws.ToTime(p.Policy.CreateDate).Format("2006-01-02T15:04") != "2015-04-09T15:03" {
		t.Errorf("GetPolicy = %+v", p.Policy)
	}
	v, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(basicARN), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil || !strings.Contains(doc, `"logs:CreateLogGroup"`) || !strings.Contains(doc, `"Resource" : "*"`) {
		t.Errorf("document = %q (%v)", doc, err)
	}
	wantAPIError(t, func() error {
		_, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(basicARN), PolicyDocument: aws.String(identityDoc)})
		return err
	}, 403, "AccessDenied", "")
	wantAPIError(t, func() error {
		_, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(basicARN), VersionId: aws.String("v2")})
		return err
	}, 404, "NoSuchEntity", "Policy "+basicARN+" version v2 does not exist or is not attachable.")
}

// TestSDKManagedPolicyErrors: bad input gets IAM's error shape and changes
// nothing.
func TestSDKManagedPolicyErrors(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()
	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:iam::123456789012:policy/missing"
	wantAPIError(t, func() error {
		_, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(trust)})
		return err
	}, 400, "MalformedPolicyDocument", "Policy document should not specify a principal.")
	wantAPIError(t, func() error {
		_, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String("{not json")})
		return err
	}, 400, "MalformedPolicyDocument", "Syntax errors in policy.")
	wantAPIError(t, func() error {
		_, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(missing)})
		return err
	}, 404, "NoSuchEntity", "Policy "+missing+" does not exist or is not attachable.")
	wantAPIError(t, func() error {
		_, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:s3:::some-bucket")})
		return err
	}, 400, "InvalidInput", "ARN arn:aws:s3:::some-bucket is not valid.")
	wantAPIError(t, func() error {
		_, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: "Everything"})
		return err
	}, 400, "ValidationError", "1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
	if _, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(identityDoc)}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::123456789012:policy/p"
	for i := 2; i <= 5; i++ {
		if _, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(identityDoc)}); err != nil {
			t.Fatal(err)
		}
	}
	wantAPIError(t, func() error {
		_, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(identityDoc)})
		return err
	}, 409, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	wantAPIError(t, func() error {
		_, err := c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
		return err
	}, 409, "DeleteConflict", "Cannot delete the default version of a policy.")
	lv, err := c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil || len(lv.Versions) != 5 {
		t.Errorf("versions after the refusals = %+v, %v", lv, err)
	}
	// Paging through ListPolicies with the SDK's paginator sees each policy once.
	seen := map[string]int{}
	pager := iamsdk.NewListPoliciesPaginator(c, &iamsdk.ListPoliciesInput{MaxItems: aws.Int32(2)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Policies {
			seen[aws.ToString(p.Arn)]++
		}
	}
	if seen[arn] != 1 || seen[basicARN] != 1 || len(seen) < 7 {
		t.Errorf("paged policies = %v", seen)
	}
	for a, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", a, n)
		}
	}
}

// wantAPIError fails unless call returns an API error with the status, code
// and (when not empty) message.
func wantAPIError(t *testing.T, call func() error, status int, code, msg string) {
	t.Helper()
	err := call()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("%s: status %v, want %d", code, err, status)
	}
	if apiErr.ErrorCode() != code || (msg != "" && apiErr.ErrorMessage() != msg) {
		t.Errorf("error = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msg)
	}
}

// TestSDKLambdaManagedPolicies: the Lambda managed policies added for issue
// 12 answer with their reference documents, paths and versions.
func TestSDKLambdaManagedPolicies(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()
	for _, tc := range []struct {
		arn, name, path, version, created, action string
	}{
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", "AWSLambdaSQSQueueExecutionRole", "/service-role/", "v1", "2018-06-14T21:50", `"sqs:ReceiveMessage"`},
		{"arn:aws:iam::aws:policy/AWSLambda_FullAccess", "AWSLambda_FullAccess", "/", "v2", "2020-11-17T21:14", `"lambda:*"`},
		{"arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess", "AWSLambda_ReadOnlyAccess", "/", "v5", "2020-11-17T21:10", `"lambda:List*"`},
	} {
		p, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(tc.arn)})
		if err != nil {
			t.Fatalf("GetPolicy %s: %v", tc.name, err)
		}
		if aws.ToString(p.Policy.PolicyName) != tc.name || aws.ToString(p.Policy.Path) != tc.path ||
			aws.ToString(p.Policy.DefaultVersionId) != tc.version || aws.ToTime(p.Policy.CreateDate).Format("2006-01-02T15:04") != tc.created {
			t.Errorf("GetPolicy %s = %+v", tc.name, p.Policy)
		}
		v, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(tc.arn), VersionId: aws.String(tc.version)})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
		if err != nil || !strings.Contains(doc, tc.action) {
			t.Errorf("%s document = %q (%v)", tc.name, doc, err)
		}
		if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("nope"), PolicyArn: aws.String(tc.arn)}); err == nil {
			t.Errorf("attach %s to a missing role succeeded", tc.name)
		}
	}
}

// TestSDKGetUser: GetUser without a UserName answers for the caller, the
// account's root user, as STS GetCallerIdentity does; a named user does not
// exist.
func TestSDKGetUser(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("123456789012")
	ctx := context.Background()
	out, err := c.GetUser(ctx, &iamsdk.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.User.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(out.User.UserId) != "123456789012" ||
		out.User.UserName != nil || out.User.CreateDate == nil {
		t.Errorf("GetUser = %+v", out.User)
	}
	wantAPIError(t, func() error {
		_, err := c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})
		return err
	}, 404, "NoSuchEntity", "The user with name alice cannot be found.")
}
