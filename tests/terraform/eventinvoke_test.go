package terraform

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// eventInvokeHCL is a function with a `live` alias whose asynchronous
// invocations are tuned by aws_lambda_function_event_invoke_config, with a
// second function as the on-failure destination.
const eventInvokeHCL = providerHCL + `
resource "aws_lambda_function" "worker" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-async"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  publish          = true
}

resource "aws_lambda_function" "sink" {
  function_name    = "{{.Function}}-sink"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-async"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.worker.function_name
  function_version = aws_lambda_function.worker.version
}

resource "aws_lambda_function_event_invoke_config" "example" {
  function_name                = aws_lambda_function.worker.function_name
  qualifier                    = aws_lambda_alias.live.name
  maximum_retry_attempts       = {{.Retries}}
  maximum_event_age_in_seconds = {{.Age}}
  destination_config {
    on_failure {
      destination = aws_lambda_function.sink.arn
    }
  }
}
`

// eventInvokeConfig fills eventInvokeHCL.
type eventInvokeConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	Retries  int
	Age      int
}

// testEventInvokeConfig applies an event invoke config on an alias, plans
// clean, changes it in place, imports it (name:qualifier) and destroys it,
// checking Reservoir through the SDK.
func testEventInvokeConfig(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := eventInvokeConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-async", Retries: 1, Age: 120}
	const addr = "aws_lambda_function_event_invoke_config.example"
	defer rec.checkNoServerErrors(t)
	want := func(t *testing.T, retries, age int32) {
		t.Helper()
		out, err := lc.GetFunctionEventInvokeConfig(t.Context(), &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(conf.Function), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("GetFunctionEventInvokeConfig: %v", err)
		}
		if aws.ToInt32(out.MaximumRetryAttempts) != retries || aws.ToInt32(out.MaximumEventAgeInSeconds) != age ||
			out.DestinationConfig == nil || out.DestinationConfig.OnFailure == nil ||
			aws.ToString(out.DestinationConfig.OnFailure.Destination) != "arn:aws:lambda:"+region+":"+account+":function:tf-async-sink" {
			t.Errorf("config %+v, want %d retries, %d s", out, retries, age)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, eventInvokeHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 4 added, 0 changed, 0 destroyed.")
		want(t, 1, 120)
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Update", func(t *testing.T, w *workdir) {
		conf.Retries, conf.Age = 0, 3600
		w.writeFile("main.tf", render(t, eventInvokeHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{addr: "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change", summary)
		}
		want(t, 0, 3600)
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", addr)
		wantOutput(t, w.must("import", "-input=false", "-no-color", addr, conf.Function+":live"), "Import successful!")
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		mark := rec.mark()
		defer func() {
			if t.Failed() {
				for _, e := range rec.since(mark) {
					t.Log(e.String())
				}
			}
		}()
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 4 destroyed.")
		_, err := lc.GetFunctionEventInvokeConfig(t.Context(), &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(conf.Function), Qualifier: aws.String("live")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetFunctionEventInvokeConfig after destroy: %v, want ResourceNotFoundException", err)
		}
	})
}
