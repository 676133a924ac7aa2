// Package iam is Reservoir's IAM domain: the roles that Lambda functions name
// as their execution role and the managed policies attached to them (the
// account's own, and AWS's from a built-in catalog), kept per account, with
// IAM's validation rules, error codes and messages. It knows nothing of HTTP; internal/iamapi speaks
// the query protocol on its behalf.
//
// Roles are durable through a Store, and so is everything that hangs off one:
// its tags, its inline policies and the managed policies attached to it are
// fields of Role, and every change is saved before it is acknowledged.
// Customer managed policies are durable the same way; a policy's attachment
// count is derived from the roles, never stored twice.
package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Service holds every account's roles in memory and writes each change
// through to its Store before it returns. Safe for concurrent use.
type Service struct {
	store Store
	clock func() time.Time

	// writeSem serializes writers. A writer holds it from its first check
	// through the store write to the commit, so check-then-act spans the I/O
	// without holding mu; readers take only mu and never wait for the store.
	writeSem chan struct{}

	mu sync.RWMutex
	// accounts maps account → lower-cased role name → role. A committed role
	// (its maps and slices included) is never modified, only replaced.
	accounts map[string]map[string]Role
	// policies maps account → lower-cased policy name → customer managed
	// policy; committed policies are never modified, only replaced.
	policies map[string]map[string]ManagedPolicy

	// catalog holds the AWS managed policies by ARN; read-only.
	catalog map[string]ManagedPolicy
}

// NewService returns a Service holding the roles in store. clock gives the
// creation time of new roles.
func NewService(ctx context.Context, store Store, clock func() time.Time) (*Service, error) {
	if store == nil || clock == nil {
		return nil, errors.New("iam: NewService needs a store and a clock")
	}
	roles, err := store.LoadRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("iam: load roles: %w", err)
	}
	policies, err := store.LoadPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("iam: load policies: %w", err)
	}
	catalog, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:    store,
		clock:    clock,
		writeSem: make(chan struct{}, 1),
		accounts: make(map[string]map[string]Role),
		policies: make(map[string]map[string]ManagedPolicy),
		catalog:  catalog,
	}
	for _, p := range policies {
		if p.Account == "" || p.Name == "" || p.Account == awsAccount {
			return nil, fmt.Errorf("iam: stored policy %q of account %q lacks an account or a name", p.Name, p.Account)
		}
		s.putPolicy(clonePolicy(p))
	}
	for _, r := range roles {
		if r.Account == "" || r.Name == "" {
			return nil, fmt.Errorf("iam: stored role %q of account %q lacks an account or a name", r.Name, r.Account)
		}
		s.put(cloneRole(r))
	}
	return s, nil
}

// lockWrites waits for the writer slot, or for ctx to end.
func (s *Service) lockWrites(ctx context.Context) (unlock func(), err error) {
	select {
	case s.writeSem <- struct{}{}:
		return func() { <-s.writeSem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// get returns the committed role, or NoSuchEntity. Its maps and slices are
// shared with the committed role and must not be modified.
func (s *Service) get(account, name string) (Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r, ok := s.accounts[account][strings.ToLower(name)]; ok {
		return r, nil
	}
	return Role{}, errNoSuchRole(name)
}

// put commits r, replacing any role of the same name. Callers hold the writer
// slot (or own s exclusively, as NewService does).
func (s *Service) put(r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles := s.accounts[r.Account]
	if roles == nil {
		roles = make(map[string]Role)
		s.accounts[r.Account] = roles
	}
	roles[strings.ToLower(r.Name)] = r
}

// remove drops a committed role. Callers hold the writer slot.
func (s *Service) remove(account, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts[account], strings.ToLower(name))
}

// update runs change on a copy of the named role and, if it returns nil,
// saves the copy and commits it. It holds the writer slot throughout, so a
// failed change or save leaves the committed role as it was.
func (s *Service) update(ctx context.Context, account, name string, change func(r *Role) error) (Role, error) {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return Role{}, err
	}
	defer unlock()
	cur, err := s.get(account, name)
	if err != nil {
		return Role{}, err
	}
	next := cloneRole(cur)
	if err := change(&next); err != nil {
		return Role{}, err
	}
	if err := s.store.SaveRole(ctx, next); err != nil {
		return Role{}, fmt.Errorf("iam: save role %s of %s: %w", next.Name, account, err)
	}
	s.put(next)
	return cloneRole(next), nil
}

// cloneRole returns a deep copy of r.
func cloneRole(r Role) Role {
	r.Tags = maps.Clone(r.Tags)
	r.InlinePolicies = maps.Clone(r.InlinePolicies)
	r.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	return r
}

// newRoleID returns "AROA" and 17 random upper-case letters and digits, the
// shape of an IAM role's unique ID.
func newRoleID() string {
	// rand.Text is 26 characters of the base32 alphabet, A-Z and 2-7.
	return "AROA" + rand.Text()[:17]
}
