package lambdaapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// webHandler answers by the "mode" query parameter.
const webHandler = `import base64, json, time

def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "echo":
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
    if mode == "custom":
        return {"statusCode": 201, "headers": {"X-Custom": "v", "Content-Type": "text/plain"},
                "cookies": ["a=1; Max-Age=60", "b=2"], "body": "created"}
    if mode == "bare":
        return "Hello, world!"
    if mode == "object":
        return {"message": "hi"}
    if mode == "binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"}, "isBase64Encoded": True,
                "body": base64.b64encode(bytes(range(256))).decode()}
    if mode == "fail":
        raise Exception("boom")
    if mode == "slow":
        time.sleep(3)
        return "slow"
    return None
`

// urlClient reaches function URLs as curl does: a *.localhost name is the
// loopback address.
func urlClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func needPython(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs function processes")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
}

// createWeb creates the web function and gives it a URL; a NONE URL's
// function gets the two permissions that open it to everyone.
func createWeb(t *testing.T, c *lambda.Client, name string, in *lambda.CreateFunctionUrlConfigInput) string {
	t.Helper()
	u := createWebClosed(t, c, name, in)
	if in.AuthType == types.FunctionUrlAuthTypeNone {
		grantPublicURL(t, c, name, "")
	}
	return u
}

// createWebClosed creates the web function and gives it a URL, without
// permissions.
func createWebClosed(t *testing.T, c *lambda.Client, name string, in *lambda.CreateFunctionUrlConfigInput) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython312,
		Handler: aws.String("handler.handler"), Role: aws.String(callerRole(t, c)), Timeout: aws.Int32(30),
		Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"handler.py": webHandler})}}); err != nil {
		t.Fatal(err)
	}
	in.FunctionName = aws.String(name)
	out, err := c.CreateFunctionUrlConfig(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.FunctionUrl)
}

// grantPublicURL adds the two statements AWS documents for a NONE URL
// (aws lambda add-permission ... --function-url-auth-type NONE and
// ... --invoked-via-function-url).
func grantPublicURL(t *testing.T, c *lambda.Client, name, qualifier string) {
	t.Helper()
	addURLPermission(t, c, name, qualifier, "url", "lambda:InvokeFunctionUrl", "*", types.FunctionUrlAuthTypeNone, false)
	addURLPermission(t, c, name, qualifier, "invoke", "lambda:InvokeFunction", "*", "", true)
}

