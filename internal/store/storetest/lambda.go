// Package storetest is the contract every implementation of lambda.Store,
// iam.Store, logs.Store and cloudwatch.Store must pass. An implementation's
// test calls RunLambdaStoreContract, RunIAMStoreContract,
// RunLogsStoreContract and RunCloudWatchStoreContract with a constructor of
// empty stores; each subtest gets its own store. Run it under -race: part of
// the contract is concurrency.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// RunLambdaStoreContract checks that the stores made by newStore behave as
// lambda.Store documents. newStore must return a new, empty store and arrange
// for it to be closed when t ends (t.Cleanup).
func RunLambdaStoreContract(t *testing.T, newStore func(t *testing.T) lambda.Store) {
	t.Run("FieldsCovered", func(t *testing.T) {
		checkFieldsCovered(t,
			reflect.TypeFor[lambda.Scope](), reflect.TypeFor[lambda.Function](), reflect.TypeFor[lambda.Config](),
			reflect.TypeFor[lambda.Alias](), reflect.TypeFor[lambda.ProvisionedConfig](),
			reflect.TypeFor[lambda.EventInvokeConfig](), reflect.TypeFor[lambda.Statement](), reflect.TypeFor[lambda.LayerRef](),
			reflect.TypeFor[lambda.VpcConfig](), reflect.TypeFor[lambda.FileSystem](), reflect.TypeFor[lambda.FunctionURLConfig](),
			reflect.TypeFor[lambda.Cors]())
	})
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newStore(t)) })
	t.Run("RoundTripFullFunction", func(t *testing.T) { testRoundTripFull(t, newStore(t)) })
	t.Run("RoundTripMinimalFunction", func(t *testing.T) { testRoundTripMinimal(t, newStore(t)) })
	t.Run("ReservedZeroIsNotNil", func(t *testing.T) { testReservedZero(t, newStore(t)) })
	t.Run("ReplaceOnResave", func(t *testing.T) { testReplace(t, newStore(t)) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, newStore(t)) })
	t.Run("DeleteFunction", func(t *testing.T) { testDeleteFunction(t, newStore(t)) })
	t.Run("ScopeIsolation", func(t *testing.T) { testScopeIsolation(t, newStore(t)) })
	t.Run("Code", func(t *testing.T) { testCode(t, newStore(t)) })
	t.Run("PutCodeIdempotent", func(t *testing.T) { testPutCodeIdempotent(t, newStore(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testLambdaCanceled(t, newStore(t)) })
	t.Run("ConcurrentSaves", func(t *testing.T) { testConcurrentSaves(t, newStore(t)) })
	t.Run("AsyncEvents", func(t *testing.T) { testAsyncEvents(t, newStore(t)) })
	runLayerContract(t, newStore)
}

// testAsyncEvents: events round-trip whole, a resave replaces, a delete
// removes only its event, deleting a missing one is fine, and a canceled
// context writes nothing.
func testAsyncEvents(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	full := lambda.AsyncEvent{Scope: scopeA(), RequestID: "2f1c9a9e-0000-4000-8000-000000000001",
		FunctionName: "arn:aws:lambda:us-east-1:111111111111:function:f", Qualifier: "live",
		ClientContext: "eyJhIjoxfQ==", Payload: []byte(`{"k":"v"}`),
		Received: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Attempts: 1,
		NotBefore: time.Date(2026, 1, 2, 3, 5, 5, 6, time.UTC)}
	minimal := lambda.AsyncEvent{Scope: scopeC(), RequestID: "2f1c9a9e-0000-4000-8000-000000000002",
		FunctionName: "g", Received: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	for _, ev := range []lambda.AsyncEvent{full, minimal} {
		if err := s.SaveAsyncEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	load := func() map[string]lambda.AsyncEvent {
		t.Helper()
		events, err := s.LoadAsyncEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]lambda.AsyncEvent{}
		for _, ev := range events {
			m[ev.RequestID] = ev
		}
		if len(m) != len(events) {
			t.Fatalf("duplicate events: %+v", events)
		}
		return m
	}
	same := func(got, want lambda.AsyncEvent) {
		t.Helper()
		if got.Scope != want.Scope || got.RequestID != want.RequestID || got.FunctionName != want.FunctionName ||
			got.Qualifier != want.Qualifier || got.ClientContext != want.ClientContext || !bytes.Equal(got.Payload, want.Payload) ||
			!got.Received.Equal(want.Received) || got.Attempts != want.Attempts || !got.NotBefore.Equal(want.NotBefore) {
			t.Errorf("async event\n got %+v\nwant %+v", got, want)
		}
	}
	m := load()
	if len(m) != 2 {
		t.Fatalf("%d events, want 2", len(m))
	}
	same(m[full.RequestID], full)
	same(m[minimal.RequestID], minimal)

	retried := minimal
	retried.Attempts, retried.NotBefore = 2, minimal.Received.Add(time.Minute)
	if err := s.SaveAsyncEvent(ctx, retried); err != nil {
		t.Fatal(err)
	}
	same(load()[minimal.RequestID], retried)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.DeleteAsyncEvent(canceled, full.RequestID); err == nil {
		t.Error("DeleteAsyncEvent with a canceled context succeeded")
	}
	if err := s.DeleteAsyncEvent(ctx, full.RequestID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAsyncEvent(ctx, full.RequestID); err != nil {
		t.Errorf("deleting a missing event: %v", err)
	}
	m = load()
	if _, ok := m[full.RequestID]; ok || len(m) != 1 {
		t.Errorf("after the delete: %+v", m)
	}
	if err := s.SaveAsyncEvent(ctx, lambda.AsyncEvent{Scope: scopeA(), RequestID: "", FunctionName: "f"}); err == nil {
		t.Error("an event without a request ID was stored")
	}
}

// Three scopes: A and B share a region, A and C share an account.
func scopeA() lambda.Scope { return lambda.Scope{Account: "111111111111", Region: "us-east-1"} }
func scopeB() lambda.Scope { return lambda.Scope{Account: "222222222222", Region: "us-east-1"} }
func scopeC() lambda.Scope { return lambda.Scope{Account: "111111111111", Region: "eu-west-1"} }

func mustSave(t *testing.T, s lambda.Store, fn *lambda.Function) {
	t.Helper()
	if err := s.SaveFunction(context.Background(), fn); err != nil {
		t.Fatalf("SaveFunction(%s): %v", fn.Scope.FunctionARN(fn.Name), err)
	}
}

// loadAll loads every function, keyed by "account/region/name", failing on
// duplicates.
func loadAll(t *testing.T, s lambda.Store) map[string]*lambda.Function {
	t.Helper()
	fns, err := s.LoadFunctions(context.Background())
	if err != nil {
		t.Fatalf("LoadFunctions: %v", err)
	}
	for _, fn := range fns {
		if fn == nil {
			t.Fatalf("LoadFunctions returned a nil function")
		}
	}
	return keyed(t, "LoadFunctions", fns, func(fn *lambda.Function) string { return fnKey(fn.Scope, fn.Name) })
}

func fnKey(s lambda.Scope, name string) string { return s.Account + "/" + s.Region + "/" + name }

func assertKeys(t *testing.T, got map[string]*lambda.Function, want ...string) {
	t.Helper()
	assertStored(t, "functions", got, want...)
}

func testEmpty(t *testing.T, s lambda.Store) {
	assertKeys(t, loadAll(t, s))
	digests, err := s.CodeDigests(context.Background())
	if err != nil {
		t.Fatalf("CodeDigests: %v", err)
	}
	if len(digests) != 0 {
		t.Fatalf("CodeDigests of an empty store = %q", digests)
	}
}

func testRoundTripFull(t *testing.T, s lambda.Store) {
	want := FullFunction(scopeA(), "full")
	mustSave(t, s, want)
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "full"))
	fn := got[fnKey(scopeA(), "full")]
	AssertFunction(t, fn, FullFunction(scopeA(), "full"))
	if t.Failed() {
		return
	}

	// Spelled out, beyond the field-by-field comparison: the points where a
	// store most easily goes wrong.
	if fn.ReservedConcurrency == nil || *fn.ReservedConcurrency != 7 {
		t.Errorf("ReservedConcurrency = %s, want &7", fmtIntPtr(fn.ReservedConcurrency))
	}
	if v := []string{fn.Versions[0].Version, fn.Versions[1].Version, fn.Versions[2].Version}; !reflect.DeepEqual(v, []string{"1", "2", "4"}) {
		t.Errorf("versions = %q, want oldest first [1 2 4]", v)
	}
	if w := fn.Aliases["canary"].AdditionalVersionWeights["4"]; w != 0.333333333333 {
		t.Errorf("canary weight for version 4 = %v, want 0.333333333333", w)
	}
	if env := fn.Latest.Environment; env["EMPTY"] != "" || len(env) != 3 {
		t.Errorf("$LATEST environment = %q, want 3 variables including EMPTY=\"\"", env)
	}
	if p := fn.Provisioned["live"]; p.Status != "" || p.StatusReason != "" || p.Allocated != 0 || p.Available != 0 {
		t.Errorf("provisioned live state was persisted: %+v", *p)
	}
	wantTime := want.Latest.LastModified
	if !fn.Latest.LastModified.Equal(wantTime) || fn.Latest.LastModified.Nanosecond() != wantTime.Nanosecond() {
		t.Errorf("$LATEST LastModified = %v, want %v (nanoseconds kept)", fn.Latest.LastModified, wantTime)
	}
}

func testRoundTripMinimal(t *testing.T, s lambda.Store) {
	want := &lambda.Function{Scope: scopeA(), Name: "min", Latest: lambda.Config{Version: lambda.LatestVersion}}
	mustSave(t, s, want)
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "min"))
	fn := got[fnKey(scopeA(), "min")]
	AssertFunction(t, fn, want)
	if !fn.Latest.LastModified.IsZero() {
		t.Errorf("zero LastModified loaded as %v", fn.Latest.LastModified)
	}
}

