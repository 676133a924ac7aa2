package iam_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

const basicARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

func TestCreateAndGetPolicy(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	p, err := svc.CreatePolicy(ctx, acct, iam.CreatePolicyInput{
		Name: "app", Path: "/team/", Document: policyDoc, Description: "d", Tags: []iam.Tag{{Key: "k", Value: "v"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if p.ARN() != "arn:aws:iam::"+acct+":policy/team/app" || p.DefaultVersionID != "v1" || !p.CreateDate.Equal(want) ||
		!p.UpdateDate.Equal(want) || len(p.ID) != 21 || !strings.HasPrefix(p.ID, "ANPA") || p.AttachmentCount != 0 {
		t.Errorf("created = %+v", p)
	}
	stored, ok := store.policy(acct, "app")
	if !ok || len(stored.Versions) != 1 || stored.Versions[0].Document != policyDoc || stored.NextVersion != 2 {
		t.Errorf("stored = %+v, %v", stored, ok)
	}
	got, err := svc.GetPolicy(ctx, acct, p.ARN())
	if err != nil || got.Description != "d" || got.Tags["k"] != "v" {
		t.Errorf("GetPolicy = %+v, %v", got, err)
	}
	_, err = svc.CreatePolicy(ctx, acct, iam.CreatePolicyInput{Name: "APP", Document: policyDoc})
	wantCode(t, err, iam.CodeEntityAlreadyExists, "A policy called APP already exists. Duplicate names are not allowed.")
	// Another account may use the name; its ARN is not visible from here.
	o, err := svc.CreatePolicy(ctx, other, iam.CreatePolicyInput{Name: "app", Document: policyDoc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.GetPolicy(ctx, acct, o.ARN())
	wantCode(t, err, iam.CodeNoSuchEntity, "Policy "+o.ARN()+" was not found.")
	// The path is part of the ARN.
	_, err = svc.GetPolicy(ctx, acct, "arn:aws:iam::"+acct+":policy/app")
	wantCode(t, err, iam.CodeNoSuchEntity, "")
	_, err = svc.GetPolicy(ctx, acct, "arn:aws:iam::"+acct+":role/app-role-x")
	wantCode(t, err, iam.CodeInvalidInput, "ARN arn:aws:iam::"+acct+":role/app-role-x is not valid.")
	_, err = svc.GetPolicy(ctx, acct, "")
	wantCode(t, err, iam.CodeValidationError, "1 validation error detected: Value null at 'policyArn' failed to satisfy constraint: Member must not be null")
}

func TestCreatePolicyValidation(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	for _, tc := range []struct {
		in   iam.CreatePolicyInput
		code iam.ErrorCode
		msg  string
	}{
		{iam.CreatePolicyInput{Name: "p", Document: `{"Statement":`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `[1]`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17"}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "Policy document should not specify a principal."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "Policy statement must contain actions."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`}, iam.CodeMalformedPolicyDocument, "Policy statement must contain resources."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`}, iam.CodeMalformedPolicyDocument, `Resource bucket must be in ARN format or "*".`},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}, iam.CodeMalformedPolicyDocument, "The policy failed legacy parsing"},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}]}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} {}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{iam.CreatePolicyInput{Name: "p", Document: `{"Statement":{"Effect":"Allow","Action":["` + strings.Repeat("s3:GetObject\",\"", 500) + `s3:x"],"Resource":"*"}}`}, iam.CodeLimitExceeded, "Cannot exceed quota for PolicySize: 6144"},
		{iam.CreatePolicyInput{Name: "", Document: policyDoc}, iam.CodeValidationError, "1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null"},
		{iam.CreatePolicyInput{Name: "bad name", Document: policyDoc}, iam.CodeValidationError, `1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{iam.CreatePolicyInput{Name: "p", Path: "no-slash", Document: policyDoc}, iam.CodeValidationError, `1 validation error detected: Value 'no-slash' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`},
	} {
		_, err := svc.CreatePolicy(ctx, acct, tc.in)
		wantCode(t, err, tc.code, tc.msg)
	}
	if _, ok := store.policy(acct, "p"); ok {
		t.Error("a rejected policy was stored")
	}
	// A single statement object, NotAction/NotResource, a Condition and the
	// 2008 version are all grammar IAM accepts.
	for i, doc := range []string{
		`{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:iam::*:role/x"]}}`,
		`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"a","Effect":"Allow","Action":["*"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
	} {
		if _, err := svc.CreatePolicy(ctx, acct, iam.CreatePolicyInput{Name: fmt.Sprint("ok", i), Document: doc}); err != nil {
			t.Errorf("valid document %d refused: %v", i, err)
		}
	}
}

func TestPolicyVersions(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	arn := mustCreatePolicy(t, svc, acct, "p", "")
	doc := func(i int) string {
		return fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b%d/*"}]}`, i)
	}
	for i := 2; i <= 5; i++ {
		v, err := svc.CreatePolicyVersion(ctx, acct, arn, doc(i), i == 3)
		if err != nil || v.ID != fmt.Sprint("v", i) {
			t.Fatalf("CreatePolicyVersion %d = %+v, %v", i, v, err)
		}
	}
	_, err := svc.CreatePolicyVersion(ctx, acct, arn, doc(6), true)
	wantCode(t, err, iam.CodeLimitExceeded, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	p, _ := svc.GetPolicy(ctx, acct, arn)
	if p.DefaultVersionID != "v3" {
		t.Errorf("default = %s, want v3", p.DefaultVersionID)
	}
	v, isDefault, err := svc.GetPolicyVersion(ctx, acct, arn, "v3")
	if err != nil || !isDefault || v.Document != doc(3) {
		t.Errorf("GetPolicyVersion v3 = %+v %v %v", v, isDefault, err)
	}
	page, def, err := svc.ListPolicyVersions(ctx, acct, arn, iam.PageInput{MaxItems: 2})
	if err != nil || def != "v3" || len(page.Items) != 2 || page.Items[0].ID != "v5" || page.Items[1].ID != "v4" || !page.IsTruncated {
		t.Fatalf("first page = %+v %s %v", page, def, err)
	}
	page, _, _ = svc.ListPolicyVersions(ctx, acct, arn, iam.PageInput{Marker: page.Marker})
	if len(page.Items) != 3 || page.Items[2].ID != "v1" || page.IsTruncated || page.Items[0].Document != "" {
		t.Errorf("second page = %+v", page)
	}

	wantCode(t, svc.DeletePolicyVersion(ctx, acct, arn, "v3"), iam.CodeDeleteConflict, "Cannot delete the default version of a policy.")
	wantCode(t, svc.DeletePolicyVersion(ctx, acct, arn, "v9"), iam.CodeNoSuchEntity, "Policy "+arn+" version v9 does not exist or is not attachable.")
	wantCode(t, svc.DeletePolicyVersion(ctx, acct, arn, "3"), iam.CodeValidationError,
		`1 validation error detected: Value '3' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	wantCode(t, svc.DeletePolicy(ctx, acct, arn), iam.CodeDeleteConflict,
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	if err := svc.DeletePolicyVersion(ctx, acct, arn, "v5"); err != nil {
		t.Fatal(err)
	}
	// Version ids are never reused.
	if v, err := svc.CreatePolicyVersion(ctx, acct, arn, doc(6), false); err != nil || v.ID != "v6" {
		t.Errorf("after deleting v5: %+v, %v; want v6", v, err)
	}
	if err := svc.SetDefaultPolicyVersion(ctx, acct, arn, "v6"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.SetDefaultPolicyVersion(ctx, acct, arn, "v5"), iam.CodeNoSuchEntity, "")
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		if err := svc.DeletePolicyVersion(ctx, acct, arn, id); err != nil {
			t.Fatal(id, err)
		}
	}
	if err := svc.DeletePolicy(ctx, acct, arn); err != nil {
		t.Fatal(err)
	}
	_, err = svc.GetPolicy(ctx, acct, arn)
	wantCode(t, err, iam.CodeNoSuchEntity, "Policy "+arn+" was not found.")
}

func TestAttachmentCountsAndEntities(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	arn := mustCreatePolicy(t, svc, acct, "p", "")
	for _, name := range []string{"b-role", "a-role"} {
		mustCreate(t, svc, acct, name)
		if err := svc.AttachRolePolicy(ctx, acct, name, arn); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.AttachRolePolicy(ctx, acct, "a-role", basicARN); err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:iam::" + acct + ":policy/missing"
	wantCode(t, svc.AttachRolePolicy(ctx, acct, "a-role", missing), iam.CodeNoSuchEntity, "Policy "+missing+" does not exist or is not attachable.")
	wantCode(t, svc.AttachRolePolicy(ctx, acct, "a-role", "arn:aws:iam::aws:policy/NotInTheCatalog"), iam.CodeNoSuchEntity, "")
	p, _ := svc.GetPolicy(ctx, acct, arn)
	if p.AttachmentCount != 2 {
		t.Errorf("AttachmentCount = %d, want 2", p.AttachmentCount)
	}
	b, _ := svc.GetPolicy(ctx, acct, basicARN)
	if b.AttachmentCount != 1 {
		t.Errorf("AWS policy AttachmentCount = %d, want 1", b.AttachmentCount)
	}
	// Counts are per account.
	if b, _ := svc.GetPolicy(ctx, other, basicARN); b.AttachmentCount != 0 {
		t.Errorf("another account's AttachmentCount = %d, want 0", b.AttachmentCount)
	}
	entities, err := svc.ListEntitiesForPolicy(ctx, acct, arn, iam.ListEntitiesInput{})
	if err != nil || fmt.Sprint(len(entities.Items)) != "2" || entities.Items[0].Name != "a-role" || entities.Items[1].Name != "b-role" {
		t.Errorf("entities = %+v, %v", entities, err)
	}
	if e, _ := svc.ListEntitiesForPolicy(ctx, acct, arn, iam.ListEntitiesInput{EntityFilter: "User"}); len(e.Items) != 0 {
		t.Errorf("users = %+v", e)
	}
	_, err = svc.ListEntitiesForPolicy(ctx, acct, arn, iam.ListEntitiesInput{EntityFilter: "Robot"})
	wantCode(t, err, iam.CodeValidationError, "1 validation error detected: Value 'Robot' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")

	wantCode(t, svc.DeletePolicy(ctx, acct, arn), iam.CodeDeleteConflict, "Cannot delete a policy attached to entities.")
	wantCode(t, svc.DeleteRole(ctx, acct, "b-role"), iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	for _, name := range []string{"a-role", "b-role"} {
		if err := svc.DetachRolePolicy(ctx, acct, name, arn); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := svc.GetPolicy(ctx, acct, arn); p.AttachmentCount != 0 {
		t.Errorf("AttachmentCount after detaching = %d", p.AttachmentCount)
	}
	if err := svc.DeletePolicy(ctx, acct, arn); err != nil {
		t.Fatal(err)
	}
}

func TestListPolicies(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustCreatePolicy(t, svc, acct, "zeta", "/team/")
	attached := mustCreatePolicy(t, svc, acct, "Alpha", "")
	mustCreate(t, svc, acct, "r")
	if err := svc.AttachRolePolicy(ctx, acct, "r", attached); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, acct, "r", basicARN); err != nil {
		t.Fatal(err)
	}
	names := func(in iam.ListPoliciesInput) string {
		t.Helper()
		p, err := svc.ListPolicies(ctx, acct, in)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range p.Items {
			out = append(out, x.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(iam.ListPoliciesInput{Scope: "Local"}); got != "Alpha,zeta" {
		t.Errorf("Local = %s", got)
	}
	if got := names(iam.ListPoliciesInput{OnlyAttached: true}); got != "Alpha,AWSLambdaBasicExecutionRole" {
		t.Errorf("OnlyAttached = %s", got)
	}
	if got := names(iam.ListPoliciesInput{Scope: "AWS", PathPrefix: "/service-role/"}); strings.Contains(got, "AWSXRayDaemonWriteAccess") ||
		!strings.Contains(got, "AWSLambdaKinesisExecutionRole") || strings.Contains(got, "Alpha") {
		t.Errorf("AWS, path prefix /service-role/ = %s", got)
	}
	if got := names(iam.ListPoliciesInput{Scope: "Local", PathPrefix: "/team/"}); got != "zeta" {
		t.Errorf("Local /team/ = %s", got)
	}
	all := names(iam.ListPoliciesInput{})
	if !strings.Contains(all, "AWSXRayDaemonWriteAccess") || !strings.Contains(all, "zeta") {
		t.Errorf("All = %s", all)
	}
	// Paging visits every policy once.
	var paged []string
	in := iam.ListPoliciesInput{PageInput: iam.PageInput{MaxItems: 3}}
	for {
		p, err := svc.ListPolicies(ctx, acct, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Items {
			paged = append(paged, x.Name)
		}
		if !p.IsTruncated {
			break
		}
		in.Marker = p.Marker
	}
	if strings.Join(paged, ",") != all {
		t.Errorf("paged = %v, want %s", paged, all)
	}
	_, err := svc.ListPolicies(ctx, acct, iam.ListPoliciesInput{Scope: "Mine"})
	wantCode(t, err, iam.CodeValidationError, "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
}

func TestAWSManagedPoliciesAreReadOnly(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	p, err := svc.GetPolicy(ctx, acct, basicARN)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "AWSLambdaBasicExecutionRole" || p.Path != "/service-role/" || p.DefaultVersionID != "v1" ||
		!p.CreateDate.Equal(time.Date(2015, 4, 9, 15, 3, 0, 0, time.UTC)) || p.Description != "Provides write permissions to CloudWatch Logs." {
		t.Errorf("catalog policy = %+v", p)
	}
	v, isDefault, err := svc.GetPolicyVersion(ctx, acct, basicARN, "v1")
	if err != nil || !isDefault || !strings.Contains(v.Document, `"logs:PutLogEvents"`) {
		t.Errorf("catalog version = %+v %v %v", v, isDefault, err)
	}
	vpc, err := svc.GetPolicy(ctx, acct, "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
	if err != nil || vpc.DefaultVersionID != "v3" {
		t.Errorf("VPC policy = %+v, %v", vpc, err)
	}
	denied := func(op string, err error) {
		t.Helper()
		var e *iam.Error
		if !errors.As(err, &e) || e.Code != iam.CodeAccessDenied || !strings.Contains(e.Message, "iam:"+op) {
			t.Errorf("%s on an AWS managed policy: %v, want AccessDenied", op, err)
		}
	}
	denied("DeletePolicy", svc.DeletePolicy(ctx, acct, basicARN))
	_, err = svc.CreatePolicyVersion(ctx, acct, basicARN, policyDoc, true)
	denied("CreatePolicyVersion", err)
	denied("SetDefaultPolicyVersion", svc.SetDefaultPolicyVersion(ctx, acct, basicARN, "v1"))
	denied("DeletePolicyVersion", svc.DeletePolicyVersion(ctx, acct, basicARN, "v1"))
	denied("TagPolicy", svc.TagPolicy(ctx, acct, basicARN, []iam.Tag{{Key: "k"}}))
	if n := len(store.policies); n != 0 {
		t.Errorf("store holds %d policies", n)
	}
}

func TestPolicyTags(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	arn := mustCreatePolicy(t, svc, acct, "p", "")
	if err := svc.TagPolicy(ctx, acct, arn, []iam.Tag{{Key: "b", Value: "2"}, {Key: "A", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.TagPolicy(ctx, acct, arn, []iam.Tag{{Key: "a", Value: "one"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := svc.ListPolicyTags(ctx, acct, arn, iam.PageInput{})
	if err != nil || fmt.Sprint(tags.Items) != "[{a one} {b 2}]" {
		t.Errorf("tags = %v, %v", tags.Items, err)
	}
	if err := svc.UntagPolicy(ctx, acct, arn, []string{"B", "missing"}); err != nil {
		t.Fatal(err)
	}
	tags, _ = svc.ListPolicyTags(ctx, acct, arn, iam.PageInput{})
	if fmt.Sprint(tags.Items) != "[{a one}]" {
		t.Errorf("after untag = %v", tags.Items)
	}
	many := make([]iam.Tag, 50)
	for i := range many {
		many[i] = iam.Tag{Key: fmt.Sprint("k", i)}
	}
	wantCode(t, svc.TagPolicy(ctx, acct, arn, many), iam.CodeLimitExceeded, "Cannot exceed quota for TagsPerPolicy: 50")
	if tags, _ := svc.ListPolicyTags(ctx, acct, arn, iam.PageInput{}); len(tags.Items) != 1 {
		t.Errorf("a refused TagPolicy changed the tags: %v", tags.Items)
	}
	wantCode(t, svc.TagPolicy(ctx, acct, "arn:aws:iam::"+acct+":policy/none", []iam.Tag{{Key: "k"}}), iam.CodeNoSuchEntity, "")
}

func TestPoliciesSurviveRestartAndStoreFailures(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	arn := mustCreatePolicy(t, svc, acct, "p", "/x/")
	if _, err := svc.CreatePolicyVersion(ctx, acct, arn, policyDoc, true); err != nil {
		t.Fatal(err)
	}
	store.failWrites(errors.New("disk on fire"))
	if _, err := svc.CreatePolicyVersion(ctx, acct, arn, policyDoc, true); err == nil {
		t.Fatal("CreatePolicyVersion succeeded with the store down")
	}
	if err := svc.DeletePolicyVersion(ctx, acct, arn, "v1"); err == nil {
		t.Fatal("DeletePolicyVersion succeeded with the store down")
	}
	if _, err := svc.CreatePolicy(ctx, acct, iam.CreatePolicyInput{Name: "new", Document: policyDoc}); err == nil {
		t.Fatal("CreatePolicy succeeded with the store down")
	}
	if p, _ := svc.GetPolicy(ctx, acct, arn); p.DefaultVersionID != "v2" || len(p.Versions) != 2 {
		t.Errorf("a failed write changed the policy: %+v", p)
	}
	store.failWrites(nil)
	restarted, err := iam.NewService(ctx, store, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	p, err := restarted.GetPolicy(ctx, acct, arn)
	if err != nil || p.DefaultVersionID != "v2" || len(p.Versions) != 2 || p.NextVersion != 3 {
		t.Errorf("after restart = %+v, %v", p, err)
	}
	if _, err := restarted.GetPolicy(ctx, acct, "arn:aws:iam::"+acct+":policy/new"); err == nil {
		t.Error("a policy whose save failed exists after restart")
	}
}
