package lambdaapi_test

// These tests replay responses recorded against real AWS Lambda for the
// concurrency APIs (status, error type, verbatim message and body members).
// Each step states AWS's answer; the server must give the same one.

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	acct   = "111111111111"
	region = "us-east-1"
)

// rawClient sends REST-JSON requests with a SigV4-shaped Authorization header
// (the server reads the account and region from its credential scope).
type rawClient struct {
	t      *testing.T
	url    string
	region string
}

type response struct {
	status    int
	errorType string
	body      map[string]any
}

func (c rawClient) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20261121/%s/lambda/aws4_request, SignedHeaders=host, Signature=0", acct, c.region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-ErrorType"), body: map[string]any{}}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		c.t.Errorf("%s %s: no X-Amzn-RequestId header", method, path)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			c.t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
		}
	}
	return out
}

// expectError checks an error answer: status, type and the exact body.
func (c rawClient) expectError(r response, status int, errorType string, body map[string]any) {
	c.t.Helper()
	if r.status != status || r.errorType != errorType || !reflect.DeepEqual(r.body, body) {
		c.t.Fatalf("got %d %s %v\nwant %d %s %v", r.status, r.errorType, r.body, status, errorType, body)
	}
}

// expect checks a success answer's status and that body holds want's
// members; an empty non-nil want demands an empty body, nil checks none.
func (c rawClient) expect(r response, status int, want map[string]any) {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d (%s %v), want %d", r.status, r.errorType, r.body, status)
	}
	for k, v := range want {
		if !reflect.DeepEqual(r.body[k], v) {
			c.t.Fatalf("member %s = %#v, want %#v (body %v)", k, r.body[k], v, r.body)
		}
	}
	if want != nil && len(want) == 0 && len(r.body) != 0 {
		c.t.Fatalf("body %v, want none", r.body)
	}
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var echoZip = map[string]string{"handler.py": "def handler(event, context):\n    return event\n"}

func newServer(t *testing.T, initDelay time.Duration) rawClient {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", SimulatedInitDelay: initDelay})
	return rawClient{t: t, url: srv.URL, region: region}
}

func (c rawClient) createFunction(name string) response {
	c.t.Helper()
	r := c.do("POST", "/2015-03-31/functions", map[string]any{
		"FunctionName": name, "Runtime": "python3.12", "Handler": "handler.handler",
		"Role": "arn:aws:iam::" + acct + ":role/lambda-role", "Code": map[string]any{"ZipFile": zipOf(c.t, echoZip)},
	})
	c.expect(r, 201, map[string]any{"FunctionName": name, "Version": "$LATEST"})
	c.expectStates(r, recorded(c.t, "provisioned_concurrency_moves_with_alias", 0, "CreateFunction"))
	return r
}

func (c rawClient) publish(name, want string) response {
	c.t.Helper()
	r := c.do("POST", "/2015-03-31/functions/"+name+"/versions", map[string]any{})
	c.expect(r, 201, map[string]any{"Version": want})
	c.expectStates(r, recorded(c.t, "provisioned_concurrency_exceptions", 1, "PublishVersion"))
	return r
}

// recordedAnswer is the state of one FunctionConfiguration answer recorded
// on AWS (testdata/recorded_states.json).
type recordedAnswer struct {
	Case       string         `json:"case"`
	Step       int            `json:"step"`
	Operation  string         `json:"operation"`
	Status     int            `json:"status"`
	States     map[string]any `json:"states"`
	RevisionID string         `json:"RevisionId"`
}

// stateMembers are the members recorded: each is compared, absence included.
var stateMembers = []string{"State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"}

// recorded returns the recorded answer of step in the named case.
func recorded(t *testing.T, name string, step int, operation string) recordedAnswer {
	t.Helper()
	raw, err := os.ReadFile("testdata/recorded_states.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Steps []recordedAnswer }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range doc.Steps {
		if a.Case == name && a.Step == step {
			if a.Operation != operation {
				t.Fatalf("recorded %s step %d is %s, not %s", name, step, a.Operation, operation)
			}
			return a
		}
	}
	t.Fatalf("no recorded answer for %s step %d", name, step)
	return recordedAnswer{}
}