func testReservedZero(t *testing.T, s lambda.Store) {
	zero := 0
	mustSave(t, s, &lambda.Function{Scope: scopeA(), Name: "zero", ReservedConcurrency: &zero})
	mustSave(t, s, &lambda.Function{Scope: scopeA(), Name: "none"})
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "zero"), fnKey(scopeA(), "none"))
	if r := got[fnKey(scopeA(), "zero")].ReservedConcurrency; r == nil || *r != 0 {
		t.Errorf("reserved 0 loaded as %s, want &0", fmtIntPtr(r))
	}
	if r := got[fnKey(scopeA(), "none")].ReservedConcurrency; r != nil {
		t.Errorf("no reservation loaded as %s, want nil", fmtIntPtr(r))
	}
}

func testReplace(t *testing.T, s lambda.Store) {
	mustSave(t, s, FullFunction(scopeA(), "f"))
	// The replacement drops aliases, versions, tags, the reservation and the
	// provisioned configs: none of them may survive.
	replacement := &lambda.Function{
		Scope:       scopeA(),
		Name:        "f",
		Latest:      lambda.Config{Version: lambda.LatestVersion, Description: "second", MemorySize: 256},
		LastVersion: 5,
	}
	mustSave(t, s, replacement)
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "f"))
	AssertFunction(t, got[fnKey(scopeA(), "f")], replacement)

	// And back to a full one.
	mustSave(t, s, FullFunction(scopeA(), "f"))
	AssertFunction(t, loadAll(t, s)[fnKey(scopeA(), "f")], FullFunction(scopeA(), "f"))
}

