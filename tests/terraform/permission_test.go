package terraform

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// permissionHCL is a published function with a `live` alias and three
// aws_lambda_permissions: another account may invoke the alias, S3 (one
// bucket of this account) the function, and anyone its function URL. The
// other account is named by its root ARN: AWS shows a principal sent as an
// account ID as that ARN, and the provider reads it back as such, so an
// account ID in the configuration is a perpetual replacement on AWS too
// (hashicorp/terraform-provider-aws#30722).
const permissionHCL = providerHCL + `
resource "aws_lambda_function" "api" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-perm"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  publish          = true
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.api.function_name
  function_version = aws_lambda_function.api.version
}

resource "aws_lambda_permission" "partner" {
  statement_id  = "AllowPartnerInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "arn:aws:iam::{{.Partner}}:root"
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.api.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:aws:s3:::reservoir-tf-bucket"
  source_account = "{{.Account}}"
}

resource "aws_lambda_permission" "url" {
  statement_id           = "FunctionURLAllowPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.api.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
`

// permissionConfig fills permissionHCL.
type permissionConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	Partner  string
}

// testPermission applies three aws_lambda_permissions (one on an alias, one
// with source_arn/source_account, one for a function URL), plans clean,
// replaces one (every argument forces a new statement), imports it
// (FUNCTION:QUALIFIER/STATEMENT_ID) and destroys them, checking the
// policies through the SDK.
func testPermission(t *testing.T, tc *toolchain) {
	srv, cfg := startSigV4(t, reservoirtest.Options{})
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(cfg)
	w := tc.workdir(t)
	conf := permissionConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-perm", Partner: "210987654321"}
	const partner = "aws_lambda_permission.partner"
	defer rec.checkNoServerErrors(t)
	policy := func(t *testing.T, qualifier string) map[string]map[string]any {
		t.Helper()
		in := &lambda.GetPolicyInput{FunctionName: aws.String(conf.Function)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		out, err := lc.GetPolicy(t.Context(), in)
		if err != nil {
			t.Fatalf("GetPolicy(%q): %v", qualifier, err)
		}
		var doc struct{ Statement []map[string]any }
		if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
			t.Fatal(err)
		}
		bySid := map[string]map[string]any{}
		for _, st := range doc.Statement {
			bySid[st["Sid"].(string)] = st
		}
		return bySid
	}
	wantPartner := func(t *testing.T, acct string) {
		t.Helper()
		st := policy(t, "live")["AllowPartnerInvoke"]
		if p, _ := st["Principal"].(map[string]any); p == nil || p["AWS"] != "arn:aws:iam::"+acct+":root" {
			t.Errorf("alias statement %v, want the principal %s's root", st, acct)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, permissionHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 5 added, 0 changed, 0 destroyed.")
		wantPartner(t, conf.Partner)
		unq := policy(t, "")
		sids := make([]string, 0, len(unq))
		for sid := range unq {
			sids = append(sids, sid)
		}
		slices.Sort(sids)
		if !slices.Equal(sids, []string{"AllowS3Invoke", "FunctionURLAllowPublicAccess"}) {
			t.Errorf("unqualified policy's statements %v", sids)
		}
		cond, _ := unq["AllowS3Invoke"]["Condition"].(map[string]any)
		if arnLike, _ := cond["ArnLike"].(map[string]any); arnLike == nil || arnLike["AWS:SourceArn"] != "arn:aws:s3:::reservoir-tf-bucket" {
			t.Errorf("S3 statement condition %v", cond)
		}
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Replace", func(t *testing.T, w *workdir) {
		conf.Partner = "333333333333"
		w.writeFile("main.tf", render(t, permissionHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{partner: "replace"})
		if summary != (planSummary{Add: 1, Remove: 1}) {
			t.Errorf("plan summary = %+v, want 1 to add, 1 to destroy", summary)
		}
		wantPartner(t, conf.Partner)
		if n := len(policy(t, "live")); n != 1 {
			t.Errorf("alias policy has %d statements after the replacement, want 1", n)
		}
		w.planIsClean()
	})
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", partner)
		wantOutput(t, w.must("import", "-input=false", "-no-color", partner, conf.Function+":live/AllowPartnerInvoke"), "Import successful!")
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
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 5 destroyed.")
		_, err := lc.GetPolicy(t.Context(), &lambda.GetPolicyInput{FunctionName: aws.String(conf.Function)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetPolicy after destroy: %v, want ResourceNotFoundException", err)
		}
	})
}
