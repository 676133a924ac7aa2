package awsproto_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/fxamacker/cbor/v2"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// TestRPCServicesThroughTheSDK: the test-only JSON 1.1 (logs) and CBOR
// (monitoring) services answer aws-sdk-go-v2's own clients, which sign
// their requests: outputs decode, times round-trip, a domain error comes
// out of the service's error table, an operation outside the table is
// UnknownOperationException, and each operation sees the caller of the
// credential scope.
func TestRPCServicesThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	logs := cloudwatchlogs.NewFromConfig(e.sdkConfig())

	out, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/x")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != "/aws/lambda/x-group" ||
		aws.ToInt64(out.LogGroups[0].CreationTime) != 1700000000123 || aws.ToInt32(out.LogGroups[0].RetentionInDays) != 7 {
		t.Errorf("DescribeLogGroups = %+v", out.LogGroups)
	}
	if c := e.fake.lastCaller(); c.Account != "210987654321" || c.Region != "eu-west-1" || c.Service != "logs" {
		t.Errorf("the operation saw caller %+v", c)
	}
	_, err = logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("gone")})
	if code, msg := apiError(err); code != "ResourceNotFoundException" || msg != "The specified log group does not exist." {
		t.Errorf("DeleteLogGroup of a missing group: %v", err)
	}
	if _, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("here")}); err != nil {
		t.Errorf("DeleteLogGroup (empty output): %v", err)
	}
	before := e.fake.calls.Load()
	_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if code, _ := apiError(err); code != "UnknownOperationException" {
		t.Errorf("an operation outside the table: %v", err)
	}
	if e.fake.calls.Load() != before {
		t.Error("an unknown operation ran something")
	}

	// aws-sdk-go-v2's CloudWatch client speaks RPC v2 CBOR.
	cw := cloudwatch.NewFromConfig(e.sdkConfig())
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	stats, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Throttles"),
		StartTime: aws.Time(start), EndTime: aws.Time(start.Add(time.Hour)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(stats.Label) != "Throttles" || len(stats.Datapoints) != 1 ||
		!aws.ToTime(stats.Datapoints[0].Timestamp).Equal(start.Add(time.Minute)) || aws.ToFloat64(stats.Datapoints[0].Sum) != 60.5 ||
		stats.Datapoints[0].Unit != cwtypes.StandardUnitCount {
		t.Errorf("GetMetricStatistics = %+v %+v", stats, stats.Datapoints)
	}
	metrics, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Custom")})
	if err != nil || len(metrics.Metrics) != 1 || aws.ToString(metrics.Metrics[0].Namespace) != "Custom" {
		t.Errorf("ListMetrics = %+v, %v", metrics, err)
	}
	_, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if code, _ := apiError(err); code != "UnknownOperationException" {
		t.Errorf("a CBOR operation outside the table: %v", err)
	}
	if c := e.fake.lastCaller(); c.Service != "monitoring" || c.Account != "210987654321" {
		t.Errorf("the CBOR operation saw caller %+v", c)
	}
}

