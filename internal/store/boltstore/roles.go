package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// LoadRoles returns every stored role, ordered by account and name.
func (s *Store) LoadRoles(ctx context.Context) ([]iam.Role, error) {
	return loadAll(s, ctx, bucketRoles, "role",
		func(r roleRecord) ([]byte, error) { return makeKey(r.Account, r.Name) }, roleRecord.toDomain)
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
