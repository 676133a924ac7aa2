package iamapi_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the AWS CLI against srv and returns its stdout, stderr and
// whether it succeeded.
func awsCLI(t *testing.T, bin string, srv *testServer, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append(args, "--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json")
	cmd := exec.CommandContext(ctx, bin, args...)
	dir := t.TempDir()
	// The caller's own AWS settings must not leak in.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID=AKIACLITEST",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_MAX_ATTEMPTS=1",
	)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err == nil
}

func TestAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	if testing.Short() {
		t.Skip("slow: runs the AWS CLI")
	}
	srv := newTestServer(t)

	out, stderr, ok := awsCLI(t, bin, srv, "iam", "create-role", "--role-name", "cli-role",
		"--assume-role-policy-document", trust, "--tags", "Key=team,Value=core")
	if !ok {
		t.Fatalf("create-role failed: %s", stderr)
	}
	var created struct {
		Role struct {
			RoleName                 string
			Arn                      string
			AssumeRolePolicyDocument struct {
				Statement []struct{ Action string }
			}
			Tags []struct{ Key, Value string }
		}
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create-role output %q: %v", out, err)
	}
	r := created.Role
	// The CLI URL-decodes and parses the trust policy itself.
	if r.RoleName != "cli-role" || r.Arn != "arn:aws:iam::123456789012:role/cli-role" ||
		len(r.AssumeRolePolicyDocument.Statement) != 1 || r.AssumeRolePolicyDocument.Statement[0].Action != "sts:AssumeRole" ||
		len(r.Tags) != 1 || r.Tags[0].Key != "team" {
		t.Errorf("create-role output: %s", out)
	}

	if out, stderr, ok = awsCLI(t, bin, srv, "iam", "get-role", "--role-name", "cli-role"); !ok || !strings.Contains(out, `"RoleName": "cli-role"`) {
		t.Errorf("get-role: %s %s", out, stderr)
	}
	if out, stderr, ok = awsCLI(t, bin, srv, "iam", "list-role-policies", "--role-name", "cli-role"); !ok || !strings.Contains(out, `"PolicyNames": []`) {
		t.Errorf("list-role-policies: %s %s", out, stderr)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"iam", "get-role", "--role-name", "missing"}, "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name missing cannot be found."},
		{[]string{"iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust},
			"An error occurred (EntityAlreadyExists) when calling the CreateRole operation: Role with name cli-role already exists."},
	} {
		if _, stderr, ok := awsCLI(t, bin, srv, tt.args...); ok || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: ok %v, stderr %q, want %q", tt.args, ok, stderr, tt.want)
		}
	}

	if _, stderr, ok = awsCLI(t, bin, srv, "iam", "delete-role", "--role-name", "cli-role"); !ok {
		t.Errorf("delete-role: %s", stderr)
	}

	out, stderr, ok = awsCLI(t, bin, srv, "sts", "get-caller-identity")
	if !ok {
		t.Fatalf("get-caller-identity: %s", stderr)
	}
	var id struct{ Account, Arn, UserId string }
	if err := json.Unmarshal([]byte(out), &id); err != nil || id.Account != acct || id.Arn != "arn:aws:iam::"+acct+":root" {
		t.Errorf("get-caller-identity: %s (%v)", out, err)
	}
}