func testNoAliasing(t *testing.T, s lambda.Store) {
	fn := FullFunction(scopeA(), "f")
	mustSave(t, s, fn)

	// Changing the saved value after SaveFunction must not change the store.
	*fn.ReservedConcurrency = 99
	fn.Latest.Environment["STAGE"] = "mutated"
	fn.Latest.Architectures[0] = "mutated"
	fn.Versions[0].Description = "mutated"
	fn.Aliases["live"].AdditionalVersionWeights["2"] = 0.9
	fn.Aliases["new"] = &lambda.Alias{Name: "new", FunctionVersion: "1"}
	fn.Provisioned["1"].Requested = 50
	fn.Tags["team"] = "mutated"
	loaded := loadAll(t, s)[fnKey(scopeA(), "f")]
	AssertFunction(t, loaded, FullFunction(scopeA(), "f"))
	if t.Failed() {
		return
	}

	// Changing a loaded value must not change the store either.
	*loaded.ReservedConcurrency = 99
	loaded.Latest.Environment["STAGE"] = "mutated"
	loaded.Aliases["live"].AdditionalVersionWeights["2"] = 0.9
	loaded.Provisioned["1"].Requested = 50
	loaded.Tags["team"] = "mutated"
	AssertFunction(t, loadAll(t, s)[fnKey(scopeA(), "f")], FullFunction(scopeA(), "f"))
}

