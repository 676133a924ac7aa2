package iam_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

const (
	acct  = "123456789012"
	other = "210987654321"
	trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

	policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`
)

func fixedClock() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC) }

func newService(t *testing.T) (*iam.Service, *memStore) {
	t.Helper()
	store := newMemStore()
	svc, err := iam.NewService(context.Background(), store, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

func mustCreate(t *testing.T, svc *iam.Service, account, name string) iam.Role {
	t.Helper()
	r, err := svc.CreateRole(context.Background(), account, iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: trust})
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return r
}

// mustCreatePolicy creates a customer managed policy and returns its ARN.
func mustCreatePolicy(t *testing.T, svc *iam.Service, account, name, path string) string {
	t.Helper()
	p, err := svc.CreatePolicy(context.Background(), account, iam.CreatePolicyInput{Name: name, Path: path, Document: policyDoc})
	if err != nil {
		t.Fatalf("CreatePolicy(%s): %v", name, err)
	}
	return p.ARN()
}

// wantCode fails unless err is an *iam.Error with the code (and, when msg is
// not empty, the message).
func wantCode(t *testing.T, err error, code iam.ErrorCode, msg string) {
	t.Helper()
	var e *iam.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *iam.Error %s", err, code)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("error = %s %q, want %s %q", e.Code, e.Message, code, msg)
	}
}

func TestNewServiceRejectsMissingDependencies(t *testing.T) {
	if _, err := iam.NewService(context.Background(), nil, fixedClock); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := iam.NewService(context.Background(), newMemStore(), nil); err == nil {
		t.Error("nil clock accepted")
	}
}

func TestCreateRole(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	r, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{
		Name:                     "lambda-exec",
		AssumeRolePolicyDocument: trust,
		Description:              "runs things",
		Tags:                     []iam.Tag{{Key: "team", Value: "core"}, {Key: "empty", Value: ""}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(r.ID) {
		t.Errorf("ID = %q, want AROA + 17 upper-case alphanumerics", r.ID)
	}
	if got, want := r.ARN(), "arn:aws:iam::123456789012:role/lambda-exec"; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
	if r.Path != "/" || r.MaxSessionDuration != 3600 || r.Account != acct || r.Description != "runs things" {
		t.Errorf("defaults: path %q, max session %d, account %q, description %q", r.Path, r.MaxSessionDuration, r.Account, r.Description)
	}
	if want := fixedClock().Truncate(time.Second); !r.CreateDate.Equal(want) {
		t.Errorf("CreateDate = %v, want %v", r.CreateDate, want)
	}
	if r.AssumeRolePolicyDocument != trust {
		t.Errorf("trust policy changed: %q", r.AssumeRolePolicyDocument)
	}
	if got := fmt.Sprint(r.TagList()); got != "[{empty } {team core}]" {
		t.Errorf("tags = %s", got)
	}
	stored, ok := store.role(acct, "lambda-exec")
	if !ok || stored.ID != r.ID || stored.Tags["team"] != "core" {
		t.Errorf("store holds %+v (present %v), want the created role", stored, ok)
	}

	withPath, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "deep", Path: "/app/svc/", AssumeRolePolicyDocument: trust, MaxSessionDuration: 7200})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := withPath.ARN(), "arn:aws:iam::123456789012:role/app/svc/deep"; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
	if withPath.MaxSessionDuration != 7200 {
		t.Errorf("MaxSessionDuration = %d", withPath.MaxSessionDuration)
	}
	if withPath.ID == r.ID {
		t.Error("two roles share an ID")
	}
}

func TestCreateRoleValidation(t *testing.T) {
	long := strings.Repeat("a", 65)
	tooManyTags := make([]iam.Tag, 51)
	for i := range tooManyTags {
		tooManyTags[i] = iam.Tag{Key: fmt.Sprint("k", i)}
	}
	bigTrust := `{"Statement":[{"Sid":"` + strings.Repeat("x", 2100) + `"}]}`
	tests := []struct {
		name string
		in   iam.CreateRoleInput
		code iam.ErrorCode
		msg  string
	}{
		{"missing name", iam.CreateRoleInput{AssumeRolePolicyDocument: trust}, iam.CodeValidationError,
			"1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"},
		{"name too long", iam.CreateRoleInput{Name: long, AssumeRolePolicyDocument: trust}, iam.CodeValidationError,
			"1 validation error detected: Value '" + long + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"name with space", iam.CreateRoleInput{Name: "a b", AssumeRolePolicyDocument: trust}, iam.CodeValidationError,
			`1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"name with slash", iam.CreateRoleInput{Name: "a/b", AssumeRolePolicyDocument: trust}, iam.CodeValidationError, ""},
		{"name not ascii", iam.CreateRoleInput{Name: "rôle", AssumeRolePolicyDocument: trust}, iam.CodeValidationError, ""},
		{"two violations", iam.CreateRoleInput{Name: "a b"}, iam.CodeValidationError,
			`2 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; ` +
				`Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null`},
		{"path without slashes", iam.CreateRoleInput{Name: "r", Path: "app", AssumeRolePolicyDocument: trust}, iam.CodeValidationError,
			`1 validation error detected: Value 'app' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"path with space", iam.CreateRoleInput{Name: "r", Path: "/a b/", AssumeRolePolicyDocument: trust}, iam.CodeValidationError, ""},
		{"session too short", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, MaxSessionDuration: 60}, iam.CodeValidationError,
			"1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"session too long", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, MaxSessionDuration: 43201}, iam.CodeValidationError, ""},
		{"description control char", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Description: "a\x01"}, iam.CodeValidationError, ""},
		{"invalid json", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: `{"Statement":`}, iam.CodeMalformedPolicyDocument, "This policy contains invalid Json"},
		{"json array", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: `[]`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{"no statement", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: `{"Version":"2012-10-17"}`}, iam.CodeMalformedPolicyDocument, "Syntax errors in policy."},
		{"document not latin-1", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: `{"Statement":"☃"}`}, iam.CodeValidationError, ""},
		{"trust policy too big", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: bigTrust}, iam.CodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"tag key empty", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Value: "v"}}}, iam.CodeValidationError,
			"1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"},
		{"tag key bad char", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Key: "a", Value: "b"}, {Key: "a!"}}}, iam.CodeValidationError,
			`1 validation error detected: Value 'a!' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"too many tags", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: tooManyTags}, iam.CodeValidationError, ""},
		{"duplicate tag keys", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Key: "Env"}, {Key: "env"}}}, iam.CodeInvalidInput,
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"permissions boundary", iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"}, iam.CodeInvalidInput, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store := newService(t)
			_, err := svc.CreateRole(context.Background(), acct, tt.in)
			wantCode(t, err, tt.code, tt.msg)
			if store.len() != 0 {
				t.Error("a rejected role reached the store")
			}
		})
	}
}

