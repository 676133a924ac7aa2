package lambdaapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/lambdaapi"
	"github.com/reservoir-dev/reservoir/internal/simulate"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// fzExecutor provisions like the simulate executor and answers every
// invocation with its payload, so that Invoke's whole wire path runs.
type fzExecutor struct{ sim *simulate.Executor }

func (e fzExecutor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	e.sim.Provision(t, n, report)
}

func (e fzExecutor) Retire(lambda.RetireTarget) {}

func (e fzExecutor) Start(t lambda.InvocationTarget, inv lambda.Invocation, admit lambda.Admit) (lambda.Execution, error) {
	release, err := admit(false)
	if err != nil {
		return nil, err
	}
	defer release()
	res := lambda.InvocationResult{Payload: inv.Payload, Log: []byte("START\nEND\n")}
	if bytes.Contains(inv.Payload, []byte("fail")) {
		res.FunctionError = "Unhandled"
	}
	return fzRun(res), nil
}

// fzRun is an invocation that has already ended.
type fzRun lambda.InvocationResult

func (r fzRun) Wait(context.Context) (lambda.InvocationResult, error) {
	return lambda.InvocationResult(r), nil
}

// fzLog records error-level logs: a panic or an internal error is logged
// there before it becomes a 500.
type fzLog struct{ lines chan string }

func (h fzLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h fzLog) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		s += " " + a.String()
		return true
	})
	select {
	case h.lines <- s:
	default:
	}
	return nil
}
func (h fzLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h fzLog) WithGroup(string) slog.Handler      { return h }

const fzAuth = "AWS4-HMAC-SHA256 Credential=111111111111/20261121/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"

// fzServer builds the wire layer as internal/app wires it (middleware, the
// Lambda routes, the unknown-operation fallback) over a bbolt store, and
// gives it a function with a version, an alias, a reservation, a
// provisioned config and a tag to find.
func fzServer(f *testing.F) (http.Handler, fzLog) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	sim := simulate.New(time.Millisecond)
	log := fzLog{lines: make(chan string, 16)}
	logger := slog.New(log)
	svc, err := lambda.NewService(ctx, lambda.Options{Store: st, Executor: fzExecutor{sim}, Logger: logger,
		Async: lambda.AsyncOptions{RetryDelay: time.Millisecond}})
	if err != nil {
		f.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		svc.Close()
		sim.Close()
		_ = st.Close()
	})
	mux := http.NewServeMux()
	if err := lambdaapi.Register(mux, svc, logger, lambdaapi.Options{
		CodeURLKey: bytes.Repeat([]byte{7}, 32), BaseURL: "http://127.0.0.1:9001",
	}); err != nil {
		f.Fatal(err)
	}
	mux.HandleFunc("/", lambdaapi.UnknownOperation)
	h := awsproto.Middleware(logger, mux)

	zip := base64.StdEncoding.EncodeToString(zipOf(f, echoZip))
	for _, step := range []struct{ method, path, body string }{
		{"POST", "/2015-03-31/functions", `{"FunctionName":"fn1","Runtime":"python3.12","Handler":"h.h","Role":"arn:aws:iam::111111111111:role/r","Publish":true,"Code":{"ZipFile":"` + zip + `"},"Tags":{"team":"a"}}`},
		{"POST", "/2015-03-31/functions/fn1/aliases", `{"Name":"live","FunctionVersion":"1"}`},
		{"PUT", "/2017-10-31/functions/fn1/concurrency", `{"ReservedConcurrentExecutions":5}`},
		{"PUT", "/2019-09-30/functions/fn1/provisioned-concurrency?Qualifier=live", `{"ProvisionedConcurrentExecutions":2}`},
	} {
		req := httptest.NewRequest(step.method, step.path, strings.NewReader(step.body))
		req.Header.Set("Authorization", fzAuth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			f.Fatalf("%s %s: %d %s", step.method, step.path, rec.Code, rec.Body)
		}
	}
	return h, log
}