func addURLPermission(t *testing.T, c *lambda.Client, name, qualifier, sid, action, principal string, authType types.FunctionUrlAuthType, via bool) {
	t.Helper()
	in := &lambda.AddPermissionInput{FunctionName: aws.String(name), StatementId: aws.String(sid), Action: aws.String(action),
		Principal: aws.String(principal), FunctionUrlAuthType: authType}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if via {
		in.InvokedViaFunctionUrl = aws.Bool(true)
	}
	if _, err := c.AddPermission(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, hc *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func newReq(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestFunctionURLServed calls a NONE URL as returned, with net/http: the
// event as AWS builds it, each response form, a function error, CORS.
func TestFunctionURLServed(t *testing.T) {
	needPython(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Isolation: "off"})
	c := sdkClient(t, srv)
	u := createWeb(t, c, "web", &lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
			AllowHeaders: []string{"content-type", "x-token"}, ExposeHeaders: []string{"x-custom"}, MaxAge: aws.Int32(600),
			AllowCredentials: aws.Bool(true)}})
	hc := urlClient()
	id := strings.SplitN(strings.TrimPrefix(u, "http://"), ".", 2)[0]
	host := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/")

	// GET with a query, repeated headers and cookies: the event.
	req := newReq(t, "GET", u+"some/path?mode=echo&x=1&x=2&y=%20z", nil)
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	req.Header.Set("User-Agent", "urltest/1")
	a := call(t, hc, req)
	if a.status != 200 {
		t.Fatalf("echo: %d %s", a.status, a.body)
	}
	var ev struct {
		Version, RouteKey, RawPath, RawQueryString string
		Cookies                                    []string
		Headers, QueryStringParameters             map[string]string
		RequestContext                             struct {
			AccountID, APIID, DomainName, DomainPrefix, RequestID, RouteKey, Stage, Time string
			TimeEpoch                                                                    int64
			Authorizer                                                                   *json.RawMessage
			HTTP                                                                         struct{ Method, Path, Protocol, SourceIP, UserAgent string }
		}
		Body            *string
		IsBase64Encoded bool
	}
	if err := json.Unmarshal(a.body, &ev); err != nil {
		t.Fatalf("event %s: %v", a.body, err)
	}
	rc := ev.RequestContext
	if ev.Version != "2.0" || ev.RouteKey != "$default" || ev.RawPath != "/some/path" || ev.RawQueryString != "mode=echo&x=1&x=2&y=%20z" ||
		strings.Join(ev.Cookies, "|") != "c1=v1|c2=v2" || ev.Headers["x-multi"] != "a,b" || ev.Headers["cookie"] != "" ||
		ev.Headers["user-agent"] != "urltest/1" || ev.Headers["host"] != host ||
		ev.QueryStringParameters["x"] != "1,2" || ev.QueryStringParameters["y"] != " z" || ev.Body != nil || ev.IsBase64Encoded ||
		rc.AccountID != "anonymous" || rc.APIID != id || rc.DomainPrefix != id || rc.DomainName != strings.Split(host, ":")[0] ||
		rc.HTTP.Method != "GET" || rc.HTTP.Path != "/some/path" || rc.HTTP.Protocol != "HTTP/1.1" || rc.HTTP.SourceIP != "127.0.0.1" ||
		rc.HTTP.UserAgent != "urltest/1" || rc.RouteKey != "$default" || rc.Stage != "$default" || rc.Authorizer != nil ||
		rc.RequestID == "" || a.header.Get("X-Amzn-Requestid") != rc.RequestID {
		t.Fatalf("event: %s", a.body)
	}
	if ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time); err != nil || time.Since(ts) > time.Minute ||
		time.Since(time.UnixMilli(rc.TimeEpoch)) > time.Minute {
		t.Fatalf("time %q %d: %v", rc.Time, rc.TimeEpoch, err)
	}

	// POST: a JSON body as text, a binary one base64-encoded.
	a = call(t, hc, func() *http.Request {
		r := newReq(t, "POST", u+"?mode=echo", strings.NewReader(`{"k":"é"}`))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		return r
	}())
	if err := json.Unmarshal(a.body, &ev); err != nil || ev.Body == nil || *ev.Body != `{"k":"é"}` || ev.IsBase64Encoded || ev.RequestContext.HTTP.Method != "POST" {
		t.Fatalf("json POST: %s %v", a.body, err)
	}
	bin := []byte{0, 1, 2, 0xff, 0xfe, 'a'}
	a = call(t, hc, func() *http.Request {
		r := newReq(t, "POST", u+"?mode=echo", bytes.NewReader(bin))
		r.Header.Set("Content-Type", "application/octet-stream")
		return r
	}())
	ev.Body = nil
	if err := json.Unmarshal(a.body, &ev); err != nil || ev.Body == nil || !ev.IsBase64Encoded {
		t.Fatalf("binary POST: %s %v", a.body, err)
	}
	if got, err := base64.StdEncoding.DecodeString(*ev.Body); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("binary body %q: %v", *ev.Body, err)
	}

	// A custom response: status, headers, cookies.
	a = call(t, hc, newReq(t, "GET", u+"?mode=custom", nil))
	if a.status != 201 || string(a.body) != "created" || a.header.Get("X-Custom") != "v" || a.header.Get("Content-Type") != "text/plain" ||
		strings.Join(a.header.Values("Set-Cookie"), "|") != "a=1; Max-Age=60|b=2" {
		t.Fatalf("custom: %d %v %s", a.status, a.header, a.body)
	}
	// A base64 body is decoded.
	a = call(t, hc, newReq(t, "GET", u+"?mode=binary", nil))
	if a.status != 200 || len(a.body) != 256 || a.body[255] != 255 || a.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("binary: %d %v %d bytes", a.status, a.header, len(a.body))
	}
	// A bare value and an object without statusCode: 200 application/json, the answer as the body.
	a = call(t, hc, newReq(t, "GET", u+"?mode=bare", nil))
	if a.status != 200 || string(a.body) != `"Hello, world!"` || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("bare: %d %v %s", a.status, a.header, a.body)
	}
	a = call(t, hc, newReq(t, "GET", u+"?mode=object", nil))
	var obj map[string]string
	if a.status != 200 || json.Unmarshal(a.body, &obj) != nil || obj["message"] != "hi" || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("object: %d %v %s", a.status, a.header, a.body)
	}
	// A function error: 502.
	a = call(t, hc, newReq(t, "GET", u+"?mode=fail", nil))
	if a.status != 502 || string(a.body) != "Internal Server Error" {
		t.Fatalf("fail: %d %s", a.status, a.body)
	}

	// CORS: a preflight is answered from the config (the function, which
	// answers 200 "null" to an unknown mode, is not invoked), and allowed
	// origins get the headers on normal responses.
	pre := newReq(t, "OPTIONS", u+"?mode=fail", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	a = call(t, hc, pre)
	if a.status != 200 || len(a.body) != 0 || a.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		a.header.Get("Access-Control-Allow-Methods") != "GET,POST" || a.header.Get("Access-Control-Allow-Headers") != "content-type,x-token" ||
		a.header.Get("Access-Control-Max-Age") != "600" || a.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v %q", a.status, a.header, a.body)
	}
	pre.Header.Set("Origin", "https://evil.example")
	if a = call(t, hc, pre); a.status != 200 || a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", a.status, a.header)
	}
	get := newReq(t, "GET", u+"?mode=custom", nil)
	get.Header.Set("Origin", "https://app.example")
	if a = call(t, hc, get); a.status != 201 || a.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		a.header.Get("Access-Control-Expose-Headers") != "x-custom" || a.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS on a response: %d %v", a.status, a.header)
	}

	// An unknown URL, and the URL once deleted: 403.
	other := strings.Replace(u, id, strings.Repeat("a", 32), 1)
	if a = call(t, hc, newReq(t, "GET", other, nil)); a.status != 403 || a.header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
		t.Fatalf("unknown URL: %d %v %s", a.status, a.header, a.body)
	}
	if _, err := c.DeleteFunctionUrlConfig(context.Background(), &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if a = call(t, hc, newReq(t, "GET", u+"?mode=bare", nil)); a.status != 403 {
		t.Fatalf("deleted URL: %d %s", a.status, a.body)
	}

	// URL calls are invocations: the metrics count them.
	m := call(t, hc, newReq(t, "GET", srv.URL+"/metrics", nil))
	if !metricAtLeast(string(m.body), `lambda_invocations_total{account="123456789012",function="web",region="us-east-1"}`, 9) {
		t.Fatalf("metrics:\n%s", grepLines(string(m.body), "function=\"web\""))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// metricAtLeast reports whether the sample named (with its labels) is ≥ n.
func metricAtLeast(exposition, sample string, n float64) bool {
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var f float64
			if err := json.Unmarshal([]byte(v), &f); err == nil {
				return f >= n
			}
		}
	}
	return false
}

