package iam_test

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// memStore is an in-memory iam.Store for tests. While failWith is set, every
// write returns it and changes nothing, as the Store contract requires.
type memStore struct {
	mu       sync.Mutex
	roles    map[string]iam.Role          // account + "/" + name → role
	policies map[string]iam.ManagedPolicy // account + "/" + name → policy
	failWith error
}

func newMemStore() *memStore {
	return &memStore{roles: make(map[string]iam.Role), policies: make(map[string]iam.ManagedPolicy)}
}

func (m *memStore) LoadPolicies(ctx context.Context) ([]iam.ManagedPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]iam.ManagedPolicy, 0, len(m.policies))
	for _, p := range m.policies {
		out = append(out, copyPolicy(p))
	}
	return out, nil
}

func (m *memStore) SavePolicy(ctx context.Context, p iam.ManagedPolicy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return m.failWith
	}
	m.policies[p.Account+"/"+p.Name] = copyPolicy(p)
	return nil
}

func (m *memStore) DeletePolicy(ctx context.Context, account, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return m.failWith
	}
	delete(m.policies, account+"/"+name)
	return nil
}

func (m *memStore) policy(account, name string) (iam.ManagedPolicy, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[account+"/"+name]
	return copyPolicy(p), ok
}

func copyPolicy(p iam.ManagedPolicy) iam.ManagedPolicy {
	p.Tags = maps.Clone(p.Tags)
	p.Versions = slices.Clone(p.Versions)
	return p
}

var _ iam.Store = (*memStore)(nil)

func (m *memStore) LoadRoles(ctx context.Context) ([]iam.Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	roles := make([]iam.Role, 0, len(m.roles))
	for _, r := range m.roles {
		roles = append(roles, deepCopy(r))
	}
	return roles, nil
}

func (m *memStore) SaveRole(ctx context.Context, r iam.Role) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return m.failWith
	}
	m.roles[r.Account+"/"+r.Name] = deepCopy(r)
	return nil
}

func (m *memStore) DeleteRole(ctx context.Context, account, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return m.failWith
	}
	delete(m.roles, account+"/"+name)
	return nil
}

func (m *memStore) failWrites(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failWith = err
}

func (m *memStore) role(account, name string) (iam.Role, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.roles[account+"/"+name]
	return deepCopy(r), ok
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.roles)
}

// deepCopy copies r so that the store and its callers share nothing.
func deepCopy(r iam.Role) iam.Role {
	r.Tags = maps.Clone(r.Tags)
	r.InlinePolicies = maps.Clone(r.InlinePolicies)
	r.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	return r
}
