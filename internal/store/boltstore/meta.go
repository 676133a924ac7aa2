package boltstore

import (
	"context"
	"crypto/rand"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

const (
	keyCodeURLKey = "code_url_key"
	// CodeURLKeySize is the size of the key CodeURLKey returns.
	CodeURLKeySize = 32
)

// CodeURLKey returns the secret that signs code download URLs
// (GetFunction's Code.Location), creating it on first use: CodeURLKeySize
// random bytes, written durably once, so URLs issued before a restart still
// verify after it. Concurrent first calls all return the key that was stored.
func (s *Store) CodeURLKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		key, err = codeURLKey(b)
		return err
	})
	if err != nil || key != nil {
		return key, err
	}

	fresh := make([]byte, CodeURLKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("code URL key: %w", err)
	}
	// Idempotent (update may run it twice): a key already stored, by a
	// concurrent caller or a first run of this function, wins.
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		if key, err = codeURLKey(b); err != nil || key != nil {
			return err
		}
		key = fresh
		return b.Put([]byte(keyCodeURLKey), fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("code URL key: %w", err)
	}
	return key, nil
}

// codeURLKey reads the stored key (nil when there is none yet) as a copy
// that outlives the transaction.
func codeURLKey(b *bolt.Bucket) ([]byte, error) {
	v, ok := lookup(b, []byte(keyCodeURLKey))
	if !ok {
		return nil, nil
	}
	if len(v) != CodeURLKeySize {
		return nil, fmt.Errorf("%s/%s holds %d bytes, want %d", bucketMeta, keyCodeURLKey, len(v), CodeURLKeySize)
	}
	return append([]byte(nil), v...), nil
}
