package lambdaapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const layerARN = "arn:aws:lambda:us-east-1:123456789012:layer:"

func publishLayer(t *testing.T, c *awslambda.Client, name string, zip []byte, runtimes []types.Runtime, archs []types.Architecture) *awslambda.PublishLayerVersionOutput {
	t.Helper()
	out, err := c.PublishLayerVersion(context.Background(), &awslambda.PublishLayerVersionInput{
		LayerName: aws.String(name), Content: &types.LayerVersionContentInput{ZipFile: zip},
		CompatibleRuntimes: runtimes, CompatibleArchitectures: archs,
	})
	if err != nil {
		t.Fatalf("PublishLayerVersion %s: %v", name, err)
	}
	return out
}

// TestSDKLayerLifecycle: the nine layer operations through aws-sdk-go-v2,
// with AWS's shapes and errors; version numbers are never reused; the
// Content.Location URL serves the zip; layers survive a restart.
func TestSDKLayerLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	zipA := zipOf(t, map[string]string{"python/liba.py": "X = 1\n"})
	before := time.Now().Add(-time.Second)
	out, err := c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{
		LayerName: aws.String("deps"), Description: aws.String("shared deps"), LicenseInfo: aws.String("MIT"),
		Content:                 &types.LayerVersionContentInput{ZipFile: zipA},
		CompatibleRuntimes:      []types.Runtime{types.RuntimePython312, types.RuntimePython313},
		CompatibleArchitectures: []types.Architecture{types.ArchitectureX8664},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.LayerArn) != layerARN+"deps" || aws.ToString(out.LayerVersionArn) != layerARN+"deps:1" || out.Version != 1 ||
		aws.ToString(out.Description) != "shared deps" || aws.ToString(out.LicenseInfo) != "MIT" ||
		!slices.Equal(out.CompatibleRuntimes, []types.Runtime{types.RuntimePython312, types.RuntimePython313}) ||
		!slices.Equal(out.CompatibleArchitectures, []types.Architecture{types.ArchitectureX8664}) ||
		out.Content == nil || out.Content.CodeSize != int64(len(zipA)) || aws.ToString(out.Content.CodeSha256) == "" {
		t.Fatalf("publish: %+v content %+v", out, out.Content)
	}
	created, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(out.CreatedDate))
	if err != nil || created.Before(before) || created.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreatedDate %q: %v", aws.ToString(out.CreatedDate), err)
	}
	mustServe(t, aws.ToString(out.Content.Location), zipA)

	// The same content again: version 2, the same digest.
	out2 := publishLayer(t, c, "deps", zipA, nil, nil)
	if out2.Version != 2 || aws.ToString(out2.Content.CodeSha256) != aws.ToString(out.Content.CodeSha256) || out2.CompatibleRuntimes != nil {
		t.Fatalf("second publish: %+v", out2)
	}
	got, err := c.GetLayerVersion(ctx, &awslambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(got.LayerVersionArn) != layerARN+"deps:1" || aws.ToString(got.Description) != "shared deps" ||
		aws.ToString(got.Content.CodeSha256) != aws.ToString(out.Content.CodeSha256) {
		t.Fatalf("GetLayerVersion: %+v %v", got, err)
	}
	// By ARN, and the layer's ARN as its name.
	byARN, err := c.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerARN + "deps:2")})
	if err != nil || byARN.Version != 2 {
		t.Fatalf("GetLayerVersionByArn: %+v %v", byARN, err)
	}
	if _, err := c.GetLayerVersion(ctx, &awslambda.GetLayerVersionInput{LayerName: aws.String(layerARN + "deps"), VersionNumber: aws.Int64(2)}); err != nil {
		t.Fatalf("GetLayerVersion by layer ARN: %v", err)
	}
	_, err = c.GetLayerVersion(ctx, &awslambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(9)})
	wantAPIError(t, "get missing version", err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerARN + "nope:1")})
	wantAPIError(t, "by ARN missing", err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String("deps:1")})
	wantAPIError(t, "by ARN malformed", err, "ValidationException", "at 'arn' failed to satisfy constraint")

	// Errors change nothing.
	_, err = c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"),
		Content: &types.LayerVersionContentInput{S3Bucket: aws.String("b"), S3Key: aws.String("k")}})
	wantAPIError(t, "S3 content", err, "InvalidParameterValueException", "Amazon S3")
	_, err = c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"),
		Content: &types.LayerVersionContentInput{ZipFile: []byte("not a zip")}})
	wantAPIError(t, "bad zip", err, "InvalidParameterValueException", "Could not unzip uploaded file.")
	_, err = c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("bad name!"),
		Content: &types.LayerVersionContentInput{ZipFile: zipA}})
	wantAPIError(t, "bad name", err, "ValidationException", "at 'layerName' failed to satisfy constraint")
	_, err = c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("deps"),
		Content:                 &types.LayerVersionContentInput{ZipFile: zipA},
		CompatibleArchitectures: []types.Architecture{"x86_64", "arm64", "x86_64"}})
	wantAPIError(t, "three architectures", err, "ValidationException", "Member must have length less than or equal to 2")

	// Filters and paging.
	publishLayer(t, c, "arm", zipOf(t, map[string]string{"a": "a"}), []types.Runtime{types.RuntimeNodejs20x}, []types.Architecture{types.ArchitectureArm64})
	publishLayer(t, c, "zed", zipOf(t, map[string]string{"z": "z"}), []types.Runtime{types.RuntimePython312}, nil)
	list := func(in *awslambda.ListLayersInput) []string {
		t.Helper()
		var names []string
		p := awslambda.NewListLayersPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page.Layers {
				names = append(names, aws.ToString(l.LayerName)+":"+aws.ToString(l.LatestMatchingVersion.LayerVersionArn)[len(aws.ToString(l.LayerArn))+1:])
			}
		}
		return names
	}
	if got := list(&awslambda.ListLayersInput{MaxItems: aws.Int32(1)}); !slices.Equal(got, []string{"arm:1", "deps:2", "zed:1"}) {
		t.Errorf("ListLayers paged: %v", got)
	}
	if got := list(&awslambda.ListLayersInput{CompatibleRuntime: types.RuntimePython312}); !slices.Equal(got, []string{"deps:1", "zed:1"}) {
		t.Errorf("ListLayers python3.12: %v", got)
	}
	if got := list(&awslambda.ListLayersInput{CompatibleArchitecture: types.ArchitectureArm64}); !slices.Equal(got, []string{"arm:1"}) {
		t.Errorf("ListLayers arm64: %v", got)
	}
	_, err = c.ListLayers(ctx, &awslambda.ListLayersInput{MaxItems: aws.Int32(51)})
	wantAPIError(t, "MaxItems 51", err, "ValidationException", "Member must have value less than or equal to 50")
	versions, err := c.ListLayerVersions(ctx, &awslambda.ListLayerVersionsInput{LayerName: aws.String("deps")})
	if err != nil || len(versions.LayerVersions) != 2 || versions.LayerVersions[0].Version != 2 || versions.LayerVersions[1].Version != 1 {
		t.Fatalf("ListLayerVersions: %+v %v", versions, err)
	}

	// Permissions.
	perm, err := c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("deps"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("other"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("210987654321")})
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(perm.Statement)), &st); err != nil {
		t.Fatal(err)
	}
	if st["Sid"] != "other" || st["Effect"] != "Allow" || st["Action"] != "lambda:GetLayerVersion" || st["Resource"] != layerARN+"deps:1" ||
		st["Principal"].(map[string]any)["AWS"] != "arn:aws:iam::210987654321:root" || aws.ToString(perm.RevisionId) == "" {
		t.Fatalf("statement %s revision %q", aws.ToString(perm.Statement), aws.ToString(perm.RevisionId))
	}
	_, err = c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("deps"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("other"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
	wantAPIError(t, "duplicate sid", err, "ResourceConflictException", "The statement id (other) provided already exists.")
	_, err = c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("deps"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("s2"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"),
		RevisionId: aws.String("stale")})
	wantAPIError(t, "stale revision", err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id.")
	pol, err := c.GetLayerVersionPolicy(ctx, &awslambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(pol.RevisionId) != aws.ToString(perm.RevisionId) {
		t.Fatalf("GetLayerVersionPolicy: %+v %v", pol, err)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("policy %s: %v", aws.ToString(pol.Policy), err)
	}
	_, err = c.GetLayerVersionPolicy(ctx, &awslambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(2)})
	wantAPIError(t, "no policy", err, "ResourceNotFoundException", "No policy is associated with the given resource.")

	// Another account sees version 1 (granted), not version 2.
	other := awslambda.NewFromConfig(srv.AWSConfigFor("210987654321", "us-east-1"))
	if _, err := other.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerARN + "deps:1")}); err != nil {
		t.Errorf("granted account: %v", err)
	}
	_, err = other.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerARN + "deps:2")})
	wantAPIError(t, "not granted", err, "AccessDeniedException", "is not authorized to perform: lambda:GetLayerVersion")
	if l, err := other.ListLayers(ctx, &awslambda.ListLayersInput{}); err != nil || len(l.Layers) != 0 {
		t.Errorf("another account lists %+v %v", l, err)
	}

	_, err = c.RemoveLayerVersionPermission(ctx, &awslambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("deps"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("nope")})
	wantAPIError(t, "remove missing sid", err, "ResourceNotFoundException", "Statement nope is not found in resource policy.")
	if _, err := c.RemoveLayerVersionPermission(ctx, &awslambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("deps"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	_, err = other.GetLayerVersionByArn(ctx, &awslambda.GetLayerVersionByArnInput{Arn: aws.String(layerARN + "deps:1")})
	wantAPIError(t, "revoked", err, "AccessDeniedException", "is not authorized")

	// Delete: idempotent; numbers are never reused, across a restart too.
	for range 2 {
		if _, err := c.DeleteLayerVersion(ctx, &awslambda.DeleteLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(2)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteLayerVersion(ctx, &awslambda.DeleteLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	if got := list(&awslambda.ListLayersInput{}); !slices.Equal(got, []string{"arm:1", "zed:1"}) {
		t.Errorf("ListLayers after deleting deps: %v", got)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := storedDigests(t, dir); len(d) != 2 {
		t.Errorf("after deleting both versions of deps, %d zips stored, want the 2 of arm and zed", len(d))
	}
	srv = reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c = sdkClient(t, srv)
	if out := publishLayer(t, c, "deps", zipA, nil, nil); out.Version != 3 {
		t.Errorf("publish after deleting 1 and 2 and a restart: version %d, want 3", out.Version)
	}
	if got := list(&awslambda.ListLayersInput{}); !slices.Equal(got, []string{"arm:1", "deps:3", "zed:1"}) {
		t.Errorf("ListLayers after the restart: %v", got)
	}
}

// TestLayerWire: what aws-sdk-go-v2 does not show: status codes, the
// absence of empty members, and the route of ?find=LayerVersion.
func TestLayerWire(t *testing.T) {
	c := newServer(t, 0)
	r := c.do("POST", "/2018-10-31/layers/w/versions", map[string]any{"Content": map[string]any{"ZipFile": zipOf(t, map[string]string{"f": "x"})}})
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %v", r.status, r.body)
	}
	m := r.body
	for _, k := range []string{"CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"} {
		if _, ok := m[k]; ok {
			t.Errorf("publish without %s answers it: %v", k, r.body)
		}
	}
	if r := c.do("DELETE", "/2018-10-31/layers/w/versions/1", nil); r.status != http.StatusNoContent {
		t.Errorf("delete: %d %v", r.status, r.body)
	}
	if r := c.do("GET", "/2018-10-31/layers/w/versions/x", nil); r.status != http.StatusBadRequest {
		t.Errorf("version x: %d %v", r.status, r.body)
	}
	if r := c.do("POST", "/2018-10-31/layers/w/versions", map[string]any{}); r.status != http.StatusBadRequest {
		t.Errorf("publish without content: %d %v", r.status, r.body)
	}
}