// cborGetMetricStatistics is a GetMetricStatistics input built with the
// CBOR library, times as tag 1.
func cborGetMetricStatistics(t *testing.T, start time.Time) []byte {
	t.Helper()
	b, err := cbor.Marshal(map[string]any{
		"Namespace": "AWS/Lambda", "MetricName": "Errors", "Period": 300,
		"StartTime": cbor.Tag{Number: 1, Content: start.Unix()},
		"EndTime":   cbor.Tag{Number: 1, Content: float64(start.Add(time.Hour).UnixMilli()) / 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRPCDispatchSignedAndUnsigned: raw requests reach the test-only
// services by their signature's scope or, unsigned, by X-Amz-Target or the
// CBOR path; an unknown operation is UnknownOperationException in the
// request's protocol either way.
func TestRPCDispatchSignedAndUnsigned(t *testing.T) {
	e := newEnv(t, envOptions{})
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cborHeaders := map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}
	const cborPath = "/service/GraniteServiceVersion20100801/operation/"
	for _, signAs := range []string{"", "monitoring"} {
		name := "unsigned"
		if signAs != "" {
			name = "signed"
		}
		t.Run("cbor "+name, func(t *testing.T) {
			r := e.do(t, request{method: "POST", path: cborPath + "GetMetricStatistics", header: cborHeaders,
				body: cborGetMetricStatistics(t, start), signAs: signAs})
			if r.status != 200 || r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.header.Get("Content-Type") != "application/cbor" {
				t.Fatalf("status %d, headers %v: %x", r.status, r.header, r.body)
			}
			var out struct {
				Label      string
				Datapoints []struct {
					Timestamp cbor.Tag
					Sum       float64
				}
			}
			if err := cbor.Unmarshal(r.body, &out); err != nil {
				t.Fatal(err)
			}
			if out.Label != "Errors" || len(out.Datapoints) != 1 || out.Datapoints[0].Sum != 300.5 ||
				out.Datapoints[0].Timestamp.Number != 1 || out.Datapoints[0].Timestamp.Content != uint64(start.Add(time.Minute).Unix()) {
				t.Errorf("output %+v", out)
			}
			r = e.do(t, request{method: "POST", path: cborPath + "PutMetricAlarm", header: cborHeaders, body: []byte{0xa0}, signAs: signAs})
			var fault map[string]string
			if err := cbor.Unmarshal(r.body, &fault); err != nil {
				t.Fatalf("the error is no CBOR map (%v): %x", err, r.body)
			}
			if r.status != 400 || fault["__type"] != "UnknownOperationException" || !strings.Contains(fault["message"], "PutMetricAlarm") ||
				r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.header.Get("Content-Type") != "application/cbor" {
				t.Errorf("unknown CBOR operation: %d %v %v", r.status, r.header, fault)
			}
		})
		t.Run("json 1.0 "+name, func(t *testing.T) {
			body := `{"Namespace":"AWS/Lambda","MetricName":"Errors","Period":60,"StartTime":1735787045,"EndTime":1735790645.5}`
			r := e.do(t, request{method: "POST", path: "/", body: []byte(body), signAs: signAs,
				header: map[string]string{"X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics", "Content-Type": "application/x-amz-json-1.0"}})
			want := `{"Label":"Errors","Datapoints":[{"Timestamp":1735787105,"Sum":60.5,"Unit":"Count"}]}`
			if r.status != 200 || string(r.body) != want || r.header.Get("Content-Type") != "application/x-amz-json-1.0" {
				t.Errorf("status %d, %v: %s", r.status, r.header, r.body)
			}
		})
	}
	for _, signAs := range []string{"", "logs"} {
		t.Run("json 1.1 signed="+signAs, func(t *testing.T) {
			h := map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"}
			r := e.do(t, request{method: "POST", path: "/", header: h, body: []byte(`{"limit":5}`), signAs: signAs})
			want := `{"logGroups":[{"logGroupName":"/aws/lambda/fn","creationTime":1700000000123,"retentionInDays":7}]}`
			if r.status != 200 || string(r.body) != want || r.header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Errorf("status %d, %v: %s", r.status, r.header, r.body)
			}
			h["X-Amz-Target"] = "Logs_20140328.PutLogEvents"
			r = e.do(t, request{method: "POST", path: "/", header: h, body: []byte(`{}`), signAs: signAs})
			if code, msg := jsonFault(t, r); r.status != 400 || code != "UnknownOperationException" || !strings.Contains(msg, "PutLogEvents") {
				t.Errorf("unknown JSON operation: %d %s", r.status, r.body)
			}
		})
	}
	if got := e.fake.calls.Load(); got != 6 {
		t.Errorf("%d operations ran, want 6", got)
	}
}

// TestRPCRefusesBadInput: bodies that do not decode into the operation's
// input are SerializationException, an oversized one 413, a GET not an
// operation; none reaches the operation. Server errors and panics are
// InternalFailure in the request's protocol, never their detail.
func TestRPCRefusesBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	jsonReq := func(op, body string) request {
		return request{method: "POST", path: "/", body: []byte(body),
			header: map[string]string{"X-Amz-Target": "Logs_20140328." + op, "Content-Type": "application/x-amz-json-1.1"}}
	}
	cborReq := func(op string, body []byte) request {
		return request{method: "POST", path: "/service/GraniteServiceVersion20100801/operation/" + op, body: body,
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}}
	}
	wrongType, _ := cbor.Marshal(map[string]any{"Namespace": 12})
	badTime, _ := cbor.Marshal(map[string]any{"StartTime": "yesterday"})
	dupKey := []byte{0xa2, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x61, 'a', 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x61, 'b'}
	trailing := append([]byte{0xa0}, 0x01)
	for _, tc := range []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"json syntax", jsonReq("DescribeLogGroups", `{"limit":`), 400, "SerializationException"},
		{"json wrong type", jsonReq("DescribeLogGroups", `{"limit":"five"}`), 400, "SerializationException"},
		{"json array", jsonReq("DescribeLogGroups", `[]`), 400, "SerializationException"},
		{"json trailing", jsonReq("DescribeLogGroups", `{} {}`), 400, "SerializationException"},
		{"json too large", jsonReq("DescribeLogGroups", `{"logGroupNamePrefix":"`+strings.Repeat("a", 5000)+`"}`), 413, "RequestEntityTooLargeException"},
		{"json GET", request{method: "GET", path: "/", header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}}, 400, "UnknownOperationException"},
		{"json no operation", request{method: "POST", path: "/", signAs: "logs", body: []byte(`{}`)}, 400, "UnknownOperationException"},
		{"json other prefix, signed", request{method: "POST", path: "/", signAs: "logs", body: []byte(`{}`),
			header: map[string]string{"X-Amz-Target": "Kinesis_20131202.DescribeLogGroups"}}, 400, "UnknownOperationException"},
		{"cbor not cbor", cborReq("ListMetrics", []byte("{}")), 400, "SerializationException"},
		{"cbor wrong type", cborReq("ListMetrics", wrongType), 400, "SerializationException"},
		{"cbor time as text", cborReq("GetMetricStatistics", badTime), 400, "SerializationException"},
		{"cbor duplicate member", cborReq("ListMetrics", dupKey), 400, "SerializationException"},
		{"cbor trailing bytes", cborReq("ListMetrics", trailing), 400, "SerializationException"},
		{"cbor truncated", cborReq("ListMetrics", []byte{0xa1, 0x69}), 400, "SerializationException"},
		{"cbor other service", request{method: "POST", path: "/service/Other/operation/ListMetrics", signAs: "monitoring",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}}, 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.req)
			var code string
			if strings.HasPrefix(tc.name, "cbor") {
				var f map[string]string
				if err := cbor.Unmarshal(r.body, &f); err != nil {
					t.Fatalf("no CBOR error body (%v): %x", err, r.body)
				}
				code = f["__type"]
			} else {
				code, _ = jsonFault(t, r)
			}
			if r.status != tc.status || code != tc.code {
				t.Errorf("status %d code %q, want %d %s: %s", r.status, code, tc.status, tc.code, r.body)
			}
		})
	}
	if n := e.fake.calls.Load(); n != 0 {
		t.Errorf("%d operations ran on bad input", n)
	}
	for _, op := range []string{"Boom", "Panic"} {
		r := e.do(t, jsonReq(op, `{}`))
		code, msg := jsonFault(t, r)
		if r.status != 500 || code != "InternalFailure" || strings.Contains(msg, "fire") || strings.Contains(msg, "panic") {
			t.Errorf("%s: %d %s", op, r.status, r.body)
		}
	}
	if len(e.log.lines("level=ERROR", "the disk is on fire")) != 1 || len(e.log.lines("level=ERROR", "test panic")) != 1 {
		t.Errorf("server errors are not logged:\n%s", e.log)
	}
}

