package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/lambda"
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

// zerosZip is a zip of one file of n zero bytes, deflated (a few hundred KB
// for 100 MB).
func zerosZip(t *testing.T, name string, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSDKFunctionLayers: a function's Layers are checked as AWS checks them
// (at most five, existing, in its region, shared when of another account,
// one version per layer, 250 MB unzipped with the code), shown back as
// {Arn, CodeSize}, kept by published versions, and their zips outlive the
// layer versions while a function uses them.
func TestSDKFunctionLayers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	zipA := zipOf(t, map[string]string{"python/a.py": "A = 1\n"})
	zipB := zipOf(t, map[string]string{"python/b.py": "B = 2\n"})
	a1 := publishLayer(t, c, "a", zipA, nil, nil)
	b1 := publishLayer(t, c, "b", zipB, nil, nil)
	create := func(name string, layers ...string) (*awslambda.CreateFunctionOutput, error) {
		return c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
			Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zipOf(t, echoZip)}, Layers: layers,
		})
	}
	out, err := create("f", layerARN+"a:1", layerARN+"b:1")
	if err != nil {
		t.Fatal(err)
	}
	want := []types.Layer{{Arn: aws.String(layerARN + "a:1"), CodeSize: a1.Content.CodeSize}, {Arn: aws.String(layerARN + "b:1"), CodeSize: b1.Content.CodeSize}}
	sameLayers := func(what string, got []types.Layer, want []types.Layer) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: layers %d, want %d", what, len(got), len(want))
			return
		}
		for i := range got {
			if aws.ToString(got[i].Arn) != aws.ToString(want[i].Arn) || got[i].CodeSize != want[i].CodeSize {
				t.Errorf("%s: layer %d = %s %d, want %s %d", what, i, aws.ToString(got[i].Arn), got[i].CodeSize, aws.ToString(want[i].Arn), want[i].CodeSize)
			}
		}
	}
	sameLayers("create", out.Layers, want)
	gf, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	sameLayers("GetFunction", gf.Configuration.Layers, want)
	if _, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("f")}); err != nil {
		t.Fatal(err)
	}

	// Refusals, each changing nothing.
	six := []string{layerARN + "a:1", layerARN + "b:1", layerARN + "c:1", layerARN + "d:1", layerARN + "e:1", layerARN + "g:1"}
	_, err = create("g", six...)
	wantAPIError(t, "six layers", err, "InvalidParameterValueException", "Cannot reference more than 5 layers.")
	_, err = create("g", layerARN+"a:7")
	wantAPIError(t, "missing version", err, "InvalidParameterValueException", "Layer version "+layerARN+"a:7 does not exist.")
	_, err = create("g", "arn:aws:lambda:eu-west-1:123456789012:layer:a:1")
	wantAPIError(t, "other region", err, "InvalidParameterValueException", "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.")
	_, err = create("g", layerARN+"a:1", layerARN+"a:1")
	wantAPIError(t, "same layer twice", err, "InvalidParameterValueException", "Two different versions of the same layer are not allowed")
	_, err = create("g", "a")
	wantAPIError(t, "not an ARN", err, "ValidationException", "at 'layers' failed to satisfy constraint")
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Layers: six})
	wantAPIError(t, "update six", err, "InvalidParameterValueException", "Cannot reference more than 5 layers.")
	if _, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("g")}); err == nil {
		t.Error("a refused CreateFunction created g")
	}

	// Another account's layer: refused until its owner shares it.
	other := awslambda.NewFromConfig(srv.AWSConfigFor("210987654321", "us-east-1"))
	shared, err := other.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String("shared"),
		Content: &types.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"bin/tool": "#!/bin/sh\n"})}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = create("g", aws.ToString(shared.LayerVersionArn))
	wantAPIError(t, "unshared layer", err, "AccessDeniedException", "is not authorized to perform: lambda:GetLayerVersion on resource: "+aws.ToString(shared.LayerVersionArn))
	if _, err := other.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("us"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("123456789012")}); err != nil {
		t.Fatal(err)
	}
	if _, err := create("g", aws.ToString(shared.LayerVersionArn)); err != nil {
		t.Errorf("shared layer: %v", err)
	}

	// An update replaces the layers; version 1 keeps those it was published with.
	a2 := publishLayer(t, c, "a", zipOf(t, map[string]string{"python/a.py": "A = 2\n"}), nil, nil)
	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Layers: []string{layerARN + "a:2"}})
	if err != nil {
		t.Fatal(err)
	}
	sameLayers("update", up.Layers, []types.Layer{{Arn: aws.String(layerARN + "a:2"), CodeSize: a2.Content.CodeSize}})
	v1, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("f"), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	sameLayers("version 1", v1.Layers, want)
	// Deleting the layer versions keeps their zips while a function uses them.
	for _, n := range []int64{1, 2} {
		if _, err := c.DeleteLayerVersion(ctx, &awslambda.DeleteLayerVersionInput{LayerName: aws.String("a"), VersionNumber: aws.Int64(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteLayerVersion(ctx, &awslambda.DeleteLayerVersionInput{LayerName: aws.String("b"), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	stored := func() []string {
		t.Helper()
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		d := storedDigests(t, dir)
		srv = reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
		c = sdkClient(t, srv)
		return d
	}
	code := createWith(t, c, "plain", zipOf(t, echoZip)) // f's and g's code too
	wantDigests := sorted(code, aws.ToString(a1.Content.CodeSha256), aws.ToString(a2.Content.CodeSha256), aws.ToString(b1.Content.CodeSha256), aws.ToString(shared.Content.CodeSha256))
	if got := stored(); !slices.Equal(got, wantDigests) {
		t.Errorf("stored after deleting the layer versions f uses: %v, want %v", got, wantDigests)
	}
	// With f's version 1 and f gone, only g's shared layer and the code stay.
	if _, err := c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("f")}); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(), sorted(code, aws.ToString(shared.Content.CodeSha256)); !slices.Equal(got, want) {
		t.Errorf("stored after deleting f: %v, want %v", got, want)
	}
}

// TestSDKLayersSizeLimit: the function's code and its layers unzip to at
// most 250 MB together, checked with AWS's message at CreateFunction,
// UpdateFunctionConfiguration and UpdateFunctionCode.
func TestSDKLayersSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("deflates 330 MB of zeros")
	}
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	const mb = 1 << 20
	publishLayer(t, c, "big1", zerosZip(t, "one", 130*mb), nil, nil)
	publishLayer(t, c, "big2", zerosZip(t, "two", 110*mb), nil, nil)
	code := zerosZip(t, "code", 15*mb)
	_, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("f"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: code}, Layers: []string{layerARN + "big1:1", layerARN + "big2:1"},
	})
	wantAPIError(t, "create", err, "InvalidParameterValueException",
		"Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is 267386880 bytes.")
	if _, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("f"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: code}, Layers: []string{layerARN + "big1:1"},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"),
		Layers: []string{layerARN + "big1:1", layerARN + "big2:1"}})
	wantAPIError(t, "update configuration", err, "InvalidParameterValueException", "Function code combined with layers exceeds the maximum allowed size")
	_, err = c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("f"), ZipFile: zerosZip(t, "code", 125*mb)})
	wantAPIError(t, "update code", err, "InvalidParameterValueException", "The actual size is 267386880 bytes.")
}

