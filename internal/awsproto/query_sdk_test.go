package awsproto_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/aws/smithy-go/transport/http/protocol/rpcv2"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// wireRecorder is an HTTP client that remembers what marks each request's
// protocol: Content-Type, Smithy-Protocol, X-Amz-Target, the form's Action.
type wireRecorder struct {
	mu   sync.Mutex
	seen []wireMarks
}

type wireMarks struct {
	contentType, smithyProtocol, target, action, path string
	gzip                                              bool // Content-Encoding: gzip
}

func (rec *wireRecorder) Do(r *http.Request) (*http.Response, error) {
	m := wireMarks{contentType: r.Header.Get("Content-Type"), smithyProtocol: r.Header.Get("Smithy-Protocol"),
		target: r.Header.Get("X-Amz-Target"), path: r.URL.Path}
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if m.gzip = r.Header.Get("Content-Encoding") == "gzip"; m.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			if b, err = io.ReadAll(zr); err != nil {
				return nil, err
			}
		}
		if a, ok := strings.CutPrefix(string(b), "Action="); ok {
			m.action, _, _ = strings.Cut(a, "&")
		}
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, m)
	rec.mu.Unlock()
	return (&http.Client{Timeout: 30 * time.Second}).Do(r)
}

func (rec *wireRecorder) last() wireMarks {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.seen[len(rec.seen)-1]
}

// TestOneServiceThreeProtocols: aws-sdk-go-v2's CloudWatch client, made to
// speak each of the model's protocols (it sends RPC v2 CBOR by default),
// gets the same service from the same operation table (PutMetricData
// gzipped, as the SDK sends it): the same decoded
// input (nested lists, times, numbers), the same output, the same
// awsQueryCompatible error code, and an operation outside the table is an
// error in its protocol.
func TestOneServiceThreeProtocols(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	at := time.Date(2025, 3, 4, 5, 6, 7, 250_000_000, time.UTC)
	put := &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("Custom/App"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("Latency"), Timestamp: aws.Time(at), Value: aws.Float64(12.5), Unit: cwtypes.StandardUnitMilliseconds,
				Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("fn")}, {Name: aws.String("Resource"), Value: aws.String("fn:1")}}},
			{MetricName: aws.String("Count & <more>"), Values: []float64{1, 2.5, 1e22}, StorageResolution: aws.Int32(1)},
		},
	}
	wantPut := putMetricDataIn{Namespace: "Custom/App", MetricData: []metricDatum{
		{MetricName: "Latency", Timestamp: &awsproto.Timestamp{Time: at}, Value: aws.Float64(12.5), Unit: "Milliseconds",
			Dimensions: []dimension{{"FunctionName", "fn"}, {"Resource", "fn:1"}}},
		{MetricName: "Count & <more>", Values: []float64{1, 2.5, 1e22}, StorageResolution: aws.Int32(1)},
	}}
	for _, tc := range []struct {
		name     string
		protocol smithyhttp.ClientProtocol
		want     wireMarks // what the client sends, path and action aside
	}{
		{"default (rpc-v2-cbor)", nil, wireMarks{contentType: "application/cbor", smithyProtocol: "rpc-v2-cbor"}},
		{"rpc-v2-cbor", rpcv2.NewCBOR(schemas.GraniteServiceVersion20100801), wireMarks{contentType: "application/cbor", smithyProtocol: "rpc-v2-cbor"}},
		{"json 1.0", awsjson.New10(schemas.GraniteServiceVersion20100801), wireMarks{contentType: "application/x-amz-json-1.0", target: "GraniteServiceVersion20100801.PutMetricData"}},
		{"query", awsquery.New(schemas.GraniteServiceVersion20100801), wireMarks{contentType: "application/x-www-form-urlencoded", action: "PutMetricData"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &wireRecorder{}
			cfg := e.sdkConfig()
			cfg.HTTPClient = rec
			cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
				if tc.protocol != nil {
					o.Protocol = tc.protocol
				}
			})
			if _, err := cw.PutMetricData(ctx, put); err != nil {
				t.Fatal(err)
			}
			got := rec.last()
			got.path = ""
			tc.want.gzip = true // PutMetricData has the requestCompression trait
			if got != tc.want {
				t.Errorf("PutMetricData went out as %+v, want %+v", got, tc.want)
			}
			if in := e.fake.lastPut(); !reflect.DeepEqual(in, wantPut) {
				t.Errorf("PutMetricData decoded as\n%+v\nwant\n%+v", in, wantPut)
			}
			if c := e.fake.lastCaller(); c.Service != "monitoring" || c.Account != "210987654321" || c.Region != "eu-west-1" {
				t.Errorf("the operation saw caller %+v", c)
			}

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

			_, err = cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "b"}})
			var nf *cwtypes.ResourceNotFound
			if !errors.As(err, &nf) || nf.ErrorMessage() != "2 alarms were not found: a,b" {
				t.Errorf("DeleteAlarms: %v", err)
			}
			before := e.fake.calls.Load()
			_, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			wantCode := "UnknownOperationException"
			if tc.want.action != "" {
				wantCode = "InvalidAction"
			}
			if code, _ := apiError(err); code != wantCode {
				t.Errorf("an operation outside the table: %v, want %s", err, wantCode)
			}
			if e.fake.calls.Load() != before {
				t.Error("an unknown operation ran something")
			}
		})
	}
	if n := len(e.log.lines()); n != 0 {
		t.Errorf("the server logged:\n%s", e.log)
	}
}

