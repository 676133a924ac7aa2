package awsproto_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/fxamacker/cbor/v2"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// TestNotServedInEachProtocol: a request for a service nobody registered is
// answered 501 NotImplemented in that service's own protocol, naming the
// service and the variable that points its endpoint elsewhere, and logged
// at Warn with the service and operation asked for.
func TestNotServedInEachProtocol(t *testing.T) {
	e := newEnv(t, envOptions{level: 4, noRPC: true}) // warnings only; Lambda, IAM and STS served
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	type xmlFault struct {
		XMLName xml.Name
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
		EC2Code string `xml:"Errors>Error>Code"`
		EC2Msg  string `xml:"Errors>Error>Message"`
		S3Code  string `xml:"Code"`
		S3Msg   string `xml:"Message"`
	}
	for _, tc := range []struct {
		name      string
		req       request
		protocol  string // how the answer is written: json, cbor, query, ec2, s3, restxml, restjson
		service   string // in the message
		env       string // AWS_ENDPOINT_URL_<env>, "" when unknown
		logged    string // service= in the Warn line
		operation string
	}{
		{"s3 ListBuckets", request{method: "GET", path: "/", signAs: "s3"}, "s3", "S3 (s3)", "S3", "s3", "GET /"},
		{"sqs json 1.0", request{method: "POST", path: "/", signAs: "sqs", body: []byte(`{}`),
			header: map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}}, "json", "SQS (sqs)", "SQS", "sqs", "ListQueues"},
		{"dynamodb unsigned", request{method: "POST", path: "/", body: []byte(`{}`),
			header: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables"}}, "json", "DynamoDB (dynamodb)", "DYNAMODB", "dynamodb", "ListTables"},
		{"kinesis json 1.1", request{method: "POST", path: "/", signAs: "kinesis", body: []byte(`{}`),
			header: map[string]string{"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"}}, "json", "Kinesis (kinesis)", "KINESIS", "kinesis", "ListStreams"},
		{"sns query", request{method: "POST", path: "/", signAs: "sns", header: form, body: []byte("Action=ListTopics&Version=2010-03-31")}, "query", "SNS (sns)", "SNS", "sns", "ListTopics"},
		{"sns unsigned by version", request{method: "POST", path: "/", header: form, body: []byte("Action=ListTopics&Version=2010-03-31")}, "query", "SNS (sns)", "SNS", "sns", "ListTopics"},
		{"ec2", request{method: "POST", path: "/", signAs: "ec2", header: form, body: []byte("Action=DescribeInstances&Version=2016-11-15")}, "ec2", "EC2 (ec2)", "EC2", "ec2", "DescribeInstances"},
		{"route53 rest-xml", request{method: "GET", path: "/2013-04-01/hostedzone", signAs: "route53"}, "restxml", "Route 53 (route53)", "ROUTE_53", "route53", "GET /2013-04-01/hostedzone"},
		{"api gateway rest-json", request{method: "GET", path: "/restapis", signAs: "apigateway"}, "restjson", "API Gateway (apigateway)", "API_GATEWAY", "apigateway", "GET /restapis"},
		{"cloudwatch cbor unsigned", request{method: "POST", path: "/service/GraniteServiceVersion20100801/operation/ListMetrics",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}}, "cbor", "CloudWatch (monitoring)", "CLOUDWATCH", "monitoring", "ListMetrics"},
		{"unknown signing name", request{method: "GET", path: "/things", signAs: "frobnicator"}, "restjson", "the service frobnicator", "", "frobnicator", "GET /things"},
		{"unknown target prefix", request{method: "POST", path: "/", body: []byte(`{}`),
			header: map[string]string{"X-Amz-Target": "Nobody_20990101.Anything"}}, "json", "an AWS service", "", "", "Anything"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged := len(e.log.String())
			r := e.do(t, tc.req)
			if r.status != 501 {
				t.Errorf("status %d, want 501: %s", r.status, r.body)
			}
			var code, msg string
			switch tc.protocol {
			case "json", "restjson":
				code, msg = jsonFault(t, r)
				if tc.protocol == "restjson" {
					code = r.header.Get("X-Amzn-ErrorType")
				} else if !strings.HasPrefix(r.header.Get("Content-Type"), "application/x-amz-json-1.") {
					t.Errorf("content type %q", r.header.Get("Content-Type"))
				}
			case "cbor":
				var f map[string]string
				if err := cbor.Unmarshal(r.body, &f); err != nil {
					t.Fatalf("no CBOR body (%v): %x", err, r.body)
				}
				code, msg = f["__type"], f["message"]
				if r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
					t.Errorf("no Smithy-Protocol header: %v", r.header)
				}
			default:
				var f xmlFault
				if err := xml.Unmarshal(r.body, &f); err != nil {
					t.Fatalf("no XML body (%v): %s", err, r.body)
				}
				want := map[string]string{"query": "ErrorResponse", "restxml": "ErrorResponse", "ec2": "Response", "s3": "Error"}[tc.protocol]
				if f.XMLName.Local != want {
					t.Errorf("root element %s, want %s: %s", f.XMLName.Local, want, r.body)
				}
				code, msg = f.Code+f.EC2Code+f.S3Code, f.Message+f.EC2Msg+f.S3Msg
			}
			if code != awsproto.NotServedCode {
				t.Errorf("code %q, want %s: %s", code, awsproto.NotServedCode, r.body)
			}
			if !strings.Contains(msg, "Reservoir does not serve "+tc.service) || !strings.Contains(msg, "it serves IAM, Lambda and STS on this endpoint") {
				t.Errorf("message %q does not name %s and what is served", msg, tc.service)
			}
			if tc.env != "" && !strings.Contains(msg, "AWS_ENDPOINT_URL_"+tc.env) {
				t.Errorf("message %q does not name AWS_ENDPOINT_URL_%s", msg, tc.env)
			}
			warned := strings.Split(strings.TrimSpace(e.log.String()[logged:]), "\n")
			op := "operation=" + tc.operation
			if strings.Contains(tc.operation, " ") {
				op = `operation="` + tc.operation + `"`
			}
			if len(warned) != 1 || !strings.Contains(warned[0], "level=WARN") || !strings.Contains(warned[0], op) ||
				(tc.logged != "" && !strings.Contains(warned[0], "service="+tc.logged+" ")) {
				t.Errorf("want one Warn line with service=%s %s, got %q", tc.logged, op, warned)
			}
		})
	}
}

