package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// lockedBuffer collects the server's log across goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// warnings counts the server's warnings about services it does not serve,
// each request for one logging one.
func (b *lockedBuffer) warnings(service string) int {
	n := 0
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "does not serve") && strings.Contains(l, "service="+service+" ") {
			n++
		}
	}
	return n
}

// startLogged starts a server whose warnings a test reads, and the
// environment that points AWS clients at it with their default retries.
func startLogged(t *testing.T) (*reservoirtest.Server, *lockedBuffer, []string) {
	t.Helper()
	log := &lockedBuffer{}
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate",
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	dir := t.TempDir()
	env := append(srv.Env(account, region),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"))
	return srv, log, env
}

// TestCLIServicesNotServed: the AWS CLI, pointed at Reservoir for a service
// it does not serve, fails at once with NotImplemented and a message naming
// the service, in that service's protocol (REST-XML for S3, JSON 1.0 for
// SQS and DynamoDB, query for SNS), and
// does not retry: the server sees one request per command.
func TestCLIServicesNotServed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end AWS CLI test; skipped with -short")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH")
	}
	t.Parallel()
	srv, log, env := startLogged(t)
	for _, tc := range []struct {
		args    []string
		op      string // the operation the CLI names
		name    string // the service as the message names it
		signing string // the service in the server's warning
	}{
		{[]string{"sqs", "list-queues"}, "ListQueues", "SQS (sqs)", "sqs"},
		{[]string{"s3", "ls"}, "ListBuckets", "S3 (s3)", "s3"},
		{[]string{"dynamodb", "list-tables"}, "ListTables", "DynamoDB (dynamodb)", "dynamodb"},
		{[]string{"sns", "list-topics"}, "ListTopics", "SNS (sns)", "sns"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(tc.args, "--endpoint-url", srv.URL)...)
			cmd.Env = env
			cmd.WaitDelay = 5 * time.Second
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, ok := err.(*exec.ExitError)
			if !ok || (exit.ExitCode() != 254 && exit.ExitCode() != 255) {
				t.Fatalf("aws %s: %v, want a client-error exit:\n%s", strings.Join(tc.args, " "), err, stderr.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, "(NotImplemented) when calling the "+tc.op+" operation") ||
				!strings.Contains(msg, "Reservoir does not serve "+tc.name) ||
				!strings.Contains(msg, "it serves CloudWatch, CloudWatch Logs, IAM, Lambda and STS on this endpoint") {
				t.Errorf("aws %s printed:\n%s", strings.Join(tc.args, " "), msg)
			}
			if n := log.warnings(tc.signing); n != 1 {
				t.Errorf("the server saw %d requests for %s, want 1 (no retry)", n, tc.signing)
			}
		})
	}
}

// TestBoto3ServicesNotServed: boto3, with its default retries, gets
// NotImplemented (501) from Kinesis (JSON 1.1) and SNS (query) at the first
// attempt and retries neither.
func TestBoto3ServicesNotServed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end boto3 test; skipped with -short")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed for python3")
	}
	t.Parallel()
	_, log, env := startLogged(t)
	script, err := filepath.Abs("testdata/not_served.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("not_served.py: %v\n%s", err, stderr.String())
	}
	var got map[string]*struct {
		Code, Message   string
		Status, Retries int
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	for svc, name := range map[string]string{"kinesis": "Kinesis (kinesis)", "sns": "SNS (sns)"} {
		e := got[svc]
		if e == nil || e.Code != "NotImplemented" || e.Status != 501 || e.Retries != 0 || !strings.Contains(e.Message, "Reservoir does not serve "+name) {
			t.Errorf("%s: %+v", svc, e)
		}
		if n := log.warnings(svc); n != 1 {
			t.Errorf("the server saw %d requests for %s, want 1", n, svc)
		}
	}
}
