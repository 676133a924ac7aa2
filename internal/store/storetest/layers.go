package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// runLayerContract checks the layer half of lambda.Store.
func runLayerContract(t *testing.T, newStore func(t *testing.T) lambda.Store) {
	t.Run("LayerFieldsCovered", func(t *testing.T) {
		checkFieldsCovered(t, reflect.TypeFor[lambda.Layer](), reflect.TypeFor[lambda.LayerVersion](),
			reflect.TypeFor[lambda.LayerStatement]())
	})
	t.Run("LayersRoundTrip", func(t *testing.T) { testLayersRoundTrip(t, newStore(t)) })
	t.Run("LayersCanceledContext", func(t *testing.T) { testLayersCanceled(t, newStore(t)) })
}

// FullLayer is a layer with every field set: two versions (one deleted
// before them, so LastVersion is ahead), one with a policy.
func FullLayer(scope lambda.Scope, name string) *lambda.Layer {
	return &lambda.Layer{
		Scope: scope, Name: name, LastVersion: 3,
		Versions: []lambda.LayerVersion{
			{Version: 1, Description: "first", LicenseInfo: "MIT", CompatibleRuntimes: []string{"python3.12", "python3.13"},
				CompatibleArchitectures: []string{"x86_64", "arm64"}, CodeSha256: "c2hhMQ==", CodeSize: 1234,
				CreatedDate: time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC)},
			{Version: 3, CodeSha256: "c2hhMw==", CodeSize: 99, CreatedDate: time.Date(2026, 2, 2, 3, 4, 5, 0, time.UTC),
				Policy: []lambda.LayerStatement{
					{Sid: "all", Action: "lambda:GetLayerVersion", Principal: "*", OrganizationID: "o-abcdefghij"},
					{Sid: "one", Action: "lambda:GetLayerVersion", Principal: "222222222222"},
				},
				PolicyRevision: "9c7b1a52-0000-4000-8000-000000000001"},
		},
	}
}

// AssertLayer fails t unless got equals want field by field.
func AssertLayer(t testing.TB, got, want *lambda.Layer) {
	t.Helper()
	c := checker{t: t, path: "layer " + want.Name}
	c.eq("Scope", got.Scope, want.Scope)
	c.eq("Name", got.Name, want.Name)
	c.eq("LastVersion", got.LastVersion, want.LastVersion)
	if len(got.Versions) != len(want.Versions) {
		c.eq("len(Versions)", len(got.Versions), len(want.Versions))
		return
	}
	for i, w := range want.Versions {
		g := got.Versions[i]
		vc := c.at("Versions[%d]", i)
		vc.eq("Version", g.Version, w.Version)
		vc.eq("Description", g.Description, w.Description)
		vc.eq("LicenseInfo", g.LicenseInfo, w.LicenseInfo)
		eqSlice(vc, "CompatibleRuntimes", g.CompatibleRuntimes, w.CompatibleRuntimes)
		eqSlice(vc, "CompatibleArchitectures", g.CompatibleArchitectures, w.CompatibleArchitectures)
		vc.eq("CodeSha256", g.CodeSha256, w.CodeSha256)
		vc.eq("CodeSize", g.CodeSize, w.CodeSize)
		vc.time("CreatedDate", g.CreatedDate, w.CreatedDate)
		eqSlice(vc, "Policy", g.Policy, w.Policy)
		vc.eq("PolicyRevision", g.PolicyRevision, w.PolicyRevision)
	}
}

func loadLayers(t *testing.T, s lambda.Store) map[string]*lambda.Layer {
	t.Helper()
	ls, err := s.LoadLayers(context.Background())
	if err != nil {
		t.Fatalf("LoadLayers: %v", err)
	}
	out := map[string]*lambda.Layer{}
	for _, l := range ls {
		out[fnKey(l.Scope, l.Name)] = l
	}
	return out
}

// testLayersRoundTrip: layers load whole, per scope; a resave replaces
// (a layer without versions keeps its LastVersion); the loaded value does
// not alias the saved one.
func testLayersRoundTrip(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	if got := loadLayers(t, s); len(got) != 0 {
		t.Fatalf("empty store loads %d layers", len(got))
	}
	full := FullLayer(scopeA(), "deps")
	other := FullLayer(scopeB(), "deps")
	other.Versions = other.Versions[:1]
	minimal := &lambda.Layer{Scope: scopeC(), Name: "m", LastVersion: 1,
		Versions: []lambda.LayerVersion{{Version: 1, CodeSha256: "eA==", CreatedDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	for _, l := range []*lambda.Layer{full, other, minimal} {
		if err := s.SaveLayer(ctx, l); err != nil {
			t.Fatalf("SaveLayer %s: %v", l.Name, err)
		}
	}
	full.Versions[0].Description = "changed after the save" // must not reach the store
	got := loadLayers(t, s)
	if len(got) != 3 {
		t.Fatalf("loaded %d layers, want 3", len(got))
	}
	AssertLayer(t, got[fnKey(scopeA(), "deps")], FullLayer(scopeA(), "deps"))
	AssertLayer(t, got[fnKey(scopeB(), "deps")], other)
	AssertLayer(t, got[fnKey(scopeC(), "m")], minimal)

	emptied := &lambda.Layer{Scope: scopeC(), Name: "m", LastVersion: 1}
	if err := s.SaveLayer(ctx, emptied); err != nil {
		t.Fatalf("SaveLayer: %v", err)
	}
	AssertLayer(t, loadLayers(t, s)[fnKey(scopeC(), "m")], emptied)
}

func testLayersCanceled(t *testing.T, s lambda.Store) {
	if err := s.SaveLayer(context.Background(), FullLayer(scopeA(), "kept")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.LoadLayers(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadLayers with a canceled context: %v, want context.Canceled", err)
	}
	if err := s.SaveLayer(ctx, FullLayer(scopeA(), "new")); !errors.Is(err, context.Canceled) {
		t.Errorf("SaveLayer with a canceled context: %v, want context.Canceled", err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range loadLayers(t, s) {
			if !yield(k) {
				return
			}
		}
	})
	if strings.Join(names, ",") != fnKey(scopeA(), "kept") {
		t.Errorf("layers after canceled writes: %v", names)
	}
}