func TestCreateRoleAlreadyExists(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, acct, "Exec")
	for _, name := range []string{"Exec", "exec", "EXEC"} {
		_, err := svc.CreateRole(context.Background(), acct, iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: trust})
		wantCode(t, err, iam.CodeEntityAlreadyExists, "Role with name "+name+" already exists.")
	}
	// Another account has its own namespace.
	mustCreate(t, svc, other, "Exec")
}

func TestGetRole(t *testing.T) {
	svc, _ := newService(t)
	created := mustCreate(t, svc, acct, "Exec")
	ctx := context.Background()
	for _, name := range []string{"Exec", "exec"} {
		got, err := svc.GetRole(ctx, acct, name)
		if err != nil {
			t.Fatalf("GetRole(%s): %v", name, err)
		}
		if got.ID != created.ID || got.Name != "Exec" {
			t.Errorf("GetRole(%s) = %+v, want the role named Exec", name, got)
		}
	}
	_, err := svc.GetRole(ctx, acct, "nope")
	wantCode(t, err, iam.CodeNoSuchEntity, "The role with name nope cannot be found.")
	_, err = svc.GetRole(ctx, other, "Exec")
	wantCode(t, err, iam.CodeNoSuchEntity, "The role with name Exec cannot be found.")
	_, err = svc.GetRole(ctx, acct, "bad name")
	wantCode(t, err, iam.CodeValidationError, "")
	if _, err := svc.GetRole(ctx, "", "Exec"); err == nil || errors.As(err, new(*iam.Error)) {
		t.Errorf("GetRole without an account: %v, want a server error", err)
	}
}

