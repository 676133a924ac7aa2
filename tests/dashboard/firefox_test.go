package dashboard

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// firefox is Debian's Firefox ESR (package firefox-esr).
const firefox = "/usr/bin/firefox-esr"

// TestDashboardFirefox: the page works in Firefox too. A function reserved
// at 2 is hammered by 6 callers; Firefox ESR (puppeteer-core over WebDriver
// BiDi) loads the page, whose row for the function comes to show the
// throttles and invocations the clients counted and the reservation; its
// view draws both charts and tails log lines. (The in-flight figures under
// load are TestDashboardUnderLoad's, in Chromium.)
func TestDashboardFirefox(t *testing.T) {
	needBrowser(t, firefox)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	ctx := context.Background()
	create(t, c, "123456789012", "capped", false)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	ok, throttled, err := hammer(c, "capped", "", 6, 200, time.Now().Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if ok == 0 || throttled == 0 {
		t.Fatalf("the load gave %d successes and %d throttles; want both", ok, throttled)
	}

	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, "node", "firefox.js", srv.URL, "capped", strconv.FormatInt(throttled, 10), strconv.FormatInt(ok, 10))
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "FIREFOX="+firefox)
	cmd.Stderr = testWriter{t}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("firefox.js: %v (the page did not come to show %d throttles and %d invocations?)\n%s", err, throttled, ok, out)
	}
	var r struct {
		Browser string
		Figures map[string]figure
		View    struct{ Charts, LogLines int }
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("firefox.js said %q: %v", out, err)
	}
	t.Logf("%s: clients saw %d ok, %d throttled; page %+v", r.Browser, ok, throttled, r)
	f := r.Figures
	if f["throttles"].Total != strconv.FormatInt(throttled, 10) || f["invocations"].Total != strconv.FormatInt(ok, 10) {
		t.Errorf("page's totals: throttles %q, invocations %q; clients saw %d, %d", f["throttles"].Total, f["invocations"].Total, throttled, ok)
	}
	if f["reserved"].Value != "2" {
		t.Errorf("reserved figure %q, want 2", f["reserved"].Value)
	}
	if r.View.Charts < 2 || r.View.LogLines == 0 {
		t.Errorf("function view: %d charts, %d log lines; want both charts and some lines", r.View.Charts, r.View.LogLines)
	}
}
