package lambdaapi

import (
	"maps"
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
	for _, rt := range (&API{}).routes() {
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
	named := testutil.OperationNames(strings.Join(lambdaRows, "\n"))
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
	for op := range unsupported {
		if served[op] {
			t.Errorf("README's Not supported section names %s, which Reservoir serves", op)
		}
	}
}
