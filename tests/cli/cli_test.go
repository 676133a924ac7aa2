// Package cli drives Reservoir with the real AWS CLI (`aws lambda ...`),
// the way a developer would, and checks its JSON output, exit codes and
// error messages. The tests skip when `aws` is not on PATH.
package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	account = "123456789012"
	region  = "us-east-1"
	role    = "arn:aws:iam::123456789012:role/reservoir-cli"
)

// cli runs `aws` against one Reservoir.
type cli struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
	dir      string
}

// start starts a Reservoir and returns a CLI pointed at it; it skips the
// test when the AWS CLI is not installed.
func start(t *testing.T) *cli {
	if testing.Short() {
		t.Skip("end-to-end AWS CLI test; skipped with -short")
	}
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH")
	}
	t.Parallel()
	srv := reservoirtest.Start(t)
	dir := t.TempDir()
	env := append(srv.Env(account, region),
		// Nothing from the developer's ~/.aws, and no retries: the error
		// tests want the first answer.
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_RETRY_MODE=standard",
		"AWS_MAX_ATTEMPTS=1",
	)
	return &cli{t: t, bin: bin, endpoint: srv.URL, env: env, dir: dir}
}

// run runs `aws lambda ARGS --endpoint-url URL --output json` and returns
// stdout, stderr and the exit code.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	return c.runService("lambda", args...)
}

// runService is run for the commands of another service (`aws logs ...`).
func (c *cli) runService(service string, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append([]string{service}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--output", "json")
	cmd := exec.CommandContext(ctx, c.bin, full...)
	cmd.Env = c.env
	cmd.Dir = c.dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("aws %s %s timed out:\n%s", service, strings.Join(args, " "), stderr.String())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exitErr):
		return stdout.String(), stderr.String(), exitErr.ExitCode()
	default:
		c.t.Fatalf("aws %s %s: %v", service, strings.Join(args, " "), err)
		return "", "", -1
	}
}

// json runs a command that must succeed and decodes its output into v (when
// v is not nil and there is output).
func (c *cli) json(v any, args ...string) {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws lambda %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	if v == nil || strings.TrimSpace(stdout) == "" {
		return // the CLI prints nothing for an empty answer ({})
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		c.t.Fatalf("aws lambda %s printed no JSON (%v):\n%s", strings.Join(args, " "), err, stdout)
	}
}

// fails runs a command that must fail as AWS would: the CLI's client-error
// exit code (254 for v2, 255 for v1), the error code and message on stderr.
func (c *cli) fails(code, message string, args ...string) {
	c.t.Helper()
	stdout, stderr, exit := c.run(args...)
	if exit != 254 && exit != 255 {
		c.t.Errorf("aws lambda %s exited %d, want 254 or 255:\n%s%s", strings.Join(args, " "), exit, stdout, stderr)
	}
	if !strings.Contains(stderr, "("+code+")") {
		c.t.Errorf("aws lambda %s: stderr lacks (%s):\n%s", strings.Join(args, " "), code, stderr)
	}
	if !strings.Contains(stderr, message) {
		c.t.Errorf("aws lambda %s: stderr lacks %q:\n%s", strings.Join(args, " "), message, stderr)
	}
}

// createFunction creates a Python function from a zip written here.
func (c *cli) createFunction(name string) {
	c.t.Helper()
	var fn struct {
		FunctionName, FunctionArn, Version, State string
	}
	c.json(&fn, "create-function", "--function-name", name, "--runtime", "python3.12", "--role", role,
		"--handler", "index.handler", "--zip-file", "fileb://"+c.writeZip(name+".zip"))
	want := "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	if fn.FunctionName != name || fn.FunctionArn != want || fn.Version != "$LATEST" {
		c.t.Fatalf("create-function = %+v, want %s at %s, version $LATEST", fn, name, want)
	}
}

