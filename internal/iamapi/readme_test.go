package iamapi

import (
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMEFeaturesMatchActions: the IAM / STS row of README's Features
// table names exactly the actions the handler serves.
func TestREADMEFeaturesMatchActions(t *testing.T) {
	served := map[string]bool{}
	for action := range iamRoutes(nil) {
		served[action] = true
	}
	for action := range stsRoutes() {
		served[action] = true
	}
	var row string
	for _, line := range strings.Split(testutil.READMESection(t, "## Features"), "\n") {
		if strings.HasPrefix(line, "| IAM / STS |") {
			row = line
		}
	}
	named := testutil.OperationNames(row)
	for a := range served {
		if !named[a] {
			t.Errorf("README's IAM / STS row does not name %s, which Reservoir serves", a)
		}
	}
	for a := range named {
		if !served[a] {
			t.Errorf("README's IAM / STS row names %s, which is not served", a)
		}
	}
}
