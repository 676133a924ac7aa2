package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// TestLoadAllRefusesCorruptRecords: for every loader built on loadAll, a
// record stored under a key its own fields do not make, or a value that is
// not JSON, fails the load instead of being loaded or skipped.
func TestLoadAllRefusesCorruptRecords(t *testing.T) {
	loaders := []struct {
		bucket, record string
		load           func(*boltstore.Store) (int, error)
	}{
		{"async", `{"request_id":"r-1"}`, func(s *boltstore.Store) (int, error) {
			v, err := s.LoadAsyncEvents(context.Background())
			return len(v), err
		}},
		{"cw_alarms", `{"account":"123456789012","region":"us-east-1","name":"a"}`, func(s *boltstore.Store) (int, error) {
			v, err := s.LoadAlarms(context.Background())
			return len(v), err
		}},
		{"layers", `{"account":"123456789012","region":"us-east-1","name":"l"}`, func(s *boltstore.Store) (int, error) {
			v, err := s.LoadLayers(context.Background())
			return len(v), err
		}},
		{"policies", `{"account":"123456789012","name":"p"}`, func(s *boltstore.Store) (int, error) {
			v, err := s.LoadPolicies(context.Background())
			return len(v), err
		}},
		{"roles", `{"account":"123456789012","name":"r"}`, func(s *boltstore.Store) (int, error) {
			v, err := s.LoadRoles(context.Background())
			return len(v), err
		}},
	}
	for _, l := range loaders {
		for name, value := range map[string]string{"key mismatch": l.record, "not json": `{`} {
			t.Run(l.bucket+"/"+name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "reservoir.db")
				mustClose(t, mustOpen(t, path))
				rawUpdate(t, path, func(tx *bolt.Tx) error {
					return tx.Bucket([]byte(l.bucket)).Put([]byte("someone-else"), []byte(value))
				})
				s := mustOpen(t, path)
				defer mustClose(t, s)
				if n, err := l.load(s); err == nil {
					t.Errorf("loading %s over a corrupt record: %d records, no error", l.bucket, n)
				}
			})
		}
	}
}

// TestLoadAllLoadsARecordUnderItsOwnKey is the control for the test above:
// the same kind of raw record under the key its fields make loads.
func TestLoadAllLoadsARecordUnderItsOwnKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservoir.db")
	mustClose(t, mustOpen(t, path))
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("roles")).Put([]byte("123456789012/r"), []byte(`{"account":"123456789012","name":"r"}`))
	})
	s := mustOpen(t, path)
	defer mustClose(t, s)
	roles, err := s.LoadRoles(context.Background())
	if err != nil || len(roles) != 1 || roles[0].Name != "r" {
		t.Fatalf("LoadRoles = %+v, %v; want the one role r", roles, err)
	}
}
