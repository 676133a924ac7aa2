package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestFunctionLinesBeforeEndAndReport: a function printing a burst larger
// than Reservoir reads before the runtime posts its response (3,000 lines
// like application logs, ~480 KB, in one write: up to a pipe's 256 KiB are
// still unread when the response arrives) has every line of a call between
// that call's START and its END and REPORT in its log stream, as on AWS: on
// the cold call, on warm calls without a log tail (which used not to wait
// for what was left in the pipes) and on warm calls asking for one. The
// stream is read back in order through GetLogEvents.
func TestFunctionLinesBeforeEndAndReport(t *testing.T) {
	const lines = 3000
	ctx := context.Background()
	a := serveOn(t, t.TempDir())
	cfg := sdkConfig(a)
	cfg.HTTPClient = &http.Client{Transport: plainBodies{http.DefaultTransport}, Timeout: time.Minute}
	c := lambda.NewFromConfig(cfg)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("burst"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Timeout: aws.Int32(30),
		Environment: &types.Environment{Variables: map[string]string{"PRINT_LINES": fmt.Sprint(lines), "PRINT_TEXT": "varied"}},
		Code:        &types.FunctionCode{ZipFile: printFnZip(t)},
	}); err != nil {
		t.Fatal(err)
	}
	// One caller at a time: one environment, one stream. The first call is
	// cold; every third warm call asks for the log tail.
	var ids []string
	for i := range 10 {
		in := &lambda.InvokeInput{FunctionName: aws.String("burst"), Payload: []byte(`{}`)}
		if i%3 == 2 {
			in.LogType = types.LogTypeTail
		}
		out, err := c.Invoke(ctx, in)
		if err != nil || out.FunctionError != nil {
			t.Fatalf("Invoke %d: %v %+v", i, err, out)
		}
		id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
		ids = append(ids, id)
		if in.LogType == types.LogTypeTail {
			// The tail ends with the call's last line, END and REPORT.
			tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			if err != nil {
				t.Fatal(err)
			}
			last := strings.Index(string(tail), fmt.Sprintf("\tline %d of %d: ", lines, lines))
			end := strings.Index(string(tail), "\nEND RequestId: "+id+"\n")
			report := strings.Index(string(tail), "\nREPORT RequestId: "+id+"\t")
			if last < 0 || end < last || report < end {
				t.Fatalf("call %d: tail out of order (last line at %d, END at %d, REPORT at %d):\n%s", i, last, end, report, tail)
			}
		}
	}
	if err := a.logs.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	cwl := cloudwatchlogs.NewFromConfig(cfg)
	group := aws.String("/aws/lambda/burst")
	streams, err := cwl.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: group})
	if err != nil || len(streams.LogStreams) != 1 {
		t.Fatalf("streams: %v %+v", err, streams)
	}
	var events []string
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: streams.LogStreams[0].LogStreamName, StartFromHead: aws.Bool(true)}
	for {
		out, err := cwl.GetLogEvents(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			events = append(events, aws.ToString(e.Message))
		}
		if aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
			break
		}
		in.NextToken = out.NextForwardToken
	}

	// The stream is exactly, per call in the order they were made: START,
	// the call's lines in the order printed, END, REPORT.
	pos := 0
	next := func() string {
		if pos >= len(events) {
			return "<end of stream>"
		}
		pos++
		return events[pos-1]
	}
	for n, id := range ids {
		if got, want := next(), "START RequestId: "+id+" "; !strings.HasPrefix(got, want) {
			t.Fatalf("call %d: event %d is %q, want %q…", n, pos-1, got, want)
		}
		for i := 1; i <= lines; i++ {
			if got, want := next(), fmt.Sprintf("\tline %d of %d: ", i, lines); !strings.Contains(got, want) {
				t.Fatalf("call %d: event %d is %q, want the function's %q…", n, pos-1, got, want)
			}
		}
		if got, want := next(), "END RequestId: "+id; got != want {
			t.Fatalf("call %d: event %d is %q, want %q", n, pos-1, got, want)
		}
		if got, want := next(), "REPORT RequestId: "+id+"\t"; !strings.HasPrefix(got, want) {
			t.Fatalf("call %d: event %d is %q, want %q…", n, pos-1, got, want)
		}
	}
	if pos != len(events) {
		t.Fatalf("%d events after the last REPORT, first %q", len(events)-pos, events[pos])
	}
}

// plainBodies hides the WriteTo method of the SDK's request bodies, which
// fails with io.EOF once the SDK has closed the body, as it does when the
// response arrives. Over plain HTTP, net/http writes such a body straight to
// the socket and then reads it once more to check it is at its end; when the
// response (and the SDK's close) comes in between, the error closes the
// connection under the response being read ("use of closed network
// connection"), a client bug that large GetLogEvents pages from a local
// server hit once in a few hundred calls. A body that is read, not written
// to, ends with a plain io.EOF.
type plainBodies struct{ http.RoundTripper }

func (t plainBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return t.RoundTripper.RoundTrip(r)
}
