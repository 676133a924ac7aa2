package boltstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
	"github.com/reservoir-dev/reservoir/internal/testutil"
)

func openTemp(t *testing.T) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "data", "reservoir.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestLambdaStoreContract(t *testing.T) {
	storetest.RunLambdaStoreContract(t, func(t *testing.T) lambda.Store { return openTemp(t) })
}

func TestIAMStoreContract(t *testing.T) {
	storetest.RunIAMStoreContract(t, func(t *testing.T) iam.Store { return openTemp(t) })
}

func mustOpen(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func mustClose(t *testing.T, s *boltstore.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// rawUpdate edits the file with bbolt directly, as a newer or broken release
// might have left it.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatalf("raw update: %v", err)
	}
}

func rawGet(t *testing.T, path, bucket, key string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	defer db.Close()
	var v string
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return fmt.Errorf("no bucket %s", bucket)
		}
		v = string(b.Get([]byte(key)))
		return nil
	})
	if err != nil {
		t.Fatalf("raw get: %v", err)
	}
	return v
}

func TestOpenCreatesParentDirs(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "reservoir.db")
	mustClose(t, mustOpen(t, path))
	for _, dir := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s mode = %o, want 700", dir, perm)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("database file mode = %o, want no group or other access", perm)
	}
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("meta/schema_version = %q, want %d", v, boltstore.SchemaVersion)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	scope := lambda.Scope{Account: "123456789012", Region: "us-west-2"}
	zip := bytes.Repeat([]byte("zip!"), 10000)

	s := mustOpen(t, path)
	for _, name := range []string{"one", "two"} {
		if err := s.SaveFunction(ctx, storetest.FullFunction(scope, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCode(ctx, "digest/1+=", zip); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRole(ctx, storetest.FullRole("123456789012", "exec")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFunction(ctx, scope, "two"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)

	s = mustOpen(t, path)
	defer mustClose(t, s)
	fns, err := s.LoadFunctions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 1 {
		t.Fatalf("after reopen: %d functions, want 1", len(fns))
	}
	storetest.AssertFunction(t, fns[0], storetest.FullFunction(scope, "one"))
	got, err := s.Code(ctx, "digest/1+=")
	if err != nil || !bytes.Equal(got, zip) {
		t.Errorf("Code after reopen: %d bytes, %v", len(got), err)
	}
	roles, err := s.LoadRoles(ctx)
	if err != nil || len(roles) != 1 {
		t.Fatalf("LoadRoles after reopen: %d roles, %v", len(roles), err)
	}
	storetest.AssertRole(t, roles[0], storetest.FullRole("123456789012", "exec"))
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)

	start := time.Now()
	second, err := boltstore.Open(path)
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, boltstore.ErrInUse) {
		t.Errorf("error %v, want ErrInUse", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "data dir is in use by another reservoir process") || !strings.Contains(msg, path) {
		t.Errorf("error %q does not say the data dir %s is in use", msg, path)
	}
	if elapsed > 3*time.Second {
		t.Errorf("second Open took %s, want about the 1s lock timeout", elapsed)
	}

	// The first store is unaffected, and once closed the file opens again.
	if err := s.SaveFunction(context.Background(), storetest.FullFunction(lambda.Scope{Account: "1", Region: "r"}, "f")); err != nil {
		t.Errorf("SaveFunction on the first store: %v", err)
	}
	mustClose(t, s)
	mustClose(t, mustOpen(t, path))
}

func TestRefusesUnknownSchemaVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    string
	}{
		{"10", "newer release"},
		{"17", "newer release"},
		{"0", `version "0"`},
		{"banana", `version "banana"`},
	} {
		t.Run(tc.version, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "reservoir.db")
			s := mustOpen(t, path)
			if err := s.SaveRole(context.Background(), storetest.FullRole("123456789012", "kept")); err != nil {
				t.Fatal(err)
			}
			mustClose(t, s)
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(tc.version))
			})

			s, err := boltstore.Open(path)
			if err == nil {
				s.Close()
				t.Fatalf("Open of schema version %q succeeded", tc.version)
			}
			if !errors.Is(err, boltstore.ErrUnsupportedSchema) {
				t.Errorf("error %v, want ErrUnsupportedSchema", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			// The refused file is left exactly as it was.
			if v := rawGet(t, path, "meta", "schema_version"); v != tc.version {
				t.Errorf("schema_version after refusal = %q, want %q", v, tc.version)
			}
			if v := rawGet(t, path, "roles", "123456789012/kept"); v == "" {
				t.Error("role missing after a refused Open")
			}
		})
	}
}

