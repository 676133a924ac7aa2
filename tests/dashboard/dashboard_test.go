// Package dashboard tests the dashboard page end to end: a real headless
// Chromium (Debian's, driven by playwright-core from tests/dashboard/browser)
// loads /_reservoir/ from an in-process Reservoir running real function
// processes, while aws-sdk-go-v2 clients put load on them, and the figures
// the page shows (its data attributes) are checked against what the clients
// saw. It skips when chromium, node or npm are missing or npm cannot install.
package dashboard

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

var screenshots = flag.Bool("screenshots", false, "write the browser test's screenshots to docs/ (README shows them)")

const chromium = "/usr/bin/chromium"

var (
	npmOnce sync.Once
	npmErr  error
)

// browser skips the test unless chromium, node and playwright-core (npm ci
// into tests/dashboard/browser when missing) are there; with
// RESERVOIR_REQUIRE_BROWSER=1 (CI) a missing one fails it instead.
func browser(t *testing.T) {
	t.Helper()
	needBrowser(t, chromium)
}

// needBrowser skips (or, under RESERVOIR_REQUIRE_BROWSER=1, fails) the test
// unless the browser at path, node and the driver packages are there.
func needBrowser(t *testing.T, path string) {
	t.Helper()
	skip := t.Skip
	if os.Getenv("RESERVOIR_REQUIRE_BROWSER") == "1" {
		skip = func(args ...any) { t.Fatal(append([]any{"RESERVOIR_REQUIRE_BROWSER=1 but"}, args...)...) }
	} else if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	if _, err := os.Stat(path); err != nil {
		skip("no " + path)
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("no node")
	}
	npmOnce.Do(func() {
		_, errP := os.Stat("browser/node_modules/playwright-core/package.json")
		_, errQ := os.Stat("browser/node_modules/puppeteer-core/package.json")
		if errP == nil && errQ == nil {
			return
		}
		if _, err := exec.LookPath("npm"); err != nil {
			npmErr = err
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = "browser"
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = fmt.Errorf("npm ci: %v\n%s", err, out)
		}
	})
	if npmErr != nil {
		skip("cannot install the browser drivers (playwright-core, puppeteer-core): ", npmErr)
	}
}

// driver is a running drive.js.
type driver struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func drive(t *testing.T, args ...string) *driver {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "node", append([]string{"drive.js"}, args...)...)
	cmd.Dir = "browser"
	cmd.Stderr = testWriter{t}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	return &driver{cmd: cmd, stdin: stdin, lines: sc}
}