// expectStates checks the state members of a configuration (GetFunction's
// Configuration) against a recorded answer: the same members, the same values.
func (c rawClient) expectStates(r response, want recordedAnswer) {
	c.t.Helper()
	if r.status != want.Status {
		c.t.Fatalf("status %d (%s %v), want %d as recorded for %s", r.status, r.errorType, r.body, want.Status, want.Operation)
	}
	cfg := r.body
	if inner, ok := r.body["Configuration"].(map[string]any); ok {
		cfg = inner
	}
	for _, k := range stateMembers {
		got, has := cfg[k]
		exp, recorded := want.States[k]
		if has != recorded || got != exp {
			c.t.Errorf("%s: member %s = %v (present %v), recorded on AWS: %v (present %v)", want.Operation, k, got, has, exp, recorded)
		}
	}
}

// revision returns a configuration's RevisionId.
func revision(r response) string {
	if inner, ok := r.body["Configuration"].(map[string]any); ok {
		return inner["RevisionId"].(string)
	}
	s, _ := r.body["RevisionId"].(string)
	return s
}

// TestRecordedFunctionStates replays the recorded states of a function's
// life: CreateFunction answers Pending, the next read Active/Successful under
// another RevisionId; versions are settled; UpdateFunctionConfiguration
// answers InProgress with its reason, and the next read is Successful under
// another RevisionId again.
func TestRecordedFunctionStates(t *testing.T) {
	c := newServer(t, 0)
	const moves = "provisioned_concurrency_moves_with_alias"
	created := c.do("POST", "/2015-03-31/functions", map[string]any{
		"FunctionName": "fn1", "Runtime": "python3.8", "Handler": "handler.handler", "Timeout": 2,
		"Role": "arn:aws:iam::" + acct + ":role/lambda-role", "Code": map[string]any{"ZipFile": zipOf(t, echoZip)},
	})
	c.expectStates(created, recorded(t, moves, 0, "CreateFunction"))
	got := c.do("GET", "/2015-03-31/functions/fn1/configuration?Qualifier=$LATEST", nil)
	c.expectStates(got, recorded(t, moves, 1, "GetFunctionConfiguration"))
	if revision(got) == revision(created) {
		t.Errorf("RevisionId %s did not change when the function became Active (recorded: <uuid:1> then <uuid:2>)", revision(got))
	}
	v1 := c.do("POST", "/2015-03-31/functions/fn1/versions", map[string]any{"RevisionId": revision(got), "Description": "my-first-version"})
	c.expectStates(v1, recorded(t, moves, 2, "PublishVersion"))
	c.expectStates(c.do("GET", "/2015-03-31/functions/fn1/configuration?Qualifier=1", nil), recorded(t, moves, 3, "GetFunctionConfiguration"))
	c.expectStates(c.do("GET", "/2015-03-31/functions/fn1?Qualifier=1", nil), recorded(t, moves, 6, "GetFunction"))

	const overlap = "reserved_provisioned_overlap"
	before := c.do("GET", "/2015-03-31/functions/fn1", nil)
	updated := c.do("PUT", "/2015-03-31/functions/fn1/configuration", map[string]any{"Timeout": 15})
	c.expectStates(updated, recorded(t, overlap, 11, "UpdateFunctionConfiguration"))
	after := c.do("GET", "/2015-03-31/functions/fn1", nil)
	c.expectStates(after, recorded(t, "reserved_concurrency_update_and_get_function", 3, "GetFunction"))
	if revs := []string{revision(before), revision(updated), revision(after)}; revs[0] == revs[1] || revs[1] == revs[2] || revs[0] == revs[2] {
		t.Errorf("RevisionIds before, of and after the update: %v, want three different ones", revs)
	}
}

func fnARN(name string) string { return "arn:aws:lambda:" + region + ":" + acct + ":function:" + name }

func notFound(msg string) map[string]any   { return map[string]any{"Message": msg, "Type": "User"} }
func userError(msg string) map[string]any  { return map[string]any{"message": msg, "Type": "User"} }
func limitError(msg string) map[string]any { return map[string]any{"message": msg} }

const (
	reservedFloorMsg = "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."
	qualifiedMsg     = "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."
	noConfigMsg      = "No Provisioned Concurrency Config found for this function"
	needVersionMsg   = "The function resource provided must be an alias or a published version."
	overReservedMsg  = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
)