func jsonFault(t *testing.T, r response) (code, message string) {
	t.Helper()
	var f struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &f); err != nil {
		t.Fatalf("no JSON error body (%v): %s", err, r.body)
	}
	return f.Type, f.Message
}

func apiError(err error) (code, message string) {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// TestRouterPicksTheService: the SigV4 scope decides for signed requests;
// unsigned ones go by X-Amz-Target, CBOR path, query Version and Action,
// else to the REST service; Reservoir's own endpoints answer GETs without
// markers.
func TestRouterPicksTheService(t *testing.T) {
	e := newEnv(t, envOptions{})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	for _, tc := range []struct {
		name string
		req  request
		want string // X-Served-By, or the body of health
	}{
		{"health", request{method: "GET", path: "/"}, "healthy"},
		{"health signed for a served service", request{method: "GET", path: "/", signAs: "lambda"}, "healthy"},
		{"lambda REST unsigned", request{method: "GET", path: "/2015-03-31/functions"}, "lambda"},
		{"lambda REST signed", request{method: "GET", path: "/2015-03-31/functions", signAs: "lambda"}, "lambda"},
		{"signed lambda POST /", request{method: "POST", path: "/", signAs: "lambda"}, "lambda"},
		{"iam signed", request{method: "POST", path: "/", signAs: "iam", header: form, body: []byte("Action=GetCallerIdentity&Version=2011-06-15")}, "iam"},
		{"sts signed", request{method: "POST", path: "/", signAs: "sts", header: form, body: []byte("Action=GetRole")}, "sts"},
		{"sts by version", request{method: "POST", path: "/", header: form, body: []byte("Action=Anything&Version=2011-06-15")}, "sts"},
		{"sts by action", request{method: "POST", path: "/", header: form, body: []byte("Action=GetCallerIdentity")}, "sts"},
		{"sts by GET", request{method: "GET", path: "/?Action=GetCallerIdentity&Version=2011-06-15"}, "sts"},
		{"iam by version", request{method: "POST", path: "/", header: form, body: []byte("Version=2010-05-08&Action=ListRoles")}, "iam"},
		{"iam by default", request{method: "POST", path: "/", header: form, body: []byte("Action=Frobnicate")}, "iam"},
		{"no action: the first query service", request{method: "POST", path: "/"}, "iam"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.req)
			got := r.header.Get("X-Served-By")
			if got == "" {
				got = string(r.body)
			}
			if r.status != 200 || got != tc.want {
				t.Errorf("served by %q (status %d), want %s", got, r.status, tc.want)
			}
		})
	}
}

