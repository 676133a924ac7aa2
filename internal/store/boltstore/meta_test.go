package boltstore_test

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// TestCodeURLKeyIsCreatedOnceAndKept: the key that signs code URLs is made on
// first use, stored in meta, returned unchanged by later calls and after a
// reopen, and every store has its own.
func TestCodeURLKeyIsCreatedOnceAndKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)

	// Concurrent first calls agree on one key.
	keys := make([][]byte, 8)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = s.CodeURLKey(ctx)
		}()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("CodeURLKey: %v", errs[i])
		}
		if len(keys[i]) != boltstore.CodeURLKeySize || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("call %d got a %d-byte key %x, call 0 %x", i, len(keys[i]), keys[i], keys[0])
		}
	}
	if bytes.Equal(keys[0], make([]byte, boltstore.CodeURLKeySize)) {
		t.Fatal("the key is all zeros")
	}
	keys[0][0] ^= 0xff // a caller changing its copy changes nothing stored
	again, err := s.CodeURLKey(ctx)
	if err != nil || !bytes.Equal(again, keys[1]) {
		t.Fatalf("second call: %x %v, want %x", again, err, keys[1])
	}
	mustClose(t, s)

	if raw := rawGet(t, path, "meta", "code_url_key"); raw != string(keys[1]) {
		t.Fatalf("meta/code_url_key = %x, want %x", raw, keys[1])
	}
	s = mustOpen(t, path)
	reopened, err := s.CodeURLKey(ctx)
	mustClose(t, s)
	if err != nil || !bytes.Equal(reopened, keys[1]) {
		t.Fatalf("after reopen: %x %v, want %x", reopened, err, keys[1])
	}

	other, err := openTemp(t).CodeURLKey(ctx)
	if err != nil || bytes.Equal(other, keys[1]) {
		t.Fatalf("another store's key: %x %v (must differ from %x)", other, err, keys[1])
	}
}

// TestCorruptCodeURLKeyIsAnError: a stored key of the wrong size is refused,
// never silently replaced or used.
func TestCorruptCodeURLKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservoir.db")
	mustClose(t, mustOpen(t, path))
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("code_url_key"), []byte("short"))
	})
	s := mustOpen(t, path)
	key, err := s.CodeURLKey(context.Background())
	mustClose(t, s)
	if err == nil {
		t.Fatalf("CodeURLKey over a 5-byte value = %x, want an error", key)
	}
	if raw := rawGet(t, path, "meta", "code_url_key"); raw != "short" {
		t.Fatalf("the stored value changed to %x", raw)
	}
}