func reservedPath(name string) string { return "/2017-10-31/functions/" + name + "/concurrency" }
func getReservedPath(name string) string {
	return "/2019-09-30/functions/" + name + "/concurrency"
}
func provPath(name, q string) string {
	return "/2019-09-30/functions/" + name + "/provisioned-concurrency?Qualifier=" + q
}

func TestRecordedReservedConcurrencyExceptions(t *testing.T) {
	c := newServer(t, 0)
	for _, n := range []int{1, 0} {
		r := c.do("PUT", reservedPath("doesnotexist"), map[string]any{"ReservedConcurrentExecutions": n})
		c.expectError(r, 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("doesnotexist")+":$LATEST"))
	}
	c.createFunction("fn1")
	r := c.do("PUT", reservedPath(fnARN("fn1")+":$LATEST"), map[string]any{"ReservedConcurrentExecutions": 0})
	c.expectError(r, 400, "InvalidParameterValueException", userError(qualifiedMsg))
}

func TestRecordedReservedConcurrencyLimits(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	settings := c.do("GET", "/2016-08-19/account-settings", nil)
	limit := int(settings.body["AccountLimit"].(map[string]any)["ConcurrentExecutions"].(float64))
	if limit != 1000 {
		t.Fatalf("default account limit %d, want 1000", limit)
	}
	for _, n := range []int{limit + 1, limit} {
		r := c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": n})
		c.expectError(r, 400, "InvalidParameterValueException", limitError(reservedFloorMsg))
	}
}

func TestRecordedReservedConcurrencyCRUD(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{})
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 0}), 200, map[string]any{"ReservedConcurrentExecutions": 0.0})
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{"ReservedConcurrentExecutions": 0.0})
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 1}), 200, map[string]any{"ReservedConcurrentExecutions": 1.0})
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{"ReservedConcurrentExecutions": 1.0})
	r := c.do("DELETE", reservedPath("fn1"), nil)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %v, want 204 and no body", r.status, r.body)
	}
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{})

	// The largest reservation that keeps 100 unreserved succeeds; one more fails.
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 900}), 200, map[string]any{"ReservedConcurrentExecutions": 900.0})
	c.createFunction("fn2")
	c.expectError(c.do("PUT", reservedPath("fn2"), map[string]any{"ReservedConcurrentExecutions": 1}), 400, "InvalidParameterValueException", limitError(reservedFloorMsg))
	// ...but 0 always fits.
	c.expect(c.do("PUT", reservedPath("fn2"), map[string]any{"ReservedConcurrentExecutions": 0}), 200, map[string]any{"ReservedConcurrentExecutions": 0.0})
}

func TestRecordedGetFunctionShowsReservation(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 3}), 200, nil)
	r := c.do("GET", "/2015-03-31/functions/fn1", nil)
	c.expect(r, 200, map[string]any{"Concurrency": map[string]any{"ReservedConcurrentExecutions": 3.0}})
	c.expectStates(r, recorded(t, "reserved_concurrency_update_and_get_function", 3, "GetFunction"))
	if r.body["Code"] == nil || r.body["Configuration"] == nil {
		t.Fatalf("GetFunction lacks Code or Configuration: %v", r.body)
	}
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 0}), 200, nil)
	c.expect(c.do("GET", "/2015-03-31/functions/fn1", nil), 200, map[string]any{"Concurrency": map[string]any{"ReservedConcurrentExecutions": 0.0}})
	c.expect(c.do("DELETE", reservedPath("fn1"), nil), 204, nil)
	if r := c.do("GET", "/2015-03-31/functions/fn1", nil); r.body["Concurrency"] != nil {
		t.Fatalf("Concurrency after delete: %v", r.body["Concurrency"])
	}
}

func TestRecordedGetFunctionConcurrencyNotFound(t *testing.T) {
	c := newServer(t, 0)
	c.expectError(c.do("GET", getReservedPath("i-dont-exist"), nil), 404, "ResourceNotFoundException",
		notFound("Function not found: "+fnARN("i-dont-exist")))
	c.createFunction("i-exist")
	wrong := strings.Replace(fnARN("i-exist"), region, "eu-central-1", 1)
	c.expectError(c.do("GET", getReservedPath(wrong), nil), 404, "ResourceNotFoundException",
		notFound("Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"))
}

