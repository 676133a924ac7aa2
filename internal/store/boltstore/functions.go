package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// LoadFunctions returns every stored function, ordered by account, region and
// name.
func (s *Store) LoadFunctions(ctx context.Context) ([]*lambda.Function, error) {
	fns := []*lambda.Function{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketFunctions)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn, err := decodeFunction(k, v)
			if err != nil {
				return err
			}
			fns = append(fns, fn)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load functions: %w", err)
	}
	return fns, nil
}

func decodeFunction(key, value []byte) (*lambda.Function, error) {
	var rec functionRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return nil, fmt.Errorf("decode function %s: %w", key, err)
	}
	want, err := makeKey(rec.Account, rec.Region, rec.Name)
	if err != nil || string(want) != string(key) {
		return nil, fmt.Errorf("decode function %s: record names %s/%s/%s", key, rec.Account, rec.Region, rec.Name)
	}
	return rec.toDomain(), nil
}

// SaveFunction stores fn, replacing any function with the same scope and name.
func (s *Store) SaveFunction(ctx context.Context, fn *lambda.Function) error {
	if fn == nil {
		return errors.New("save function: nil function")
	}
	key, err := makeKey(fn.Scope.Account, fn.Scope.Region, fn.Name)
	if err != nil {
		return fmt.Errorf("save function %s: %w", fn.Scope.FunctionARN(fn.Name), err)
	}
	rec, err := functionToRecord(fn)
	if err != nil {
		return fmt.Errorf("save function %s: %w", key, err)
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("save function %s: encode: %w", key, err)
	}
	err = s.put(ctx, bucketFunctions, key, value)
	if err != nil {
		return fmt.Errorf("save function %s: %w", key, err)
	}
	return nil
}

// DeleteFunction removes the named function; deleting a missing one is not an
// error.
func (s *Store) DeleteFunction(ctx context.Context, scope lambda.Scope, name string) error {
	key, err := makeKey(scope.Account, scope.Region, name)
	if err != nil {
		return fmt.Errorf("delete function %s: %w", scope.FunctionARN(name), err)
	}
	err = s.remove(ctx, bucketFunctions, key)
	if err != nil {
		return fmt.Errorf("delete function %s: %w", key, err)
	}
	return nil
}

// PutCode stores a deployment package under its digest. A digest already
// stored is left as it is: the content is addressed by its hash.
func (s *Store) PutCode(ctx context.Context, digest string, zip []byte) error {
	key, err := codeKey(digest)
	if err != nil {
		return fmt.Errorf("put code: %w", err)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCode)
		if err != nil {
			return err
		}
		if _, ok := lookup(b, key); ok {
			return nil
		}
		return b.Put(key, zip)
	})
	if err != nil {
		return fmt.Errorf("put code %s: %w", digest, err)
	}
	return nil
}

// Code returns a copy of the package stored under digest, or an error
// wrapping lambda.ErrCodeNotFound.
func (s *Store) Code(ctx context.Context, digest string) ([]byte, error) {
	key, err := codeKey(digest)
	if err != nil {
		// Nothing is ever stored under an invalid digest.
		return nil, fmt.Errorf("get code: %w: %w", err, lambda.ErrCodeNotFound)
	}
	var zip []byte
	err = s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCode)
		if err != nil {
			return err
		}
		v, ok := lookup(b, key)
		if !ok {
			return lambda.ErrCodeNotFound
		}
		// v lives in the memory map only until the transaction ends.
		zip = append([]byte{}, v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get code %s: %w", digest, err)
	}
	return zip, nil
}

// CodeDigests lists the digests of all stored packages, in byte order.
func (s *Store) CodeDigests(ctx context.Context) ([]string, error) {
	digests := []string{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketCode)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			digests = append(digests, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list code digests: %w", err)
	}
	return digests, nil
}

// DeleteCode removes a package; deleting a missing one is not an error.
func (s *Store) DeleteCode(ctx context.Context, digest string) error {
	key, err := codeKey(digest)
	if err != nil {
		return fmt.Errorf("delete code: %w", err)
	}
	err = s.remove(ctx, bucketCode, key)
	if err != nil {
		return fmt.Errorf("delete code %s: %w", digest, err)
	}
	return nil
}

// codeKey is the key of a package: its digest as is. A base64 digest may
// contain "/", which is fine here since the key has a single part.
func codeKey(digest string) ([]byte, error) {
	if digest == "" {
		return nil, errors.New("empty digest")
	}
	return []byte(digest), nil
}
