package lambdaapi

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMEFeaturesMatchRoutes: README's Features table names every
// operation of the route table and no other Lambda operation, and none of
// the operations its Not supported section names is served.
func TestREADMEFeaturesMatchRoutes(t *testing.T) {
	served := map[string]bool{}
	for _, rt := range (&API{}).allRoutes() {
		for _, op := range strings.Fields(rt.ops) {
			served[op] = true
		}
	}
	var lambdaRows []string
	for _, line := range strings.Split(testutil.READMESection(t, "## Features"), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| IAM / STS |") { // IAM's: internal/iamapi checks them
			lambdaRows = append(lambdaRows, line)
		}
	}
	// IAM action names (lambda:InvokeFunction) are not operations.
	named := testutil.OperationNames(iamActionRE.ReplaceAllString(strings.Join(lambdaRows, "\n"), ""))
	for op := range served {
		if !named[op] {
			t.Errorf("README's Features table does not name %s, which Reservoir serves", op)
		}
	}
	for op := range named {
		if !served[op] {
			t.Errorf("README's Features table names %s, which no route serves", op)
		}
	}
	unsupported := testutil.OperationNames(testutil.READMESection(t, "## Not supported"))
	if len(unsupported) < 10 {
		t.Errorf("README's Not supported section names only %d operations: %v", len(unsupported), slices.Sorted(maps.Keys(unsupported)))
	}
	// Each is answered by the catch-all (404 UnknownOperationException),
	// never by a route: its HTTP binding matches none.
	mux := http.NewServeMux()
	for _, rt := range (&API{}).allRoutes() {
		mux.Handle(rt.pattern, http.NotFoundHandler())
	}
	mux.HandleFunc("/", UnknownOperation)
	for op := range unsupported {
		if served[op] {
			t.Errorf("README's Not supported section names %s, which Reservoir serves", op)
		}
		binding, ok := unsupportedBindings[op]
		if !ok {
			t.Errorf("README's Not supported section names %s: add its HTTP binding to unsupportedBindings", op)
			continue
		}
		method, path, _ := strings.Cut(binding, " ")
		if _, pattern := mux.Handler(httptest.NewRequest(method, path, nil)); pattern != "/" {
			t.Errorf("%s (%s) is served by route %q", op, binding, pattern)
		}
	}
}

var iamActionRE = regexp.MustCompile(`lambda:[A-Za-z*]+`)

// unsupportedBindings are the HTTP bindings of operations Reservoir does not
// serve (botocore 1.43.11's Lambda model, names filled in).
var unsupportedBindings = map[string]string{
	"CreateCodeSigningConfig":          "POST /2020-04-22/code-signing-configs",
	"PutFunctionCodeSigningConfig":     "PUT /2020-06-30/functions/f/code-signing-config",
	"GetCodeSigningConfig":             "GET /2020-04-22/code-signing-configs/arn",
	"ListCodeSigningConfigs":           "GET /2020-04-22/code-signing-configs",
	"UpdateCodeSigningConfig":          "PUT /2020-04-22/code-signing-configs/arn",
	"DeleteCodeSigningConfig":          "DELETE /2020-04-22/code-signing-configs/arn",
	"DeleteFunctionCodeSigningConfig":  "DELETE /2020-06-30/functions/f/code-signing-config",
	"ListFunctionsByCodeSigningConfig": "GET /2020-04-22/code-signing-configs/arn/functions",
	"CreateEventSourceMapping":         "POST /2015-03-31/event-source-mappings",
	"GetEventSourceMapping":            "GET /2015-03-31/event-source-mappings/u1",
	"ListEventSourceMappings":          "GET /2015-03-31/event-source-mappings",
	"UpdateEventSourceMapping":         "PUT /2015-03-31/event-source-mappings/u1",
	"DeleteEventSourceMapping":         "DELETE /2015-03-31/event-source-mappings/u1",
	"CreateFunctionUrlConfig":          "POST /2021-10-31/functions/f/url",
	"GetFunctionUrlConfig":             "GET /2021-10-31/functions/f/url",
	"UpdateFunctionUrlConfig":          "PUT /2021-10-31/functions/f/url",
	"DeleteFunctionUrlConfig":          "DELETE /2021-10-31/functions/f/url",
	"InvokeAsync":                      "POST /2014-11-13/functions/f/invoke-async",
	"InvokeWithResponseStream":         "POST /2021-11-15/functions/f/response-streaming-invocations",
}
