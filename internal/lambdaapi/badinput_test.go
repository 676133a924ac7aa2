package lambdaapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// sendRaw sends an arbitrary body.
func (c rawClient) sendRaw(method, path string, body []byte) response {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20261121/%s/lambda/aws4_request, SignedHeaders=host, Signature=0", acct, c.region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-ErrorType")}
	if !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
		c.t.Fatalf("%s %s: error body is not JSON: %q", method, path, raw)
	}
	return out
}

func TestBadInputGetsAWSErrorAndChangesNothing(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 5}), 200, nil)

	long := strings.Repeat("a", 65)
	tests := []struct {
		name, method, path string
		body               []byte
		status             int
		errorType          string
	}{
		{"malformed JSON", "PUT", reservedPath("fn1"), []byte(`{"ReservedConcurrentExecutions": `), 400, "InvalidRequestContentException"},
		{"wrong type", "PUT", reservedPath("fn1"), []byte(`{"ReservedConcurrentExecutions": "ten"}`), 400, "InvalidRequestContentException"},
		{"array body", "PUT", reservedPath("fn1"), []byte(`[1,2]`), 400, "InvalidRequestContentException"},
		{"negative", "PUT", reservedPath("fn1"), []byte(`{"ReservedConcurrentExecutions": -1}`), 400, "ValidationException"},
		{"missing member", "PUT", reservedPath("fn1"), []byte(`{}`), 400, "ValidationException"},
		{"float", "PUT", reservedPath("fn1"), []byte(`{"ReservedConcurrentExecutions": 1.5}`), 400, "InvalidRequestContentException"},
		{"oversized body", "PUT", reservedPath("fn1"), append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 2<<20)...), 413, "RequestEntityTooLargeException"},
		{"name with bad characters", "PUT", reservedPath("fn%20one"), []byte(`{"ReservedConcurrentExecutions": 1}`), 400, "ValidationException"},
		{"name too long", "PUT", reservedPath(long), []byte(`{"ReservedConcurrentExecutions": 1}`), 400, "ValidationException"},
		{"ARN of another service", "PUT", reservedPath("arn:aws:s3:::bucket"), []byte(`{"ReservedConcurrentExecutions": 1}`), 400, "ValidationException"},
		{"bad qualifier", "GET", "/2019-09-30/functions/fn1/provisioned-concurrency?Qualifier=a%20b", nil, 400, "ValidationException"},
		{"conflicting qualifiers", "GET", "/2015-03-31/functions/fn1:1?Qualifier=2", nil, 400, "InvalidParameterValueException"},
		{"bad MaxItems", "GET", "/2015-03-31/functions?MaxItems=abc", nil, 400, "InvalidParameterValueException"},
		{"MaxItems out of range", "GET", "/2015-03-31/functions?MaxItems=0", nil, 400, "ValidationException"},
		{"bad marker", "GET", "/2015-03-31/functions?Marker=zzz", nil, 400, "InvalidParameterValueException"},
		{"unknown path", "GET", "/2099-01-01/nothing", nil, 404, "UnknownOperationException"},
		{"wrong method", "PATCH", reservedPath("fn1"), nil, 404, "UnknownOperationException"},
		{"create without role", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Runtime":"python3.12","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`), 400, "ValidationException"},
		{"create with a non-zip", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Runtime":"python3.12","Role":"arn:aws:iam::111111111111:role/r","Code":{"ZipFile":"aGVsbG8="}}`), 400, "InvalidParameterValueException"},
		{"create with bad base64", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Runtime":"python3.12","Role":"arn:aws:iam::111111111111:role/r","Code":{"ZipFile":"!!"}}`), 400, "InvalidRequestContentException"},
		{"create with unknown runtime", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Runtime":"cobol","Role":"arn:aws:iam::111111111111:role/r","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`), 400, "ValidationException"},
		{"create with reserved env var", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Runtime":"python3.12","Role":"arn:aws:iam::111111111111:role/r","Environment":{"Variables":{"AWS_REGION":"x"}},"Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`), 400, "InvalidParameterValueException"},
		{"create existing", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"fn1","Runtime":"python3.12","Role":"arn:aws:iam::111111111111:role/r","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`), 409, "ResourceConflictException"},
		{"timeout too long", "PUT", "/2015-03-31/functions/fn1/configuration", []byte(`{"Timeout": 901}`), 400, "ValidationException"},
		{"stale revision", "PUT", "/2015-03-31/functions/fn1/configuration", []byte(`{"Timeout": 5, "RevisionId": "nope"}`), 412, "PreconditionFailedException"},
		{"alias named like a version", "POST", "/2015-03-31/functions/fn1/aliases", []byte(`{"Name":"123","FunctionVersion":"$LATEST"}`), 400, "ValidationException"},
		{"alias to a missing version", "POST", "/2015-03-31/functions/fn1/aliases", []byte(`{"Name":"a","FunctionVersion":"9"}`), 404, "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rawClient{t: t, url: c.url, region: c.region}
			r := c.sendRaw(tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errorType != tt.errorType {
				t.Fatalf("got %d %s, want %d %s", r.status, r.errorType, tt.status, tt.errorType)
			}
		})
	}
	// Nothing changed: the reservation, the configuration and the function list are as before.
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{"ReservedConcurrentExecutions": 5.0})
	c.expect(c.do("GET", "/2015-03-31/functions/fn1/configuration", nil), 200, map[string]any{"Timeout": 3.0})
	list := c.do("GET", "/2015-03-31/functions", nil)
	if fns := list.body["Functions"].([]any); len(fns) != 1 {
		t.Fatalf("functions after bad input: %d, want 1", len(fns))
	}
	if aliases := c.do("GET", "/2015-03-31/functions/fn1/aliases", nil).body["Aliases"].([]any); len(aliases) != 0 {
		t.Fatalf("aliases after bad input: %v", aliases)
	}
}
