package app

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// emfHandler prints embedded metric format lines written by hand: one with
// print (raw stdout) and one through Python's logging, plus, when asked, a
// line that announces EMF but has a Timestamp from 1970 and one that is
// not JSON.
const emfHandler = `import logging, time
logging.getLogger().setLevel(logging.INFO)
def handler(event, context):
    ts = int(time.time() * 1000)
    print('{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["Service"]],'
          '"Metrics":[{"Name":"Orders","Unit":"Count"}]}]},"Service":"%s","Orders":%s,"requestId":"%s"}'
          % (ts, event["service"], event["orders"], context.aws_request_id))
    logging.getLogger().info('{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["Service"]],'
          '"Metrics":[{"Name":"Logged","Unit":"Count"}]}]},"Service":"%s","Logged":1}' % (ts, event["service"]))
    if event.get("bad"):
        print('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[[]],"Metrics":[{"Name":"Never"}]}]},"Never":1}')
        print('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[ cut short')
    return "ok"
`

// TestEMFMetricsExtracted: what functions print in embedded metric format
// becomes CloudWatch metrics of their account and region, readable through
// the SDK once the publisher has flushed, and the lines stay log events.
// Raw stdout lines are extracted with either log format; a line written
// through Python's logging is extracted with LogFormat Text (Lambda's
// "[INFO]\t<time>\t<request id>\t" prefix precedes the document, which the
// specification allows) but not with JSON, where the runtime wraps it in
// the "message" of its own JSON record, as on AWS. A line with a 1970
// Timestamp yields no metric and counts as EMFValidationErrors, one cut
// short as EMFParsingErrors. The exact
// figures are read after a restart, when every line is in and flushed.
func TestEMFMetricsExtracted(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	a, stop := startOn(t, dir)
	c := lambda.NewFromConfig(sdkConfig(a))
	for name, format := range map[string]types.LogFormat{"emf-text": types.LogFormatText, "emf-json": types.LogFormatJson} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
			Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFile(t, "app.py", emfHandler)},
			LoggingConfig: &types.LoggingConfig{LogFormat: format},
		}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for _, call := range []struct{ fn, payload string }{
		{"emf-text", `{"service":"text","orders":2}`},
		{"emf-text", `{"service":"text","orders":[3,4],"bad":true}`},
		{"emf-json", `{"service":"json","orders":5}`},
	} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(call.fn), Payload: []byte(call.payload)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("Invoke %s: %v %s", call.fn, err, out.Payload)
		}
	}

	// Live: the publisher's flush (every second) makes the metric listable
	// without a restart.
	cw := cloudwatch.NewFromConfig(sdkConfig(a))
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Shop"), MetricName: aws.String("Orders")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Metrics) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no Shop/Orders metric listed 20 s after the invocations")
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()

	a = serveOn(t, dir)
	cw = cloudwatch.NewFromConfig(sdkConfig(a))
	type stats struct {
		sum, count float64
		unit       cwtypes.StandardUnit
		points     int
	}
	get := func(ns, metric string, dim, value string) stats {
		t.Helper()
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String(ns), MetricName: aws.String(metric),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(value)}},
			StartTime:  aws.Time(start.Add(-2 * time.Minute)), EndTime: aws.Time(time.Now().Add(2 * time.Minute)),
			Period: aws.Int32(3600), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount},
		})
		if err != nil {
			t.Fatalf("GetMetricStatistics %s/%s: %v", ns, metric, err)
		}
		var s stats
		for _, p := range out.Datapoints {
			s.sum += aws.ToFloat64(p.Sum)
			s.count += aws.ToFloat64(p.SampleCount)
			s.unit = p.Unit
			s.points++
		}
		return s
	}
	for _, tc := range []struct {
		ns, metric, dim, value string
		want                   stats
	}{
		{"Shop", "Orders", "Service", "text", stats{sum: 9, count: 3, unit: cwtypes.StandardUnitCount}},
		{"Shop", "Orders", "Service", "json", stats{sum: 5, count: 1, unit: cwtypes.StandardUnitCount}},
		{"Shop", "Logged", "Service", "text", stats{sum: 2, count: 2, unit: cwtypes.StandardUnitCount}},
		{"Shop", "Logged", "Service", "json", stats{}},
		{"AWS/Logs", "EMFValidationErrors", "LogGroupName", "/aws/lambda/emf-text", stats{sum: 1, count: 1, unit: cwtypes.StandardUnitNone}},
		{"AWS/Logs", "EMFValidationErrors", "LogGroupName", "/aws/lambda/emf-json", stats{}},
		{"AWS/Logs", "EMFParsingErrors", "LogGroupName", "/aws/lambda/emf-text", stats{sum: 1, count: 1, unit: cwtypes.StandardUnitNone}},
	} {
		got := get(tc.ns, tc.metric, tc.dim, tc.value)
		got.points = 0
		if got != tc.want {
			t.Errorf("%s/%s %s=%s: sum %v, count %v, unit %q; want sum %v, count %v, unit %q", tc.ns, tc.metric, tc.dim, tc.value,
				got.sum, got.count, got.unit, tc.want.sum, tc.want.count, tc.want.unit)
		}
	}
	never, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Shop"), MetricName: aws.String("Never")})
	if err != nil || len(never.Metrics) != 0 {
		t.Errorf("the 1970 line's metric: %v %+v", err, never.Metrics)
	}
	// Another region sees none of it.
	other := sdkConfig(a)
	other.Region = "us-west-2"
	if out, err := cloudwatch.NewFromConfig(other).ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Shop")}); err != nil || len(out.Metrics) != 0 {
		t.Errorf("us-west-2 metrics: %v %+v", err, out)
	}

	// The lines are log events too, the invalid one included.
	cwl := cloudwatchlogs.NewFromConfig(sdkConfig(a))
	events, err := cwl.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/emf-text")})
	if err != nil {
		t.Fatal(err)
	}
	var printed, bad int
	for _, e := range events.Events {
		m := aws.ToString(e.Message)
		if strings.HasPrefix(m, `{"_aws":`) && strings.Contains(m, `"Orders":`) {
			printed++
		}
		if strings.Contains(m, `"Never":1`) || strings.Contains(m, "cut short") {
			bad++
		}
	}
	if printed != 2 || bad != 2 {
		t.Errorf("log group holds %d printed EMF lines (want 2) and %d invalid ones (want 2)", printed, bad)
	}
	// With LogFormat JSON the logging line is there, wrapped: no metric.
	events, err = cwl.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/emf-json")})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := 0
	for _, e := range events.Events {
		var rec struct{ Level, Message string }
		if json.Unmarshal([]byte(aws.ToString(e.Message)), &rec) == nil && rec.Level == "INFO" && strings.Contains(rec.Message, `"Logged":1`) {
			wrapped++
		}
	}
	if wrapped != 1 {
		t.Errorf("emf-json's group holds %d JSON records wrapping the logged EMF line, want 1", wrapped)
	}
}