func testDeleteFunction(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	mustSave(t, s, FullFunction(scopeA(), "keep"))
	mustSave(t, s, FullFunction(scopeA(), "drop"))
	if err := s.DeleteFunction(ctx, scopeA(), "drop"); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "keep"))
	AssertFunction(t, got[fnKey(scopeA(), "keep")], FullFunction(scopeA(), "keep"))

	if err := s.DeleteFunction(ctx, scopeA(), "drop"); err != nil {
		t.Errorf("DeleteFunction of a deleted function: %v, want nil", err)
	}
	if err := s.DeleteFunction(ctx, scopeB(), "never-existed"); err != nil {
		t.Errorf("DeleteFunction of a missing function: %v, want nil", err)
	}
	// Same name, other scope: nothing to delete, and "keep" stays.
	if err := s.DeleteFunction(ctx, scopeB(), "keep"); err != nil {
		t.Errorf("DeleteFunction in another scope: %v, want nil", err)
	}
	assertKeys(t, loadAll(t, s), fnKey(scopeA(), "keep"))

	// A deleted name can be created again.
	mustSave(t, s, FullFunction(scopeA(), "drop"))
	assertKeys(t, loadAll(t, s), fnKey(scopeA(), "keep"), fnKey(scopeA(), "drop"))
}

func testScopeIsolation(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	scopes := []lambda.Scope{scopeA(), scopeB(), scopeC()} // two accounts, two regions
	for i, sc := range scopes {
		fn := FullFunction(sc, "same")
		fn.Latest.Description = fmt.Sprintf("scope %d", i)
		mustSave(t, s, fn)
	}
	got := loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "same"), fnKey(scopeB(), "same"), fnKey(scopeC(), "same"))
	for i, sc := range scopes {
		want := FullFunction(sc, "same")
		want.Latest.Description = fmt.Sprintf("scope %d", i)
		AssertFunction(t, got[fnKey(sc, "same")], want)
	}

	if err := s.DeleteFunction(ctx, scopeB(), "same"); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	got = loadAll(t, s)
	assertKeys(t, got, fnKey(scopeA(), "same"), fnKey(scopeC(), "same"))
	if d := got[fnKey(scopeC(), "same")].Latest.Description; d != "scope 2" {
		t.Errorf("other region's function description = %q, want %q", d, "scope 2")
	}
}

func testCode(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	packages := map[string][]byte{
		"digest/with+slash=": []byte("PK\x03\x04 first package"),
		"AAAA":               bytes.Repeat([]byte{0, 1, 2, 0xff}, 64<<10), // 256 KiB
		"zzz":                []byte("third"),
	}
	for d, zip := range packages {
		if err := s.PutCode(ctx, d, zip); err != nil {
			t.Fatalf("PutCode(%q): %v", d, err)
		}
	}
	for d, zip := range packages {
		got, err := s.Code(ctx, d)
		if err != nil {
			t.Fatalf("Code(%q): %v", d, err)
		}
		if !bytes.Equal(got, zip) {
			t.Errorf("Code(%q) = %d bytes, differs from the %d stored", d, len(got), len(zip))
		}
	}
	assertDigests(t, s, "AAAA", "digest/with+slash=", "zzz")

	if _, err := s.Code(ctx, "missing"); !errors.Is(err, lambda.ErrCodeNotFound) {
		t.Errorf("Code(missing) error = %v, want ErrCodeNotFound", err)
	}

	// The bytes returned are the caller's: changing them changes nothing stored.
	got, _ := s.Code(ctx, "zzz")
	copy(got, "XXXXX")
	if again, _ := s.Code(ctx, "zzz"); string(again) != "third" {
		t.Errorf("Code after changing a returned slice = %q, want %q", again, "third")
	}

	if err := s.DeleteCode(ctx, "digest/with+slash="); err != nil {
		t.Fatalf("DeleteCode: %v", err)
	}
	if _, err := s.Code(ctx, "digest/with+slash="); !errors.Is(err, lambda.ErrCodeNotFound) {
		t.Errorf("Code of a deleted package error = %v, want ErrCodeNotFound", err)
	}
	assertDigests(t, s, "AAAA", "zzz")
	if err := s.DeleteCode(ctx, "digest/with+slash="); err != nil {
		t.Errorf("DeleteCode of a deleted package: %v, want nil", err)
	}
	if err := s.DeleteCode(ctx, "never-stored"); err != nil {
		t.Errorf("DeleteCode of a missing package: %v, want nil", err)
	}
	if got, err := s.Code(ctx, "AAAA"); err != nil || !bytes.Equal(got, packages["AAAA"]) {
		t.Errorf("Code(AAAA) after deleting another package: %d bytes, %v", len(got), err)
	}

	// Code and functions are apart: deleting code leaves functions alone.
	mustSave(t, s, FullFunction(scopeA(), "f"))
	if err := s.DeleteCode(ctx, "AAAA"); err != nil {
		t.Fatalf("DeleteCode: %v", err)
	}
	assertKeys(t, loadAll(t, s), fnKey(scopeA(), "f"))
}

