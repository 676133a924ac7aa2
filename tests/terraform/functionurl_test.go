package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// functionURLHCL is a function with a `live` alias and an
// aws_lambda_function_url on the alias. The URL is AWS_IAM, called by its
// own account (which needs no statement).
const functionURLHCL = providerHCL + `
resource "aws_lambda_function" "web" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-url"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  publish          = true
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.web.function_name
  function_version = aws_lambda_function.web.version
}

resource "aws_lambda_function_url" "live" {
  function_name      = aws_lambda_function.web.function_name
  qualifier          = aws_lambda_alias.live.name
  authorization_type = "AWS_IAM"
  cors {
    allow_origins  = ["https://app.example"]
    allow_methods  = ["GET", "POST"]
    allow_headers  = ["content-type"]
    expose_headers = ["x-request-id"]
    max_age        = {{.MaxAge}}
  }
}

output "url" {
  value = aws_lambda_function_url.live.function_url
}
`

// functionURLConfig fills functionURLHCL.
type functionURLConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	MaxAge   int
}

// testFunctionURL applies a function URL on an alias, calls it, plans
// clean, changes its CORS in place, imports it (name/qualifier) and
// destroys it, checking Reservoir through the SDK.
func testFunctionURL(t *testing.T, tc *toolchain) {
	srv, cfg := startSigV4(t, reservoirtest.Options{})
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(cfg)
	w := tc.workdir(t)
	conf := functionURLConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-url", MaxAge: 300}
	const addr = "aws_lambda_function_url.live"
	defer rec.checkNoServerErrors(t)
	want := func(t *testing.T, maxAge int32) string {
		t.Helper()
		out, err := lc.GetFunctionUrlConfig(t.Context(), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(conf.Function), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("GetFunctionUrlConfig: %v", err)
		}
		if out.AuthType != types.FunctionUrlAuthTypeAwsIam || out.Cors == nil || aws.ToInt32(out.Cors.MaxAge) != maxAge ||
			aws.ToString(out.FunctionArn) != "arn:aws:lambda:"+region+":"+account+":function:tf-url:live" {
			t.Errorf("config %+v, want AWS_IAM with max age %d", out, maxAge)
		}
		return aws.ToString(out.FunctionUrl)
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, functionURLHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 3 added, 0 changed, 0 destroyed.")
		u := want(t, 300)
		if got := strings.TrimSpace(w.must("output", "-raw", "-no-color", "url")); got != u {
			t.Errorf("output url = %q, want %q", got, u)
		}
		// The URL answers a call signed by the function's account (which
		// needs no statement); unsigned, or signed with a wrong secret
		// (--auth sigv4 checks it), it is refused: 403.
		if status, body := getURL(t, u, "", ""); status != 403 || body != `{"Message":"Forbidden"}` {
			t.Errorf("unsigned GET %s = %d %s", u, status, body)
		}
		if status, body := getURL(t, u, account, "not-"+providerSecret); status != 403 || body != `{"Message":"Forbidden"}` {
			t.Errorf("GET %s signed with a wrong secret = %d %s", u, status, body)
		}
		status, body := getURL(t, u, account, providerSecret)
		if status != 200 || body != `{"ok": true}` {
			t.Errorf("GET %s = %d %s", u, status, body)
		}
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Update", func(t *testing.T, w *workdir) {
		conf.MaxAge = 600
		w.writeFile("main.tf", render(t, functionURLHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{addr: "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change", summary)
		}
		want(t, 600)
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", addr)
		wantOutput(t, w.must("import", "-input=false", "-no-color", addr, conf.Function+"/live"), "Import successful!")
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 3 destroyed.")
		_, err := lc.GetFunctionUrlConfig(t.Context(), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(conf.Function), Qualifier: aws.String("live")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetFunctionUrlConfig after destroy: %v, want ResourceNotFoundException", err)
		}
	})
}

// getURL GETs a function URL, resolving *.localhost to the loopback
// address as curl and browsers do; signed for lambda with accessKey and
// secret unless accessKey is "".
func getURL(t *testing.T, u, accessKey, secret string) (int, string) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(host, ".localhost") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}}}
	req, err := http.NewRequestWithContext(t.Context(), "GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accessKey != "" {
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret}, req,
			hex.EncodeToString(sum[:]), "lambda", region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