// next decodes the driver's next line into v.
func (d *driver) next(t *testing.T, v any) {
	t.Helper()
	if !d.lines.Scan() {
		t.Fatalf("the browser driver ended: %v", d.lines.Err())
	}
	if err := json.Unmarshal(d.lines.Bytes(), v); err != nil {
		t.Fatalf("driver said %q: %v", d.lines.Text(), err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("browser: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

func outDir(t *testing.T) string {
	if *screenshots {
		d, err := filepath.Abs("../../docs")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

const handler = `import json, time
def handler(event, context):
    hold = event.get("hold_ms", 0)
    time.sleep(hold / 1000)
    print("held %d ms" % hold)
    return {"held": hold}
`

func pythonZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte(handler))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func create(t *testing.T, c *lambda.Client, account, name string, publish bool) {
	t.Helper()
	if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython311, Handler: aws.String("index.handler"),
		Role: aws.String("arn:aws:iam::" + account + ":role/r"), Code: &types.FunctionCode{ZipFile: pythonZip(t)},
		Publish: publish, Timeout: aws.Int32(10),
	}); err != nil {
		t.Fatal(err)
	}
}

// hammer invokes name (under qualifier) from callers goroutines until
// deadline, each call holding holdMS; it returns the successes and the
// 429s the clients saw.
func hammer(c *lambda.Client, name, qualifier string, callers, holdMS int, until time.Time) (ok, throttled int64, err error) {
	var okN, thrN atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	payload := []byte(`{"hold_ms":` + strconv.Itoa(holdMS) + `}`)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(until) {
				in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
				if qualifier != "" {
					in.Qualifier = aws.String(qualifier)
				}
				out, err := c.Invoke(context.Background(), in)
				var tmr *types.TooManyRequestsException
				switch {
				case errors.As(err, &tmr):
					thrN.Add(1)
					time.Sleep(20 * time.Millisecond) // a client's pause, not a spin
				case err != nil:
					firstErr.CompareAndSwap(nil, &err)
					return
				case out.FunctionError != nil:
					e := fmt.Errorf("function error %s: %s", *out.FunctionError, out.Payload)
					firstErr.CompareAndSwap(nil, &e)
					return
				default:
					okN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		err = *p
	}
	return okN.Load(), thrN.Load(), err
}

type figure struct {
	Value string `json:"value"`
	Total string `json:"total"`
	Max   string `json:"max"`
}

type loadResult struct {
	SampledMax  map[string]int               `json:"sampledMax"`
	Figures     map[string]map[string]figure `json:"figures"`
	Provisioned map[string]figure            `json:"provisioned"`
	Pool        map[string]string            `json:"pool"`
	View        struct {
		Name     string            `json:"name"`
		Charts   int               `json:"charts"`
		LogLines int               `json:"logLines"`
		Figures  map[string]string `json:"figures"`
	} `json:"view"`
}

// TestDashboardUnderLoad: a function reserved at 3 hammered by 8 callers
// and an alias with 2 provisioned environments hammered by 5, while
// Chromium shows the page. The page's in-flight figure reaches 3 and never
// passes it, its throttle count equals the clients' 429s, the provisioned
// config shows READY with 2 allocated, spill-over is counted, and the
// function view draws its charts and tails its log.
func TestDashboardUnderLoad(t *testing.T) {
	browser(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	ctx := context.Background()
	const account = "123456789012"

	create(t, c, account, "capped", false)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	create(t, c, account, "warm", true)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("warm"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"),
		Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status == types.ProvisionedConcurrencyStatusEnumReady {
			break
		}
		if pc.Status == types.ProvisionedConcurrencyStatusEnumFailed || time.Now().After(deadline) {
			t.Fatalf("provisioned config %s: %s", pc.Status, aws.ToString(pc.StatusReason))
		}
		time.Sleep(50 * time.Millisecond)
	}

	out := outDir(t)
	d := drive(t, "load", srv.URL, out)
	var ready struct{ Ready bool }
	d.next(t, &ready)

	until := time.Now().Add(4 * time.Second)
	var cappedOK, cappedThrottled, warmOK, warmThrottled int64
	var cappedErr, warmErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		cappedOK, cappedThrottled, cappedErr = hammer(c, "capped", "", 8, 300, until)
	}()
	go func() {
		defer wg.Done()
		warmOK, warmThrottled, warmErr = hammer(c, "warm", "live", 5, 300, until)
	}()
	wg.Wait()
	if cappedErr != nil || warmErr != nil {
		t.Fatal(cappedErr, warmErr)
	}
	if cappedThrottled == 0 || warmThrottled != 0 {
		t.Fatalf("capped: %d ok, %d throttled; warm: %d ok, %d throttled", cappedOK, cappedThrottled, warmOK, warmThrottled)
	}
	// A trickle keeps the log tail moving while the view is open.
	stopTrickle := make(chan struct{})
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		for {
			select {
			case <-stopTrickle:
				return
			case <-time.After(300 * time.Millisecond):
				_, _ = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live"), Payload: []byte(`{}`)})
			}
		}
	}()
	defer func() { close(stopTrickle); <-trickled }()
	type wait struct {
		Function string `json:"function"`
		Metric   string `json:"metric"`
		Total    int64  `json:"total"`
		AtLeast  bool   `json:"atLeast"`
	}
	msg, _ := json.Marshal(map[string]any{"function": "capped", "view": "warm", "waits": []wait{
		{"capped", "throttles", cappedThrottled, false}, {"capped", "invocations", cappedOK, false}, {"warm", "invocations", warmOK, true}}})
	if _, err := d.stdin.Write(append(msg, '\n')); err != nil {
		t.Fatal(err)
	}
	var r loadResult
	d.next(t, &r)
	t.Logf("clients: capped %d ok, %d throttled; warm:live %d ok", cappedOK, cappedThrottled, warmOK)
	t.Logf("page: %+v", r)

	capped := r.Figures["capped"]
	if r.SampledMax["capped"] != 3 || capped["inflight"].Max != "3" {
		t.Errorf("capped's in flight: sampled at most %d, the page's own maximum %q; want 3 (the reservation) for both", r.SampledMax["capped"], capped["inflight"].Max)
	}
	if capped["reserved"].Value != "3" {
		t.Errorf("capped's reserved figure %q", capped["reserved"].Value)
	}
	if capped["throttles"].Total != strconv.FormatInt(cappedThrottled, 10) || capped["throttles"].Value != capped["throttles"].Total {
		t.Errorf("capped's throttles: %q per minute, %q in all; the clients saw %d 429s", capped["throttles"].Value, capped["throttles"].Total, cappedThrottled)
	}
	if capped["invocations"].Total != strconv.FormatInt(cappedOK, 10) {
		t.Errorf("capped's invocations: %q, the clients saw %d", capped["invocations"].Total, cappedOK)
	}
	if r.Provisioned["provisioned-status"].Value != "READY" || r.Provisioned["provisioned-requested"].Value != "2" || r.Provisioned["provisioned-allocated"].Value != "2" {
		t.Errorf("warm:live's provisioned figures %+v", r.Provisioned)
	}
	warm := r.Figures["warm"]
	spill, _ := strconv.Atoi(warm["spillover"].Total)
	inv, _ := strconv.Atoi(warm["invocations"].Total)
	if spill == 0 || int64(inv) < warmOK || spill > inv {
		t.Errorf("warm's spill-over %d of %d invocations (clients: %d ok before the trickle)", spill, inv, warmOK)
	}
	if r.SampledMax["warm"] < 3 || r.SampledMax["warm"] > 5 {
		t.Errorf("warm's in flight peaked at %d; 5 callers on 2 provisioned environments spill over", r.SampledMax["warm"])
	}
	if r.Pool["pool-limit"] != "1000" || r.Pool["pool-unreserved"] != "997" {
		t.Errorf("pool %v", r.Pool)
	}
	if r.View.Name != "warm" || r.View.Charts < 2 || r.View.LogLines == 0 || r.View.Figures["provisioned-status:live"] != "READY" {
		t.Errorf("function view %+v", r.View)
	}
}

// TestDashboardLogin: under --auth sigv4 the page is a login form, a wrong
// secret is refused, the right one shows only that key's account (the
// cookie, at least one, out of scripts' reach), logging out returns to the
// form, and an open page whose session ends elsewhere returns to the form
// by itself (its streams end; the refused reconnect reloads the page).
func TestDashboardLogin(t *testing.T) {
	browser(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate",
		Credentials: map[string]string{"123456789012": "one-secret", "210987654321": "two-secret"}})
	for _, k := range []struct{ account, secret, fn string }{{"123456789012", "one-secret", "mine"}, {"210987654321", "two-secret", "theirs"}} {
		cfg := srv.AWSConfigFor(k.account, "us-east-1")
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: k.account, SecretAccessKey: k.secret}, nil
		})
		create(t, lambda.NewFromConfig(cfg), k.account, k.fn, false)
	}
	d := drive(t, "auth", srv.URL, t.TempDir(), "123456789012", "one-secret")
	var r struct {
		Status           int
		LoginForm        bool
		Refused          bool
		Functions        []string
		Scopes           []string
		Cookies          int
		CookieHTTPOnly   bool `json:"cookieHttpOnly"`
		ScriptSeesCookie bool
		LoggedOut        bool
		OutsideLogout    int
		BackToLogin      bool
	}
	d.next(t, &r)
	if r.Status != 401 || !r.LoginForm || !r.Refused {
		t.Errorf("before login: status %d, form %v, wrong secret refused %v", r.Status, r.LoginForm, r.Refused)
	}
	if len(r.Functions) != 1 || r.Functions[0] != "mine" || len(r.Scopes) != 1 || r.Scopes[0] != "123456789012/us-east-1" {
		t.Errorf("logged in: functions %v, scopes %v; want only account 123456789012's", r.Functions, r.Scopes)
	}
	if r.Cookies < 1 || !r.CookieHTTPOnly || r.ScriptSeesCookie || !r.LoggedOut {
		t.Errorf("%d cookies, HttpOnly+Strict %v, visible to scripts %v, logged out %v", r.Cookies, r.CookieHTTPOnly, r.ScriptSeesCookie, r.LoggedOut)
	}
	if r.OutsideLogout != 303 || !r.BackToLogin {
		t.Errorf("session ended outside the page (logout %d): page back at the login form %v", r.OutsideLogout, r.BackToLogin)
	}
}