// TestMigratesSchemaV1: a version 1 file (no async bucket, no log buckets,
// no CloudWatch buckets, no policies bucket, no autoscaling bucket) opens as the current version with empty new buckets and every
// record as it was.
func TestMigratesSchemaV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)
	fn := storetest.FullFunction(lambda.Scope{Account: "123456789012", Region: "us-east-1"}, "kept")
	if err := s.SaveFunction(ctx, fn); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	rawUpdate(t, path, func(tx *bolt.Tx) error { // what version 1 wrote
		for _, b := range []string{"async", "log_groups", "log_streams", "log_events", "cw_series", "cw_data", "cw_alarms", "cw_history", "policies", "layers"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("1"))
	})

	s = mustOpen(t, path)
	fns, err := s.LoadFunctions(ctx)
	if err != nil || len(fns) != 1 {
		t.Fatalf("LoadFunctions: %d, %v", len(fns), err)
	}
	storetest.AssertFunction(t, fns[0], fn)
	if events, err := s.LoadAsyncEvents(ctx); err != nil || len(events) != 0 {
		t.Fatalf("LoadAsyncEvents: %v, %v", events, err)
	}
	ev := lambda.AsyncEvent{Scope: fn.Scope, RequestID: "r1", FunctionName: "kept", Received: time.Now()}
	if err := s.SaveAsyncEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
	}
}

func TestRefusesDataWithoutSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservoir.db")
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("functions"))
		if err != nil {
			return err
		}
		return b.Put([]byte("1/r/f"), []byte("{}"))
	})
	s, err := boltstore.Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file with data but no schema version succeeded")
	}
	if !errors.Is(err, boltstore.ErrUnsupportedSchema) {
		t.Errorf("error %v, want ErrUnsupportedSchema", err)
	}
}