func TestRecordedProvisionedConcurrencyExceptions(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expectError(c.do("GET", provPath("fn1", "1"), nil), 404, "ProvisionedConcurrencyConfigNotFoundException", userError(noConfigMsg))
	c.expectError(c.do("GET", provPath("doesnotexist", "noalias"), nil), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("doesnotexist")+":noalias"))
	c.expectError(c.do("GET", provPath("fn1", "noalias"), nil), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("fn1")+":noalias"))
	c.expectError(c.do("GET", provPath("fn1", "10"), nil), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("fn1")+":10"))
	c.expectError(c.do("GET", provPath("fn1", "$LATEST"), nil), 400, "InvalidParameterValueException", userError(needVersionMsg))
	c.expect(c.do("GET", "/2019-09-30/functions/fn1/provisioned-concurrency?List=ALL", nil), 200, map[string]any{"ProvisionedConcurrencyConfigs": []any{}})
	c.expectError(c.do("GET", "/2019-09-30/functions/doesnotexist/provisioned-concurrency?List=ALL", nil), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("doesnotexist")))
	c.expectError(c.do("DELETE", provPath("doesnotexist", "1"), nil), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("doesnotexist")+":1"))
	c.expectError(c.do("DELETE", provPath("fn1", "noalias"), nil), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("fn1")+":noalias"))
	c.expectError(c.do("DELETE", provPath("fn1", "10"), nil), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("fn1")+":10"))
	c.expectError(c.do("DELETE", provPath("fn1", "$LATEST"), nil), 400, "InvalidParameterValueException", userError(needVersionMsg))
	c.expect(c.do("DELETE", provPath("fn1", "1"), nil), 204, map[string]any{})

	r := c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 0})
	if r.status != 400 || r.errorType != "ValidationException" ||
		r.body["message"] != "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1" {
		t.Fatalf("put 0: %d %s %v", r.status, r.errorType, r.body)
	}
	put := func(name, q string) response {
		return c.do("PUT", provPath(name, q), map[string]any{"ProvisionedConcurrentExecutions": 1})
	}
	c.expectError(put("doesnotexist", "noalias"), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("doesnotexist")+":noalias"))
	c.expectError(put("doesnotexist", "1"), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("doesnotexist")+":1"))
	c.expectError(put("fn1", "doesnotexist"), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("fn1")+":doesnotexist"))
	c.expectError(put("fn1", "10"), 404, "ResourceNotFoundException", notFound("Function not found: "+fnARN("fn1")+":10"))
	c.expectError(put("fn1", "$LATEST"), 400, "InvalidParameterValueException", userError("Provisioned Concurrency Configs cannot be applied to unpublished function versions."))
}

func TestRecordedProvisionedConcurrencyLimits(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expectError(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 1001}), 400, "InvalidParameterValueException",
		limitError("Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000]."))
	c.expectError(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 1000}), 400, "InvalidParameterValueException",
		limitError("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."))
}

func waitStatus(c rawClient, name, q, status string) response {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.do("GET", provPath(name, q), nil)
		if r.body["Status"] == status || time.Now().After(deadline) {
			c.expect(r, 200, map[string]any{"Status": status})
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func inProgress(n int) map[string]any {
	return map[string]any{"AllocatedProvisionedConcurrentExecutions": 0.0, "AvailableProvisionedConcurrentExecutions": 0.0,
		"RequestedProvisionedConcurrentExecutions": float64(n), "Status": "IN_PROGRESS"}
}

func ready(n int) map[string]any {
	return map[string]any{"AllocatedProvisionedConcurrentExecutions": float64(n), "AvailableProvisionedConcurrentExecutions": float64(n),
		"RequestedProvisionedConcurrentExecutions": float64(n), "Status": "READY"}
}

func TestRecordedProvisionedLifecycleAliasVersionConflicts(t *testing.T) {
	c := newServer(t, 200*time.Millisecond)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expect(c.do("POST", "/2015-03-31/functions/fn1/aliases", map[string]any{"Name": "alias-1", "FunctionVersion": "1"}), 201,
		map[string]any{"AliasArn": fnARN("fn1") + ":alias-1", "Description": "", "FunctionVersion": "1", "Name": "alias-1"})
	r := c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 1})
	c.expect(r, 202, inProgress(1))
	if _, err := time.Parse("2006-01-02T15:04:05-0700", r.body["LastModified"].(string)); err != nil {
		t.Fatalf("LastModified %v: %v", r.body["LastModified"], err)
	}
	c.expectError(c.do("PUT", provPath("fn1", "alias-1"), map[string]any{"ProvisionedConcurrentExecutions": 1}), 409, "ResourceConflictException",
		userError("Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"))
	waitStatus(c, "fn1", "1", "READY")
	c.expect(c.do("DELETE", provPath("fn1", "1"), nil), 204, map[string]any{})
	c.expectError(c.do("GET", provPath("fn1", "1"), nil), 404, "ProvisionedConcurrencyConfigNotFoundException", userError(noConfigMsg))
	c.expect(c.do("PUT", provPath("fn1", "alias-1"), map[string]any{"ProvisionedConcurrentExecutions": 1}), 202, inProgress(1))
	c.expectError(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 1}), 409, "ResourceConflictException",
		userError("Version is pointed by a Provisioned Concurrency alias"))
	c.expect(c.do("DELETE", "/2015-03-31/functions/fn1/aliases/alias-1", nil), 204, nil)
	c.expectError(c.do("GET", provPath("fn1", "alias-1"), nil), 404, "ResourceNotFoundException", notFound("Cannot find alias arn: "+fnARN("fn1")+":alias-1"))
	c.expect(c.do("GET", "/2019-09-30/functions/fn1/provisioned-concurrency?List=ALL", nil), 200, map[string]any{"ProvisionedConcurrencyConfigs": []any{}})
}

