package boltstore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
)

// TestMigratesSchemaV6: a version 6 file (no autoscaling bucket) opens as
// the current version with an empty autoscaling bucket and its other records as they
// were, and takes scalable targets.
func TestMigratesSchemaV6(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)
	role := storetest.FullRole("123456789012", "kept")
	if err := s.SaveRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	rawUpdate(t, path, func(tx *bolt.Tx) error { // what version 6 wrote
		if err := tx.DeleteBucket([]byte("autoscaling")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("6"))
	})
	s = mustOpen(t, path)
	roles, err := s.LoadRoles(ctx)
	if err != nil || len(roles) != 1 {
		t.Fatalf("LoadRoles: %v, %v", roles, err)
	}
	storetest.AssertRole(t, roles[0], role)
	snap, err := s.LoadAutoscaling(ctx)
	if err != nil || len(snap.Targets)+len(snap.Policies)+len(snap.Actions)+len(snap.Activities) != 0 {
		t.Fatalf("LoadAutoscaling: %+v, %v", snap, err)
	}
	sc := autoscaling.Scope{Account: "123456789012", Region: "us-east-1"}
	if err := s.SaveAutoscaling(ctx, autoscaling.Change{Targets: []autoscaling.Target{storetest.FullTarget(sc, "fn", "live")}}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
	}
	// The value is the record (doc.go's schema), not the domain type.
	v := rawGet(t, path, "autoscaling", "t\x00123456789012\x00us-east-1\x00function:fn:live")
	for _, key := range []string{`"account":"123456789012"`, `"function":"fn"`, `"qualifier":"live"`, `"suspended_in":true`, `"last_scale_out":`} {
		if !strings.Contains(v, key) {
			t.Errorf("stored target %s lacks %s", v, key)
		}
	}
	s = mustOpen(t, path)
	defer mustClose(t, s)
	if snap, err := s.LoadAutoscaling(ctx); err != nil || len(snap.Targets) != 1 {
		t.Fatalf("LoadAutoscaling after reopening: %+v, %v", snap, err)
	}
}
