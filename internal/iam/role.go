package iam

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ARN is the role's ARN, arn:aws:iam::ACCOUNT:role/PATHNAME.
func (r Role) ARN() string {
	path := r.Path
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + r.Account + ":role" + path + r.Name
}

// Tag is one key-value tag of a role.
type Tag struct {
	Key   string
	Value string
}

// TagList returns the role's tags ordered by key.
func (r Role) TagList() []Tag {
	tags := make([]Tag, 0, len(r.Tags))
	for k, v := range r.Tags {
		tags = append(tags, Tag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

// CreateRoleInput is what CreateRole needs to make a role.
type CreateRoleInput struct {
	Name                     string // required
	Path                     string // "/" when empty
	AssumeRolePolicyDocument string // required; the trust policy, JSON
	Description              string
	MaxSessionDuration       int // seconds, 3600 to 43200; 0 means 3600
	// PermissionsBoundary is a managed policy ARN. Reservoir does not support
	// permissions boundaries and rejects a role that asks for one, rather than
	// drop it silently.
	PermissionsBoundary string
	Tags                []Tag
}

// CreateRole creates a role in account.
func (s *Service) CreateRole(ctx context.Context, account string, in CreateRoleInput) (Role, error) {
	if err := checkAccount(account); err != nil {
		return Role{}, err
	}
	var v validator
	v.roleName("roleName", in.Name)
	v.document("assumeRolePolicyDocument", in.AssumeRolePolicyDocument)
	if in.Path != "" {
		v.str("path", in.Path, 1, maxPathLen, pathPattern, validPath)
	}
	v.str("description", in.Description, 0, maxDescriptionLen, descriptionPattern, validDescription)
	if in.MaxSessionDuration != 0 {
		v.intRange("maxSessionDuration", in.MaxSessionDuration, minSessionDuration, maxSessionDuration)
	}
	if in.PermissionsBoundary != "" {
		v.str("permissionsBoundary", in.PermissionsBoundary, minArnLen, maxArnLen, "", nil)
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return Role{}, err
	}
	if err := checkTrustPolicy(in.AssumeRolePolicyDocument); err != nil {
		return Role{}, err
	}
	if err := uniqueTagKeys(in.Tags); err != nil {
		return Role{}, err
	}
	if in.PermissionsBoundary != "" {
		return Role{}, newError(CodeInvalidInput, "Permissions boundaries are not supported by Reservoir.")
	}

	r := Role{
		Account:                  account,
		Name:                     in.Name,
		ID:                       newRoleID(),
		Path:                     in.Path,
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument,
		Description:              in.Description,
		MaxSessionDuration:       in.MaxSessionDuration,
		CreateDate:               s.clock().UTC().Truncate(time.Second),
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = DefaultMaxSessionDuration
	}
	if len(in.Tags) > 0 {
		r.Tags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			r.Tags[t.Key] = t.Value
		}
	}

	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return Role{}, err
	}
	defer unlock()
	if _, err := s.get(account, in.Name); err == nil {
		return Role{}, errRoleExists(in.Name)
	}
	if err := s.store.SaveRole(ctx, r); err != nil {
		return Role{}, fmt.Errorf("iam: save role %s of %s: %w", r.Name, account, err)
	}
	s.put(r)
	return cloneRole(r), nil
}

// GetRole returns the named role. Role names are case-insensitive.
func (s *Service) GetRole(ctx context.Context, account, name string) (Role, error) {
	if err := checkRoleName(account, name); err != nil {
		return Role{}, err
	}
	r, err := s.get(account, name)
	if err != nil {
		return Role{}, err
	}
	return cloneRole(r), nil
}

// DeleteRole deletes the named role. A role with attached or inline policies
// cannot be deleted.
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	if err := checkRoleName(account, name); err != nil {
		return err
	}
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.get(account, name)
	if err != nil {
		return err
	}
	if len(r.AttachedPolicies) > 0 {
		return newError(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	}
	if len(r.InlinePolicies) > 0 {
		return newError(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	if err := s.store.DeleteRole(ctx, account, r.Name); err != nil {
		return fmt.Errorf("iam: delete role %s of %s: %w", r.Name, account, err)
	}
	s.remove(account, r.Name)
	return nil
}

// ListRolesInput selects the roles ListRoles returns.
type ListRolesInput struct {
	PathPrefix string // "/" when empty: every role
	PageInput
}

// ListRoles returns a page of the account's roles whose path starts with
// in.PathPrefix, ordered by name.
func (s *Service) ListRoles(ctx context.Context, account string, in ListRolesInput) (Page[Role], error) {
	if err := checkAccount(account); err != nil {
		return Page[Role]{}, err
	}
	var v validator
	if in.PathPrefix != "" {
		v.str("pathPrefix", in.PathPrefix, 1, maxPathLen, pathPrefixPattern, validPathPrefix)
	}
	v.page(in.PageInput)
	if err := v.err(); err != nil {
		return Page[Role]{}, err
	}
	s.mu.RLock()
	roles := make([]Role, 0, len(s.accounts[account]))
	for _, r := range s.accounts[account] {
		if strings.HasPrefix(r.Path, in.PathPrefix) {
			roles = append(roles, cloneRole(r))
		}
	}
	s.mu.RUnlock()
	return paginate(roles, func(r Role) string { return strings.ToLower(r.Name) }, in.PageInput)
}

// UpdateAssumeRolePolicy replaces the role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, account, name, document string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", name)
	v.document("policyDocument", document)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkTrustPolicy(document); err != nil {
		return err
	}
	_, err := s.update(ctx, account, name, func(r *Role) error {
		r.AssumeRolePolicyDocument = document
		return nil
	})
	return err
}

// UpdateRoleInput changes a role's description and session duration; nil
// fields stay as they are.
type UpdateRoleInput struct {
	Description        *string
	MaxSessionDuration *int
}

// UpdateRole changes the role's description or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, account, name string, in UpdateRoleInput) (Role, error) {
	if err := checkAccount(account); err != nil {
		return Role{}, err
	}
	var v validator
	v.roleName("roleName", name)
	if in.Description != nil {
		v.str("description", *in.Description, 0, maxDescriptionLen, descriptionPattern, validDescription)
	}
	if in.MaxSessionDuration != nil {
		v.intRange("maxSessionDuration", *in.MaxSessionDuration, minSessionDuration, maxSessionDuration)
	}
	if err := v.err(); err != nil {
		return Role{}, err
	}
	return s.update(ctx, account, name, func(r *Role) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	})
}

// ListInstanceProfilesForRole returns a page of the names of the instance
// profiles that hold the role. Reservoir has no instance profiles, so the
// page is always empty, but the role must exist.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, account, name string, in PageInput) (Page[string], error) {
	if err := checkRoleName(account, name); err != nil {
		return Page[string]{}, err
	}
	var v validator
	v.page(in)
	if err := v.err(); err != nil {
		return Page[string]{}, err
	}
	if _, err := s.get(account, name); err != nil {
		return Page[string]{}, err
	}
	return paginate([]string(nil), func(s string) string { return s }, in)
}

// checkAccount rejects a call without an account: a wiring bug, not a client
// error.
func checkAccount(account string) error {
	if account == "" {
		return errors.New("iam: no account")
	}
	return nil
}

// checkRoleName validates the account and the role name of a call that only
// names a role.
func checkRoleName(account, name string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", name)
	return v.err()
}