func (c *cli) writeZip(name string) string {
	c.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("index.py")
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := io.WriteString(f, "def handler(event, context):\n    return event\n"); err != nil {
		c.t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		c.t.Fatal(err)
	}
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// reservation is GetFunctionConcurrency's and PutFunctionConcurrency's output.
type reservation struct {
	ReservedConcurrentExecutions *int
}

// accountSettings is GetAccountSettings' output.
type accountSettings struct {
	AccountLimit struct {
		ConcurrentExecutions           int
		UnreservedConcurrentExecutions int
	}
	AccountUsage struct {
		FunctionCount int
	}
}

// provisionedConfig is a provisioned concurrency config as the CLI prints it.
type provisionedConfig struct {
	FunctionArn                              string
	RequestedProvisionedConcurrentExecutions int
	AvailableProvisionedConcurrentExecutions int
	AllocatedProvisionedConcurrentExecutions int
	Status                                   string
	StatusReason                             string
	LastModified                             string
}

func (c *cli) unreserved() int {
	c.t.Helper()
	var s accountSettings
	c.json(&s, "get-account-settings")
	if s.AccountLimit.ConcurrentExecutions != 1000 {
		c.t.Errorf("AccountLimit.ConcurrentExecutions = %d, want 1000", s.AccountLimit.ConcurrentExecutions)
	}
	return s.AccountLimit.UnreservedConcurrentExecutions
}

func TestReservedConcurrency(t *testing.T) {
	c := start(t)
	const fn = "cli-reserved"
	c.createFunction(fn)
	if got := c.unreserved(); got != 1000 {
		t.Errorf("UnreservedConcurrentExecutions before any reservation = %d, want 1000", got)
	}

	var put reservation
	c.json(&put, "put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", "50")
	if put.ReservedConcurrentExecutions == nil || *put.ReservedConcurrentExecutions != 50 {
		t.Errorf("put-function-concurrency = %v, want 50", put.ReservedConcurrentExecutions)
	}
	var got reservation
	c.json(&got, "get-function-concurrency", "--function-name", fn)
	if got.ReservedConcurrentExecutions == nil || *got.ReservedConcurrentExecutions != 50 {
		t.Errorf("get-function-concurrency = %v, want 50", got.ReservedConcurrentExecutions)
	}
	var full struct {
		Configuration struct{ FunctionName string }
		Concurrency   *reservation
	}
	c.json(&full, "get-function", "--function-name", fn)
	if full.Configuration.FunctionName != fn || full.Concurrency == nil || full.Concurrency.ReservedConcurrentExecutions == nil ||
		*full.Concurrency.ReservedConcurrentExecutions != 50 {
		t.Errorf("get-function: Configuration.FunctionName %q, Concurrency %+v, want %s with 50 reserved", full.Configuration.FunctionName, full.Concurrency, fn)
	}
	if got := c.unreserved(); got != 950 {
		t.Errorf("UnreservedConcurrentExecutions with 50 reserved = %d, want 950", got)
	}

	// The most one function may reserve leaves the unreserved minimum (100).
	c.json(&put, "put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", "900")
	if got := c.unreserved(); got != 100 {
		t.Errorf("UnreservedConcurrentExecutions with 900 reserved = %d, want 100", got)
	}

	stdout, stderr, code := c.run("delete-function-concurrency", "--function-name", fn)
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Errorf("delete-function-concurrency exited %d, printed %q, want 0 and nothing:\n%s", code, stdout, stderr)
	}
	// Nothing reserved: an empty answer, which the CLI prints as nothing.
	stdout, stderr, code = c.run("get-function-concurrency", "--function-name", fn)
	if code != 0 || (strings.TrimSpace(stdout) != "" && strings.TrimSpace(stdout) != "{}") {
		t.Errorf("get-function-concurrency without reservation: exit %d, output %q, want 0 and no reservation:\n%s", code, stdout, stderr)
	}
	full.Concurrency = nil
	c.json(&full, "get-function", "--function-name", fn)
	if full.Concurrency != nil {
		t.Errorf("get-function after delete-function-concurrency shows Concurrency %+v", full.Concurrency)
	}
	if got := c.unreserved(); got != 1000 {
		t.Errorf("UnreservedConcurrentExecutions after delete-function-concurrency = %d, want 1000", got)
	}
}

func TestProvisionedConcurrency(t *testing.T) {
	c := start(t)
	const fn = "cli-provisioned"
	c.createFunction(fn)
	c.json(nil, "put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", "20")

	var version struct{ Version, FunctionArn string }
	c.json(&version, "publish-version", "--function-name", fn)
	if version.Version != "1" || !strings.HasSuffix(version.FunctionArn, ":function:"+fn+":1") {
		t.Fatalf("publish-version = %+v, want version 1", version)
	}
	var alias struct{ Name, FunctionVersion, AliasArn string }
	c.json(&alias, "create-alias", "--function-name", fn, "--name", "live", "--function-version", "1")
	aliasARN := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn + ":live"
	if alias.Name != "live" || alias.FunctionVersion != "1" || alias.AliasArn != aliasARN {
		t.Fatalf("create-alias = %+v, want live → 1 at %s", alias, aliasARN)
	}

	var put provisionedConfig
	c.json(&put, "put-provisioned-concurrency-config", "--function-name", fn, "--qualifier", "live",
		"--provisioned-concurrent-executions", "5")
	// The answer comes before any environment is initialized.
	if put.RequestedProvisionedConcurrentExecutions != 5 || put.AllocatedProvisionedConcurrentExecutions != 0 ||
		put.Status != "IN_PROGRESS" || put.LastModified == "" {
		t.Errorf("put-provisioned-concurrency-config = %+v, want 5 requested, 0 allocated, IN_PROGRESS", put)
	}

	ready := c.waitReady(fn, "live")
	if ready.RequestedProvisionedConcurrentExecutions != 5 || ready.AllocatedProvisionedConcurrentExecutions != 5 ||
		ready.AvailableProvisionedConcurrentExecutions != 5 {
		t.Errorf("READY config = %+v, want 5 requested, allocated and available", ready)
	}

	var list struct{ ProvisionedConcurrencyConfigs []provisionedConfig }
	c.json(&list, "list-provisioned-concurrency-configs", "--function-name", fn)
	if len(list.ProvisionedConcurrencyConfigs) != 1 {
		t.Fatalf("list-provisioned-concurrency-configs = %+v, want one config", list)
	}
	if got := list.ProvisionedConcurrencyConfigs[0]; got.FunctionArn != aliasARN || got.Status != "READY" || got.AllocatedProvisionedConcurrentExecutions != 5 {
		t.Errorf("listed config = %+v, want READY with 5 at %s", got, aliasARN)
	}

	// Provisioned concurrency lives inside the function's reservation: the
	// account's unreserved pool only loses the 20 reserved.
	if got := c.unreserved(); got != 980 {
		t.Errorf("UnreservedConcurrentExecutions = %d, want 980", got)
	}

	stdout, stderr, code := c.run("delete-provisioned-concurrency-config", "--function-name", fn, "--qualifier", "live")
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Fatalf("delete-provisioned-concurrency-config exited %d, printed %q:\n%s", code, stdout, stderr)
	}
	c.fails("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function",
		"get-provisioned-concurrency-config", "--function-name", fn, "--qualifier", "live")
	list.ProvisionedConcurrencyConfigs = nil
	c.json(&list, "list-provisioned-concurrency-configs", "--function-name", fn)
	if len(list.ProvisionedConcurrencyConfigs) != 0 {
		t.Errorf("list after delete = %+v, want none", list.ProvisionedConcurrencyConfigs)
	}
}

