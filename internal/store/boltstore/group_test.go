package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestGroupCommitIsolatesFailures: writes that share a group with a failing
// write still commit; the failing one alone reports its error.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.update(context.Background(), func(tx *bolt.Tx) error {
				if i%10 == 0 {
					return boom
				}
				b, err := bucket(tx, bucketMeta)
				if err != nil {
					return err
				}
				return b.Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%10 == 0) != errors.Is(err, boom) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketMeta))
		for i := range errs {
			if got := b.Get(fmt.Appendf(nil, "k%d", i)); (got != nil) == (i%10 == 0) {
				return fmt.Errorf("key k%d: %q", i, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.update(context.Background(), func(*bolt.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}
