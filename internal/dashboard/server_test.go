package dashboard_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/dashboard"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

func get(t *testing.T, c *http.Client, u string) (int, []byte) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func snapshot(t *testing.T, c *http.Client, u string) dashboard.Snapshot {
	t.Helper()
	code, b := get(t, c, u)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", u, code, b)
	}
	var s dashboard.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func messageOf(t *testing.T, b []byte) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal(b, &m); err != nil || m.Message == "" {
		t.Fatalf("error body %q is not {\"message\":...}", b)
	}
	return m.Message
}

// pythonZip zips one handler as index.py.
func pythonZip(t *testing.T, code string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte(code))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func createFunction(t *testing.T, c *lambda.Client, account, name string, reserved int32) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython311,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::" + account + ":role/r"),
		Code: &types.FunctionCode{ZipFile: pythonZip(t, "def handler(e, c):\n    return e\n")}}); err != nil {
		t.Fatal(err)
	}
	if reserved >= 0 {
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(reserved)}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSnapshotAPI drives the API of a server without auth through HTTP:
// every account, functions as the SDK configured them, the contract's
// errors, the event stream, a function's detail, and the AWS API still
// served beside it.
func TestSnapshotAPI(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	other := lambda.NewFromConfig(srv.AWSConfigFor("210987654321", "eu-west-1"))
	createFunction(t, c, "123456789012", "zeta", 3)
	createFunction(t, c, "123456789012", "alpha", -1)
	createFunction(t, other, "210987654321", "elsewhere", -1)
	hc := &http.Client{Timeout: 10 * time.Second}
	base := srv.URL + "/_reservoir/api/"

	var s dashboard.Snapshot
	waitFor(t, "the functions in the snapshot", func() bool {
		s = snapshot(t, hc, base+"snapshot?account=123456789012&region=us-east-1")
		return len(s.Functions) == 2
	})
	if s.Functions[0].Name != "alpha" || s.Functions[1].Name != "zeta" || *s.Functions[1].Reserved != 3 || s.Functions[0].Reserved != nil {
		t.Errorf("functions %+v", s.Functions)
	}
	if s.Pool.Limit != 1000 || s.Pool.Reserved != 3 || s.Pool.Unreserved != 997 {
		t.Errorf("pool %+v", s.Pool)
	}
	want := []dashboard.AccountRegion{{Account: "123456789012", Region: "us-east-1"}, {Account: "210987654321", Region: "eu-west-1"}}
	if len(s.Accounts) != 2 || s.Accounts[0] != want[0] || s.Accounts[1] != want[1] {
		t.Errorf("accounts %v, want %v", s.Accounts, want)
	}
	if o := snapshot(t, hc, base+"snapshot?account=210987654321&region=eu-west-1"); len(o.Functions) != 1 || o.Functions[0].Name != "elsewhere" {
		t.Errorf("other account %+v", o.Functions)
	}
	if u := snapshot(t, hc, base+"snapshot?account=999999999999&region=us-east-1"); len(u.Functions) != 0 || u.Functions == nil || u.Pool.Limit != 1000 {
		t.Errorf("unknown account %+v", u)
	}
	for _, q := range []string{"account=12345&region=us-east-1", "account=123456789012&region=Mars", "account=12345678901x"} {
		code, b := get(t, hc, base+"snapshot?"+q)
		if code != 400 {
			t.Errorf("%s: %d", q, code)
		}
		messageOf(t, b)
	}

	// A function's detail: 15 minutes a second, its reserved line.
	code, b := get(t, hc, base+"functions/zeta?account=123456789012&region=us-east-1")
	if code != 200 {
		t.Fatalf("detail %d %s", code, b)
	}
	var d dashboard.Detail
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Function.Name != "zeta" || len(d.Seconds.Inflight) != 900 || d.Seconds.Reserved[899] == nil || *d.Seconds.Reserved[899] != 3 {
		t.Errorf("detail: %s, %d points, last reserved %v", d.Function.Name, len(d.Seconds.Inflight), d.Seconds.Reserved[899])
	}
	for _, bad := range []string{"functions/a%20b", "functions/" + strings.Repeat("x", 65), "functions/a%20b/logs", "functions/zeta?region=moon"} {
		if code, b := get(t, hc, base+bad); code != 400 {
			t.Errorf("%s: %d", bad, code)
		} else {
			messageOf(t, b)
		}
	}
	if code, b := get(t, hc, base+"functions/nope?account=123456789012&region=us-east-1"); code != 404 {
		t.Errorf("unknown function: %d", code)
	} else {
		messageOf(t, b)
	}

	// The stream pushes the snapshot each tick.
	res, err := hc.Get(base + "events?account=123456789012&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	events := readEvents(t, res.Body, 2)
	res.Body.Close()
	var first, second dashboard.Snapshot
	_ = json.Unmarshal([]byte(events[0]), &first)
	_ = json.Unmarshal([]byte(events[1]), &second)
	if len(first.Functions) != 2 || !second.Time.After(first.Time) {
		t.Errorf("events: %d functions, times %v then %v", len(first.Functions), first.Time, second.Time)
	}

	// The AWS API is still served beside it.
	if _, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("zeta")}); err != nil {
		t.Fatal(err)
	}
}