// TestRegisterRefusesConflicts: two services cannot share a signing name,
// a marker or the REST fallback, and a refused registration changes nothing.
func TestRegisterRefusesConflicts(t *testing.T) {
	rt := awsproto.NewRouter(awsproto.RouterOptions{})
	h := namedHandler("x")
	must(t, rt.Register(awsproto.Service{SigningName: "a", Handler: h, TargetPrefix: "T", CBORService: "C", QueryVersion: "V", QueryActions: []string{"Act"}, REST: true}))
	for _, s := range []awsproto.Service{
		{SigningName: "a", Handler: h},
		{SigningName: "b", Handler: h, TargetPrefix: "T"},
		{SigningName: "b", Handler: h, CBORService: "C"},
		{SigningName: "b", Handler: h, QueryVersion: "V"},
		{SigningName: "b", Handler: h, QueryActions: []string{"Act"}},
		{SigningName: "b", Handler: h, REST: true},
		{SigningName: "", Handler: h},
		{SigningName: "b"},
	} {
		if err := rt.Register(s); err == nil {
			t.Errorf("Register(%+v) accepted", s)
		}
	}
	if got := rt.Served(); len(got) != 1 || got[0] != "a" {
		t.Errorf("Served() = %v after refused registrations", got)
	}
	if err := rt.RegisterRPC(awsproto.RPCService{SigningName: "c", TargetPrefix: "P"}); err == nil {
		t.Error("RegisterRPC accepted a service without a JSON version")
	}
	if err := rt.RegisterRPC(awsproto.RPCService{SigningName: "c", TargetPrefix: "P", JSONVersion: awsproto.JSON11,
		Operations: map[string]awsproto.Operation{"Op": {}}}); err == nil {
		t.Error("RegisterRPC accepted an operation not made with Op")
	}
}