// TestSDKLayerPolicyLimit: a layer version's policy has the 20 KB limit of a
// function's, with AWS's PolicyLengthExceededException; the statement that
// would pass it changes nothing, and removing one makes room again.
func TestSDKLayerPolicyLimit(t *testing.T) {
	srv := reservoirtest.Start(t)
	c := awslambda.NewFromConfig(srv.AWSConfig(t))
	ctx := t.Context()
	publishLayer(t, c, "big", zipOf(t, map[string]string{"python/big.py": "X = 1\n"}), nil, nil)
	var (
		lenErr  error
		lastRev string
		added   int
	)
	for i := 0; i < 200 && lenErr == nil; i++ {
		var out *awslambda.AddLayerVersionPermissionOutput
		out, lenErr = c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("big"),
			VersionNumber: aws.Int64(1), StatementId: aws.String(fmt.Sprintf("%03d%s", i, strings.Repeat("s", 97))),
			Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"), OrganizationId: aws.String("o-" + strings.Repeat("a", 32))})
		if lenErr == nil {
			lastRev, added = aws.ToString(out.RevisionId), added+1
		}
	}
	wantAPIError(t, "20 KB", lenErr, "PolicyLengthExceededException", "is bigger than the limit (20480).")
	if s := httpStatus(lenErr); s != 400 {
		t.Errorf("PolicyLengthExceededException status %d, want 400", s)
	}
	full, err := c.GetLayerVersionPolicy(ctx, &awslambda.GetLayerVersionPolicyInput{LayerName: aws.String("big"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatalf("GetLayerVersionPolicy of the full policy: %v", err)
	}
	if n := len(aws.ToString(full.Policy)); n > lambda.MaxPolicySize || strings.Count(aws.ToString(full.Policy), `"Sid"`) != added ||
		aws.ToString(full.RevisionId) != lastRev || added < 2 {
		t.Errorf("after the refusal: policy of %d bytes, %d statements, revision %s; want ≤ %d bytes, the %d accepted, revision %s",
			n, strings.Count(aws.ToString(full.Policy), `"Sid"`), aws.ToString(full.RevisionId), lambda.MaxPolicySize, added, lastRev)
	}
	// Removing one makes room again.
	if _, err := c.RemoveLayerVersionPermission(ctx, &awslambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("big"),
		VersionNumber: aws.Int64(1), StatementId: aws.String(fmt.Sprintf("%03d%s", 0, strings.Repeat("s", 97)))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddLayerVersionPermission(ctx, &awslambda.AddLayerVersionPermissionInput{LayerName: aws.String("big"),
		VersionNumber: aws.Int64(1), StatementId: aws.String("small"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")}); err != nil {
		t.Errorf("AddLayerVersionPermission after making room: %v", err)
	}
}
