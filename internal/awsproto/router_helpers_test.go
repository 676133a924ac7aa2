package awsproto_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// The test-only services: a JSON 1.1 "logs" and a JSON 1.0 + RPC v2 CBOR
// "monitoring", with the names, targets and a few operations of CloudWatch
// Logs and CloudWatch, so that the real SDK clients of those services can
// call them.

type describeLogGroupsIn struct {
	LogGroupNamePrefix *string `json:"logGroupNamePrefix,omitempty"`
	Limit              *int32  `json:"limit,omitempty"`
}

type logGroup struct {
	LogGroupName    string `json:"logGroupName"`
	CreationTime    int64  `json:"creationTime"`
	RetentionInDays *int32 `json:"retentionInDays,omitempty"`
}

type describeLogGroupsOut struct {
	LogGroups []logGroup `json:"logGroups"`
}

type deleteLogGroupIn struct {
	LogGroupName string `json:"logGroupName"`
}

type getMetricStatisticsIn struct {
	Namespace  string             `json:"Namespace"`
	MetricName string             `json:"MetricName"`
	StartTime  awsproto.Timestamp `json:"StartTime"`
	EndTime    awsproto.Timestamp `json:"EndTime"`
	Period     int32              `json:"Period"`
	Statistics []string           `json:"Statistics,omitempty"`
}

type datapoint struct {
	Timestamp awsproto.Timestamp `json:"Timestamp"`
	Sum       *float64           `json:"Sum,omitempty"`
	Unit      string             `json:"Unit,omitempty"`
}

type getMetricStatisticsOut struct {
	Label      string      `json:"Label"`
	Datapoints []datapoint `json:"Datapoints"`
}

type metric struct {
	Namespace  string `json:"Namespace"`
	MetricName string `json:"MetricName"`
}

type listMetricsIn struct {
	Namespace *string `json:"Namespace,omitempty"`
}

type listMetricsOut struct {
	Metrics []metric `json:"Metrics"`
}

type empty struct{}

type dimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type metricDatum struct {
	MetricName        string              `json:"MetricName"`
	Dimensions        []dimension         `json:"Dimensions,omitempty"`
	Timestamp         *awsproto.Timestamp `json:"Timestamp,omitempty"`
	Value             *float64            `json:"Value,omitempty"`
	Values            []float64           `json:"Values,omitempty"`
	Unit              string              `json:"Unit,omitempty"`
	StorageResolution *int32              `json:"StorageResolution,omitempty"`
}

type putMetricDataIn struct {
	Namespace              string        `json:"Namespace"`
	MetricData             []metricDatum `json:"MetricData,omitempty"`
	StrictEntityValidation *bool         `json:"StrictEntityValidation,omitempty"`
}

type deleteAlarmsIn struct {
	AlarmNames []string `json:"AlarmNames"`
}

// errNoGroup is the test domain's not-found error; its error table maps it.
var errNoGroup = errors.New("no such log group")

// fakeServices holds what the test-only services saw.
type fakeServices struct {
	calls   atomic.Int64 // operations that ran
	mu      sync.Mutex
	callers []awsproto.Caller
	puts    []putMetricDataIn // PutMetricData inputs, as decoded
}

func (f *fakeServices) lastPut() putMetricDataIn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.puts) == 0 {
		return putMetricDataIn{}
	}
	return f.puts[len(f.puts)-1]
}

func (f *fakeServices) record(ctx context.Context) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callers = append(f.callers, awsproto.CallerOf(ctx))
}

func (f *fakeServices) lastCaller() awsproto.Caller {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.callers) == 0 {
		return awsproto.Caller{}
	}
	return f.callers[len(f.callers)-1]
}

func (f *fakeServices) logs() awsproto.RPCService {
	return awsproto.RPCService{
		SigningName: "logs", TargetPrefix: "Logs_20140328", JSONVersion: awsproto.JSON11,
		MaxBodyBytes: 4096,
		Operations: map[string]awsproto.Operation{
			"DescribeLogGroups": awsproto.Op(func(ctx context.Context, in *describeLogGroupsIn) (*describeLogGroupsOut, error) {
				f.record(ctx)
				name := "/aws/lambda/fn"
				if in.LogGroupNamePrefix != nil {
					name = *in.LogGroupNamePrefix + "-group"
				}
				days := int32(7)
				return &describeLogGroupsOut{LogGroups: []logGroup{{LogGroupName: name, CreationTime: 1700000000123, RetentionInDays: &days}}}, nil
			}),
			"DeleteLogGroup": awsproto.Op(func(ctx context.Context, in *deleteLogGroupIn) (*empty, error) {
				f.record(ctx)
				if in.LogGroupName == "gone" {
					return nil, errNoGroup
				}
				return nil, nil
			}),
			"Boom": awsproto.Op(func(ctx context.Context, _ *empty) (*empty, error) {
				f.record(ctx)
				return nil, errors.New("the disk is on fire")
			}),
			"Panic": awsproto.Op(func(ctx context.Context, _ *empty) (*empty, error) {
				f.record(ctx)
				panic("test panic")
			}),
		},
		Errors: func(err error) (*awsproto.RPCError, bool) {
			if errors.Is(err, errNoGroup) {
				return &awsproto.RPCError{Status: 400, Code: "ResourceNotFoundException", Message: "The specified log group does not exist."}, true
			}
			return nil, false
		},
	}
}