// TestQueryRequestsRaw: query requests to the RPC service, signed and
// unsigned, as a POST form (also gzipped) and as a GET: the XML envelope, its namespace
// and request ID, and the query protocol's own errors.
func TestQueryRequestsRaw(t *testing.T) {
	e := newEnv(t, envOptions{})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	gzipForm := map[string]string{"Content-Type": form["Content-Type"], "Content-Encoding": "gzip"}
	list := "Action=ListMetrics&Version=2010-08-01&Namespace=Custom"
	for _, rq := range []request{
		{method: "POST", path: "/", header: form, body: []byte(list)},
		{method: "POST", path: "/", header: form, body: []byte(list), signAs: "monitoring"},
		{method: "GET", path: "/?" + list},
		{method: "GET", path: "/?" + list, signAs: "monitoring"},
		{method: "POST", path: "/", header: gzipForm, body: gzipped(t, list)},
	} {
		r := e.do(t, rq)
		want := `<ListMetricsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ListMetricsResult><Metrics><member>` +
			`<Namespace>Custom</Namespace><MetricName>Throttles</MetricName></member></Metrics></ListMetricsResult>` +
			`<ResponseMetadata><RequestId>` + r.header.Get("X-Amzn-RequestId") + `</RequestId></ResponseMetadata></ListMetricsResponse>`
		if r.status != 200 || r.header.Get("Content-Type") != "text/xml" || string(r.body) != want || r.header.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s signed=%q: %d %v\n%s", rq.method, rq.signAs, r.status, r.header, r.body)
		}
	}
	for _, tc := range []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"missing action", request{method: "POST", path: "/", header: form, body: []byte("Version=2010-08-01"), signAs: "monitoring"}, 400, "MissingAction"},
		{"unknown action", request{method: "POST", path: "/", header: form, body: []byte("Action=PutDashboard&Version=2010-08-01")}, 400, "InvalidAction"},
		{"other version", request{method: "POST", path: "/", header: form, body: []byte("Action=ListMetrics&Version=2009-01-01"), signAs: "monitoring"}, 400, "InvalidAction"},
		{"bad number", request{method: "POST", path: "/", header: form, body: []byte("Action=GetMetricStatistics&Version=2010-08-01&Period=sixty")}, 400, "InvalidParameterValue"},
		{"bad time", request{method: "POST", path: "/", header: form, body: []byte("Action=GetMetricStatistics&Version=2010-08-01&StartTime=noon")}, 400, "InvalidParameterValue"},
		{"bad list index", request{method: "POST", path: "/", header: form, body: []byte("Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.first=a")}, 400, "InvalidParameterValue"},
		{"bad form", request{method: "POST", path: "/", header: form, body: []byte("Action=ListMetrics&Version=2010-08-01&x=%zz"), signAs: "monitoring"}, 400, "MalformedQueryString"},
		{"too large", request{method: "POST", path: "/", header: form, body: []byte("Action=ListMetrics&Version=2010-08-01&Namespace=" + strings.Repeat("a", 2<<20)), signAs: "monitoring"}, 413, "RequestEntityTooLarge"},
		{"gzip bomb", request{method: "POST", path: "/", header: gzipForm, body: gzipped(t, "Action=ListMetrics&Version=2010-08-01&Namespace="+strings.Repeat("a", 2<<20)), signAs: "monitoring"}, 413, "RequestEntityTooLarge"},
		{"not gzip", request{method: "POST", path: "/", header: gzipForm, body: []byte("Action=ListMetrics&Version=2010-08-01"), signAs: "monitoring"}, 400, "MalformedQueryString"},
		{"domain error", request{method: "POST", path: "/", header: form, body: []byte("Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.1=x")}, 404, "ResourceNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.req)
			var f struct {
				XMLName   xml.Name `xml:"ErrorResponse"`
				NS        string   `xml:"xmlns,attr"`
				Type      string   `xml:"Error>Type"`
				Code      string   `xml:"Error>Code"`
				Message   string   `xml:"Error>Message"`
				RequestID string   `xml:"RequestId"`
			}
			if err := xml.Unmarshal(r.body, &f); err != nil {
				t.Fatalf("no XML error (%v): %s", err, r.body)
			}
			if r.status != tc.status || f.Code != tc.code || f.Type != "Sender" || f.Message == "" ||
				f.NS != "http://monitoring.amazonaws.com/doc/2010-08-01/" || f.RequestID != r.header.Get("X-Amzn-RequestId") {
				t.Errorf("%d %+v, want %d %s", r.status, f, tc.status, tc.code)
			}
		})
	}
	if n := e.fake.calls.Load(); n != 6 {
		t.Errorf("%d operations ran, want 6 (5 ListMetrics, 1 DeleteAlarms)", n)
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