// waitReady polls the config until it is READY (failing on FAILED or after
// 30 s) and returns it.
func (c *cli) waitReady(fn, qualifier string) provisionedConfig {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got provisionedConfig
		c.json(&got, "get-provisioned-concurrency-config", "--function-name", fn, "--qualifier", qualifier)
		switch {
		case got.Status == "READY":
			return got
		case got.Status == "FAILED":
			c.t.Fatalf("provisioned config %s:%s FAILED: %s", fn, qualifier, got.StatusReason)
		case time.Now().After(deadline):
			c.t.Fatalf("provisioned config %s:%s still %s after 30 s", fn, qualifier, got.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestErrors(t *testing.T) {
	c := start(t)
	const fn = "cli-errors"
	c.createFunction(fn)

	t.Run("MissingFunction", func(t *testing.T) {
		c := c.bind(t)
		c.fails("ResourceNotFoundException",
			"Function not found: arn:aws:lambda:us-east-1:123456789012:function:cli-missing:$LATEST",
			"put-function-concurrency", "--function-name", "cli-missing", "--reserved-concurrent-executions", "5")
	})
	t.Run("ReservedBelowUnreservedMinimum", func(t *testing.T) {
		c := c.bind(t)
		c.fails("InvalidParameterValueException",
			"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
			"put-function-concurrency", "--function-name", fn, "--reserved-concurrent-executions", "901")
		var got reservation
		c.json(&got, "get-function-concurrency", "--function-name", fn)
		if got.ReservedConcurrentExecutions != nil {
			t.Errorf("a rejected put left a reservation of %d", *got.ReservedConcurrentExecutions)
		}
	})
	t.Run("ProvisionedOnLatest", func(t *testing.T) {
		c := c.bind(t)
		c.fails("InvalidParameterValueException",
			"Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
			"put-provisioned-concurrency-config", "--function-name", fn, "--qualifier", "$LATEST",
			"--provisioned-concurrent-executions", "1")
	})
}

// bind returns the same CLI reporting to t (a subtest).
func (c *cli) bind(t *testing.T) *cli {
	b := *c
	b.t = t
	return &b
}

// TestCreateWithPublish: create-function --publish prints version 1 under
// the unqualified ARN, as AWS does, and that ARN works where a qualified one
// is refused.
func TestCreateWithPublish(t *testing.T) {
	c := start(t)
	const fn = "cli-publish"
	var created struct{ FunctionArn, Version string }
	c.json(&created, "create-function", "--function-name", fn, "--runtime", "python3.12", "--role", role,
		"--handler", "index.handler", "--zip-file", "fileb://"+c.writeZip(fn+".zip"), "--publish")
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn
	if created.FunctionArn != arn || created.Version != "1" {
		t.Fatalf("create-function --publish = %+v, want version 1 at %s", created, arn)
	}
	var put reservation
	c.json(&put, "put-function-concurrency", "--function-name", created.FunctionArn, "--reserved-concurrent-executions", "5")
	if put.ReservedConcurrentExecutions == nil || *put.ReservedConcurrentExecutions != 5 {
		t.Errorf("put-function-concurrency by the printed ARN = %v, want 5", put.ReservedConcurrentExecutions)
	}
	c.json(nil, "delete-function", "--function-name", created.FunctionArn)
	c.fails("ResourceNotFoundException", "Function not found: "+arn, "get-function", "--function-name", fn)
}
