// Package iam is Reservoir's IAM domain: the roles that Lambda functions name
// as their execution role, kept per account, with IAM's validation rules,
// error codes and messages. It knows nothing of HTTP; internal/iamapi speaks
// the query protocol on its behalf.
//
// Roles (name, path, trust policy, description, session duration, tags) are
// durable through a Store. The policies attached to or embedded in a role are
// kept in memory only, because Role has no place for them yet: they are gone
// after a restart.
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
	// accounts maps account → lower-cased role name → entry. A committed
	// entry is never modified, only replaced.
	accounts map[string]map[string]*entry
}

// entry is one role and what hangs off it.
type entry struct {
	role     Role
	inline   map[string]string // inline policy name → document
	attached []string          // managed policy ARNs, in attach order
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
	s := &Service{
		store:    store,
		clock:    clock,
		writeSem: make(chan struct{}, 1),
		accounts: make(map[string]map[string]*entry),
	}
	for _, r := range roles {
		if r.Account == "" || r.Name == "" {
			return nil, fmt.Errorf("iam: stored role %q of account %q lacks an account or a name", r.Name, r.Account)
		}
		s.put(&entry{role: cloneRole(r)})
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

// get returns the committed entry of a role, or NoSuchEntity. The entry must
// not be modified.
func (s *Service) get(account, name string) (*entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.accounts[account][strings.ToLower(name)]; e != nil {
		return e, nil
	}
	return nil, errNoSuchRole(name)
}

// put commits e, replacing any entry of the same role. Callers hold the
// writer slot (or own s exclusively, as NewService does).
func (s *Service) put(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles := s.accounts[e.role.Account]
	if roles == nil {
		roles = make(map[string]*entry)
		s.accounts[e.role.Account] = roles
	}
	roles[strings.ToLower(e.role.Name)] = e
}

// remove drops a committed role. Callers hold the writer slot.
func (s *Service) remove(account, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts[account], strings.ToLower(name))
}

// update runs change on a copy of the named role's entry and, if it returns
// nil, saves the role (when saveRole) and commits the copy. It holds the
// writer slot throughout.
func (s *Service) update(ctx context.Context, account, name string, saveRole bool, change func(e *entry) error) (Role, error) {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return Role{}, err
	}
	defer unlock()
	cur, err := s.get(account, name)
	if err != nil {
		return Role{}, err
	}
	next := cur.clone()
	if err := change(next); err != nil {
		return Role{}, err
	}
	if saveRole {
		if err := s.store.SaveRole(ctx, next.role); err != nil {
			return Role{}, fmt.Errorf("iam: save role %s of %s: %w", next.role.Name, account, err)
		}
	}
	s.put(next)
	return cloneRole(next.role), nil
}

func (e *entry) clone() *entry {
	return &entry{
		role:     cloneRole(e.role),
		inline:   maps.Clone(e.inline),
		attached: slices.Clone(e.attached),
	}
}

func cloneRole(r Role) Role {
	r.Tags = maps.Clone(r.Tags)
	return r
}

// newRoleID returns "AROA" and 17 random upper-case letters and digits, the
// shape of an IAM role's unique ID.
func newRoleID() string {
	// rand.Text is 26 characters of the base32 alphabet, A-Z and 2-7.
	return "AROA" + rand.Text()[:17]
}