// TestNotServedIsNotRetried: aws-sdk-go-v2, with its default of three
// attempts, gets NotImplemented from its first request for DynamoDB (JSON
// 1.0), and CloudWatch (CBOR) and CloudWatch Logs (JSON 1.1) when those are
// not registered, and does not retry it.
func TestNotServedIsNotRetried(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{noRPC: true})
	calls := []struct {
		name string
		call func() error
	}{
		{"dynamodb", func() error {
			_, err := dynamodb.NewFromConfig(e.sdkConfig()).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}},
		{"cloudwatch", func() error {
			_, err := cloudwatch.NewFromConfig(e.sdkConfig()).ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/Lambda")})
			return err
		}},
		{"logs", func() error {
			_, err := cloudwatchlogs.NewFromConfig(e.sdkConfig()).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		}},
	}
	for _, c := range calls {
		before := e.requests.Load()
		err := c.call()
		code, msg := apiError(err)
		if code != awsproto.NotServedCode || !strings.Contains(msg, "Reservoir does not serve") {
			t.Errorf("%s: %v", c.name, err)
		}
		if n := e.requests.Load() - before; n != 1 {
			t.Errorf("%s: the SDK sent %d requests, want 1 (no retry)", c.name, n)
		}
	}
}

// TestNotServedBeforeTheSignatureCheck: the guard (--auth sigv4) covers the
// registered services and answers their refusals in their protocol; a
// request for a service not served is told so whatever its signature, and
// Reservoir's own endpoints stay open.
func TestNotServedBeforeTheSignatureCheck(t *testing.T) {
	creds := awsproto.Credentials{"210987654321": "secret"}
	e := newEnv(t, envOptions{guard: func(h http.Handler) http.Handler {
		return awsproto.RequireSigV4(creds, time.Now, func(*http.Request) bool { return false }, h)
	}})
	logsReq := func(signAs, secret string) request {
		return request{method: "POST", path: "/", body: []byte(`{}`), signAs: signAs, secret: secret,
			header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"}}
	}
	cborReq := request{method: "POST", path: "/service/GraniteServiceVersion20100801/operation/ListMetrics", signAs: "monitoring", secret: "wrong",
		header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}}
	if r := e.do(t, logsReq("logs", "")); r.status != 200 {
		t.Errorf("a good signature: %d %s", r.status, r.body)
	}
	r := e.do(t, logsReq("logs", "wrong"))
	if code, _ := jsonFault(t, r); r.status != 403 || code != "InvalidSignatureException" || r.header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Errorf("a bad JSON signature: %d %v %s", r.status, r.header, r.body)
	}
	r = e.do(t, logsReq("", ""))
	if code, _ := jsonFault(t, r); r.status != 403 || code != "MissingAuthenticationTokenException" {
		t.Errorf("an unsigned JSON request: %d %s", r.status, r.body)
	}
	r = e.do(t, cborReq)
	var f map[string]string
	if err := cbor.Unmarshal(r.body, &f); err != nil || r.status != 403 || f["__type"] != "InvalidSignatureException" {
		t.Errorf("a bad CBOR signature: %d %x (%v)", r.status, r.body, err)
	}
	r = e.do(t, request{method: "POST", path: "/", signAs: "iam", secret: "wrong", body: []byte("Action=GetRole&Version=2010-05-08"),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if r.status != 403 || !strings.Contains(string(r.body), "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("a bad query signature: %d %s", r.status, r.body)
	}
	r = e.do(t, request{method: "GET", path: "/", signAs: "s3", secret: "wrong"})
	if r.status != 501 || !strings.Contains(string(r.body), "<Code>NotImplemented</Code>") {
		t.Errorf("S3 with a bad signature: %d %s", r.status, r.body)
	}
	if r := e.do(t, request{method: "GET", path: "/"}); r.status != 200 || string(r.body) != "healthy" {
		t.Errorf("health: %d %s", r.status, r.body)
	}
	if n := e.fake.calls.Load(); n != 1 {
		t.Errorf("%d operations ran, want the one well signed", n)
	}
}