// readEvents reads n events' data from a server-sent event stream.
func readEvents(t *testing.T, r io.Reader, n int) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() && len(out) < n {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
		}
	}
	if len(out) < n {
		t.Fatalf("stream ended after %d events: %v", len(out), sc.Err())
	}
	return out
}

// TestAuth: under --auth sigv4 the page is a login form, the API refuses a
// caller without a session or signature, a wrong secret is refused, a
// session sees only its key's account, a signed request works (as
// `reservoir top` sends it), and logging out ends the session.
func TestAuth(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate",
		Credentials: map[string]string{"123456789012": "secret-one", "210987654321": "secret-two"}})
	mine := srv.AWSConfig(t)
	mine.Credentials = aws.NewCredentialsCache(staticCreds{"123456789012", "secret-one"})
	createFunction(t, lambda.NewFromConfig(mine), "123456789012", "mine", 2)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirect}
	snap := srv.URL + "/_reservoir/api/snapshot"

	code, b := get(t, hc, srv.URL+"/_reservoir/")
	if code != 401 || !strings.Contains(string(b), `name="secret_access_key"`) {
		t.Errorf("page without a session: %d, login form %v", code, strings.Contains(string(b), "secret_access_key"))
	}
	if code, b := get(t, hc, snap); code != 401 {
		t.Errorf("API without a session: %d", code)
	} else {
		messageOf(t, b)
	}

	login := func(akid, secret string) *http.Response {
		res, err := hc.PostForm(srv.URL+"/_reservoir/login", url.Values{"access_key_id": {akid}, "secret_access_key": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, bad := range [][2]string{{"123456789012", "secret-two"}, {"nobody", "secret-one"}, {"123456789012", ""}} {
		if res := login(bad[0], bad[1]); res.StatusCode != 401 || len(res.Cookies()) != 0 {
			t.Errorf("login %s/%q: %d, cookies %v", bad[0], bad[1], res.StatusCode, res.Cookies())
		}
	}
	res := login("123456789012", "secret-one")
	if res.StatusCode != 303 || len(res.Cookies()) != 1 {
		t.Fatalf("login: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	ck := res.Cookies()[0]

	// Another site's page can neither log in nor log out, and a second
	// login from the same browser ends the first session.
	crossPost := func(path string, h http.Header, form url.Values) int {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header = h
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(ck)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if len(res.Cookies()) != 0 {
			t.Errorf("%s refused but set %v", path, res.Cookies())
		}
		return res.StatusCode
	}
	good := url.Values{"access_key_id": {"123456789012"}, "secret_access_key": {"secret-one"}}
	for _, h := range []http.Header{{"Sec-Fetch-Site": {"cross-site"}}, {"Origin": {"http://evil.example"}}} {
		if code := crossPost("/_reservoir/login", h, good); code != 403 {
			t.Errorf("cross-origin login %v: %d", h, code)
		}
		if code := crossPost("/_reservoir/logout", h, nil); code != 403 {
			t.Errorf("cross-origin logout %v: %d", h, code)
		}
	}
	withCookie := func(c *http.Cookie) int {
		req, _ := http.NewRequest("GET", snap, nil)
		req.AddCookie(c)
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := withCookie(ck); code != 200 {
		t.Fatalf("the session after refused cross-origin logouts: %d", code)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/_reservoir/login", strings.NewReader(good.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	req.AddCookie(ck)
	res, err := hc.Do(req)
	if err != nil || res.StatusCode != 303 || len(res.Cookies()) != 1 {
		t.Fatalf("second login: %v %v", res, err)
	}
	res.Body.Close()
	if code := withCookie(ck); code != 401 {
		t.Errorf("the first session after a second login from its browser: %d", code)
	}
	ck = res.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || len(ck.Value) < 32 {
		t.Errorf("cookie %+v", ck)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL + "/_reservoir/")
	jar.SetCookies(u, []*http.Cookie{ck})
	hc.Jar = jar

	if code, b := get(t, hc, srv.URL+"/_reservoir/"); code != 200 || strings.Contains(string(b), "secret_access_key") {
		t.Errorf("page with a session: %d", code)
	}
	var s dashboard.Snapshot
	waitFor(t, "the function in the snapshot", func() bool {
		s = snapshot(t, hc, snap)
		return len(s.Functions) == 1
	})
	if s.Account != "123456789012" || len(s.Accounts) != 1 || s.Accounts[0].Account != "123456789012" || len(s.Functions) != 1 {
		t.Errorf("session's snapshot: account %s, accounts %v, %d functions", s.Account, s.Accounts, len(s.Functions))
	}
	if code, b := get(t, hc, snap+"?account=210987654321&region=us-east-1"); code != 403 {
		t.Errorf("another account: %d", code)
	} else {
		messageOf(t, b)
	}

	// A signed request, without a session.
	signed := func(akid, secret, query string) (int, []byte) {
		req, _ := http.NewRequest("GET", snap+query, nil)
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, req,
			hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	if code, b := signed("210987654321", "secret-two", ""); code != 200 {
		t.Errorf("signed: %d %s", code, b)
	} else if var2 := (dashboard.Snapshot{}); json.Unmarshal(b, &var2) != nil || var2.Account != "210987654321" || len(var2.Functions) != 0 {
		t.Errorf("signed snapshot %s", b)
	}
	if code, _ := signed("210987654321", "wrong", ""); code != 403 {
		t.Errorf("bad signature: %d", code)
	}
	if code, _ := signed("210987654321", "secret-two", "?account=123456789012"); code != 403 {
		t.Errorf("signed for another account: %d", code)
	}

	// Streams open under the session end when it does.
	streams := &http.Client{Jar: jar}
	ended := make(chan string, 3)
	for _, path := range []string{"events", "functions/mine", "functions/mine/logs"} {
		req, _ := http.NewRequest("GET", srv.URL+"/_reservoir/api/"+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := streams.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s with a session: %d", path, res.StatusCode)
		}
		readEvents(t, res.Body, 1)
		go func() {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			ended <- path
		}()
		t.Cleanup(func() { res.Body.Close() })
	}

	// Logging out ends the session, server-side too.
	req, _ = http.NewRequest("POST", srv.URL+"/_reservoir/logout", nil)
	if res, err := hc.Do(req); err != nil || res.StatusCode != 303 {
		t.Fatalf("logout: %v %v", res, err)
	}
	for range 3 {
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatal("a stream opened under the session still runs after logout")
		}
	}
	if code, _ := get(t, hc, snap); code != 401 {
		t.Errorf("after logout: %d", code)
	}
	stale := &http.Client{Timeout: 10 * time.Second}
	r2, _ := http.NewRequest("GET", snap, nil)
	r2.AddCookie(ck)
	if res, err := stale.Do(r2); err != nil || res.StatusCode != 401 {
		t.Errorf("the old cookie after logout: %v %v", res.StatusCode, err)
	}
}

type staticCreds struct{ akid, secret string }

func (s staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: s.secret}, nil
}

// TestTimeline: a target-tracking policy's high alarm set to ALARM shows on
// the function's timeline as an alarm state change, and the scale-out it
// triggers as a scaling activity of the alias.
func TestTimeline(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	cfg := srv.AWSConfig(t)
	ctx := context.Background()
	c := lambda.NewFromConfig(cfg)
	createFunction(t, c, "123456789012", "orders", -1)
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
	as := aas.NewFromConfig(cfg)
	ns, dim, rid := aastypes.ServiceNamespaceLambda, aastypes.ScalableDimensionLambdaFunctionProvisionedConcurrency, "function:orders:live"
	if _, err := as.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(rid),
		ScalableDimension: dim, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	put, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: ns, ResourceId: aws.String(rid), ScalableDimension: dim,
		PolicyName: aws.String("util"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.7),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeLambdaProvisionedConcurrencyUtilization}}})
	if err != nil {
		t.Fatal(err)
	}
	var high string
	for _, a := range put.Alarms {
		if strings.Contains(aws.ToString(a.AlarmName), "AlarmHigh") {
			high = aws.ToString(a.AlarmName)
		}
	}
	if _, err := cloudwatch.NewFromConfig(cfg).SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(high),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	var d dashboard.Detail
	waitFor(t, "the alarm and the scale-out on the timeline", func() bool {
		code, b := get(t, hc, srv.URL+"/_reservoir/api/functions/orders")
		if code != 200 {
			return false
		}
		d = dashboard.Detail{}
		_ = json.Unmarshal(b, &d)
		var alarm, scaling bool
		for _, ev := range d.Timeline {
			alarm = alarm || (ev.Kind == dashboard.TimelineAlarm && ev.Name == high && ev.State == "ALARM")
			scaling = scaling || (ev.Kind == dashboard.TimelineScaling && ev.Qualifier == "live")
		}
		return alarm && scaling
	})
	for i := 1; i < len(d.Timeline); i++ {
		if d.Timeline[i].Time.Before(d.Timeline[i-1].Time) {
			t.Errorf("timeline not oldest first: %+v", d.Timeline)
		}
	}
}

// TestCloseEndsStreams: open streams (snapshot events, a function's view,
// its log tail) do not hold up a graceful stop: Close ends them and
// returns well before the 10 s it would otherwise wait, and each client
// sees its stream end.
func TestCloseEndsStreams(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	createFunction(t, lambda.NewFromConfig(srv.AWSConfig(t)), "123456789012", "fn", -1)
	hc := &http.Client{}
	waitFor(t, "the function in the snapshot", func() bool {
		code, _ := get(t, hc, srv.URL+"/_reservoir/api/functions/fn")
		return code == 200
	})
	ended := make(chan error, 3)
	for _, path := range []string{"events", "functions/fn", "functions/fn/logs"} {
		req, _ := http.NewRequest("GET", srv.URL+"/_reservoir/api/"+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		readEvents(t, res.Body, 1)
		go func() {
			_, err := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			ended <- err
		}()
	}
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with streams open", d)
	}
	for range 3 {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream did not end")
		}
	}
}
