package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

// logCollector is a Config.LogSink that tests read back.
type logCollector struct {
	mu    sync.Mutex
	lines []sandbox.LogLine
}

func (c *logCollector) add(b sandbox.LogLines) {
	c.mu.Lock()
	for l := range b.Lines() {
		c.lines = append(c.lines, l)
	}
	c.mu.Unlock()
}

// await returns the lines received once cond holds for them, failing the
// test after a while.
func (c *logCollector) await(t *testing.T, what string, cond func([]sandbox.LogLine) bool) []sandbox.LogLine {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		lines := append([]sandbox.LogLine(nil), c.lines...)
		c.mu.Unlock()
		if cond(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, l := range lines {
				b.WriteString(l.LogGroup + " " + l.LogStream + " | " + l.Text + "\n")
			}
			t.Fatalf("no %s in the function logs:\n%s", what, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// has reports whether a line of group matches re.
func has(lines []sandbox.LogLine, group, re string) bool {
	r := regexp.MustCompile(re)
	for _, l := range lines {
		if l.LogGroup == group && r.MatchString(l.Text) {
			return true
		}
	}
	return false
}

func zipFile(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(body))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const loggingHandler = `import logging

def handler(event, context):
    logging.debug("debug from %s", event.get("via"))
    logging.warning("warning from %s\nsecond line", event.get("via"))
    print("printed by", event.get("via"))
    return "ok"
`

// TestFunctionLogsThroughTheServer: a function created through the SDK with
// a LoggingConfig writes, synchronously and asynchronously invoked, the
// events that config asks for, to its log group, with Lambda's platform
// lines; a configuration update changes them from the next invocation on.
func TestFunctionLogsThroughTheServer(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ctx := context.Background()
	var logs logCollector
	a, err := New(ctx, Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), LogSink: logs.add})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve() }()
	t.Cleanup(func() {
		_ = a.Close(ctx)
		<-done
	})
	c := lambda.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", ""),
		BaseEndpoint: aws.String("http://" + a.Addr()), HTTPClient: &http.Client{Timeout: 60 * time.Second}, RetryMaxAttempts: 1,
	})
	const group = "/team/logged"
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("logged"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFile(t, "app.py", loggingHandler)},
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelDebug, LogGroup: aws.String(group)},
	}); err != nil {
		t.Fatal(err)
	}

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logged"), Payload: []byte(`{"via":"sync"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke: %v %+v", err, out)
	}
	lines := logs.await(t, "platform.report of the synchronous invocation", func(l []sandbox.LogLine) bool {
		return has(l, group, `"type":"platform.report"`)
	})
	var records []map[string]any
	for _, l := range lines {
		if l.FunctionName != "logged" || l.Account != "123456789012" || l.Region != "eu-west-1" || l.LogGroup != group {
			t.Errorf("line %+v", l)
		}
		var m map[string]any
		if json.Unmarshal([]byte(l.Text), &m) == nil && m["level"] != nil {
			records = append(records, m)
		}
	}
	if len(records) != 2 || records[0]["message"] != "debug from sync" || records[0]["level"] != "DEBUG" ||
		records[1]["message"] != "warning from sync\nsecond line" || records[1]["level"] != "WARNING" {
		t.Errorf("records %v", records)
	}
	if !has(lines, group, `^printed by sync$`) || !has(lines, group, `^\{"time":"[^"]+","type":"platform.start","record":\{"requestId":"[0-9a-f-]{36}","version":"\$LATEST"\}\}$`) {
		t.Errorf("print or platform.start missing")
	}

	// Asynchronous invocations log through the same sink.
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logged"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"via":"async"}`)}); err != nil {
		t.Fatal(err)
	}
	logs.await(t, "the asynchronous invocation's records", func(l []sandbox.LogLine) bool {
		return has(l, group, `"message": "debug from async"`) && has(l, group, `^printed by async$`)
	})

	// Back to Text: the default group, Python's default WARNING level, and
	// the plain START, END and REPORT lines.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("logged"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText, LogGroup: aws.String("/aws/lambda/logged")}}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("logged")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logged"), Payload: []byte(`{"via":"text"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke: %v %+v", err, out)
	}
	lines = logs.await(t, "the REPORT line of the Text invocation", func(l []sandbox.LogLine) bool {
		return has(l, "/aws/lambda/logged", `^REPORT RequestId: `)
	})
	for _, re := range []string{`^START RequestId: [0-9a-f-]{36} Version: \$LATEST$`, `^END RequestId: `,
		`^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[0-9a-f-]{36}\twarning from text\nsecond line$`, `^printed by text$`} {
		if !has(lines, "/aws/lambda/logged", re) {
			t.Errorf("no line matches %s", re)
		}
	}
	if has(lines, "/aws/lambda/logged", `debug from text`) {
		t.Error("a DEBUG record with Text (Python's default level is WARNING)")
	}
}
