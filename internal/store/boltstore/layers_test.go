package boltstore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
)

// TestMigratesToLayers: a version 6 file (main before layers) and a version
// 7 file (the autoscaling release) have no layers bucket; each opens as
// the current version with an empty one, its functions as they were, and takes layers.
func TestMigratesToLayers(t *testing.T) {
	for _, from := range []string{"6", "7"} {
		t.Run("from"+from, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "reservoir.db")
			s := mustOpen(t, path)
			sc := lambda.Scope{Account: "123456789012", Region: "us-east-1"}
			fn := storetest.FullFunction(sc, "kept")
			if err := s.SaveFunction(ctx, fn); err != nil {
				t.Fatal(err)
			}
			mustClose(t, s)
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				if err := tx.DeleteBucket([]byte("layers")); err != nil {
					return err
				}
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(from))
			})
			s = mustOpen(t, path)
			fns, err := s.LoadFunctions(ctx)
			if err != nil || len(fns) != 1 {
				t.Fatalf("LoadFunctions: %d, %v", len(fns), err)
			}
			storetest.AssertFunction(t, fns[0], fn)
			if ls, err := s.LoadLayers(ctx); err != nil || len(ls) != 0 {
				t.Fatalf("LoadLayers: %v, %v", ls, err)
			}
			if err := s.SaveLayer(ctx, storetest.FullLayer(sc, "l")); err != nil {
				t.Fatal(err)
			}
			mustClose(t, s)
			if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
				t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
			}
			if v := rawGet(t, path, "layers", "123456789012/us-east-1/l"); v == "" {
				t.Error("layer missing after the migration")
			}
		})
	}
}
