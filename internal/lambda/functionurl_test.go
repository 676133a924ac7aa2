package lambda_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// TestURLIDs: a URL ID is 32 characters of [a-z0-9], the same for the same
// target and different for another account, region, function or qualifier.
func TestURLIDs(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9]{32}$`)
	base := lambda.NewURLID(sc, "f", lambda.LatestVersion)
	if !re.MatchString(base) || lambda.NewURLID(sc, "f", lambda.LatestVersion) != base {
		t.Fatalf("id %q is not stable or not 32 of [a-z0-9]", base)
	}
	seen := map[string]string{base: "base"}
	for name, id := range map[string]string{
		"account":   lambda.NewURLID(lambda.Scope{Account: "210987654321", Region: sc.Region}, "f", lambda.LatestVersion),
		"region":    lambda.NewURLID(lambda.Scope{Account: sc.Account, Region: "eu-west-1"}, "f", lambda.LatestVersion),
		"function":  lambda.NewURLID(sc, "g", lambda.LatestVersion),
		"qualifier": lambda.NewURLID(sc, "f", "live"),
	} {
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share the id %s", name, other, id)
		}
		seen[id] = name
	}
}

// TestFunctionURLRules: where a URL may attach, what resolves a URL ID, and
// that a refused request changes nothing.
func TestFunctionURLRules(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, &gateExecutor{release: make(chan struct{})}, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	one := "1"
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: &one}); err != nil {
		t.Fatal(err)
	}
	none, iam := lambda.URLAuthNone, lambda.URLAuthIAM
	kind := func(err error) lambda.Kind {
		var e *lambda.Error
		if !errors.As(err, &e) {
			t.Fatalf("not a domain error: %v", err)
		}
		return e.Kind
	}
	for _, tc := range []struct {
		name string
		in   lambda.FunctionURLInput
		want lambda.Kind
	}{
		{"version qualifier", lambda.FunctionURLInput{FunctionName: "f", Qualifier: "1", AuthType: &none}, lambda.KindValidation},
		{"version in the name", lambda.FunctionURLInput{FunctionName: "f:1", AuthType: &none}, lambda.KindValidation},
		{"missing alias", lambda.FunctionURLInput{FunctionName: "f", Qualifier: "nope", AuthType: &none}, lambda.KindResourceNotFound},
		{"missing function", lambda.FunctionURLInput{FunctionName: "g", AuthType: &none}, lambda.KindResourceNotFound},
		{"no auth type", lambda.FunctionURLInput{FunctionName: "f"}, lambda.KindValidation},
		{"negative max age", lambda.FunctionURLInput{FunctionName: "f", AuthType: &none, Cors: &lambda.Cors{MaxAge: ptr(-1)}}, lambda.KindValidation},
		{"long origin", lambda.FunctionURLInput{FunctionName: "f", AuthType: &none, Cors: &lambda.Cors{AllowOrigins: []string{string(make([]byte, 254))}}}, lambda.KindValidation},
	} {
		if _, err := svc.CreateFunctionUrlConfig(ctx, sc, tc.in); err == nil || kind(err) != tc.want {
			t.Errorf("%s: %v, want kind %v", tc.name, err, tc.want)
		}
	}
	if list, _, err := svc.ListFunctionUrlConfigs(ctx, sc, "f", "", 0); err != nil || len(list) != 0 {
		t.Fatalf("refused requests left %d URLs (%v)", len(list), err)
	}

	// $LATEST is the unqualified function's URL.
	latest, err := svc.CreateFunctionUrlConfig(ctx, sc, lambda.FunctionURLInput{FunctionName: "f", Qualifier: "$LATEST", AuthType: &iam})
	if err != nil || latest.FunctionARN != sc.FunctionARN("f") || latest.URLID != lambda.NewURLID(sc, "f", lambda.LatestVersion) {
		t.Fatalf("$LATEST: %+v %v", latest, err)
	}
	if _, err := svc.CreateFunctionUrlConfig(ctx, sc, lambda.FunctionURLInput{FunctionName: "f", AuthType: &none}); kind(err) != lambda.KindResourceConflict {
		t.Fatalf("unqualified after $LATEST: %v", err)
	}
	live, err := svc.CreateFunctionUrlConfig(ctx, sc, lambda.FunctionURLInput{FunctionName: "f", Qualifier: "live", AuthType: &none})
	if err != nil {
		t.Fatal(err)
	}

	// IDs resolve to their targets, in any case; unknown ones do not.
	tgt, ok := svc.ResolveFunctionURL(live.URLID)
	if !ok || tgt.FunctionName != "f" || tgt.Qualifier != "live" || tgt.Scope != sc || tgt.Config.AuthType != none {
		t.Fatalf("resolve live: %+v %v", tgt, ok)
	}
	if tgt, ok = svc.ResolveFunctionURL(latest.URLID); !ok || tgt.Qualifier != "" || tgt.Config.AuthType != iam {
		t.Fatalf("resolve $LATEST: %+v %v", tgt, ok)
	}
	if _, ok := svc.ResolveFunctionURL("0123456789abcdefghij0123456789ab"); ok {
		t.Fatal("an unknown id resolved")
	}

	// Deleting the alias deletes its URL: its ID stops resolving, and a new
	// alias of that name has no URL until one is created.
	if err := svc.DeleteAlias(ctx, sc, "f", "live"); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.ResolveFunctionURL(live.URLID); ok {
		t.Fatal("the deleted alias's URL still resolves")
	}
	if _, err := svc.CreateAlias(ctx, sc, lambda.AliasInput{FunctionName: "f", Name: "live", FunctionVersion: &one}); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.ResolveFunctionURL(live.URLID); ok {
		t.Fatal("a re-created alias inherited the URL")
	}
	if _, err := svc.GetFunctionUrlConfig(ctx, sc, "f", "live"); kind(err) != lambda.KindResourceNotFound {
		t.Fatalf("get after alias delete: %v", err)
	}
	// Deleting the function deletes its URL.
	if err := svc.DeleteFunction(ctx, sc, "f", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.ResolveFunctionURL(latest.URLID); ok {
		t.Fatal("the deleted function's URL still resolves")
	}
}
