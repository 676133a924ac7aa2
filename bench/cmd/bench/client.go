package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// account is the access key of every request: Reservoir reads a 12-digit
// access key as the account, and moto uses 123456789012 for unknown keys.
const account = "123456789012"

// amzDate is fixed for the run: neither server checks signatures, but both
// read the SigV4 credential scope (moto routes by its service name).
var amzDate = time.Now().UTC().Format("20060102T150405Z")

// authHeaders are the precomputed SigV4-shaped Authorization values, by service.
var authHeaders = func() map[string]string {
	m := map[string]string{}
	for _, svc := range []string{"lambda", "iam", "sts"} {
		m[svc] = "AWS4-HMAC-SHA256 Credential=" + account + "/" + amzDate[:8] + "/us-east-1/" + svc +
			"/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	}
	return m
}()

// signHeaders adds a SigV4-shaped Authorization header for service.
func signHeaders(h http.Header, service string) {
	h["Authorization"] = []string{authHeaders[service]}
	h["X-Amz-Date"] = []string{amzDate}
}

// apiClient sends raw Lambda REST-JSON requests over reused connections.
// The same client code drives every server.
type apiClient struct {
	base string
	hc   *http.Client
}

func newClient(base string, conns int) *apiClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}
	return &apiClient{base: base, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

func (c *apiClient) close() { c.hc.CloseIdleConnections() }

// request is one prepared call; do can send it any number of times.
type request struct {
	method, path string
	service      string
	contentType  string
	body         []byte
	want         int // expected status; 0 accepts any 2xx
}

// do sends r and returns the status and body; a status other than r.want is
// an error carrying the body.
func (c *apiClient) do(r request) ([]byte, int, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, c.base+r.path, body)
	if err != nil {
		return nil, 0, err
	}
	svc := r.service
	if svc == "" {
		svc = "lambda"
	}
	signHeaders(req.Header, svc)
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header["Content-Type"] = []string{ct}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, resp.StatusCode, err
	}
	ok := resp.StatusCode == r.want || (r.want == 0 && resp.StatusCode/100 == 2)
	if !ok {
		return b, resp.StatusCode, &statusError{r.method + " " + r.path, resp.StatusCode, b}
	}
	return b, resp.StatusCode, nil
}

type statusError struct {
	op     string
	status int
	body   []byte
}

func (e *statusError) Error() string {
	b := string(e.body)
	if len(b) > 300 {
		b = b[:300] + "..."
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.op, e.status, strings.TrimSpace(b))
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Lambda operations used by the benchmarks.

const benchRole = "arn:aws:iam::" + account + ":role/bench"

// createRole creates the execution role (moto checks that it exists).
func (c *apiClient) createRole() error {
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"bench"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	_, _, err := c.do(request{method: "POST", path: "/", service: "iam",
		contentType: "application/x-www-form-urlencoded; charset=utf-8", body: []byte(form.Encode())})
	return err
}

func (c *apiClient) createFunction(name string, zip []byte, publish bool, env map[string]string) error {
	in := map[string]any{
		"FunctionName": name, "Runtime": "provided.al2023", "Handler": "bootstrap", "Role": benchRole,
		"Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(zip)}, "Publish": publish,
		"Timeout": 30,
	}
	if env != nil {
		in["Environment"] = map[string]any{"Variables": env}
	}
	_, _, err := c.do(request{method: "POST", path: "/2015-03-31/functions", body: jsonBody(in), want: 201})
	return err
}

func (c *apiClient) publishVersion(name string) (string, error) {
	b, _, err := c.do(request{method: "POST", path: "/2015-03-31/functions/" + name + "/versions", body: []byte("{}"), want: 201})
	if err != nil {
		return "", err
	}
	var out struct{ Version string }
	if err := json.Unmarshal(b, &out); err != nil {
		return "", err
	}
	return out.Version, nil
}

func (c *apiClient) updateEnv(name string, env map[string]string) error {
	_, _, err := c.do(request{method: "PUT", path: "/2015-03-31/functions/" + name + "/configuration",
		body: jsonBody(map[string]any{"Environment": map[string]any{"Variables": env}}), want: 200})
	return err
}

func putConcurrencyReq(name string, n int) request {
	return request{method: "PUT", path: "/2017-10-31/functions/" + name + "/concurrency",
		body: jsonBody(map[string]int{"ReservedConcurrentExecutions": n}), want: 200}
}

func getConcurrencyReq(name string) request {
	return request{method: "GET", path: "/2019-09-30/functions/" + name + "/concurrency", want: 200}
}

func putProvisionedReq(name, q string, n int) request {
	return request{method: "PUT", path: "/2019-09-30/functions/" + name + "/provisioned-concurrency?Qualifier=" + q,
		body: jsonBody(map[string]int{"ProvisionedConcurrentExecutions": n}), want: 202}
}

func getProvisionedReq(name, q string) request {
	return request{method: "GET", path: "/2019-09-30/functions/" + name + "/provisioned-concurrency?Qualifier=" + q, want: 200}
}

func deleteProvisionedReq(name, q string) request {
	return request{method: "DELETE", path: "/2019-09-30/functions/" + name + "/provisioned-concurrency?Qualifier=" + q, want: 204}
}

func invokeReq(name string, payload []byte) request {
	return request{method: "POST", path: "/2015-03-31/functions/" + name + "/invocations", body: payload, want: 200}
}

// provisionedStatus reads a config's Status.
func (c *apiClient) provisionedStatus(name, q string) (string, error) {
	b, _, err := c.do(getProvisionedReq(name, q))
	if err != nil {
		return "", err
	}
	var out struct{ Status, StatusReason string }
	if err := json.Unmarshal(b, &out); err != nil {
		return "", err
	}
	if out.Status == "FAILED" {
		return out.Status, fmt.Errorf("provisioned config FAILED: %s", out.StatusReason)
	}
	return out.Status, nil
}