func TestRecordedProvisionedReadyOnVersionAndAlias(t *testing.T) {
	c := newServer(t, 50*time.Millisecond)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expect(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 5}), 202, inProgress(5))
	c.expect(c.do("GET", provPath("fn1", "1"), nil), 200, inProgress(5))
	c.expect(waitStatus(c, "fn1", "1", "READY"), 200, ready(5))

	c.createFunction("fn2")
	c.publish("fn2", "1")
	c.expect(c.do("POST", "/2015-03-31/functions/fn2/aliases", map[string]any{"Name": "live", "FunctionVersion": "1"}), 201, nil)
	c.expect(c.do("PUT", provPath("fn2", "live"), map[string]any{"ProvisionedConcurrentExecutions": 5}), 202, inProgress(5))
	c.expect(waitStatus(c, "fn2", "live", "READY"), 200, ready(5))
	list := c.do("GET", "/2019-09-30/functions/fn2/provisioned-concurrency?List=ALL", nil)
	items := list.body["ProvisionedConcurrencyConfigs"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["FunctionArn"] != fnARN("fn2")+":live" {
		t.Fatalf("list: %v", list.body)
	}
}

func TestRecordedProvisionedMovesWithAlias(t *testing.T) {
	c := newServer(t, 300*time.Millisecond)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expect(c.do("POST", "/2015-03-31/functions/fn1/aliases", map[string]any{"Name": "test_alias", "FunctionVersion": "1"}), 201, nil)
	c.expect(c.do("PUT", provPath("fn1", "test_alias"), map[string]any{"ProvisionedConcurrentExecutions": 1}), 202, nil)
	waitStatus(c, "fn1", "test_alias", "READY")
	r := c.do("GET", "/2015-03-31/functions/fn1?Qualifier=test_alias", nil)
	if r.body["Concurrency"] != nil {
		t.Fatalf("GetFunction shows provisioned concurrency under Concurrency: %v", r.body)
	}
	c.expect(c.do("PUT", "/2015-03-31/functions/fn1/configuration", map[string]any{"Timeout": 10}), 200, map[string]any{"Timeout": 10.0})
	c.publish("fn1", "2")
	c.expect(c.do("PUT", "/2015-03-31/functions/fn1/aliases/test_alias", map[string]any{"FunctionVersion": "2"}), 200, map[string]any{"FunctionVersion": "2"})
	// Moving the alias: the config re-initializes on version 2 while the old environment still serves.
	c.expect(c.do("GET", provPath("fn1", "test_alias"), nil), 200, map[string]any{
		"AllocatedProvisionedConcurrentExecutions": 1.0, "AvailableProvisionedConcurrentExecutions": 1.0,
		"RequestedProvisionedConcurrentExecutions": 1.0, "Status": "IN_PROGRESS"})
	waitStatus(c, "fn1", "test_alias", "READY")
	c.expectError(c.do("GET", provPath("fn1", "2"), nil), 404, "ProvisionedConcurrencyConfigNotFoundException", userError(noConfigMsg))
}

