package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// logsJSON runs `aws logs ARGS` that must succeed and decodes its output.
func (c *cli) logsJSON(v any, args ...string) {
	c.t.Helper()
	stdout, stderr, code := c.runService("logs", args...)
	if code != 0 {
		c.t.Fatalf("aws logs %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	if v != nil && strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), v); err != nil {
			c.t.Fatalf("aws logs %s printed no JSON (%v):\n%s", strings.Join(args, " "), err, stdout)
		}
	}
}

// filteredEvents is filter-log-events' output.
type filteredEvents struct {
	Events []struct {
		LogStreamName, Message, EventID string
		Timestamp, IngestionTime        int64
	}
}

// awaitEvents polls filter-log-events until every pattern matches one of
// the events found, for up to 10 s (ingestion flushes every 250 ms), and
// returns the last output.
func (c *cli) awaitEvents(group string, patterns []string, args ...string) filteredEvents {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out filteredEvents
		full := append([]string{"filter-log-events", "--log-group-name", group}, args...)
		stdout, stderr, code := c.runService("logs", full...)
		switch {
		case code == 0:
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				c.t.Fatalf("aws logs %s printed no JSON (%v):\n%s", strings.Join(full, " "), err, stdout)
			}
		case strings.Contains(stderr, "(ResourceNotFoundException)"):
			// The group appears with the first flush of the function's lines.
		default:
			c.t.Fatalf("aws logs %s exited %d:\n%s%s", strings.Join(full, " "), code, stdout, stderr)
		}
		missing := ""
		for _, p := range patterns {
			re := regexp.MustCompile(p)
			found := false
			for _, e := range out.Events {
				found = found || re.MatchString(e.Message)
			}
			if !found {
				missing = p
				break
			}
		}
		if missing == "" {
			return out
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("filter-log-events on %s %v: no event matches %s in %+v", group, args, missing, out.Events)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFunctionZip zips one Python file as index.py.
func (c *cli) writeFunctionZip(name, code string) string {
	c.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("index.py")
	if err == nil {
		_, err = f.Write([]byte(code))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		c.t.Fatal(err)
	}
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

const loggingFunction = `import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    logger.info("order %s accepted", event["order"])
    print("printed for order", event["order"])
    return {"ok": True}
`

// TestCLIFunctionLogs: a Python function's logging and print lines, and
// Lambda's START/END/REPORT lines, are found with `aws logs
// filter-log-events` in /aws/lambda/<fn>, within seconds, for a synchronous
// and an asynchronous invocation; describe-log-streams shows the stream
// named as Lambda names it. (The CLI v1 has no `aws logs tail`.)
func TestCLIFunctionLogs(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not on PATH")
	}
	c := start(t)
	const fn = "cli-logged"
	const group = "/aws/lambda/" + fn
	c.json(nil, "create-function", "--function-name", fn, "--runtime", "python3.12", "--role", role,
		"--handler", "index.handler", "--zip-file", "fileb://"+c.writeFunctionZip(fn+".zip", loggingFunction))
	c.json(nil, "wait", "function-active-v2", "--function-name", fn)
	out := filepath.Join(c.dir, "out.json")
	c.json(nil, "invoke", "--function-name", fn, "--payload", `{"order":"A-1"}`, out)

	got := c.awaitEvents(group, []string{
		`^START RequestId: [0-9a-f-]{36} Version: \$LATEST$`,
		`^\[INFO\]\t\S+\t[0-9a-f-]{36}\torder A-1 accepted$`,
		`^printed for order A-1$`,
		`^END RequestId: `,
		`^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB`,
	})
	streamRE := regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`)
	for _, e := range got.Events {
		if !streamRE.MatchString(e.LogStreamName) || e.EventID == "" || e.Timestamp == 0 || e.IngestionTime < e.Timestamp-1000 {
			t.Errorf("event %+v", e)
		}
	}

	var streams struct {
		LogStreams []struct {
			LogStreamName, Arn                                         string
			FirstEventTimestamp, LastEventTimestamp, LastIngestionTime int64
		}
	}
	c.logsJSON(&streams, "describe-log-streams", "--log-group-name", group)
	if len(streams.LogStreams) != 1 {
		t.Fatalf("describe-log-streams = %+v", streams)
	}
	s := streams.LogStreams[0]
	wantDay := time.Now().UTC().Format("2006/01/02")
	if !streamRE.MatchString(s.LogStreamName) || !strings.HasPrefix(s.LogStreamName, wantDay) && !strings.HasPrefix(s.LogStreamName, time.Now().UTC().Add(-time.Hour).Format("2006/01/02")) ||
		s.Arn != "arn:aws:logs:"+region+":"+account+":log-group:"+group+":log-stream:"+s.LogStreamName || s.FirstEventTimestamp == 0 || s.LastEventTimestamp < s.FirstEventTimestamp {
		t.Errorf("stream %+v", s)
	}

	// A term pattern finds the one line, with the group found by its prefix.
	var groups struct {
		LogGroups []struct{ LogGroupName, Arn string }
	}
	c.logsJSON(&groups, "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/cli-")
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].LogGroupName != group {
		t.Errorf("describe-log-groups = %+v", groups)
	}
	var only filteredEvents
	c.logsJSON(&only, "filter-log-events", "--log-group-name", group, "--filter-pattern", `"printed for order"`)
	if len(only.Events) != 1 || only.Events[0].Message != "printed for order A-1" {
		t.Errorf("filter pattern \"printed for order\" = %+v", only.Events)
	}

	// An asynchronous invocation's lines arrive too.
	var accepted struct{ StatusCode int }
	c.json(&accepted, "invoke", "--function-name", fn, "--invocation-type", "Event",
		"--payload", `{"order":"B-2"}`, out)
	if accepted.StatusCode != 202 {
		t.Errorf("Event invoke: %+v", accepted)
	}
	c.awaitEvents(group, []string{`\torder B-2 accepted$`, `^printed for order B-2$`}, "--filter-pattern", `"B-2"`)

	// Errors as the CLI shows them.
	_, stderr, code := c.runService("logs", "filter-log-events", "--log-group-name", "/aws/lambda/missing")
	if code != 254 && code != 255 || !strings.Contains(stderr, "(ResourceNotFoundException)") || !strings.Contains(stderr, "The specified log group does not exist.") {
		t.Errorf("filter-log-events of a missing group: %d %s", code, stderr)
	}
}

// TestBoto3FilterPatterns: boto3's filter_log_events on a LogFormat JSON
// function finds its ERROR record with { $.level = "ERROR" } and its two
// "charging" records with a term pattern, and nothing else.
func TestBoto3FilterPatterns(t *testing.T) {
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
	srv := reservoirtest.Start(t)
	dir := t.TempDir()
	script, err := filepath.Abs("testdata/logs_filter.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Env = append(srv.Env(account, region), "AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"))
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("logs_filter.py: %v\n%s", err, stderr.String())
	}
	var got struct{ Errors, Charging []map[string]any }
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if len(got.Errors) != 1 || got.Errors[0]["message"] != "card amex-2222 declined" || got.Errors[0]["level"] != "ERROR" {
		t.Errorf(`{ $.level = "ERROR" } found %v`, got.Errors)
	}
	var charged []any
	for _, r := range got.Charging {
		charged = append(charged, r["message"])
		if r["level"] != "INFO" {
			t.Errorf("charging record %v", r)
		}
	}
	if fmt.Sprint(charged) != "[charging visa-1111 charging amex-2222]" {
		t.Errorf("term pattern charging found %v", charged)
	}
}
