package terraform

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// iamPolicyHCL: a customer managed policy rendered by aws_iam_policy_document,
// a role, and two attachments to it: that policy and an AWS managed one.
const iamPolicyHCL = providerHCL + `
data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Logs"
    actions   = [{{range $i, $a := .Actions}}{{if $i}}, {{end}}"{{$a}}"{{end}}]
    resources = ["arn:aws:logs:*:*:*"]
  }
}

resource "aws_iam_policy" "app" {
  name        = "tf-app-logs"
  path        = "/app/"
  description = "what the function may log"
  policy      = data.aws_iam_policy_document.app.json
  tags        = { team = "core" }
}

resource "aws_iam_role" "fn" {
  name = "tf-fn-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.fn.name
  policy_arn = aws_iam_policy.app.arn
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.fn.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}
`

type iamPolicyConfig struct {
	shared
	Endpoint string
	Actions  []string
}

// testIAMPolicy applies aws_iam_policy (from aws_iam_policy_document),
// aws_iam_role and two aws_iam_role_policy_attachment, plans clean, changes
// the document (a new default version), imports the policy and an
// attachment, and destroys it all, checking Reservoir through the SDK.
func testIAMPolicy(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	ic := iam.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := iamPolicyConfig{Endpoint: rec.URL, Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}}
	const (
		policyARN = "arn:aws:iam::" + account + ":policy/app/tf-app-logs"
		basicARN  = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	)
	defer rec.checkNoServerErrors(t)
	// wantPolicy checks the policy's default version and its document's actions.
	wantPolicy := func(t *testing.T, version string, actions ...string) {
		t.Helper()
		p, err := ic.GetPolicy(t.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
		if err != nil {
			t.Fatalf("GetPolicy: %v", err)
		}
		if aws.ToString(p.Policy.DefaultVersionId) != version || aws.ToInt32(p.Policy.AttachmentCount) != 1 ||
			aws.ToString(p.Policy.Description) != "what the function may log" || len(p.Policy.Tags) != 1 {
			t.Errorf("policy = %+v, want default %s, attached once", p.Policy, version)
		}
		v, err := ic.GetPolicyVersion(t.Context(), &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String(version)})
		if err != nil {
			t.Fatalf("GetPolicyVersion: %v", err)
		}
		doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
		for _, a := range actions {
			if !strings.Contains(doc, `"`+a+`"`) {
				t.Errorf("document %s lacks %s", doc, a)
			}
		}
		attached, err := ic.ListAttachedRolePolicies(t.Context(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("tf-fn-role")})
		if err != nil || len(attached.AttachedPolicies) != 2 {
			t.Errorf("attached = %+v, %v", attached, err)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, iamPolicyHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}

	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 4 added, 0 changed, 0 destroyed.")
		wantPolicy(t, "v1", "logs:CreateLogStream", "logs:PutLogEvents")
		b, err := ic.GetPolicy(t.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(basicARN)})
		if err != nil || aws.ToInt32(b.Policy.AttachmentCount) != 1 {
			t.Errorf("AWSLambdaBasicExecutionRole = %+v, %v", b, err)
		}
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("NewVersion", func(t *testing.T, w *workdir) {
		conf.Actions = []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup"}
		w.writeFile("main.tf", render(t, iamPolicyHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{"aws_iam_policy.app": "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change", summary)
		}
		wantPolicy(t, "v2", "logs:CreateLogGroup")
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", "aws_iam_policy.app", "aws_iam_role_policy_attachment.basic")
		wantOutput(t, w.must("import", "-input=false", "-no-color", "aws_iam_policy.app", policyARN), "Import successful!")
		wantOutput(t, w.must("import", "-input=false", "-no-color", "aws_iam_role_policy_attachment.basic", "tf-fn-role/"+basicARN), "Import successful!")
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 4 destroyed.")
		_, err := ic.GetPolicy(t.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			t.Errorf("GetPolicy after destroy: %v, want NoSuchEntityException", err)
		}
		b, err := ic.GetPolicy(t.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(basicARN)})
		if err != nil || aws.ToInt32(b.Policy.AttachmentCount) != 0 {
			t.Errorf("AWSLambdaBasicExecutionRole after destroy = %+v, %v", b, err)
		}
	})
	s := ""
	for _, e := range rec.exchanges() {
		if strings.Contains(e.String(), "Polic") {
			s += "  " + e.String() + "\n"
		}
	}
	t.Logf("the provider's policy calls:\n%s", s)
}
