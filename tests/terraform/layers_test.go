package terraform

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// layersHCL is a layer version and a function using it, with the settings
// Reservoir keeps and shows back (tracing, ephemeral storage, a dead-letter
// target): a clean plan after the apply is the check that they read back
// exactly as written.
const layersHCL = providerHCL + `
resource "aws_lambda_layer_version" "deps" {
  layer_name          = "{{.Function}}-deps"
  filename            = "{{.LayerZip}}"
  source_code_hash    = filebase64sha256("{{.LayerZip}}")
  compatible_runtimes = ["python3.12", "python3.13"]
  description         = "shared dependencies"
  license_info        = "MIT"
}

resource "aws_lambda_function" "fn" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-layers"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  layers           = [aws_lambda_layer_version.deps.arn]

  tracing_config {
    mode = "{{.Tracing}}"
  }
  ephemeral_storage {
    size = {{.Storage}}
  }
  dead_letter_config {
    target_arn = "arn:aws:sqs:{{.Region}}:{{.Account}}:tf-layers-dlq"
  }
}
`

type layersConfig struct {
	shared
	Endpoint, Zip, LayerZip, Function, Tracing string
	Storage                                    int
}

// testLayers applies a layer version and a function using it with tracing,
// ephemeral storage and a dead-letter target, plans clean, changes the
// settings in place, imports the function, and destroys both, checking
// Reservoir through the SDK.
func testLayers(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := layersConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), LayerZip: w.writeZip("layer.zip"),
		Function: "tf-layers", Tracing: "Active", Storage: 1024}
	const fnAddr, layerAddr = "aws_lambda_function.fn", "aws_lambda_layer_version.deps"
	layerARN := "arn:aws:lambda:" + region + ":" + account + ":layer:tf-layers-deps:1"
	defer rec.checkNoServerErrors(t)
	want := func(t *testing.T, tracing types.TracingMode, storage int32) {
		t.Helper()
		out, err := lc.GetFunctionConfiguration(t.Context(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(conf.Function)})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration: %v", err)
		}
		if len(out.Layers) != 1 || aws.ToString(out.Layers[0].Arn) != layerARN || out.TracingConfig.Mode != tracing ||
			aws.ToInt32(out.EphemeralStorage.Size) != storage || out.DeadLetterConfig == nil ||
			aws.ToString(out.DeadLetterConfig.TargetArn) != "arn:aws:sqs:"+region+":"+account+":tf-layers-dlq" {
			t.Errorf("configuration: layers %+v tracing %v storage %d dlq %+v", out.Layers, out.TracingConfig.Mode, aws.ToInt32(out.EphemeralStorage.Size), out.DeadLetterConfig)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, layersHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 2 added, 0 changed, 0 destroyed.")
		want(t, types.TracingModeActive, 1024)
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Update", func(t *testing.T, w *workdir) {
		conf.Tracing, conf.Storage = "PassThrough", 2048
		w.writeFile("main.tf", render(t, layersHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{fnAddr: "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change", summary)
		}
		want(t, types.TracingModePassThrough, 2048)
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		// The function: its settings and layers are read back. The layer
		// version stays in the state: its filename is not readable back
		// and forces a new version (the provider replaces an imported
		// aws_lambda_layer_version on AWS too).
		w.must("state", "rm", "-no-color", fnAddr)
		wantOutput(t, w.must("import", "-input=false", "-no-color", fnAddr, conf.Function), "Import successful!")
		shown := w.must("state", "show", "-no-color", fnAddr)
		for _, s := range []string{`mode = "PassThrough"`, `size = 2048`, `target_arn = "arn:aws:sqs:` + region + ":" + account + `:tf-layers-dlq"`, layerARN} {
			if !strings.Contains(shown, s) {
				t.Errorf("imported state lacks %s:\n%s", s, shown)
			}
		}
		// What an import cannot read back are the local files: the provider
		// plans at most an in-place update of the function for them.
		changes, _ := w.planJSON()
		for _, c := range changes {
			if c.Address != fnAddr || c.Action != "update" {
				t.Errorf("plan after import: %s %s", c.Action, c.Address)
			}
		}
		w.apply()
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 2 destroyed.")
		_, err := lc.GetLayerVersion(t.Context(), &lambda.GetLayerVersionInput{LayerName: aws.String("tf-layers-deps"), VersionNumber: aws.Int64(1)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetLayerVersion after destroy: %v, want ResourceNotFoundException", err)
		}
	})
}
