package cli

import (
	"testing"
)

type layerVersion struct {
	LayerArn, LayerVersionArn, Description, CreatedDate string
	Version                                             int
	CompatibleRuntimes                                  []string
	Content                                             struct {
		Location, CodeSha256 string
		CodeSize             int
	}
}

// TestLayers: the AWS CLI's publish-layer-version (--zip-file), get, list,
// the layer version policy, a function given the layer, and delete.
func TestLayers(t *testing.T) {
	c := start(t)
	arn := "arn:aws:lambda:" + region + ":" + account + ":layer:cli-deps"
	var pub layerVersion
	c.json(&pub, "publish-layer-version", "--layer-name", "cli-deps", "--description", "deps",
		"--zip-file", "fileb://"+c.writeZip("layer.zip"), "--compatible-runtimes", "python3.12", "python3.13")
	if pub.LayerArn != arn || pub.LayerVersionArn != arn+":1" || pub.Version != 1 || pub.Description != "deps" ||
		len(pub.CompatibleRuntimes) != 2 || pub.Content.CodeSize == 0 || pub.Content.CodeSha256 == "" || pub.Content.Location == "" {
		t.Fatalf("publish-layer-version = %+v", pub)
	}
	var got layerVersion
	c.json(&got, "get-layer-version-by-arn", "--arn", arn+":1")
	if got.Content.CodeSha256 != pub.Content.CodeSha256 || got.CreatedDate != pub.CreatedDate {
		t.Fatalf("get-layer-version-by-arn = %+v", got)
	}
	var list struct {
		Layers []struct {
			LayerName             string
			LatestMatchingVersion layerVersion
		}
	}
	c.json(&list, "list-layers", "--compatible-runtime", "python3.13")
	if len(list.Layers) != 1 || list.Layers[0].LayerName != "cli-deps" || list.Layers[0].LatestMatchingVersion.Version != 1 {
		t.Fatalf("list-layers = %+v", list)
	}
	c.json(&list, "list-layers", "--compatible-runtime", "nodejs20.x")
	if len(list.Layers) != 0 {
		t.Fatalf("list-layers nodejs20.x = %+v", list)
	}
	var perm struct{ Statement, RevisionId string }
	c.json(&perm, "add-layer-version-permission", "--layer-name", "cli-deps", "--version-number", "1",
		"--statement-id", "all", "--action", "lambda:GetLayerVersion", "--principal", "*")
	if perm.RevisionId == "" || perm.Statement == "" {
		t.Fatalf("add-layer-version-permission = %+v", perm)
	}
	var pol struct{ Policy, RevisionId string }
	c.json(&pol, "get-layer-version-policy", "--layer-name", "cli-deps", "--version-number", "1")
	if pol.RevisionId != perm.RevisionId {
		t.Fatalf("get-layer-version-policy = %+v", pol)
	}
	c.json(nil, "remove-layer-version-permission", "--layer-name", "cli-deps", "--version-number", "1", "--statement-id", "all")

	var fn struct{ Layers []struct{ Arn string } }
	c.json(&fn, "create-function", "--function-name", "cli-layered", "--runtime", "python3.12", "--role", role,
		"--handler", "index.handler", "--zip-file", "fileb://"+c.writeZip("fn.zip"), "--layers", arn+":1")
	if len(fn.Layers) != 1 || fn.Layers[0].Arn != arn+":1" {
		t.Fatalf("create-function --layers = %+v", fn)
	}
	c.fails("InvalidParameterValueException", "Layer version "+arn+":2 does not exist.",
		"update-function-configuration", "--function-name", "cli-layered", "--layers", arn+":2")
	c.json(nil, "delete-layer-version", "--layer-name", "cli-deps", "--version-number", "1")
	c.fails("ResourceNotFoundException", "The resource you requested does not exist.",
		"get-layer-version", "--layer-name", "cli-deps", "--version-number", "1")
}
