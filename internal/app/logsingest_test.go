package app

import (
	"context"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func sdkConfig(a *App) aws.Config {
	return aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", ""),
		BaseEndpoint: aws.String("http://" + a.Addr()), HTTPClient: &http.Client{Timeout: 60 * time.Second}, RetryMaxAttempts: 1,
	}
}

// startOn starts a server on dir's store. stop closes it gracefully (what
// the caller checks happens at a stop) and waits for Serve to return; the
// test's cleanup closes it if the test ends first.
func startOn(t *testing.T, dir string) (a *App, stop func()) {
	t.Helper()
	a, err := New(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve() }()
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a, func() {
		t.Helper()
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-done
	}
}

// serveOn starts a server on dir's store (again, after a stop) until the
// test ends.
func serveOn(t *testing.T, dir string) *App {
	t.Helper()
	a, err := New(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a)
	return a
}

func serve(t *testing.T, a *App) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- a.Serve() }()
	t.Cleanup(func() {
		_ = a.Close(context.Background())
		<-done
	})
}

// TestFunctionLogsInCloudWatchLogs: a function's lines reach its log group
// in the function's account and region, in the stream named as Lambda names
// it; lines still buffered when the server stops are written before the
// store closes, and are there after a restart.
func TestFunctionLogsInCloudWatchLogs(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	a, stop := startOn(t, dir)
	c := lambda.NewFromConfig(sdkConfig(a))
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("ingested"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFile(t, "app.py", loggingHandler)},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("ingested"), Payload: []byte(`{"via":"first"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke: %v %+v", err, out)
	}
	// Close at once: REPORT may still be in the ingester's buffer.
	stop()

	a = serveOn(t, dir)
	cwl := cloudwatchlogs.NewFromConfig(sdkConfig(a))
	streams, err := cwl.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/ingested")})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 1 || !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(aws.ToString(streams.LogStreams[0].LogStreamName)) {
		t.Fatalf("streams %+v", streams.LogStreams)
	}
	events, err := cwl.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/ingested")})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, e := range events.Events {
		all = append(all, aws.ToString(e.Message))
	}
	joined := strings.Join(all, "\n")
	for _, re := range []string{`(?m)^START RequestId: `, `(?m)^printed by first$`, `(?m)^END RequestId: `, `(?m)^REPORT RequestId: .*Max Memory Used`} {
		if !regexp.MustCompile(re).MatchString(joined) {
			t.Errorf("no event matches %s after the restart:\n%s", re, joined)
		}
	}
	// Nothing leaks into another region's view.
	other := sdkConfig(a)
	other.Region = "us-west-2"
	groups, err := cloudwatchlogs.NewFromConfig(other).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("us-west-2 groups: %v %+v", err, groups)
	}
}
