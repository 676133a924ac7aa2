package awsproto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServiceModels: the generated table says what botocore's models say
// of the services Reservoir serves or will serve, and of those its tests
// ask for.
func TestServiceModels(t *testing.T) {
	ms := newModels()
	for _, want := range []serviceModel{
		{name: "lambda", id: "Lambda", signing: "lambda", protocols: []Protocol{RESTJSON}},
		{name: "iam", id: "IAM", signing: "iam", protocols: []Protocol{Query}, apiVersion: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/"},
		{name: "sts", id: "STS", signing: "sts", protocols: []Protocol{Query}, apiVersion: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"},
		{name: "logs", id: "CloudWatch Logs", signing: "logs", protocols: []Protocol{JSON11}, target: "Logs_20140328"},
		{name: "cloudwatch", id: "CloudWatch", signing: "monitoring", protocols: []Protocol{RPCv2CBOR, JSON10, Query}, target: "GraniteServiceVersion20100801",
			apiVersion: "2010-08-01", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/"},
		{name: "application-autoscaling", id: "Application Auto Scaling", signing: "application-autoscaling", protocols: []Protocol{JSON11}, target: "AnyScaleFrontendService"},
		{name: "s3", id: "S3", signing: "s3", protocols: []Protocol{RESTXML}},
		{name: "sqs", id: "SQS", signing: "sqs", protocols: []Protocol{JSON10}, target: "AmazonSQS"},
		{name: "dynamodb", id: "DynamoDB", signing: "dynamodb", protocols: []Protocol{JSON10}, target: "DynamoDB_20120810"},
		{name: "sns", id: "SNS", signing: "sns", protocols: []Protocol{Query}, apiVersion: "2010-03-31", xmlns: "http://sns.amazonaws.com/doc/2010-03-31/"},
	} {
		got := ms.find(want.signing, markers{}, nil)
		if got == nil || got.name != want.name || got.id != want.id || !slices.Equal(got.protocols, want.protocols) ||
			got.target != want.target || got.apiVersion != want.apiVersion || got.xmlns != want.xmlns {
			t.Errorf("model of %s = %+v, want %+v", want.signing, got, want)
		}
	}
	if m := ms.find("", markers{target: true, targetPrefix: "AnyScaleFrontendService"}, nil); m == nil || m.signing != "application-autoscaling" {
		t.Errorf("the target prefix AnyScaleFrontendService names %+v", m)
	}
	if m := ms.find("s3", markers{}, nil); m == nil || m.name != "s3" {
		t.Errorf("signing name s3 finds %+v first, want s3 (not s3control)", m)
	}
}

// TestServiceModelsGenerated: models_gen.go is what the generator writes
// from the botocore it names. It runs when python3 has that botocore.
func TestServiceModelsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator; skipped with -short")
	}
	out, err := exec.Command("python3", "-c", "import botocore, os; print(botocore.__version__); print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("python3 with botocore is not installed")
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 || lines[0] != botocoreVersion {
		t.Skipf("botocore here is %q, models_gen.go is from %s", lines, botocoreVersion)
	}
	dst := filepath.Join(t.TempDir(), "models_gen.go")
	cmd := exec.Command("go", "run", "./internal/genmodels", "-botocore", lines[1], "-o", dst)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("genmodels: %v\n%s", err, b)
	}
	want, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("models_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("models_gen.go differs from the generator's output: run go generate ./internal/awsproto")
	}
}