func TestRecordedReservedProvisionedOverlap(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.publish("fn1", "1")
	c.expect(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 2}), 202, inProgress(2))
	waitStatus(c, "fn1", "1", "READY")
	c.expectError(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 1}), 400, "InvalidParameterValueException",
		limitError(" ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2]."))
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 2}), 200, nil)
	c.expect(c.do("GET", getReservedPath("fn1"), nil), 200, map[string]any{"ReservedConcurrentExecutions": 2.0})
	c.expectStates(c.do("PUT", "/2015-03-31/functions/fn1/configuration", map[string]any{"Timeout": 15}),
		recorded(t, "reserved_provisioned_overlap", 11, "UpdateFunctionConfiguration"))
	c.publish("fn1", "2")
	c.expectError(c.do("PUT", provPath("fn1", "2"), map[string]any{"ProvisionedConcurrentExecutions": 1}), 400, "InvalidParameterValueException", userError(overReservedMsg))
	c.expectError(c.do("PUT", provPath("fn1", "1"), map[string]any{"ProvisionedConcurrentExecutions": 3}), 400, "InvalidParameterValueException", userError(overReservedMsg))
}

func TestRecordedAccountSettings(t *testing.T) {
	c := newServer(t, 0)
	settings := func() (limit, usage map[string]any) {
		r := c.do("GET", "/2016-08-19/account-settings", nil)
		if r.status != 200 {
			t.Fatalf("account settings: %d %v", r.status, r.body)
		}
		return r.body["AccountLimit"].(map[string]any), r.body["AccountUsage"].(map[string]any)
	}
	limit, usage := settings()
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got := keys(limit); !reflect.DeepEqual(got, []string{"CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions", "TotalCodeSize", "UnreservedConcurrentExecutions"}) {
		t.Fatalf("AccountLimit keys %v", got)
	}
	if got := keys(usage); !reflect.DeepEqual(got, []string{"FunctionCount", "TotalCodeSize"}) {
		t.Fatalf("AccountUsage keys %v", got)
	}
	size0 := usage["TotalCodeSize"].(float64)
	c.createFunction("fn1")
	codeSize := float64(len(zipOf(t, echoZip)))
	_, usage = settings()
	if usage["TotalCodeSize"].(float64)-size0 != codeSize || usage["FunctionCount"] != 1.0 {
		t.Fatalf("after create: %v (code size %v)", usage, codeSize)
	}
	// A configuration change on $LATEST does not change the code size...
	c.expect(c.do("PUT", "/2015-03-31/functions/fn1/configuration", map[string]any{"Runtime": "python3.13"}), 200, nil)
	_, u2 := settings()
	if u2["TotalCodeSize"] != usage["TotalCodeSize"] {
		t.Fatalf("config update changed TotalCodeSize: %v -> %v", usage, u2)
	}
	// ...publishing a version counts the same code again.
	c.publish("fn1", "1")
	_, u3 := settings()
	if u3["TotalCodeSize"].(float64)-u2["TotalCodeSize"].(float64) != codeSize {
		t.Fatalf("publish: %v -> %v", u2, u3)
	}
	c.expect(c.do("PUT", reservedPath("fn1"), map[string]any{"ReservedConcurrentExecutions": 250}), 200, nil)
	limit, _ = settings()
	if limit["UnreservedConcurrentExecutions"] != 750.0 || limit["ConcurrentExecutions"] != 1000.0 {
		t.Fatalf("limits after reserving 250: %v", limit)
	}
}

func TestAliasNotFoundMessages(t *testing.T) {
	c := newServer(t, 0)
	c.createFunction("fn1")
	c.expectError(c.do("GET", "/2015-03-31/functions/fn1/aliases/nope", nil), 404, "ResourceNotFoundException",
		notFound("Cannot find alias arn: "+fnARN("fn1")+":nope"))
	c.expectError(c.do("PUT", "/2015-03-31/functions/fn1/aliases/nope", map[string]any{"FunctionVersion": "$LATEST"}), 404, "ResourceNotFoundException",
		notFound("Alias not found: "+fnARN("fn1")+":nope"))
	// Deleting a missing alias succeeds, as on AWS.
	c.expect(c.do("DELETE", "/2015-03-31/functions/fn1/aliases/nope", nil), 204, map[string]any{})
}
