package logsapi

import (
	"regexp"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMENamesTheOperations: the CloudWatch Logs row of README's
// "Services on this endpoint" names exactly the operations served.
func TestREADMENamesTheOperations(t *testing.T) {
	testutil.CheckREADMERow(t, "## Services on this endpoint", "| CloudWatch Logs (`logs`) |", logsOperationRE, Operations())
}

var logsOperationRE = regexp.MustCompile(`\b(?:Create|Delete|Describe|Put|Get|Filter|Tag|Untag|List)(?:Log|Retention|Resource|Tags)[A-Za-z]*\b`)