// TestReadsSchemaV1Records pins the on-disk format: records written by hand in
// the version 1 layout must keep loading, whatever happens to the domain types.
// Role "r" is a record from before roles had policies; role "p" has them.
func TestReadsSchemaV1Records(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservoir.db")
	mustClose(t, mustOpen(t, path))
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		fn := `{"account":"123456789012","region":"us-west-2","name":"golden",
			"latest":{"version":"$LATEST","description":"d","runtime":"provided.al2023","handler":"bootstrap",
				"role":"arn:aws:iam::123456789012:role/r","memory_size_mb":256,"timeout_s":30,"ephemeral_storage_mb":512,
				"architectures":["arm64"],"package_type":"Zip","environment":{"K":"V"},"tracing_mode":"Active",
				"code_sha256":"abc/+=","code_size":42,"last_modified":"2024-01-02T03:04:05.000000006Z","revision_id":"r0"},
			"versions":[{"version":"1","memory_size_mb":128,"timeout_s":3,"ephemeral_storage_mb":512,"code_size":1,
				"last_modified":"2024-01-01T00:00:00Z"}],
			"last_version":1,
			"aliases":{"live":{"name":"live","function_version":"1","description":"a","revision_id":"r1",
				"additional_version_weights":{"$LATEST":0.5}}},
			"reserved_concurrency":0,
			"provisioned":{"live":{"qualifier":"live","requested":3,"last_modified":"2024-01-03T00:00:00Z"}},
			"tags":{"t":"v"}}`
		role := `{"account":"123456789012","name":"r","id":"AROA1","path":"/","assume_role_policy_document":"{}",
			"description":"d","max_session_duration_s":3600,"create_date":"2024-01-02T03:04:05Z","tags":{"k":"v"}}`
		withPolicies := `{"account":"123456789012","name":"p","max_session_duration_s":3600,"create_date":"2024-01-02T03:04:05Z",
			"inline_policies":{"logs":"{\"Statement\":[]}"},
			"attached_policies":["arn:aws:iam::aws:policy/Z","arn:aws:iam::aws:policy/A"]}`
		if err := tx.Bucket([]byte("functions")).Put([]byte("123456789012/us-west-2/golden"), []byte(fn)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("roles")).Put([]byte("123456789012/p"), []byte(withPolicies)); err != nil {
			return err
		}
		return tx.Bucket([]byte("roles")).Put([]byte("123456789012/r"), []byte(role))
	})

	s := mustOpen(t, path)
	defer mustClose(t, s)
	fns, err := s.LoadFunctions(context.Background())
	if err != nil || len(fns) != 1 {
		t.Fatalf("LoadFunctions: %d functions, %v", len(fns), err)
	}
	zero := 0
	storetest.AssertFunction(t, fns[0], &lambda.Function{
		Scope: lambda.Scope{Account: "123456789012", Region: "us-west-2"},
		Name:  "golden",
		Latest: lambda.Config{
			Version: "$LATEST", Description: "d", Runtime: "provided.al2023", Handler: "bootstrap",
			Role: "arn:aws:iam::123456789012:role/r", MemorySize: 256, Timeout: 30, EphemeralStorage: 512,
			Architectures: []string{"arm64"}, PackageType: "Zip", Environment: map[string]string{"K": "V"},
			TracingMode: "Active", CodeSha256: "abc/+=", CodeSize: 42,
			LastModified: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), RevisionID: "r0",
		},
		Versions: []lambda.Config{{Version: "1", MemorySize: 128, Timeout: 3, EphemeralStorage: 512, CodeSize: 1,
			LastModified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		LastVersion: 1,
		Aliases: map[string]*lambda.Alias{"live": {Name: "live", FunctionVersion: "1", Description: "a", RevisionID: "r1",
			AdditionalVersionWeights: map[string]float64{"$LATEST": 0.5}}},
		ReservedConcurrency: &zero,
		Provisioned: map[string]*lambda.ProvisionedConfig{"live": {Qualifier: "live", Requested: 3,
			LastModified: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)}},
		Tags: map[string]string{"t": "v"},
	})

	roles, err := s.LoadRoles(context.Background())
	if err != nil || len(roles) != 2 {
		t.Fatalf("LoadRoles: %d roles, %v", len(roles), err)
	}
	storetest.AssertRole(t, roles[0], iam.Role{Account: "123456789012", Name: "p", MaxSessionDuration: 3600,
		CreateDate:       time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		InlinePolicies:   map[string]string{"logs": `{"Statement":[]}`},
		AttachedPolicies: []string{"arn:aws:iam::aws:policy/Z", "arn:aws:iam::aws:policy/A"}})
	storetest.AssertRole(t, roles[1], iam.Role{Account: "123456789012", Name: "r", ID: "AROA1", Path: "/",
		AssumeRolePolicyDocument: "{}", Description: "d", MaxSessionDuration: 3600,
		CreateDate: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Tags: map[string]string{"k": "v"}})
	if roles[1].InlinePolicies != nil || roles[1].AttachedPolicies != nil {
		t.Errorf("a record without policies loaded inline %v, attached %v; want nil", roles[1].InlinePolicies, roles[1].AttachedPolicies)
	}
}

