package autoscalingapi

import (
	"regexp"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMENamesTheOperations: the Application Auto Scaling row of
// README's "Services on this endpoint" names exactly the operations served.
func TestREADMENamesTheOperations(t *testing.T) {
	testutil.CheckREADMERow(t, "## Services on this endpoint", "| Application Auto Scaling (`application-autoscaling`) |", opRE, Operations())
}

var opRE = regexp.MustCompile(`\b(?:Register|Deregister|Describe|Put|Delete|Tag|Untag|List)(?:Scal|Scheduled|Resource|Tags)[A-Za-z]*\b`)
