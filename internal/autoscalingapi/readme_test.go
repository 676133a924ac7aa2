package autoscalingapi

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMENamesTheOperations: the Application Auto Scaling row of
// README's "Services on this endpoint" names exactly the operations served.
func TestREADMENamesTheOperations(t *testing.T) {
	var row string
	for _, line := range strings.Split(testutil.READMESection(t, "## Services on this endpoint"), "\n") {
		if strings.HasPrefix(line, "| Application Auto Scaling (`application-autoscaling`) |") {
			row = line
		}
	}
	if row == "" {
		t.Fatal("README's Services on this endpoint has no Application Auto Scaling row")
	}
	named := map[string]bool{}
	for _, m := range opRE.FindAllString(row, -1) {
		named[m] = true
	}
	served := Operations()
	for _, op := range served {
		if !named[op] {
			t.Errorf("README's Application Auto Scaling row does not name %s, which is served", op)
		}
	}
	for op := range named {
		if !slices.Contains(served, op) {
			t.Errorf("README's Application Auto Scaling row names %s, which is not served", op)
		}
	}
}

var opRE = regexp.MustCompile(`\b(?:Register|Deregister|Describe|Put|Delete|Tag|Untag|List)(?:Scal|Scheduled|Resource|Tags)[A-Za-z]*\b`)