// TestFunctionURLThrottled: under reserved concurrency 1, a call while
// another runs gets AWS's 429, counted as a throttle.
func TestFunctionURLThrottled(t *testing.T) {
	needPython(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Isolation: "off"})
	c := sdkClient(t, srv)
	u := createWeb(t, c, "one", &lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeNone})
	if _, err := c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("one"),
		ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	hc := urlClient()
	var wg sync.WaitGroup
	var first answer
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := hc.Get(u + "?mode=slow")
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		first = answer{resp.StatusCode, resp.Header, b}
	}()
	// Wait until the slow call holds the function's one slot.
	gauge := `lambda_concurrent_executions{account="123456789012",function="one",region="us-east-1"}`
	deadline := time.Now().Add(30 * time.Second)
	for !metricAtLeast(string(call(t, hc, newReq(t, "GET", srv.URL+"/metrics", nil)).body), gauge, 1) {
		if time.Now().After(deadline) {
			t.Fatal("the slow call never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	a := call(t, hc, newReq(t, "GET", u+"?mode=bare", nil))
	wg.Wait()
	if a.status != 429 || a.header.Get("X-Amzn-Errortype") != "TooManyRequestsException" || string(a.body) != `{"Message":"Rate Exceeded."}` {
		t.Fatalf("second call: %d %v %s", a.status, a.header, a.body)
	}
	if first.status != 200 || string(first.body) != `"slow"` {
		t.Fatalf("first call: %d %s", first.status, first.body)
	}
	m := string(call(t, hc, newReq(t, "GET", srv.URL+"/metrics", nil)).body)
	if !metricAtLeast(m, `lambda_throttles_total{account="123456789012",function="one",reason="ReservedFunctionConcurrentInvocationLimitExceeded",region="us-east-1"}`, 1) {
		t.Fatalf("throttle not counted:\n%s", grepLines(m, `function="one"`))
	}
}

// TestFunctionURLIAM: under --auth sigv4 an AWS_IAM URL takes only requests
// signed for lambda with the server's credentials; the event names the
// caller. A NONE URL needs no signature.
func TestFunctionURLIAM(t *testing.T) {
	needPython(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Isolation: "off", Credentials: map[string]string{"123456789012": "s3cret"}})
	cfg := srv.AWSConfig(t)
	cfg.Credentials = aws.NewCredentialsCache(staticCreds{"123456789012", "s3cret"})
	c := lambda.NewFromConfig(cfg)
	u := createWeb(t, c, "private", &lambda.CreateFunctionUrlConfigInput{AuthType: types.FunctionUrlAuthTypeAwsIam})
	hc := urlClient()

	if a := call(t, hc, newReq(t, "GET", u+"?mode=bare", nil)); a.status != 403 || string(a.body) != `{"Message":"Forbidden"}` ||
		a.header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
		t.Fatalf("unsigned: %d %v %s", a.status, a.header, a.body)
	}
	sign := func(req *http.Request, secret, service string, body []byte) {
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "123456789012", SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	bad := newReq(t, "GET", u+"?mode=bare", nil)
	sign(bad, "wrong", "lambda", nil)
	if a := call(t, hc, bad); a.status != 403 {
		t.Fatalf("wrong secret: %d %s", a.status, a.body)
	}
	other := newReq(t, "GET", u+"?mode=bare", nil)
	sign(other, "s3cret", "execute-api", nil)
	if a := call(t, hc, other); a.status != 403 {
		t.Fatalf("signed for another service: %d %s", a.status, a.body)
	}
	body := []byte(`{"signed":true}`)
	good := newReq(t, "POST", u+"?mode=echo", bytes.NewReader(body))
	good.Header.Set("Content-Type", "application/json")
	sign(good, "s3cret", "lambda", body)
	a := call(t, hc, good)
	var ev struct {
		Body           string
		RequestContext struct {
			AccountID  string
			Authorizer struct {
				IAM struct{ AccessKey, AccountID, UserArn string }
			}
		}
	}
	if a.status != 200 || json.Unmarshal(a.body, &ev) != nil || ev.Body != string(body) || ev.RequestContext.AccountID != "123456789012" ||
		ev.RequestContext.Authorizer.IAM.AccessKey != "123456789012" || ev.RequestContext.Authorizer.IAM.UserArn != "arn:aws:iam::123456789012:root" {
		t.Fatalf("signed: %d %s", a.status, a.body)
	}

	// A NONE URL under sigv4: anyone, once the policy grants it.
	if _, err := c.UpdateFunctionUrlConfig(context.Background(), &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("private"),
		AuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		t.Fatal(err)
	}
	grantPublicURL(t, c, "private", "")
	if a := call(t, hc, newReq(t, "GET", u+"?mode=bare", nil)); a.status != 200 {
		t.Fatalf("NONE unsigned: %d %s", a.status, a.body)
	}
	// Without CORS settings, a preflight is the function's to answer.
	pre := newReq(t, "OPTIONS", u+"?mode=bare", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	if a := call(t, hc, pre); a.status != 200 || string(a.body) != `"Hello, world!"` || a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("OPTIONS without CORS settings: %d %v %s", a.status, a.header, a.body)
	}
	// The API itself still needs signatures: the Host routing opened nothing.
	apiURL, _ := url.Parse(srv.URL)
	if a := call(t, hc, newReq(t, "GET", apiURL.String()+"/2015-03-31/functions", nil)); a.status != 403 {
		t.Fatalf("unsigned API call: %d", a.status)
	}
}

type staticCreds struct{ id, secret string }

func (s staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret, Source: "test"}, nil
}
