package lambdaapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// runLayered creates a function of runtime with the given code and layers
// on a server with isolation mode iso, invokes it and returns its answer
// decoded. It skips when this machine cannot run the runtime in that mode.
func runLayered(t *testing.T, iso string, runtime types.Runtime, handler string, code map[string]string, layers ...map[string]string) map[string]any {
	t.Helper()
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Isolation: iso})
	c := sdkClient(t, srv)
	var arns []string
	for i, files := range layers {
		out := publishLayer(t, c, "layer"+string(rune('a'+i)), zipOf(t, files), nil, nil)
		arns = append(arns, aws.ToString(out.LayerVersionArn))
	}
	if _, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("f"), Runtime: runtime, Handler: aws.String(handler),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zipOf(t, code)}, Layers: arns,
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("f")})
	var ire *types.InvalidRuntimeException
	if errors.As(err, &ire) {
		t.Skipf("%s cannot run with isolation %s here: %s", runtime, iso, aws.ToString(ire.Message))
	}
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	return m
}

var isolationModes = []string{"off", "auto"}

// TestLayersPython: a Python function imports a module from a layer's
// python/ directory and a package from python/lib/python3.X/site-packages,
// where AWS's runtime looks; the later of two layers wins a file both have;
// the merged tree is read-only.
func TestLayersPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	for _, iso := range isolationModes {
		t.Run(iso, func(t *testing.T) {
			m := runLayered(t, iso, types.RuntimePython312, "app.handler",
				map[string]string{"app.py": `import os, shared, sitepkg
def handler(event, context):
    opt = os.path.dirname(os.path.dirname(shared.__file__))
    try:
        open(os.path.join(opt, "python", "new.txt"), "w")
        writable = True
    except OSError:
        writable = False
    return {"shared": shared.WHO, "site": sitepkg.NAME, "only_first": shared.first(), "writable": writable,
            "isolated_at_opt": shared.__file__ == "/opt/python/shared.py"}
`},
				map[string]string{"python/shared.py": "WHO = 'first'\ndef first():\n    import only_first\n    return only_first.X\n",
					"python/only_first.py": "X = 'kept'\n"},
				map[string]string{"python/shared.py": "WHO = 'second'\ndef first():\n    import only_first\n    return only_first.X\n",
					"python/lib/python3.12/site-packages/sitepkg/__init__.py": "NAME = 'site-packages'\n"},
			)
			if m["shared"] != "second" || m["site"] != "site-packages" || m["only_first"] != "kept" {
				t.Errorf("answer %v", m)
			}
			// Unisolated as root, the function is root: no mode stops it.
			if m["writable"] != false && (iso != "off" || !reservoirIsolated(t)) {
				t.Errorf("the layers' tree is writable: %v", m)
			}
			if iso == "off" && m["isolated_at_opt"] != false || iso == "auto" && m["isolated_at_opt"] == false && reservoirIsolated(t) {
				t.Errorf("layer location %v (isolation %s)", m, iso)
			}
		})
	}
}

// TestLayersNode: a Node.js function requires a package from a layer's
// nodejs/node_modules and one from nodejs/node20/node_modules.
func TestLayersNode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	for _, iso := range isolationModes {
		t.Run(iso, func(t *testing.T) {
			m := runLayered(t, iso, types.RuntimeNodejs20x, "index.handler",
				map[string]string{"index.js": `const lib = require("layerlib"); const v = require("versioned");
exports.handler = async () => ({ lib: lib.name, versioned: v.name, path: require.resolve("layerlib") });
`},
				map[string]string{"nodejs/node_modules/layerlib/index.js": "module.exports = { name: 'layerlib' };\n"},
				map[string]string{"nodejs/node20/node_modules/versioned/index.js": "module.exports = { name: 'node20' };\n"},
			)
			if m["lib"] != "layerlib" || m["versioned"] != "node20" {
				t.Errorf("answer %v", m)
			}
		})
	}
}

// reservoirIsolated reports whether "auto" isolates on this machine (as
// root on Linux), where "off" runs functions as root.
func reservoirIsolated(t *testing.T) bool {
	t.Helper()
	out, err := exec.Command("id", "-u").Output()
	return err == nil && string(out) == "0\n"
}
