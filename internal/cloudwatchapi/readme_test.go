package cloudwatchapi

import (
	"regexp"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMENamesTheOperations: the CloudWatch row of README's "Services on
// this endpoint" names exactly the operations served.
func TestREADMENamesTheOperations(t *testing.T) {
	if len(Operations()) == 0 {
		t.Fatal("no operations served")
	}
	testutil.CheckREADMERow(t, "## Services on this endpoint", "| CloudWatch (`monitoring`) |", opRE, Operations())
}

var opRE = regexp.MustCompile(`\b(?:Put|Get|List|Describe|Delete|Set|Enable|Disable|Tag|Untag)(?:Metric|Alarm|Resource|Tags)[A-Za-z]*\b`)