func TestReturnedRolesAreCopies(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	r, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Tags["k"] = "changed"
	if err := svc.PutRolePolicy(ctx, acct, "r", "p", policyDoc); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, acct, "r", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.GetRole(ctx, acct, "r")
	got.Tags["k2"] = "added"
	got.InlinePolicies["p"] = "changed"
	got.AttachedPolicies[0] = "changed"
	listed, _ := svc.ListRoles(ctx, acct, iam.ListRolesInput{})
	listed.Items[0].InlinePolicies["p2"] = "added"
	listed.Items[0].AttachedPolicies[0] = "changed"
	again, _ := svc.GetRole(ctx, acct, "r")
	if len(again.Tags) != 1 || again.Tags["k"] != "v" {
		t.Errorf("tags = %v, callers' changes leaked in", again.Tags)
	}
	if len(again.InlinePolicies) != 1 || again.InlinePolicies["p"] != policyDoc {
		t.Errorf("inline policies = %v, callers' changes leaked in", again.InlinePolicies)
	}
	if fmt.Sprint(again.AttachedPolicies) != "[arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess]" {
		t.Errorf("attached policies = %v, callers' changes leaked in", again.AttachedPolicies)
	}
}

func TestDeleteRole(t *testing.T) {
	ctx := context.Background()
	const managed = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	tests := []struct {
		name  string
		setup func(*iam.Service) error
		code  iam.ErrorCode
		msg   string
	}{
		{"plain", func(*iam.Service) error { return nil }, "", ""},
		{"attached policy", func(s *iam.Service) error { return s.AttachRolePolicy(ctx, acct, "r", managed) },
			iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first."},
		{"inline policy", func(s *iam.Service) error { return s.PutRolePolicy(ctx, acct, "r", "p", trust) },
			iam.CodeDeleteConflict, "Cannot delete entity, must delete policies first."},
		{"attached then detached", func(s *iam.Service) error {
			if err := s.AttachRolePolicy(ctx, acct, "r", managed); err != nil {
				return err
			}
			return s.DetachRolePolicy(ctx, acct, "r", managed)
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store := newService(t)
			mustCreate(t, svc, acct, "r")
			if err := tt.setup(svc); err != nil {
				t.Fatal(err)
			}
			err := svc.DeleteRole(ctx, acct, "R")
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.msg)
				if _, err := svc.GetRole(ctx, acct, "r"); err != nil {
					t.Errorf("role gone after a refused delete: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.GetRole(ctx, acct, "r")
			wantCode(t, err, iam.CodeNoSuchEntity, "")
			if store.len() != 0 {
				t.Error("role still in the store")
			}
			wantCode(t, svc.DeleteRole(ctx, acct, "r"), iam.CodeNoSuchEntity, "The role with name r cannot be found.")
		})
	}
}

func TestListRoles(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	for _, name := range []string{"delta", "Alpha", "charlie", "bravo", "echo"} {
		mustCreate(t, svc, acct, name)
	}
	if _, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "svc-role", Path: "/service/", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, svc, other, "zulu")

	var names []string
	in := iam.ListRolesInput{PageInput: iam.PageInput{MaxItems: 2}}
	pages := 0
	for {
		p, err := svc.ListRoles(ctx, acct, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range p.Items {
			names = append(names, r.Name)
		}
		if !p.IsTruncated {
			if p.Marker != "" {
				t.Errorf("last page has marker %q", p.Marker)
			}
			break
		}
		in.Marker = p.Marker
	}
	if got, want := strings.Join(names, ","), "Alpha,bravo,charlie,delta,echo,svc-role"; got != want {
		t.Errorf("listed %s, want %s", got, want)
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}

	p, err := svc.ListRoles(ctx, acct, iam.ListRolesInput{PathPrefix: "/service"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Name != "svc-role" || p.IsTruncated {
		t.Errorf("path prefix /service: %+v", p)
	}

	p, err = svc.ListRoles(ctx, "999999999999", iam.ListRolesInput{})
	if err != nil || p.Items == nil || len(p.Items) != 0 {
		t.Errorf("empty account: %+v, %v; want an empty, non-nil list", p, err)
	}

	for _, bad := range []iam.ListRolesInput{
		{PageInput: iam.PageInput{MaxItems: 1001}},
		{PageInput: iam.PageInput{MaxItems: -1}},
		{PathPrefix: "service"},
	} {
		_, err := svc.ListRoles(ctx, acct, bad)
		wantCode(t, err, iam.CodeValidationError, "")
	}
	_, err = svc.ListRoles(ctx, acct, iam.ListRolesInput{PageInput: iam.PageInput{Marker: "!!"}})
	wantCode(t, err, iam.CodeInvalidInput, "")
}

func TestRolesSurviveRestart(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	created, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "Keep", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Key: "a", Value: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, svc, acct, "gone")
	if err := svc.DeleteRole(ctx, acct, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := svc.UpdateAssumeRolePolicy(ctx, acct, "keep", `{"Statement":[]}`); err != nil {
		t.Fatal(err)
	}

	restarted, err := iam.NewService(ctx, store, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	got, err := restarted.GetRole(ctx, acct, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.AssumeRolePolicyDocument != `{"Statement":[]}` || got.Tags["a"] != "1" {
		t.Errorf("after restart: %+v", got)
	}
	_, err = restarted.GetRole(ctx, acct, "gone")
	wantCode(t, err, iam.CodeNoSuchEntity, "")
}

func TestStoreFailureChangesNothing(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	mustCreate(t, svc, acct, "bare")
	const keptARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"
	if err := svc.PutRolePolicy(ctx, acct, "r", "kept", policyDoc); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, acct, "r", keptARN); err != nil {
		t.Fatal(err)
	}
	before, _ := store.role(acct, "r")
	errStoreDown := errors.New("memstore: disk on fire")
	store.failWrites(errStoreDown)

	checks := []struct {
		name string
		call func() error
	}{
		{"create", func() error {
			_, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "new", AssumeRolePolicyDocument: trust})
			return err
		}},
		{"delete", func() error { return svc.DeleteRole(ctx, acct, "bare") }},
		{"tag", func() error { return svc.TagRole(ctx, acct, "r", []iam.Tag{{Key: "k", Value: "v"}}) }},
		{"trust", func() error { return svc.UpdateAssumeRolePolicy(ctx, acct, "r", `{"Statement":[]}`) }},
		{"put policy", func() error { return svc.PutRolePolicy(ctx, acct, "r", "new", policyDoc) }},
		{"replace policy", func() error { return svc.PutRolePolicy(ctx, acct, "r", "kept", `{"Statement":[]}`) }},
		{"delete policy", func() error { return svc.DeleteRolePolicy(ctx, acct, "r", "kept") }},
		{"attach", func() error {
			return svc.AttachRolePolicy(ctx, acct, "r", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
		}},
		{"detach", func() error { return svc.DetachRolePolicy(ctx, acct, "r", keptARN) }},
	}
	for _, c := range checks {
		err := c.call()
		if !errors.Is(err, errStoreDown) || errors.As(err, new(*iam.Error)) {
			t.Errorf("%s: error %v, want the store's error, not an IAM error", c.name, err)
		}
	}
	// Deleting a role with policies is refused before the store is asked.
	wantCode(t, svc.DeleteRole(ctx, acct, "r"), iam.CodeDeleteConflict, "")

	_, err := svc.GetRole(ctx, acct, "new")
	wantCode(t, err, iam.CodeNoSuchEntity, "")
	if _, err := svc.GetRole(ctx, acct, "bare"); err != nil {
		t.Errorf("GetRole(bare) after a failed delete: %v", err)
	}
	r, err := svc.GetRole(ctx, acct, "r")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tags) != 0 || r.AssumeRolePolicyDocument != trust {
		t.Errorf("role changed by failed writes: %+v", r)
	}
	if fmt.Sprint(r.InlinePolicies) != fmt.Sprint(map[string]string{"kept": policyDoc}) ||
		fmt.Sprint(r.AttachedPolicies) != "["+keptARN+"]" {
		t.Errorf("policies changed by failed writes: inline %v, attached %v", r.InlinePolicies, r.AttachedPolicies)
	}
	if doc, err := svc.GetRolePolicy(ctx, acct, "r", "kept"); err != nil || doc != policyDoc {
		t.Errorf("GetRolePolicy(kept) after failed writes = %q, %v", doc, err)
	}
	_, err = svc.GetRolePolicy(ctx, acct, "r", "new")
	wantCode(t, err, iam.CodeNoSuchEntity, "")
	if p, err := svc.ListAttachedRolePolicies(ctx, acct, "r", "", iam.PageInput{}); err != nil ||
		len(p.Items) != 1 || p.Items[0].ARN != keptARN {
		t.Errorf("ListAttachedRolePolicies after failed writes = %+v, %v", p, err)
	}
	if after, _ := store.role(acct, "r"); fmt.Sprintf("%+v", after) != fmt.Sprintf("%+v", before) {
		t.Errorf("stored role changed by failed writes:\n got %+v\nwant %+v", after, before)
	}
}

func TestPoliciesSurviveRestart(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	arns := []string{
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::123456789012:policy/gone",
		"arn:aws:iam::123456789012:policy/app/mine",
	}
	mustCreatePolicy(t, svc, acct, "gone", "")
	mustCreatePolicy(t, svc, acct, "mine", "/app/")
	for _, arn := range arns {
		if err := svc.AttachRolePolicy(ctx, acct, "r", arn); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.DetachRolePolicy(ctx, acct, "r", arns[1]); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"logs", "gone", "s3"} {
		if err := svc.PutRolePolicy(ctx, acct, "r", name, policyDoc); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.PutRolePolicy(ctx, acct, "r", "s3", `{"Statement":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteRolePolicy(ctx, acct, "r", "gone"); err != nil {
		t.Fatal(err)
	}

	restarted, err := iam.NewService(ctx, store, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	r, err := restarted.GetRole(ctx, acct, "r")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(r.AttachedPolicies), fmt.Sprint([]string{arns[0], arns[2]}); got != want {
		t.Errorf("AttachedPolicies after restart = %s, want %s (attach order)", got, want)
	}
	p, err := restarted.ListRolePolicies(ctx, acct, "r", iam.PageInput{})
	if err != nil || fmt.Sprint(p.Items) != "[logs s3]" {
		t.Errorf("ListRolePolicies after restart = %+v, %v", p, err)
	}
	for name, want := range map[string]string{"logs": policyDoc, "s3": `{"Statement":[]}`} {
		if doc, err := restarted.GetRolePolicy(ctx, acct, "r", name); err != nil || doc != want {
			t.Errorf("GetRolePolicy(%s) after restart = %q, %v; want %q", name, doc, err, want)
		}
	}
	attached, err := restarted.ListAttachedRolePolicies(ctx, acct, "r", "", iam.PageInput{})
	if err != nil || len(attached.Items) != 2 {
		t.Errorf("ListAttachedRolePolicies after restart = %+v, %v", attached, err)
	}

	wantCode(t, restarted.DeleteRole(ctx, acct, "r"), iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	for _, arn := range []string{arns[0], arns[2]} {
		if err := restarted.DetachRolePolicy(ctx, acct, "r", arn); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, restarted.DeleteRole(ctx, acct, "r"), iam.CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	for _, name := range []string{"logs", "s3"} {
		if err := restarted.DeleteRolePolicy(ctx, acct, "r", name); err != nil {
			t.Fatal(err)
		}
	}
	if err := restarted.DeleteRole(ctx, acct, "r"); err != nil {
		t.Fatalf("DeleteRole without policies: %v", err)
	}
	if store.len() != 0 {
		t.Errorf("store holds %d roles after the delete, want 0", store.len())
	}
}

func TestUpdateRole(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	desc, dur := "new words", 7200
	r, err := svc.UpdateRole(ctx, acct, "r", iam.UpdateRoleInput{Description: &desc, MaxSessionDuration: &dur})
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != desc || r.MaxSessionDuration != dur {
		t.Errorf("updated role: %+v", r)
	}
	if stored, _ := store.role(acct, "r"); stored.Description != desc {
		t.Errorf("store not written through: %+v", stored)
	}
	bad := 100
	_, err = svc.UpdateRole(ctx, acct, "r", iam.UpdateRoleInput{MaxSessionDuration: &bad})
	wantCode(t, err, iam.CodeValidationError, "")
	_, err = svc.UpdateRole(ctx, acct, "missing", iam.UpdateRoleInput{Description: &desc})
	wantCode(t, err, iam.CodeNoSuchEntity, "")
}

func TestUpdateAssumeRolePolicy(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	newDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"edgelambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if err := svc.UpdateAssumeRolePolicy(ctx, acct, "r", newDoc); err != nil {
		t.Fatal(err)
	}
	if r, _ := svc.GetRole(ctx, acct, "r"); r.AssumeRolePolicyDocument != newDoc {
		t.Errorf("trust policy = %q", r.AssumeRolePolicyDocument)
	}
	wantCode(t, svc.UpdateAssumeRolePolicy(ctx, acct, "r", "nope"), iam.CodeMalformedPolicyDocument, "This policy contains invalid Json")
	wantCode(t, svc.UpdateAssumeRolePolicy(ctx, acct, "r", ""), iam.CodeValidationError,
		"1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null")
	wantCode(t, svc.UpdateAssumeRolePolicy(ctx, acct, "missing", newDoc), iam.CodeNoSuchEntity, "The role with name missing cannot be found.")
}

func TestTags(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: trust, Tags: []iam.Tag{{Key: "Env", Value: "dev"}}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.TagRole(ctx, acct, "r", []iam.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "core"}}); err != nil {
		t.Fatal(err)
	}
	list := func() string {
		t.Helper()
		p, err := svc.ListRoleTags(ctx, acct, "r", iam.PageInput{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(p.Items)
	}
	if got := list(); got != "[{env prod} {team core}]" {
		t.Errorf("after TagRole: %s", got)
	}
	if stored, _ := store.role(acct, "r"); len(stored.Tags) != 2 || stored.Tags["env"] != "prod" {
		t.Errorf("store not written through: %v", stored.Tags)
	}
	if err := svc.UntagRole(ctx, acct, "r", []string{"TEAM", "absent"}); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "[{env prod}]" {
		t.Errorf("after UntagRole: %s", got)
	}

	many := make([]iam.Tag, 50)
	for i := range many {
		many[i] = iam.Tag{Key: fmt.Sprintf("k%02d", i)}
	}
	wantCode(t, svc.TagRole(ctx, acct, "r", many), iam.CodeLimitExceeded, "Cannot exceed quota for TagsPerRole: 50")
	if got := list(); got != "[{env prod}]" {
		t.Errorf("after a refused TagRole: %s", got)
	}

	p, err := svc.ListRoleTags(ctx, acct, "r", iam.PageInput{MaxItems: 1})
	if err != nil || len(p.Items) != 1 || p.IsTruncated {
		t.Errorf("one tag, MaxItems 1: %+v %v", p, err)
	}

	wantCode(t, svc.TagRole(ctx, acct, "r", nil), iam.CodeValidationError, "")
	wantCode(t, svc.TagRole(ctx, acct, "r", []iam.Tag{{Key: "a"}, {Key: "A"}}), iam.CodeInvalidInput, "")
	wantCode(t, svc.UntagRole(ctx, acct, "r", nil), iam.CodeValidationError, "")
	wantCode(t, svc.TagRole(ctx, acct, "missing", []iam.Tag{{Key: "a"}}), iam.CodeNoSuchEntity, "")
	wantCode(t, svc.UntagRole(ctx, acct, "missing", []string{"a"}), iam.CodeNoSuchEntity, "")
	_, err = svc.ListRoleTags(ctx, acct, "missing", iam.PageInput{})
	wantCode(t, err, iam.CodeNoSuchEntity, "")
}

func TestInlinePolicies(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`
	for _, name := range []string{"zeta", "alpha"} {
		if err := svc.PutRolePolicy(ctx, acct, "r", name, doc); err != nil {
			t.Fatal(err)
		}
	}
	p, err := svc.ListRolePolicies(ctx, acct, "r", iam.PageInput{})
	if err != nil || fmt.Sprint(p.Items) != "[alpha zeta]" {
		t.Errorf("ListRolePolicies = %+v, %v", p, err)
	}
	got, err := svc.GetRolePolicy(ctx, acct, "R", "alpha")
	if err != nil || got != doc {
		t.Errorf("GetRolePolicy = %q, %v", got, err)
	}
	_, err = svc.GetRolePolicy(ctx, acct, "r", "beta")
	wantCode(t, err, iam.CodeNoSuchEntity, "The role policy with name beta cannot be found.")
	wantCode(t, svc.DeleteRolePolicy(ctx, acct, "r", "beta"), iam.CodeNoSuchEntity, "The role policy with name beta cannot be found.")
	wantCode(t, svc.PutRolePolicy(ctx, acct, "r", "bad", "{"), iam.CodeMalformedPolicyDocument, "")
	wantCode(t, svc.PutRolePolicy(ctx, acct, "r", "bad name", doc), iam.CodeValidationError, "")
	wantCode(t, svc.PutRolePolicy(ctx, acct, "missing", "p", doc), iam.CodeNoSuchEntity, "The role with name missing cannot be found.")

	big := `{"Statement":[{"Sid":"` + strings.Repeat("x", 10300) + `"}]}`
	wantCode(t, svc.PutRolePolicy(ctx, acct, "r", "big", big), iam.CodeLimitExceeded, "Maximum policy size of 10240 bytes exceeded for role r")
	if _, err := svc.GetRolePolicy(ctx, acct, "r", "big"); err == nil {
		t.Error("a refused policy was kept")
	}

	for _, name := range []string{"alpha", "zeta"} {
		if err := svc.DeleteRolePolicy(ctx, acct, "r", name); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.DeleteRole(ctx, acct, "r"); err != nil {
		t.Fatalf("DeleteRole after deleting its policies: %v", err)
	}
}

func TestAttachedPolicies(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	custom := mustCreatePolicy(t, svc, acct, "my-policy", "")
	for _, arn := range []string{basic, custom, basic} {
		if err := svc.AttachRolePolicy(ctx, acct, "r", arn); err != nil {
			t.Fatalf("attach %s: %v", arn, err)
		}
	}
	p, err := svc.ListAttachedRolePolicies(ctx, acct, "r", "", iam.PageInput{})
	if err != nil {
		t.Fatal(err)
	}
	// Ordered by ARN: account IDs sort before "aws".
	want := "[{my-policy " + custom + "} {AWSLambdaBasicExecutionRole " + basic + "}]"
	if got := fmt.Sprint(p.Items); got != want {
		t.Errorf("attached = %s, want %s", got, want)
	}
	p, err = svc.ListAttachedRolePolicies(ctx, acct, "r", "/service-role/", iam.PageInput{})
	if err != nil || len(p.Items) != 1 || p.Items[0].ARN != basic {
		t.Errorf("path prefix /service-role/: %+v %v", p, err)
	}

	for _, bad := range []string{"arn:aws:s3:::bucket/key", "arn:aws:iam::12345:policy/x", "arn:aws:iam::aws:role/x-y-z-long"} {
		wantCode(t, svc.AttachRolePolicy(ctx, acct, "r", bad), iam.CodeInvalidInput, "ARN "+bad+" is not valid.")
	}
	wantCode(t, svc.AttachRolePolicy(ctx, acct, "r", "short"), iam.CodeValidationError, "")
	wantCode(t, svc.AttachRolePolicy(ctx, acct, "missing", basic), iam.CodeNoSuchEntity, "")
	wantCode(t, svc.DetachRolePolicy(ctx, acct, "r", "arn:aws:iam::aws:policy/Other"), iam.CodeNoSuchEntity,
		"Policy arn:aws:iam::aws:policy/Other was not found.")

	for i := range 8 {
		if err := svc.AttachRolePolicy(ctx, acct, "r", mustCreatePolicy(t, svc, acct, fmt.Sprintf("P%d", i), "")); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, svc.AttachRolePolicy(ctx, acct, "r", mustCreatePolicy(t, svc, acct, "Eleventh", "")), iam.CodeLimitExceeded, "Cannot exceed quota for PoliciesPerRole: 10")
	p, _ = svc.ListAttachedRolePolicies(ctx, acct, "r", "", iam.PageInput{MaxItems: 4})
	if len(p.Items) != 4 || !p.IsTruncated || p.Marker == "" {
		t.Errorf("first page of 4: %+v", p)
	}
}

func TestListInstanceProfilesForRole(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustCreate(t, svc, acct, "r")
	p, err := svc.ListInstanceProfilesForRole(ctx, acct, "r", iam.PageInput{})
	if err != nil || p.Items == nil || len(p.Items) != 0 || p.IsTruncated {
		t.Errorf("= %+v, %v; want an empty page", p, err)
	}
	_, err = svc.ListInstanceProfilesForRole(ctx, acct, "missing", iam.PageInput{})
	wantCode(t, err, iam.CodeNoSuchEntity, "")
}

func TestConcurrentCreateOneWins(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "race", AssumeRolePolicyDocument: trust})
			errs <- err
		})
		wg.Go(func() {
			_, _ = svc.ListRoles(ctx, acct, iam.ListRolesInput{})
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantCode(t, err, iam.CodeEntityAlreadyExists, "")
	}
	if ok != 1 || store.len() != 1 {
		t.Errorf("%d creates succeeded, store holds %d; want 1 and 1", ok, store.len())
	}
}

// gatedStore blocks every SaveRole until its gate is closed.
type gatedStore struct {
	*memStore
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) SaveRole(ctx context.Context, r iam.Role) error {
	g.entered <- struct{}{}
	<-g.gate
	return g.memStore.SaveRole(ctx, r)
}

func TestSlowStoreBlocksWritersNotReaders(t *testing.T) {
	store := &gatedStore{memStore: newMemStore(), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	ctx := context.Background()
	svc, err := iam.NewService(ctx, store, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		_, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: "slow", AssumeRolePolicyDocument: trust})
		created <- err
	}()
	<-store.entered // the create now waits inside the store

	// Readers are not held up by the write in flight, and do not see it yet.
	_, err = svc.GetRole(ctx, acct, "slow")
	wantCode(t, err, iam.CodeNoSuchEntity, "")
	if p, err := svc.ListRoles(ctx, acct, iam.ListRolesInput{}); err != nil || len(p.Items) != 0 {
		t.Errorf("ListRoles during a write: %+v, %v", p, err)
	}

	// Another writer waits for the slot and gives up with its context.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = svc.CreateRole(short, acct, iam.CreateRoleInput{Name: "other", AssumeRolePolicyDocument: trust})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second writer: %v, want context.DeadlineExceeded", err)
	}

	close(store.gate)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetRole(ctx, acct, "slow"); err != nil {
		t.Errorf("after the write: %v", err)
	}
}
