package boltstore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
)

// TestMigratesSchemaV4: a version 4 file (no policies bucket) opens as
// the current version with an empty policies bucket and its roles as they were.
func TestMigratesSchemaV4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)
	role := storetest.FullRole("123456789012", "kept")
	if err := s.SaveRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	rawUpdate(t, path, func(tx *bolt.Tx) error { // what version 4 wrote
		if err := tx.DeleteBucket([]byte("policies")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("4"))
	})
	s = mustOpen(t, path)
	roles, err := s.LoadRoles(ctx)
	if err != nil || len(roles) != 1 {
		t.Fatalf("LoadRoles: %v, %v", roles, err)
	}
	storetest.AssertRole(t, roles[0], role)
	if policies, err := s.LoadPolicies(ctx); err != nil || len(policies) != 0 {
		t.Fatalf("LoadPolicies: %v, %v", policies, err)
	}
	if err := s.SavePolicy(ctx, storetest.FullPolicy("123456789012", "p")); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
	}
	if v := rawGet(t, path, "policies", "123456789012/p"); v == "" {
		t.Error("policy missing after the migration")
	}
}
