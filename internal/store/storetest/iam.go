package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// RunIAMStoreContract checks that the stores made by newStore behave as
// iam.Store documents. newStore must return a new, empty store and arrange for
// it to be closed when t ends (t.Cleanup).
func RunIAMStoreContract(t *testing.T, newStore func(t *testing.T) iam.Store) {
	t.Run("FieldsCovered", func(t *testing.T) {
		checkFieldsCovered(t, reflect.TypeFor[iam.Role](), reflect.TypeFor[iam.ManagedPolicy](), reflect.TypeFor[iam.PolicyVersion]())
	})
	t.Run("Empty", func(t *testing.T) { assertRoleKeys(t, loadRoles(t, newStore(t))) })
	t.Run("RoundTripFullRole", func(t *testing.T) { testRoleRoundTrip(t, newStore(t)) })
	t.Run("RoundTripMinimalRole", func(t *testing.T) { testRoleMinimal(t, newStore(t)) })
	t.Run("ReplaceOnResave", func(t *testing.T) { testRoleReplace(t, newStore(t)) })
	t.Run("NoAliasing", func(t *testing.T) { testRoleNoAliasing(t, newStore(t)) })
	t.Run("DeleteRolePerAccount", func(t *testing.T) { testRoleDelete(t, newStore(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testIAMCanceled(t, newStore(t)) })
	t.Run("ConcurrentSaves", func(t *testing.T) { testRoleConcurrent(t, newStore(t)) })
	t.Run("PolicyRoundTrip", func(t *testing.T) { testPolicyRoundTrip(t, newStore(t)) })
	t.Run("PolicyReplaceAndNoAliasing", func(t *testing.T) { testPolicyReplace(t, newStore(t)) })
	t.Run("PolicyDeletePerAccount", func(t *testing.T) { testPolicyDelete(t, newStore(t)) })
	t.Run("PolicyCanceledContext", func(t *testing.T) { testPolicyCanceled(t, newStore(t)) })
	t.Run("PoliciesApartFromRoles", func(t *testing.T) { testPoliciesApartFromRoles(t, newStore(t)) })
}

const (
	accountA = "111111111111"
	accountB = "222222222222"
)

func mustSaveRole(t *testing.T, s iam.Store, r iam.Role) {
	t.Helper()
	if err := s.SaveRole(context.Background(), r); err != nil {
		t.Fatalf("SaveRole(%s/%s): %v", r.Account, r.Name, err)
	}
}

// loadRoles loads every role keyed by "account/name", failing on duplicates.
func loadRoles(t *testing.T, s iam.Store) map[string]iam.Role {
	t.Helper()
	roles, err := s.LoadRoles(context.Background())
	if err != nil {
		t.Fatalf("LoadRoles: %v", err)
	}
	return keyed(t, "LoadRoles", roles, func(r iam.Role) string { return r.Account + "/" + r.Name })
}

func assertRoleKeys(t *testing.T, got map[string]iam.Role, want ...string) {
	t.Helper()
	assertStored(t, "roles", got, want...)
}

// keyed maps what a Load call returned by key, failing on duplicates.
func keyed[T any](t *testing.T, call string, items []T, key func(T) string) map[string]T {
	t.Helper()
	out := make(map[string]T, len(items))
	for _, x := range items {
		k := key(x)
		if _, dup := out[k]; dup {
			t.Fatalf("%s returned %s twice", call, k)
		}
		out[k] = x
	}
	return out
}

// assertStored fails unless got's keys are exactly want.
func assertStored[T any](t *testing.T, what string, got map[string]T, want ...string) {
	t.Helper()
	sort.Strings(want)
	if have := sortedKeys(got); !reflect.DeepEqual(have, want) && !(len(have) == 0 && len(want) == 0) {
		t.Fatalf("stored %s = %q, want %q", what, have, want)
	}
}

func testRoleRoundTrip(t *testing.T, s iam.Store) {
	mustSaveRole(t, s, FullRole(accountA, "lambda-exec"))
	got := loadRoles(t, s)
	assertRoleKeys(t, got, accountA+"/lambda-exec")
	r := got[accountA+"/lambda-exec"]
	want := FullRole(accountA, "lambda-exec")
	AssertRole(t, r, want)
	if r.CreateDate.Nanosecond() != want.CreateDate.Nanosecond() {
		t.Errorf("CreateDate = %v, want %v (nanoseconds kept)", r.CreateDate, want.CreateDate)
	}
}

func testRoleMinimal(t *testing.T, s iam.Store) {
	want := iam.Role{Account: accountA, Name: "bare"}
	mustSaveRole(t, s, want)
	got := loadRoles(t, s)
	assertRoleKeys(t, got, accountA+"/bare")
	AssertRole(t, got[accountA+"/bare"], want)
	if !got[accountA+"/bare"].CreateDate.IsZero() {
		t.Errorf("zero CreateDate loaded as %v", got[accountA+"/bare"].CreateDate)
	}
}

func testRoleReplace(t *testing.T, s iam.Store) {
	mustSaveRole(t, s, FullRole(accountA, "r"))
	replacement := iam.Role{Account: accountA, Name: "r", ID: "AROANEW", Description: "replaced", MaxSessionDuration: 3600}
	mustSaveRole(t, s, replacement)
	got := loadRoles(t, s)
	assertRoleKeys(t, got, accountA+"/r")
	AssertRole(t, got[accountA+"/r"], replacement) // tags, path and policies gone
}

func testRoleNoAliasing(t *testing.T, s iam.Store) {
	mutate := func(r iam.Role) {
		if r.Tags != nil {
			r.Tags["owner"] = "mutated"
		}
		if r.InlinePolicies != nil {
			r.InlinePolicies["logs"] = "mutated"
		}
		if len(r.AttachedPolicies) > 0 {
			r.AttachedPolicies[0] = "mutated"
		}
	}
	r := FullRole(accountA, "r")
	mustSaveRole(t, s, r)
	mutate(r)
	loaded := loadRoles(t, s)[accountA+"/r"]
	AssertRole(t, loaded, FullRole(accountA, "r"))
	mutate(loaded)
	AssertRole(t, loadRoles(t, s)[accountA+"/r"], FullRole(accountA, "r"))
}

func testRoleDelete(t *testing.T, s iam.Store) {
	ctx := context.Background()
	// The same role name in two accounts is two roles.
	a, b := FullRole(accountA, "shared"), FullRole(accountB, "shared")
	b.Description = "account B's"
	mustSaveRole(t, s, a)
	mustSaveRole(t, s, b)
	mustSaveRole(t, s, FullRole(accountA, "other"))
	got := loadRoles(t, s)
	assertRoleKeys(t, got, accountA+"/shared", accountB+"/shared", accountA+"/other")
	AssertRole(t, got[accountA+"/shared"], a)
	AssertRole(t, got[accountB+"/shared"], b)

	if err := s.DeleteRole(ctx, accountB, "shared"); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	got = loadRoles(t, s)
	assertRoleKeys(t, got, accountA+"/shared", accountA+"/other")
	AssertRole(t, got[accountA+"/shared"], a)

	if err := s.DeleteRole(ctx, accountB, "shared"); err != nil {
		t.Errorf("DeleteRole of a deleted role: %v, want nil", err)
	}
	if err := s.DeleteRole(ctx, accountB, "other"); err != nil {
		t.Errorf("DeleteRole of a role only another account has: %v, want nil", err)
	}
	assertRoleKeys(t, loadRoles(t, s), accountA+"/shared", accountA+"/other")
}

func testIAMCanceled(t *testing.T, s iam.Store) {
	mustSaveRole(t, s, FullRole(accountA, "existing"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error %v, want context.Canceled", op, err)
		}
	}
	_, err := s.LoadRoles(ctx)
	check("LoadRoles", err)
	check("SaveRole", s.SaveRole(ctx, FullRole(accountA, "new")))
	check("DeleteRole", s.DeleteRole(ctx, accountA, "existing"))
	assertRoleKeys(t, loadRoles(t, s), accountA+"/existing")
}

func testRoleConcurrent(t *testing.T, s iam.Store) {
	const writers, perWriter = 8, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	var want []string
	for w := range writers {
		account := []string{accountA, accountB}[w%2]
		for i := range perWriter {
			want = append(want, fmt.Sprintf("%s/r%d-%d", account, w, i))
		}
		wg.Go(func() {
			for i := range perWriter {
				if err := s.SaveRole(context.Background(), FullRole(account, fmt.Sprintf("r%d-%d", w, i))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := loadRoles(t, s)
	assertRoleKeys(t, got, want...)
	for k, r := range got {
		AssertRole(t, r, FullRole(r.Account, r.Name))
		if k != r.Account+"/"+r.Name {
			t.Errorf("role under %s is %s/%s", k, r.Account, r.Name)
		}
	}
}

func mustSavePolicy(t *testing.T, s iam.Store, p iam.ManagedPolicy) {
	t.Helper()
	if err := s.SavePolicy(context.Background(), p); err != nil {
		t.Fatalf("SavePolicy(%s/%s): %v", p.Account, p.Name, err)
	}
}

// loadPolicies loads every policy keyed by "account/name", failing on
// duplicates.
func loadPolicies(t *testing.T, s iam.Store) map[string]iam.ManagedPolicy {
	t.Helper()
	policies, err := s.LoadPolicies(context.Background())
	if err != nil {
		t.Fatalf("LoadPolicies: %v", err)
	}
	return keyed(t, "LoadPolicies", policies, func(p iam.ManagedPolicy) string { return p.Account + "/" + p.Name })
}

func assertPolicyKeys(t *testing.T, got map[string]iam.ManagedPolicy, want ...string) {
	t.Helper()
	assertStored(t, "policies", got, want...)
}

func testPolicyRoundTrip(t *testing.T, s iam.Store) {
	assertPolicyKeys(t, loadPolicies(t, s))
	mustSavePolicy(t, s, FullPolicy(accountA, "app"))
	mustSavePolicy(t, s, iam.ManagedPolicy{Account: accountA, Name: "bare"})
	got := loadPolicies(t, s)
	assertPolicyKeys(t, got, accountA+"/app", accountA+"/bare")
	AssertPolicy(t, got[accountA+"/app"], FullPolicy(accountA, "app"))
	AssertPolicy(t, got[accountA+"/bare"], iam.ManagedPolicy{Account: accountA, Name: "bare"})
	want := FullPolicy(accountA, "app").Versions[1].CreateDate
	if v := got[accountA+"/app"].Versions[1].CreateDate; v.Nanosecond() != want.Nanosecond() {
		t.Errorf("version CreateDate = %v, want %v (nanoseconds kept)", v, want)
	}
}

func testPolicyReplace(t *testing.T, s iam.Store) {
	p := FullPolicy(accountA, "p")
	mustSavePolicy(t, s, p)
	p.Versions[0].Document = "mutated"
	p.Tags["owner"] = "mutated"
	loaded := loadPolicies(t, s)[accountA+"/p"]
	AssertPolicy(t, loaded, FullPolicy(accountA, "p"))
	loaded.Versions[0].Document = "mutated"
	loaded.Tags["owner"] = "mutated"
	AssertPolicy(t, loadPolicies(t, s)[accountA+"/p"], FullPolicy(accountA, "p"))

	replacement := FullPolicy(accountA, "p")
	replacement.Versions = replacement.Versions[1:2]
	replacement.Tags = nil
	mustSavePolicy(t, s, replacement)
	got := loadPolicies(t, s)
	assertPolicyKeys(t, got, accountA+"/p")
	AssertPolicy(t, got[accountA+"/p"], replacement)
}

func testPolicyDelete(t *testing.T, s iam.Store) {
	ctx := context.Background()
	a, b := FullPolicy(accountA, "shared"), FullPolicy(accountB, "shared")
	b.Description = "account B's"
	mustSavePolicy(t, s, a)
	mustSavePolicy(t, s, b)
	if err := s.DeletePolicy(ctx, accountB, "shared"); err != nil {
		t.Fatalf("DeletePolicy: %v", err)
	}
	got := loadPolicies(t, s)
	assertPolicyKeys(t, got, accountA+"/shared")
	AssertPolicy(t, got[accountA+"/shared"], a)
	if err := s.DeletePolicy(ctx, accountB, "shared"); err != nil {
		t.Errorf("DeletePolicy of a deleted policy: %v, want nil", err)
	}
}

func testPolicyCanceled(t *testing.T, s iam.Store) {
	mustSavePolicy(t, s, FullPolicy(accountA, "existing"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error %v, want context.Canceled", op, err)
		}
	}
	_, err := s.LoadPolicies(ctx)
	check("LoadPolicies", err)
	check("SavePolicy", s.SavePolicy(ctx, FullPolicy(accountA, "new")))
	check("DeletePolicy", s.DeletePolicy(ctx, accountA, "existing"))
	assertPolicyKeys(t, loadPolicies(t, s), accountA+"/existing")
}

// testPoliciesApartFromRoles: a role and a policy of the same name are two
// records; deleting one leaves the other.
func testPoliciesApartFromRoles(t *testing.T, s iam.Store) {
	ctx := context.Background()
	mustSaveRole(t, s, FullRole(accountA, "same"))
	mustSavePolicy(t, s, FullPolicy(accountA, "same"))
	if err := s.DeleteRole(ctx, accountA, "same"); err != nil {
		t.Fatal(err)
	}
	assertPolicyKeys(t, loadPolicies(t, s), accountA+"/same")
	mustSaveRole(t, s, FullRole(accountA, "same"))
	if err := s.DeletePolicy(ctx, accountA, "same"); err != nil {
		t.Fatal(err)
	}
	assertRoleKeys(t, loadRoles(t, s), accountA+"/same")
	assertPolicyKeys(t, loadPolicies(t, s))
}