// validToken reports whether s is an HTTP token, as a request method must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether net/http's server would accept v.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzHandler sends arbitrary requests (method, path, query, body and the
// headers the Lambda API reads) to the full Lambda wire layer. It must never
// panic or answer 5xx, and every 4xx is AWS's JSON error envelope with an
// X-Amzn-ErrorType header.
func FuzzHandler(f *testing.F) {
	seeds := []struct{ method, path, query, body string }{
		{"POST", "/2015-03-31/functions", "", `{"FunctionName":"fz","Runtime":"python3.12","Handler":"h.h","Role":"arn:aws:iam::111111111111:role/r","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"Publish":true,"Environment":{"Variables":{"A":"b"}},"MemorySize":256,"Timeout":5,"Architectures":["arm64"],"TracingConfig":{"Mode":"Active"},"EphemeralStorage":{"Size":1024}}`},
		{"POST", "/2015-03-31/functions", "", `{"FunctionName":"fz2","Runtime":"nodejs20.x","Role":"arn:aws:iam::111111111111:role/r","Code":{"S3Bucket":"b","S3Key":"k"},"PackageType":"Image"}`},
		{"GET", "/2015-03-31/functions", "MaxItems=1&Marker=x&FunctionVersion=ALL", ""},
		{"GET", "/2015-03-31/functions/fn1", "Qualifier=live", ""},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Afn1%3A1", "", ""},
		{"GET", "/2015-03-31/functions/111111111111:function:fn1/configuration", "Qualifier=$LATEST", ""},
		{"DELETE", "/2015-03-31/functions/fn1", "Qualifier=1", ""},
		{"PUT", "/2015-03-31/functions/fn1/configuration", "", `{"Timeout":7,"Description":"d","Environment":{"Variables":{}},"RevisionId":"x"}`},
		{"PUT", "/2015-03-31/functions/fn1/code", "", `{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==","Publish":true,"DryRun":false}`},
		{"POST", "/2015-03-31/functions/fn1/versions", "", `{"Description":"v","CodeSha256":"abc"}`},
		{"GET", "/2015-03-31/functions/fn1/versions", "MaxItems=10000", ""},
		{"POST", "/2015-03-31/functions/fn1/aliases", "", `{"Name":"beta","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"1":0.5}}}`},
		{"GET", "/2015-03-31/functions/fn1/aliases", "FunctionVersion=1&MaxItems=2", ""},
		{"GET", "/2015-03-31/functions/fn1/aliases/live", "", ""},
		{"PUT", "/2015-03-31/functions/fn1/aliases/live", "", `{"FunctionVersion":"$LATEST","RevisionId":""}`},
		{"DELETE", "/2015-03-31/functions/fn1/aliases/live", "", ""},
		{"POST", "/2015-03-31/functions/fn1/invocations", "Qualifier=live", `{"a":1}`},
		{"POST", "/2015-03-31/functions/fn1:1/invocations", "", `{"fail":true}`},
		{"PUT", "/2017-10-31/functions/fn1/concurrency", "", `{"ReservedConcurrentExecutions":0}`},
		{"GET", "/2019-09-30/functions/fn1/concurrency", "", ""},
		{"DELETE", "/2017-10-31/functions/fn1/concurrency", "", ""},
		{"PUT", "/2019-09-30/functions/fn1/provisioned-concurrency", "Qualifier=1", `{"ProvisionedConcurrentExecutions":1}`},
		{"GET", "/2019-09-30/functions/fn1/provisioned-concurrency", "Qualifier=live", ""},
		{"GET", "/2019-09-30/functions/fn1/provisioned-concurrency", "List=ALL&MaxItems=1", ""},
		{"DELETE", "/2019-09-30/functions/fn1/provisioned-concurrency", "Qualifier=live", ""},
		{"GET", "/2016-08-19/account-settings/", "", ""},
		{"POST", "/2017-03-31/tags/arn:aws:lambda:us-east-1:111111111111:function:fn1", "", `{"Tags":{"k":"v"}}`},
		{"DELETE", "/2017-03-31/tags/arn:aws:lambda:us-east-1:111111111111:function:fn1", "tagKeys=k&tagKeys=team", ""},
		{"GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Afn1", "", ""},
		{"GET", "/2020-06-30/functions/fn1/code-signing-config", "", ""},
		{"GET", "/2015-03-31/functions/fn1/policy", "Qualifier=1", ""},
		{"POST", "/2015-03-31/functions/fn1/policy", "Qualifier=live", `{"StatementId":"s1","Action":"lambda:InvokeFunction","Principal":"222222222222","SourceArn":"arn:aws:s3:::b","SourceAccount":"111111111111","PrincipalOrgID":"o-abcdefghij","FunctionUrlAuthType":"NONE","RevisionId":"x"}`},
		{"DELETE", "/2015-03-31/functions/fn1/policy/s1", "Qualifier=live&RevisionId=x", ""},
		{"POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Afn1/invocations", "Qualifier=live", `{}`},
		{"GET", "/2019-09-25/functions/fn1/event-invoke-config", "Qualifier=live", ""},
		{"GET", "/2021-07-20/functions/fn1/runtime-management-config", "Qualifier=1", ""},
		{"GET", "/2024-08-31/functions/fn1/recursion-config", "", ""},
		{"GET", "/2021-10-31/functions/fn1/urls", "", ""},
		{"POST", "/2021-10-31/functions/fn1/url", "Qualifier=live", `{"AuthType":"NONE","Cors":{"AllowOrigins":["*"],"AllowMethods":["GET"],"MaxAge":60,"AllowCredentials":true},"InvokeMode":"RESPONSE_STREAM"}`},
		{"POST", "/2021-10-31/functions/fn1/url", "Qualifier=1", `{"AuthType":"AWS_IAM"}`},
		{"PUT", "/2021-10-31/functions/fn1/url", "", `{"AuthType":"OPEN","Cors":{"MaxAge":-1,"AllowMethods":["GET","PUT","POST","PATCH","DELETE","HEAD","OPTIONS"]}}`},
		{"GET", "/2021-10-31/functions/fn1:live/url", "", ""},
		{"DELETE", "/2021-10-31/functions/fn1/url", "Qualifier=$LATEST", ""},
		{"GET", "/2021-10-31/functions/fn1/urls", "MaxItems=1&Marker=o1", ""},
		{"GET", "/_reservoir/code/111111111111/us-east-1/fn1/1", "", ""},
		{"GET", "/_reservoir/code/111111111111/us-east-1/fn1/%24LATEST", "CodeSha256=abc%2B%3D&X-Amz-Date=20261121T000000Z&X-Amz-Expires=600&X-Amz-Signature=00ff", ""},
		{"GET", "/_reservoir/code/111111111111/us-east-1/fn1/1", "X-Amz-Date=2026&X-Amz-Expires=-1&X-Amz-Signature=zz&X-Amz-Signature=0", ""},
		{"PATCH", "/2015-03-31/functions/fn1", "", ""},
		{"GET", "/2099-01-01/nothing/../2015-03-31/functions", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, []byte(s.body), fzAuth, "", "", "")
	}
	f.Add("POST", "/2015-03-31/functions/fn1/invocations", "", []byte(`{}`), fzAuth, "Event", "Tail", "eyJhIjoxfQ==")
	f.Add("POST", "/2015-03-31/functions/fn1/invocations", "Qualifier=1", []byte(`x`), "", "DryRun", "None", "!!")
	f.Add("GET", "/2015-03-31/functions/fn1", "", []byte{}, "AWS4-HMAC-SHA256 Credential=222222222222/20261121/eu-west-1/lambda/aws4_request", "", "", "")

	h, log := fzServer(f)
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte, auth, invocationType, logType, clientContext string) {
		if !validToken(method) {
			return
		}
		u, err := url.ParseRequestURI("/" + strings.TrimPrefix(path, "/") + "?" + query)
		if err != nil {
			return // net/http's server refuses the request line itself
		}
		req := &http.Request{
			Method: method, URL: u, RequestURI: u.RequestURI(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: "localhost", Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), RemoteAddr: "127.0.0.1:1",
		}
		for name, v := range map[string]string{"Authorization": auth, "X-Amz-Invocation-Type": invocationType,
			"X-Amz-Log-Type": logType, "X-Amz-Client-Context": clientContext} {
			if !validHeaderValue(v) {
				return
			}
			if v != "" {
				req.Header.Set(name, v)
			}
		}
		req = req.WithContext(context.Background())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		what := fmt.Sprintf("%s %s (body %q, auth %q, invocation type %q, log type %q, client context %q)",
			method, u.RequestURI(), body, auth, invocationType, logType, clientContext)
		select {
		case l := <-log.lines:
			t.Fatalf("%s: the server logged an error: %s\nanswer %d %s", what, l, rec.Code, rec.Body)
		default:
		}
		if rec.Code >= 500 {
			t.Fatalf("%s: answered %d %s %s", what, rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body)
		}
		if rec.Header().Get("X-Amzn-RequestId") == "" {
			t.Fatalf("%s: no X-Amzn-RequestId", what)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") == "application/xml" {
			// Code downloads (presigned URLs) answer as S3 does, and nothing else.
			var doc struct{ Code, Message string }
			if !strings.HasPrefix(u.Path, "/_reservoir/code/") {
				t.Fatalf("%s: %d S3-style XML error outside code downloads: %s", what, rec.Code, rec.Body)
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Code == "" || doc.Message == "" {
				t.Fatalf("%s: %d XML error without Code and Message (%v): %q", what, rec.Code, err, rec.Body)
			}
		} else if rec.Code >= 400 {
			var doc map[string]any
			if rec.Header().Get("X-Amzn-ErrorType") == "" {
				t.Fatalf("%s: %d without X-Amzn-ErrorType: %s", what, rec.Code, rec.Body)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				t.Fatalf("%s: %d body is not a JSON object (%v): %q", what, rec.Code, err, rec.Body)
			}
			_, lower := doc["message"].(string)
			_, upper := doc["Message"].(string)
			if !lower && !upper {
				t.Fatalf("%s: %d body has no message: %s", what, rec.Code, rec.Body)
			}
		}
	})
}
