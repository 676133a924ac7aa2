package cli

import (
	"encoding/json"
	"testing"
)

// TestPermissions: the AWS CLI's add-permission, get-policy and
// remove-permission on a function and an alias, and their errors.
func TestPermissions(t *testing.T) {
	c := start(t)
	const fn = "cli-perm"
	c.createFunction(fn)
	c.json(nil, "publish-version", "--function-name", fn)
	c.json(nil, "create-alias", "--function-name", fn, "--name", "live", "--function-version", "1")
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn

	c.fails("ResourceNotFoundException", "The resource you requested does not exist.", "get-policy", "--function-name", fn)
	var added struct{ Statement string }
	c.json(&added, "add-permission", "--function-name", fn, "--statement-id", "sns", "--action", "lambda:InvokeFunction",
		"--principal", "sns.amazonaws.com", "--source-arn", "arn:aws:sns:"+region+":"+account+":topic")
	var st struct {
		Sid, Effect, Action, Resource string
		Principal                     map[string]string
		Condition                     map[string]map[string]string
	}
	if err := json.Unmarshal([]byte(added.Statement), &st); err != nil {
		t.Fatalf("Statement %q: %v", added.Statement, err)
	}
	if st.Sid != "sns" || st.Effect != "Allow" || st.Action != "lambda:InvokeFunction" || st.Resource != arn ||
		st.Principal["Service"] != "sns.amazonaws.com" || st.Condition["ArnLike"]["AWS:SourceArn"] != "arn:aws:sns:"+region+":"+account+":topic" {
		t.Errorf("statement %+v", st)
	}
	c.json(nil, "add-permission", "--function-name", fn, "--qualifier", "live", "--statement-id", "xacct",
		"--action", "lambda:InvokeFunction", "--principal", "210987654321")

	var got struct{ Policy, RevisionId string }
	c.json(&got, "get-policy", "--function-name", fn, "--qualifier", "live")
	var doc struct {
		Version, Id string
		Statement   []struct {
			Sid, Resource string
			Principal     map[string]string
		}
	}
	if err := json.Unmarshal([]byte(got.Policy), &doc); err != nil {
		t.Fatalf("Policy %q: %v", got.Policy, err)
	}
	if doc.Version != "2012-10-17" || doc.Id != "default" || len(doc.Statement) != 1 || doc.Statement[0].Sid != "xacct" ||
		doc.Statement[0].Resource != arn+":live" || doc.Statement[0].Principal["AWS"] != "arn:aws:iam::210987654321:root" || got.RevisionId == "" {
		t.Errorf("get-policy live = %+v (%s)", doc, got.RevisionId)
	}
	var alias struct{ RevisionId string }
	c.json(&alias, "get-alias", "--function-name", fn, "--name", "live")
	if alias.RevisionId != got.RevisionId {
		t.Errorf("get-policy RevisionId %s, alias's %s", got.RevisionId, alias.RevisionId)
	}

	c.fails("ResourceConflictException", "The statement id (sns) provided already exists.",
		"add-permission", "--function-name", fn, "--statement-id", "sns", "--action", "lambda:InvokeFunction", "--principal", "*")
	c.fails("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id.",
		"remove-permission", "--function-name", fn, "--qualifier", "live", "--statement-id", "xacct", "--revision-id", "00000000-0000-0000-0000-000000000000")
	c.fails("ResourceNotFoundException", "Statement nope is not found in resource policy.",
		"remove-permission", "--function-name", fn, "--statement-id", "nope")
	c.json(nil, "remove-permission", "--function-name", fn, "--qualifier", "live", "--statement-id", "xacct", "--revision-id", got.RevisionId)
	c.fails("ResourceNotFoundException", "The resource you requested does not exist.", "get-policy", "--function-name", fn, "--qualifier", "live")
	c.json(&got, "get-policy", "--function-name", fn)
	if err := json.Unmarshal([]byte(got.Policy), &doc); err != nil || len(doc.Statement) != 1 || doc.Statement[0].Sid != "sns" {
		t.Errorf("the unqualified policy after the alias's went: %+v %v", doc, err)
	}
}
