package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// iamJSON runs `aws iam ARGS` that must succeed and decodes its output.
func (c *cli) iamJSON(v any, args ...string) {
	c.t.Helper()
	stdout, stderr, code := c.runService("iam", args...)
	if code != 0 {
		c.t.Fatalf("aws iam %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	if v != nil && strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), v); err != nil {
			c.t.Fatalf("aws iam %s printed no JSON (%v):\n%s", strings.Join(args, " "), err, stdout)
		}
	}
}

// iamFails runs `aws iam ARGS` that must fail with the error code and message.
func (c *cli) iamFails(code, message string, args ...string) {
	c.t.Helper()
	stdout, stderr, exit := c.runService("iam", args...)
	if exit != 254 && exit != 255 {
		c.t.Errorf("aws iam %s exited %d, want 254 or 255:\n%s%s", strings.Join(args, " "), exit, stdout, stderr)
	}
	if want := "(" + code + ") when calling"; !strings.Contains(stderr, want) || !strings.Contains(stderr, message) {
		c.t.Errorf("aws iam %s: stderr lacks %s %q:\n%s", strings.Join(args, " "), code, message, stderr)
	}
}

type cliPolicy struct {
	PolicyName, Arn, Path, DefaultVersionId string
	AttachmentCount                         int
	IsAttachable                            bool
}

// TestIAMManagedPolicies: a customer managed policy's life through the AWS
// CLI, an AWS managed policy's document, and IAM's errors.
func TestIAMManagedPolicies(t *testing.T) {
	c := start(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`
	var created struct{ Policy cliPolicy }
	c.iamJSON(&created, "create-policy", "--policy-name", "cli-logs", "--policy-document", doc)
	arn := created.Policy.Arn
	if arn != "arn:aws:iam::123456789012:policy/cli-logs" || created.Policy.DefaultVersionId != "v1" || !created.Policy.IsAttachable {
		t.Errorf("create-policy: %+v", created.Policy)
	}

	var version struct {
		PolicyVersion struct {
			VersionId        string
			IsDefaultVersion bool
			// The CLI URL-decodes and parses a policy version's document.
			Document struct{ Statement []struct{ Action string } }
		}
	}
	c.iamJSON(&version, "create-policy-version", "--policy-arn", arn, "--set-as-default",
		"--policy-document", strings.Replace(doc, "logs:PutLogEvents", "logs:CreateLogStream", 1))
	if version.PolicyVersion.VersionId != "v2" || !version.PolicyVersion.IsDefaultVersion {
		t.Errorf("create-policy-version: %+v", version.PolicyVersion)
	}
	c.iamJSON(&version, "get-policy-version", "--policy-arn", arn, "--version-id", "v2")
	if st := version.PolicyVersion.Document.Statement; len(st) != 1 || st[0].Action != "logs:CreateLogStream" {
		t.Errorf("get-policy-version v2: %+v", version.PolicyVersion)
	}
	var basic struct {
		PolicyVersion struct {
			Document struct{ Statement []struct{ Action []string } }
		}
	}
	c.iamJSON(&basic, "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "--version-id", "v1")
	if st := basic.PolicyVersion.Document.Statement; len(st) != 1 || strings.Join(st[0].Action, ",") != "logs:CreateLogGroup,logs:CreateLogStream,logs:PutLogEvents" {
		t.Errorf("AWSLambdaBasicExecutionRole v1: %+v", basic)
	}

	c.iamJSON(nil, "create-role", "--role-name", "cli-fn", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	c.iamJSON(nil, "attach-role-policy", "--role-name", "cli-fn", "--policy-arn", arn)
	var got struct{ Policy cliPolicy }
	c.iamJSON(&got, "get-policy", "--policy-arn", arn)
	if got.Policy.AttachmentCount != 1 || got.Policy.DefaultVersionId != "v2" {
		t.Errorf("get-policy after attach: %+v", got.Policy)
	}
	var listed struct{ Policies []cliPolicy }
	c.iamJSON(&listed, "list-policies", "--scope", "Local", "--only-attached")
	if len(listed.Policies) != 1 || listed.Policies[0].Arn != arn {
		t.Errorf("list-policies --scope Local --only-attached: %+v", listed)
	}
	var entities struct{ PolicyRoles []struct{ RoleName string } }
	c.iamJSON(&entities, "list-entities-for-policy", "--policy-arn", arn)
	if len(entities.PolicyRoles) != 1 || entities.PolicyRoles[0].RoleName != "cli-fn" {
		t.Errorf("list-entities-for-policy: %+v", entities)
	}

	c.iamFails("DeleteConflict", "Cannot delete a policy attached to entities.", "delete-policy", "--policy-arn", arn)
	c.iamFails("MalformedPolicyDocument", "Syntax errors in policy.", "create-policy", "--policy-name", "bad", "--policy-document", `{"Statement":[`)
	c.iamFails("NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.",
		"attach-role-policy", "--role-name", "cli-fn", "--policy-arn", "arn:aws:iam::123456789012:policy/nope")
	c.iamFails("DeleteConflict", "Cannot delete the default version of a policy.", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")

	c.iamJSON(nil, "detach-role-policy", "--role-name", "cli-fn", "--policy-arn", arn)
	c.iamJSON(nil, "delete-policy-version", "--policy-arn", arn, "--version-id", "v1")
	c.iamJSON(nil, "delete-policy", "--policy-arn", arn)
	c.iamFails("NoSuchEntity", "Policy "+arn+" was not found.", "get-policy", "--policy-arn", arn)
}