// TestRolePoliciesSurviveReopen runs an iam.Service on the file, closes it and
// opens a new Service on the reopened file: the policies are still there.
func TestRolePoliciesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	clock := func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }
	const (
		account = "123456789012"
		doc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`
		arn     = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	)

	s := mustOpen(t, path)
	svc, err := iam.NewService(ctx, s, clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, account, iam.CreateRoleInput{Name: "exec", AssumeRolePolicyDocument: `{"Statement":[]}`}); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutRolePolicy(ctx, account, "exec", "logs", doc); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, account, "exec", arn); err != nil {
		t.Fatal(err)
	}
	own, err := svc.CreatePolicy(ctx, account, iam.CreatePolicyInput{Name: "own", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePolicyVersion(ctx, account, own.ARN(), doc, true); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, account, "exec", own.ARN()); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)

	s = mustOpen(t, path)
	defer mustClose(t, s)
	svc, err = iam.NewService(ctx, s, clock)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.GetRolePolicy(ctx, account, "exec", "logs"); err != nil || got != doc {
		t.Errorf("GetRolePolicy after reopen = %q, %v", got, err)
	}
	p, err := svc.ListAttachedRolePolicies(ctx, account, "exec", "", iam.PageInput{})
	if err != nil || len(p.Items) != 2 || p.Items[1].ARN != arn {
		t.Errorf("ListAttachedRolePolicies after reopen = %+v, %v", p, err)
	}
	if got, err := svc.GetPolicy(ctx, account, own.ARN()); err != nil || got.AttachmentCount != 1 || got.DefaultVersionID != "v2" || len(got.Versions) != 2 {
		t.Errorf("GetPolicy after reopen = %+v, %v", got, err)
	}
	var iamErr *iam.Error
	if err := svc.DeleteRole(ctx, account, "exec"); !errors.As(err, &iamErr) || iamErr.Code != iam.CodeDeleteConflict {
		t.Errorf("DeleteRole of a role with policies after reopen: %v, want DeleteConflict", err)
	}
}

func TestCorruptRecordIsAnError(t *testing.T) {
	for name, tc := range map[string]struct{ key, value string }{
		"not json":     {"1/r/f", "{not json"},
		"key mismatch": {"1/r/f", `{"account":"1","region":"r","name":"other"}`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "reservoir.db")
			mustClose(t, mustOpen(t, path))
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("functions")).Put([]byte(tc.key), []byte(tc.value))
			})
			s := mustOpen(t, path)
			defer mustClose(t, s)
			_, err := s.LoadFunctions(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("LoadFunctions error = %v, want one naming %s", err, tc.key)
			}
		})
	}
}

func TestRejectsInvalidKeys(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	scope := lambda.Scope{Account: "123456789012", Region: "us-east-1"}
	for name, err := range map[string]error{
		"nil function":       s.SaveFunction(ctx, nil),
		"empty name":         s.SaveFunction(ctx, &lambda.Function{Scope: scope}),
		"slash in name":      s.SaveFunction(ctx, &lambda.Function{Scope: scope, Name: "a/b"}),
		"empty account":      s.SaveFunction(ctx, &lambda.Function{Scope: lambda.Scope{Region: "us-east-1"}, Name: "f"}),
		"slash in region":    s.SaveFunction(ctx, &lambda.Function{Scope: lambda.Scope{Account: "1", Region: "x/y"}, Name: "f"}),
		"nil alias":          s.SaveFunction(ctx, &lambda.Function{Scope: scope, Name: "f", Aliases: map[string]*lambda.Alias{"a": nil}}),
		"nil provisioned":    s.SaveFunction(ctx, &lambda.Function{Scope: scope, Name: "f", Provisioned: map[string]*lambda.ProvisionedConfig{"1": nil}}),
		"delete slash name":  s.DeleteFunction(ctx, scope, "a/b"),
		"empty digest":       s.PutCode(ctx, "", []byte("zip")),
		"delete empty code":  s.DeleteCode(ctx, ""),
		"role without name":  s.SaveRole(ctx, iam.Role{Account: "1"}),
		"role slash account": s.SaveRole(ctx, iam.Role{Account: "1/2", Name: "r"}),
		"delete role slash":  s.DeleteRole(ctx, "1", "a/b"),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := s.Code(ctx, ""); !errors.Is(err, lambda.ErrCodeNotFound) {
		t.Errorf("Code(\"\") error = %v, want ErrCodeNotFound", err)
	}
	fns, _ := s.LoadFunctions(ctx)
	roles, _ := s.LoadRoles(ctx)
	digests, _ := s.CodeDigests(ctx)
	if len(fns)+len(roles)+len(digests) != 0 {
		t.Errorf("invalid writes stored something: %d functions, %d roles, %d packages", len(fns), len(roles), len(digests))
	}
}

func TestEmptyPackage(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.PutCode(ctx, "empty", nil); err != nil {
		t.Fatalf("PutCode(empty): %v", err)
	}
	got, err := s.Code(ctx, "empty")
	if err != nil || len(got) != 0 {
		t.Errorf("Code(empty) = %q, %v; want an empty package", got, err)
	}
}

func TestClosedStoreFails(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "reservoir.db"))
	mustClose(t, s)
	ctx := context.Background()
	if err := s.SaveFunction(ctx, &lambda.Function{Scope: lambda.Scope{Account: "1", Region: "r"}, Name: "f"}); err == nil {
		t.Error("SaveFunction after Close: no error")
	}
	if _, err := s.LoadFunctions(ctx); err == nil {
		t.Error("LoadFunctions after Close: no error")
	}
	if err := s.SaveRole(ctx, iam.Role{Account: "1", Name: "r"}); err == nil {
		t.Error("SaveRole after Close: no error")
	}
}

// --- crash safety -------------------------------------------------------------

const (
	crashPathEnv   = "RESERVOIR_BOLTSTORE_CRASH_DB"
	crashPrefixEnv = "RESERVOIR_BOLTSTORE_CRASH_PREFIX"
)

func crashScope() lambda.Scope { return lambda.Scope{Account: "123456789012", Region: "us-east-1"} }

// crashFunction is what the child writes under name: a full function padded
// to span several pages, so a torn write would show.
func crashFunction(name string) *lambda.Function {
	fn := storetest.FullFunction(crashScope(), name)
	fn.Latest.Environment["PAD"] = strings.Repeat(name, 400)
	return fn
}

// TestCrashSafety runs a child process that saves functions in a loop and
// prints each name once SaveFunction has returned, SIGKILLs it mid-stream, and
// checks that every acknowledged function survived whole. Three rounds append
// to the same file, so recovery from a killed writer is exercised too.
func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashPathEnv); path != "" {
		crashChild(path, os.Getenv(crashPrefixEnv))
		return
	}
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	path := filepath.Join(t.TempDir(), "reservoir.db")
	var acked []string
	for round := range 3 {
		acked = append(acked, runAndKill(t, path, fmt.Sprintf("r%d", round), 20+10*round)...)
		checkCrashFile(t, path, acked)
	}
}

func crashChild(path, prefix string) {
	s, err := boltstore.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	// Never outlive a parent that failed to kill us.
	deadline := time.Now().Add(30 * time.Second)
	done := make(chan struct{}, 2)
	for w := range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; time.Now().Before(deadline); i++ {
				name := fmt.Sprintf("%s-w%d-%05d", prefix, w, i)
				if err := s.SaveFunction(context.Background(), crashFunction(name)); err != nil {
					fmt.Fprintln(os.Stderr, "child save:", err)
					os.Exit(3)
				}
				// One write(2) per line: lines from both writers never interleave.
				fmt.Fprintf(os.Stdout, "ack %s\n", name)
			}
		}()
	}
	<-done
	os.Exit(4)
}

// runAndKill starts the child, SIGKILLs it once it has acknowledged n writes,
// and returns every name it acknowledged before dying.
func runAndKill(t *testing.T, path, prefix string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashPrefixEnv+"="+prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	var acked []string
	killed := false
	timeout := time.After(20 * time.Second)
	for reading := true; reading; {
		select {
		case line, ok := <-lines:
			if !ok {
				reading = false
				break
			}
			if name, isAck := strings.CutPrefix(line, "ack "); isAck {
				acked = append(acked, name)
			}
			if !killed && len(acked) >= n {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatalf("kill child: %v", err)
				}
				killed = true
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("child acknowledged %d writes in 20s, want %d; stderr:\n%s", len(acked), n, stderr.String())
		}
	}
	// Lines still in the pipe when the child died were acknowledged too.
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited on its own (%v) after %d writes; stderr:\n%s", err, len(acked), stderr.String())
	}
	t.Logf("round %s: child killed after %d acknowledged writes", prefix, len(acked))
	return acked
}

func checkCrashFile(t *testing.T, path string, acked []string) {
	t.Helper()
	testutil.CheckBolt(t, path)

	s := mustOpen(t, path)
	defer mustClose(t, s)
	fns, err := s.LoadFunctions(context.Background())
	if err != nil {
		t.Fatalf("LoadFunctions after kill: %v", err)
	}
	loaded := make(map[string]*lambda.Function, len(fns))
	for _, fn := range fns {
		loaded[fn.Name] = fn
		// Committed but not yet acknowledged is fine; half-written is not.
		storetest.AssertFunction(t, fn, crashFunction(fn.Name))
	}
	for _, name := range acked {
		if loaded[name] == nil {
			t.Errorf("acknowledged function %s lost by the crash", name)
		}
	}
	if len(fns) > len(acked)+2*3 { // at most one unacknowledged commit per writer per round
		t.Errorf("%d functions stored, only %d acknowledged", len(fns), len(acked))
	}
}

func TestAutoscalingStoreContract(t *testing.T) {
	storetest.RunAutoscalingStoreContract(t, func(t *testing.T) (autoscaling.Store, func() autoscaling.Store) {
		path := filepath.Join(t.TempDir(), "reservoir.db")
		s := mustOpen(t, path)
		t.Cleanup(func() { _ = s.Close() })
		return s, func() autoscaling.Store {
			mustClose(t, s)
			s2 := mustOpen(t, path)
			t.Cleanup(func() { _ = s2.Close() })
			return s2
		}
	})
}