// TestDashboardFirstLoad: the page's first load with 100 functions, from
// navigation until the 100 rows show (reported in docs/BENCHMARKS.md; the
// bound here only catches a page that hangs).
func TestDashboardFirstLoad(t *testing.T) {
	browser(t)
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	for i := range 100 {
		create(t, c, "123456789012", fmt.Sprintf("fn-%03d", i), false)
	}
	// Once the sampler has them all, time one snapshot request.
	var body []byte
	var api time.Duration
	deadline := time.Now().Add(10 * time.Second)
	for {
		start := time.Now()
		res, err := http.DefaultClient.Do(mustRequest(t, srv.URL+"/_reservoir/api/snapshot"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		api = time.Since(start)
		var snap struct{ Functions []json.RawMessage }
		if err := json.Unmarshal(body, &snap); err != nil {
			t.Fatal(err)
		}
		if len(snap.Functions) == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot shows %d functions", len(snap.Functions))
		}
		time.Sleep(100 * time.Millisecond)
	}
	d := drive(t, "firstload", srv.URL, t.TempDir(), "100")
	var r struct {
		Rows int
		Ms   int
		Nav  map[string]float64
	}
	d.next(t, &r)
	t.Logf("first load with 100 functions: snapshot API %v (%d bytes), page until 100 rows %d ms, navigation %v", api, len(body), r.Ms, r.Nav)
	if r.Rows != 100 || r.Ms > 10000 {
		t.Errorf("page: %d rows in %d ms", r.Rows, r.Ms)
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
