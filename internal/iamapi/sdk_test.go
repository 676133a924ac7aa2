package iamapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestSDKRoleLifecycle(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()

	created, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{
		RoleName:                 aws.String("lambda-exec"),
		Path:                     aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trust),
		Description:              aws.String("runs the functions"),
		Tags:                     []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}, {Key: aws.String("blank"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	role := created.Role
	if got, want := aws.ToString(role.Arn), "arn:aws:iam::123456789012:role/app/lambda-exec"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(aws.ToString(role.RoleId)) {
		t.Errorf("RoleId = %s", aws.ToString(role.RoleId))
	}
	if aws.ToString(role.Path) != "/app/" || aws.ToString(role.Description) != "runs the functions" || aws.ToInt32(role.MaxSessionDuration) != 3600 {
		t.Errorf("role = %+v", role)
	}
	if !aws.ToTime(role.CreateDate).Equal(testClock()) {
		t.Errorf("CreateDate = %v, want %v", aws.ToTime(role.CreateDate), testClock())
	}
	// IAM returns the document URL-encoded; Terraform unescapes it as a query.
	doc, err := url.QueryUnescape(aws.ToString(role.AssumeRolePolicyDocument))
	if err != nil || doc != trust {
		t.Errorf("AssumeRolePolicyDocument unescapes to %q (%v), want the document sent", doc, err)
	}
	if got := fmtTags(role.Tags); got != "blank=,team=core" {
		t.Errorf("Tags = %s", got)
	}

	got, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("lambda-exec")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Role.RoleId) != aws.ToString(role.RoleId) || got.Role.RoleLastUsed == nil || fmtTags(got.Role.Tags) != "blank=,team=core" {
		t.Errorf("GetRole = %+v", got.Role)
	}

	// What the Terraform provider reads after creating a role.
	inline, err := c.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("lambda-exec")})
	if err != nil || inline.PolicyNames == nil || len(inline.PolicyNames) != 0 || inline.IsTruncated {
		t.Errorf("ListRolePolicies = %+v, %v", inline, err)
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("lambda-exec")})
	if err != nil || len(attached.AttachedPolicies) != 0 {
		t.Errorf("ListAttachedRolePolicies = %+v, %v", attached, err)
	}
	profiles, err := c.ListInstanceProfilesForRole(ctx, &iamsdk.ListInstanceProfilesForRoleInput{RoleName: aws.String("lambda-exec")})
	if err != nil || profiles.InstanceProfiles == nil || len(profiles.InstanceProfiles) != 0 {
		t.Errorf("ListInstanceProfilesForRole = %+v, %v", profiles, err)
	}

	// Tags.
	if _, err := c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("lambda-exec"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagRole(ctx, &iamsdk.UntagRoleInput{RoleName: aws.String("lambda-exec"), TagKeys: []string{"blank"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("lambda-exec")})
	if err != nil || fmtTags(tags.Tags) != "env=dev,team=core" {
		t.Errorf("ListRoleTags = %s, %v", fmtTags(tags.Tags), err)
	}

	// Updates.
	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("lambda-exec"), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	desc, err := c.UpdateRoleDescription(ctx, &iamsdk.UpdateRoleDescriptionInput{RoleName: aws.String("lambda-exec"), Description: aws.String("new words")})
	if err != nil || aws.ToString(desc.Role.Description) != "new words" {
		t.Fatalf("UpdateRoleDescription = %+v, %v", desc, err)
	}
	got, err = c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("LAMBDA-EXEC")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ = url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if doc != newTrust || aws.ToInt32(got.Role.MaxSessionDuration) != 7200 || aws.ToString(got.Role.RoleName) != "lambda-exec" {
		t.Errorf("after updates: %+v (trust %s)", got.Role, doc)
	}

	// Policies block deletion until they are gone.
	const logs = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	const basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	if _, err := c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logs)}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyName: aws.String("logs")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument)); doc != logs {
		t.Errorf("GetRolePolicy document = %s", doc)
	}
	if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyArn: aws.String(basic)}); err != nil {
		t.Fatal(err)
	}
	attached, err = c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("lambda-exec")})
	if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "AWSLambdaBasicExecutionRole" {
		t.Errorf("ListAttachedRolePolicies = %+v, %v", attached, err)
	}
	var conflict *types.DeleteConflictException
	if _, err := c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("lambda-exec")}); !errors.As(err, &conflict) {
		t.Errorf("DeleteRole with policies: %v, want DeleteConflictException", err)
	}
	if _, err := c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyArn: aws.String(basic)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("lambda-exec"), PolicyName: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("lambda-exec")}); err != nil {
		t.Fatal(err)
	}
	var missing *types.NoSuchEntityException
	if _, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("lambda-exec")}); !errors.As(err, &missing) {
		t.Errorf("GetRole after DeleteRole: %v, want NoSuchEntityException", err)
	}
}

