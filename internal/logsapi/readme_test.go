package logsapi

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMENamesTheOperations: the CloudWatch Logs row of README's
// "Services on this endpoint" names exactly the operations served.
func TestREADMENamesTheOperations(t *testing.T) {
	var row string
	for _, line := range strings.Split(testutil.READMESection(t, "## Services on this endpoint"), "\n") {
		if strings.HasPrefix(line, "| CloudWatch Logs (`logs`) |") {
			row = line
		}
	}
	if row == "" {
		t.Fatal("README's Services on this endpoint has no CloudWatch Logs row")
	}
	named := map[string]bool{}
	for _, m := range logsOperationRE.FindAllString(row, -1) {
		named[m] = true
	}
	served := Operations()
	for _, op := range served {
		if !named[op] {
			t.Errorf("README's CloudWatch Logs row does not name %s, which is served", op)
		}
	}
	for op := range named {
		if !slices.Contains(served, op) {
			t.Errorf("README's CloudWatch Logs row names %s, which is not served", op)
		}
	}
}

var logsOperationRE = regexp.MustCompile(`\b(?:Create|Delete|Describe|Put|Get|Filter|Tag|Untag|List)(?:Log|Retention|Resource|Tags)[A-Za-z]*\b`)