// TestDebugLogNamesServiceAndOperation: with debug on, each request's line
// names its service and operation; at info there is no request line.
func TestDebugLogNamesServiceAndOperation(t *testing.T) {
	e := newEnv(t, envOptions{level: -4})
	e.do(t, request{method: "POST", path: "/", signAs: "logs", body: []byte(`{}`),
		header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}})
	e.do(t, request{method: "POST", path: "/service/GraniteServiceVersion20100801/operation/ListMetrics",
		header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}})
	e.do(t, request{method: "GET", path: "/2015-03-31/functions"})
	for _, want := range [][]string{
		{"msg=request", "service=logs", "operation=DescribeLogGroups", "status=200"},
		{"msg=request", "service=monitoring", "operation=ListMetrics", "status=200"},
		{"msg=request", "service=lambda", "status=200"},
	} {
		if len(e.log.lines(want...)) != 1 {
			t.Errorf("no one debug line with %v in:\n%s", want, e.log)
		}
	}
	quiet := newEnv(t, envOptions{})
	quiet.do(t, request{method: "POST", path: "/", body: []byte(`{}`), header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}})
	if got := quiet.log.String(); got != "" {
		t.Errorf("logged at info level: %s", got)
	}
}

// TestTimestampWire: Timestamp is epoch seconds in JSON and a tag 1 in
// CBOR, to the millisecond, and refuses what is not a time.
func TestTimestampWire(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		json string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.UnixMilli(1700000000123), "1700000000.123"},
		{time.UnixMilli(-1500), "-1.5"},
	} {
		ts := awsproto.NewTimestamp(tc.t)
		b, err := json.Marshal(ts)
		if err != nil || string(b) != tc.json {
			t.Errorf("JSON of %v = %s, %v; want %s", tc.t, b, err, tc.json)
		}
		var back awsproto.Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.t) {
			t.Errorf("JSON %s read back as %v, %v", b, back, err)
		}
		c, err := cbor.Marshal(ts)
		if err != nil {
			t.Fatal(err)
		}
		var tag cbor.Tag
		if err := cbor.Unmarshal(c, &tag); err != nil || tag.Number != 1 {
			t.Errorf("CBOR of %v is %x (%v), not a tag 1", tc.t, c, err)
		}
		var cback awsproto.Timestamp
		if err := cbor.Unmarshal(c, &cback); err != nil || !cback.Equal(tc.t) {
			t.Errorf("CBOR %x read back as %v, %v", c, cback, err)
		}
	}
	for _, bad := range []string{`"2024-01-01T00:00:00Z"`, `true`, `1e300`, `{}`} {
		var ts awsproto.Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("JSON %s read as %v", bad, ts)
		}
	}
	for _, bad := range []any{"2024-01-01T00:00:00Z", 1700000000, cbor.Tag{Number: 0, Content: "2024-01-01T00:00:00Z"}, cbor.Tag{Number: 1, Content: "x"}, cbor.Tag{Number: 1, Content: 1e300}} {
		b, _ := cbor.Marshal(bad)
		var ts awsproto.Timestamp
		if err := cbor.Unmarshal(b, &ts); err == nil {
			t.Errorf("CBOR %x read as %v", b, ts)
		}
	}
}