func TestSDKListRolesPaginates(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("role-%d", i)
		want = append(want, name)
		if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	p := iamsdk.NewListRolesPaginator(c, &iamsdk.ListRolesInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if r.Tags != nil || r.RoleLastUsed != nil {
				t.Errorf("ListRoles shows tags or last use of %s", aws.ToString(r.RoleName))
			}
		}
	}
	if !slices.Equal(names, want) || pages != 3 {
		t.Errorf("listed %v in %d pages, want %v in 3", names, pages, want)
	}

	// Another account sees none of them.
	out, err := srv.iamClient(otherKey).ListRoles(ctx, &iamsdk.ListRolesInput{})
	if err != nil || len(out.Roles) != 0 {
		t.Errorf("other account lists %+v, %v", out, err)
	}
}

func TestSDKErrors(t *testing.T) {
	srv := newTestServer(t)
	c := srv.iamClient("AKIATEST")
	ctx := context.Background()
	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("taken"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("taken"), PolicyName: aws.String("p"), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	fiftyOne := make([]types.Tag, 51)
	for i := range fiftyOne {
		fiftyOne[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}

	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
		msg    string
		typed  func(error) bool
	}{
		{"get missing", func() error {
			_, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("nope")})
			return err
		}, 404, "NoSuchEntity", "The role with name nope cannot be found.", isType[*types.NoSuchEntityException]},
		{"delete missing", func() error {
			_, err := c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("nope")})
			return err
		}, 404, "NoSuchEntity", "The role with name nope cannot be found.", isType[*types.NoSuchEntityException]},
		{"list policies of missing", func() error {
			_, err := c.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("nope")})
			return err
		}, 404, "NoSuchEntity", "", isType[*types.NoSuchEntityException]},
		{"create existing", func() error {
			_, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("TAKEN"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, 409, "EntityAlreadyExists", "Role with name TAKEN already exists.", isType[*types.EntityAlreadyExistsException]},
		{"delete with inline policy", func() error {
			_, err := c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("taken")})
			return err
		}, 409, "DeleteConflict", "Cannot delete entity, must delete policies first.", isType[*types.DeleteConflictException]},
		{"bad role name", func() error {
			_, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("no spaces"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, 400, "ValidationError", `1 validation error detected: Value 'no spaces' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`, nil},
		{"bad json", func() error {
			_, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{nope")})
			return err
		}, 400, "MalformedPolicyDocument", "This policy contains invalid Json", isType[*types.MalformedPolicyDocumentException]},
		{"too many tags", func() error {
			_, err := c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("taken"), Tags: fiftyOne})
			return err
		}, 400, "ValidationError", "", nil},
		{"bad policy arn", func() error {
			_, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("taken"), PolicyArn: aws.String("arn:aws:s3:::some-bucket")})
			return err
		}, 400, "InvalidInput", "ARN arn:aws:s3:::some-bucket is not valid.", isType[*types.InvalidInputException]},
		{"bad max session", func() error {
			_, err := c.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("taken"), MaxSessionDuration: aws.Int32(60)})
			return err
		}, 400, "ValidationError", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want an API error", err)
			}
			if apiErr.ErrorCode() != tt.code || (tt.msg != "" && apiErr.ErrorMessage() != tt.msg) {
				t.Errorf("error = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.code, tt.msg)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tt.status {
				t.Errorf("HTTP status: %v, want %d", err, tt.status)
			}
			if respErr != nil && !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(respErr.ServiceRequestID()) {
				t.Errorf("request ID %q", respErr.ServiceRequestID())
			}
			if tt.typed != nil && !tt.typed(err) {
				t.Errorf("error %T is not the typed exception", err)
			}
		})
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestSDKServerFailureIsGeneric(t *testing.T) {
	srv := newTestServer(t)
	srv.store.mu.Lock()
	srv.store.failWrites = true
	srv.store.mu.Unlock()
	_, err := srv.iamClient("AKIATEST").CreateRole(context.Background(), &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	var failure *types.ServiceFailureException
	if !errors.As(err, &failure) {
		t.Fatalf("error = %v, want ServiceFailureException", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("internal detail leaked to the client: %v", err)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != 500 {
		t.Errorf("status: %v, want 500", err)
	}
	if logs := srv.logs.String(); !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "secret internal failure detail") {
		t.Errorf("server error not logged at Error with its cause:\n%s", logs)
	}
}

func TestSDKGetCallerIdentity(t *testing.T) {
	srv := newTestServer(t)
	for _, tt := range []struct{ key, account string }{{"AKIATEST", acct}, {otherKey, otherAcct}} {
		out, err := srv.stsClient(tt.key).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != tt.account || aws.ToString(out.Arn) != "arn:aws:iam::"+tt.account+":root" || aws.ToString(out.UserId) != tt.account {
			t.Errorf("key %s: identity %s %s %s, want account %s", tt.key, aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), tt.account)
		}
	}
}

func fmtTags(tags []types.Tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = aws.ToString(t.Key) + "=" + aws.ToString(t.Value)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}