func testPutCodeIdempotent(t *testing.T, s lambda.Store) {
	ctx := context.Background()
	zip := []byte("same package")
	for i := range 3 {
		if err := s.PutCode(ctx, "d1", zip); err != nil {
			t.Fatalf("PutCode #%d: %v", i+1, err)
		}
	}
	got, err := s.Code(ctx, "d1")
	if err != nil || string(got) != "same package" {
		t.Fatalf("Code after repeated PutCode = %q, %v", got, err)
	}
	assertDigests(t, s, "d1")

	// The caller may reuse its buffer once PutCode has returned.
	copy(zip, "XXXX")
	if got, _ := s.Code(ctx, "d1"); string(got) != "same package" {
		t.Errorf("Code after the caller reused its buffer = %q", got)
	}
}

func assertDigests(t *testing.T, s lambda.Store, want ...string) {
	t.Helper()
	got, err := s.CodeDigests(context.Background())
	if err != nil {
		t.Fatalf("CodeDigests: %v", err)
	}
	got = append([]string(nil), got...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CodeDigests = %q, want %q", got, want)
	}
}

func testLambdaCanceled(t *testing.T, s lambda.Store) {
	mustSave(t, s, FullFunction(scopeA(), "existing"))
	if err := s.PutCode(context.Background(), "existing-code", []byte("zip")); err != nil {
		t.Fatalf("PutCode: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error %v, want context.Canceled", op, err)
		}
	}
	_, err := s.LoadFunctions(ctx)
	check("LoadFunctions", err)
	check("SaveFunction", s.SaveFunction(ctx, FullFunction(scopeA(), "new")))
	check("DeleteFunction", s.DeleteFunction(ctx, scopeA(), "existing"))
	check("PutCode", s.PutCode(ctx, "new-code", []byte("zip")))
	_, err = s.Code(ctx, "existing-code")
	check("Code", err)
	_, err = s.CodeDigests(ctx)
	check("CodeDigests", err)
	check("DeleteCode", s.DeleteCode(ctx, "existing-code"))

	// Nothing changed.
	assertKeys(t, loadAll(t, s), fnKey(scopeA(), "existing"))
	assertDigests(t, s, "existing-code")
}

func testConcurrentSaves(t *testing.T, s lambda.Store) {
	const writers, perWriter = 16, 6
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+writers)
	stop := make(chan struct{})

	// Readers run alongside the writers and must always see whole functions.
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				fns, err := s.LoadFunctions(ctx)
				if err != nil {
					errs <- fmt.Errorf("LoadFunctions: %w", err)
					return
				}
				for _, fn := range fns {
					if len(fn.Versions) != 3 || len(fn.Aliases) != 3 {
						errs <- fmt.Errorf("partial function %s: %d versions, %d aliases", fn.Name, len(fn.Versions), len(fn.Aliases))
						return
					}
				}
				time.Sleep(time.Millisecond)
			}
		})
	}

	want := map[string]*lambda.Function{}
	for w := range writers {
		sc := []lambda.Scope{scopeA(), scopeB(), scopeC()}[w%3]
		for i := range perWriter {
			name := fmt.Sprintf("w%02d-f%02d", w, i)
			want[fnKey(sc, name)] = FullFunction(sc, name)
		}
		wg.Go(func() {
			for i := range perWriter {
				name := fmt.Sprintf("w%02d-f%02d", w, i)
				if err := s.SaveFunction(ctx, FullFunction(sc, name)); err != nil {
					errs <- fmt.Errorf("SaveFunction(%s): %w", name, err)
				}
				if err := s.PutCode(ctx, fmt.Sprintf("code-%d", i), []byte("shared")); err != nil {
					errs <- fmt.Errorf("PutCode: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	got := loadAll(t, s)
	assertKeys(t, got, sortedKeys(want)...)
	for k, fn := range want {
		AssertFunction(t, got[k], fn)
	}
	assertDigests(t, s, "code-0", "code-1", "code-2", "code-3", "code-4", "code-5")
}
