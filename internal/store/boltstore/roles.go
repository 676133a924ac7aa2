package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// LoadRoles returns every stored role, ordered by account and name.
func (s *Store) LoadRoles(ctx context.Context) ([]iam.Role, error) {
	roles := []iam.Role{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketRoles)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec roleRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode role %s: %w", k, err)
			}
			want, err := makeKey(rec.Account, rec.Name)
			if err != nil || string(want) != string(k) {
				return fmt.Errorf("decode role %s: record names %s/%s", k, rec.Account, rec.Name)
			}
			roles = append(roles, rec.toDomain())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load roles: %w", err)
	}
	return roles, nil
}

// SaveRole stores r, replacing any role with the same account and name.
func (s *Store) SaveRole(ctx context.Context, r iam.Role) error {
	key, err := makeKey(r.Account, r.Name)
	if err != nil {
		return fmt.Errorf("save role %q in account %q: %w", r.Name, r.Account, err)
	}
	value, err := json.Marshal(roleToRecord(r))
	if err != nil {
		return fmt.Errorf("save role %s: encode: %w", key, err)
	}
	err = s.put(ctx, bucketRoles, key, value)
	if err != nil {
		return fmt.Errorf("save role %s: %w", key, err)
	}
	return nil
}

// DeleteRole removes a role; deleting a missing one is not an error.
func (s *Store) DeleteRole(ctx context.Context, account, name string) error {
	key, err := makeKey(account, name)
	if err != nil {
		return fmt.Errorf("delete role %q in account %q: %w", name, account, err)
	}
	err = s.remove(ctx, bucketRoles, key)
	if err != nil {
		return fmt.Errorf("delete role %s: %w", key, err)
	}
	return nil
}