func (f *fakeServices) monitoring() awsproto.RPCService {
	return awsproto.RPCService{
		SigningName: "monitoring", TargetPrefix: "GraniteServiceVersion20100801", JSONVersion: awsproto.JSON10,
		CBORService:  "GraniteServiceVersion20100801",
		QueryVersion: "2010-08-01", QueryNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/",
		Operations: map[string]awsproto.Operation{
			"PutMetricData": awsproto.Op(func(ctx context.Context, in *putMetricDataIn) (*empty, error) {
				f.record(ctx)
				f.mu.Lock()
				defer f.mu.Unlock()
				f.puts = append(f.puts, *in)
				return nil, nil
			}),
			// DeleteAlarms refuses every name, as CloudWatch's
			// awsQueryCompatible errors are written: the JSON/CBOR code
			// and, for the query protocol and its header, the query code.
			"DeleteAlarms": awsproto.Op(func(ctx context.Context, in *deleteAlarmsIn) (*empty, error) {
				f.record(ctx)
				return nil, &awsproto.RPCError{Status: 404, Code: "ResourceNotFound", QueryCode: "ResourceNotFound",
					Message: fmt.Sprintf("%d alarms were not found: %s", len(in.AlarmNames), strings.Join(in.AlarmNames, ","))}
			}),
			"GetMetricStatistics": awsproto.Op(func(ctx context.Context, in *getMetricStatisticsIn) (*getMetricStatisticsOut, error) {
				f.record(ctx)
				sum := float64(in.Period) + 0.5
				return &getMetricStatisticsOut{Label: in.MetricName, Datapoints: []datapoint{
					{Timestamp: awsproto.NewTimestamp(in.StartTime.Add(time.Minute)), Sum: &sum, Unit: "Count"},
				}}, nil
			}),
			"ListMetrics": awsproto.Op(func(ctx context.Context, in *listMetricsIn) (*listMetricsOut, error) {
				f.record(ctx)
				ns := "AWS/Lambda"
				if in.Namespace != nil {
					ns = *in.Namespace
				}
				return &listMetricsOut{Metrics: []metric{{Namespace: ns, MetricName: "Throttles"}}}, nil
			}),
		},
	}
}

// namedHandler answers 200 with its name, standing for a served service
// the router hands requests to (Lambda, IAM, STS).
func namedHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", name)
		_, _ = io.WriteString(w, name)
	})
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines containing every one of parts.
func (b *syncBuffer) lines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		ok := l != ""
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// env is a router behind Middleware on a test server, with the test-only
// services, fake Lambda, IAM and STS handlers, and a health endpoint.
type env struct {
	url      string
	fake     *fakeServices
	log      *syncBuffer
	requests atomic.Int64 // every request the server received
}

type envOptions struct {
	level     slog.Level
	guard     func(http.Handler) http.Handler
	noRPC     bool // register neither test-only RPC service
	noServers bool // register no service at all
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{fake: &fakeServices{}, log: &syncBuffer{}}
	h := newHandler(t, o, e.fake, e.log)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// newHandler is the router, with the services o asks for, behind Middleware.
func newHandler(t testing.TB, o envOptions, fake *fakeServices, log io.Writer) http.Handler {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: o.level}))
	own := http.NewServeMux()
	own.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "healthy") })
	rt := awsproto.NewRouter(awsproto.RouterOptions{Logger: logger, Guard: o.guard, Own: own})
	if !o.noServers {
		must(t, rt.Register(awsproto.Service{SigningName: "lambda", Handler: namedHandler("lambda"), REST: true}))
		must(t, rt.Register(awsproto.Service{SigningName: "iam", Handler: namedHandler("iam"), QueryVersion: "2010-05-08", QueryActions: []string{"GetRole"}}))
		must(t, rt.Register(awsproto.Service{SigningName: "sts", Handler: namedHandler("sts"), QueryVersion: "2011-06-15", QueryActions: []string{"GetCallerIdentity"}}))
	}
	if !o.noRPC && !o.noServers {
		must(t, rt.RegisterRPC(fake.logs()))
		must(t, rt.RegisterRPC(fake.monitoring()))
	}
	return awsproto.Middleware(logger, rt)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sdkConfig is an aws-sdk-go-v2 config for the env, with the SDK's default
// retries (3 attempts): a test can see whether it retried.
func (e *env) sdkConfig() aws.Config {
	return aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("210987654321", "secret", ""),
		BaseEndpoint: aws.String(e.url),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
}

// request is one raw HTTP request to the env.
type request struct {
	method, path string
	header       map[string]string
	body         []byte
	// signAs, if set, signs the request with SigV4 for that service
	// (access key 210987654321, region eu-west-1).
	signAs string
	secret string // "" is "secret"
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t *testing.T, rq request) response {
	t.Helper()
	req, err := http.NewRequest(rq.method, e.url+rq.path, bytes.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if rq.signAs != "" {
		secret := rq.secret
		if secret == "" {
			secret = "secret"
		}
		sum := sha256.Sum256(rq.body)
		creds := aws.Credentials{AccessKeyID: "210987654321", SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), rq.signAs, "eu-west-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}
