package iam

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"

	"strconv"
	"strings"
	"time"
)

// MaxPolicyVersions is IAM's quota of versions of one managed policy.
const MaxPolicyVersions = 5

// MaxTagsPerPolicy is IAM's quota of tags on one managed policy.
const MaxTagsPerPolicy = 50

const (
	policyPathPattern   = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	versionIDPattern    = `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
	policyScopeEnum     = "[All, AWS, Local]"
	policyUsageEnum     = "[PermissionsPolicy, PermissionsBoundary]"
	entityFilterEnum    = "[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
	usagePermissions    = "PermissionsPolicy"
	usageBoundary       = "PermissionsBoundary"
	entityRole          = "Role"
	scopeAll, scopeAWS  = "All", "AWS"
	scopeLocal          = "Local"
	msgPolicyAttached   = "Cannot delete a policy attached to entities."
	msgPolicyVersions   = "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
	msgDefaultVersion   = "Cannot delete the default version of a policy."
	msgTooManyVersions  = "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
	msgTagsPerPolicyMax = "Cannot exceed quota for TagsPerPolicy: 50"
)

// ARN is the policy's ARN, arn:aws:iam::ACCOUNT:policy/PATHNAME; ACCOUNT is
// "aws" for an AWS managed policy.
func (p ManagedPolicy) ARN() string {
	return "arn:aws:iam::" + p.Account + ":policy" + p.Path + p.Name
}

// IsAWSManaged reports whether p is one of AWS's managed policies.
func (p ManagedPolicy) IsAWSManaged() bool { return p.Account == awsAccount }

// TagList returns the policy's tags ordered by key.
func (p ManagedPolicy) TagList() []Tag { return Role{Tags: p.Tags}.TagList() }

// Version returns the version with the id, if the policy has it.
func (p ManagedPolicy) Version(id string) (PolicyVersion, bool) {
	for _, v := range p.Versions {
		if v.ID == id {
			return v, true
		}
	}
	return PolicyVersion{}, false
}

// PolicyInfo is a managed policy with the figures IAM derives for the
// calling account: how many of its roles the policy is attached to, and how
// many use it as a permissions boundary (always 0: Reservoir has none).
type PolicyInfo struct {
	ManagedPolicy
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
}

// CreatePolicyInput is what CreatePolicy needs to make a policy.
type CreatePolicyInput struct {
	Name        string // required
	Path        string // "/" when empty
	Document    string // required
	Description string
	Tags        []Tag
}

// CreatePolicy creates a customer managed policy whose version v1 holds the
// document and is its default.
func (s *Service) CreatePolicy(ctx context.Context, account string, in CreatePolicyInput) (PolicyInfo, error) {
	if err := checkAccount(account); err != nil {
		return PolicyInfo{}, err
	}
	var v validator
	v.policyName(in.Name)
	if in.Path != "" {
		v.str("path", in.Path, 1, maxPathLen, policyPathPattern, validPolicyPathPrefix)
	}
	v.document("policyDocument", in.Document)
	v.str("description", in.Description, 0, maxDescriptionLen, "", nil)
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return PolicyInfo{}, err
	}
	if err := checkIdentityPolicy(in.Document); err != nil {
		return PolicyInfo{}, err
	}
	if err := uniqueTagKeys(in.Tags); err != nil {
		return PolicyInfo{}, err
	}
	now := s.clock().UTC().Truncate(time.Second)
	p := ManagedPolicy{
		Account:          account,
		Name:             in.Name,
		ID:               "ANPA" + rand.Text()[:17],
		Path:             in.Path,
		Description:      in.Description,
		CreateDate:       now,
		UpdateDate:       now,
		DefaultVersionID: "v1",
		Versions:         []PolicyVersion{{ID: "v1", Document: in.Document, CreateDate: now}},
		NextVersion:      2,
	}
	if p.Path == "" {
		p.Path = "/"
	}
	if len(in.Tags) > 0 {
		p.Tags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			p.Tags[t.Key] = t.Value
		}
	}
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return PolicyInfo{}, err
	}
	defer unlock()
	s.mu.RLock()
	_, exists := s.policies[account][strings.ToLower(in.Name)]
	s.mu.RUnlock()
	if exists {
		return PolicyInfo{}, newError(CodeEntityAlreadyExists, "A policy called "+in.Name+" already exists. Duplicate names are not allowed.")
	}
	if err := s.store.SavePolicy(ctx, p); err != nil {
		return PolicyInfo{}, fmt.Errorf("iam: save policy %s of %s: %w", p.Name, account, err)
	}
	s.putPolicy(p)
	return PolicyInfo{ManagedPolicy: clonePolicy(p)}, nil
}

// GetPolicy returns the managed policy with the ARN: the account's own or
// one of AWS's.
func (s *Service) GetPolicy(ctx context.Context, account, arn string) (PolicyInfo, error) {
	if err := checkARNParam(account, arn); err != nil {
		return PolicyInfo{}, err
	}
	p, err := s.findPolicy(account, arn)
	if err != nil {
		return PolicyInfo{}, err
	}
	return s.info(account, p), nil
}

// DeletePolicy deletes a customer managed policy. It must be attached to
// nothing and have no version but its default.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	if err := checkARNParam(account, arn); err != nil {
		return err
	}
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := s.findOwnPolicy(account, arn, "DeletePolicy")
	if err != nil {
		return err
	}
	if s.attachmentCount(account, arn) > 0 {
		return newError(CodeDeleteConflict, msgPolicyAttached)
	}
	if len(p.Versions) > 1 {
		return newError(CodeDeleteConflict, msgPolicyVersions)
	}
	if err := s.store.DeletePolicy(ctx, account, p.Name); err != nil {
		return fmt.Errorf("iam: delete policy %s of %s: %w", p.Name, account, err)
	}
	s.mu.Lock()
	delete(s.policies[account], strings.ToLower(p.Name))
	s.mu.Unlock()
	return nil
}

// ListPoliciesInput selects the policies ListPolicies returns.
type ListPoliciesInput struct {
	Scope             string // All (when empty), AWS or Local
	OnlyAttached      bool
	PathPrefix        string // "/" when empty
	PolicyUsageFilter string // "", PermissionsPolicy or PermissionsBoundary
	PageInput
}

// ListPolicies returns a page of the managed policies the account can use,
// ordered by name (then ARN).
func (s *Service) ListPolicies(ctx context.Context, account string, in ListPoliciesInput) (Page[PolicyInfo], error) {
	if err := checkAccount(account); err != nil {
		return Page[PolicyInfo]{}, err
	}
	var v validator
	v.enum("scope", in.Scope, policyScopeEnum, scopeAll, scopeAWS, scopeLocal)
	v.enum("policyUsageFilter", in.PolicyUsageFilter, policyUsageEnum, usagePermissions, usageBoundary)
	if in.PathPrefix != "" {
		v.str("pathPrefix", in.PathPrefix, 1, maxPathLen, policyPathPattern, validPolicyPathPrefix)
	}
	v.page(in.PageInput)
	if err := v.err(); err != nil {
		return Page[PolicyInfo]{}, err
	}
	var all []ManagedPolicy
	if in.Scope != scopeLocal {
		all = slices.AppendSeq(all, maps.Values(s.catalog))
	}
	s.mu.RLock()
	if in.Scope != scopeAWS {
		all = slices.AppendSeq(all, maps.Values(s.policies[account]))
	}
	s.mu.RUnlock()
	out := make([]PolicyInfo, 0, len(all))
	for _, p := range all {
		if !strings.HasPrefix(p.Path, in.PathPrefix) {
			continue
		}
		info := s.info(account, p)
		if in.OnlyAttached && info.AttachmentCount == 0 {
			continue
		}
		if in.PolicyUsageFilter == usageBoundary && info.PermissionsBoundaryUsageCount == 0 {
			continue
		}
		out = append(out, info)
	}
	return paginate(out, func(p PolicyInfo) string { return strings.ToLower(p.Name) + "\x00" + p.ARN() }, in.PageInput)
}

// CreatePolicyVersion adds a version to a customer managed policy, making it
// the default when setAsDefault.
func (s *Service) CreatePolicyVersion(ctx context.Context, account, arn, document string, setAsDefault bool) (PolicyVersion, error) {
	if err := checkAccount(account); err != nil {
		return PolicyVersion{}, err
	}
	var v validator
	v.policyARN(arn)
	v.document("policyDocument", document)
	if err := v.err(); err != nil {
		return PolicyVersion{}, err
	}
	var created PolicyVersion
	err := s.updatePolicy(ctx, account, arn, "CreatePolicyVersion", func(p *ManagedPolicy) error {
		if err := checkIdentityPolicy(document); err != nil {
			return err
		}
		if len(p.Versions) >= MaxPolicyVersions {
			return newError(CodeLimitExceeded, msgTooManyVersions)
		}
		created = PolicyVersion{
			ID:         "v" + strconv.Itoa(p.NextVersion),
			Document:   document,
			CreateDate: s.clock().UTC().Truncate(time.Second),
		}
		p.NextVersion++
		p.Versions = append(p.Versions, created)
		if setAsDefault {
			p.DefaultVersionID = created.ID
		}
		return nil
	})
	return created, err
}

// GetPolicyVersion returns one version of a managed policy.
func (s *Service) GetPolicyVersion(ctx context.Context, account, arn, versionID string) (PolicyVersion, bool, error) {
	if err := checkVersionParams(account, arn, versionID); err != nil {
		return PolicyVersion{}, false, err
	}
	p, err := s.findPolicy(account, arn)
	if err != nil {
		return PolicyVersion{}, false, err
	}
	ver, ok := p.Version(versionID)
	if !ok {
		return PolicyVersion{}, false, errNoSuchVersion(arn, versionID)
	}
	return ver, ver.ID == p.DefaultVersionID, nil
}

// ListPolicyVersions returns a page of a managed policy's versions, newest
// first. Their documents are left out, as IAM leaves them out.
func (s *Service) ListPolicyVersions(ctx context.Context, account, arn string, in PageInput) (Page[PolicyVersion], string, error) {
	if err := checkARNParam(account, arn); err != nil {
		return Page[PolicyVersion]{}, "", err
	}
	var v validator
	v.page(in)
	if err := v.err(); err != nil {
		return Page[PolicyVersion]{}, "", err
	}
	p, err := s.findPolicy(account, arn)
	if err != nil {
		return Page[PolicyVersion]{}, "", err
	}
	versions := make([]PolicyVersion, len(p.Versions))
	for i, ver := range p.Versions {
		versions[i] = PolicyVersion{ID: ver.ID, CreateDate: ver.CreateDate}
	}
	page, err := paginate(versions, func(ver PolicyVersion) string {
		// Newest first: the key sorts larger version numbers earlier.
		return fmt.Sprintf("%020d", int64(1<<62)-int64(versionNumber(ver.ID)))
	}, in)
	return page, p.DefaultVersionID, err
}

// DeletePolicyVersion deletes a version of a customer managed policy other
// than its default.
func (s *Service) DeletePolicyVersion(ctx context.Context, account, arn, versionID string) error {
	if err := checkVersionParams(account, arn, versionID); err != nil {
		return err
	}
	return s.updatePolicy(ctx, account, arn, "DeletePolicyVersion", func(p *ManagedPolicy) error {
		i := slices.IndexFunc(p.Versions, func(ver PolicyVersion) bool { return ver.ID == versionID })
		if i < 0 {
			return errNoSuchVersion(arn, versionID)
		}
		if versionID == p.DefaultVersionID {
			return newError(CodeDeleteConflict, msgDefaultVersion)
		}
		p.Versions = slices.Delete(p.Versions, i, i+1)
		return nil
	})
}

// SetDefaultPolicyVersion makes a version of a customer managed policy its
// default.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, account, arn, versionID string) error {
	if err := checkVersionParams(account, arn, versionID); err != nil {
		return err
	}
	return s.updatePolicy(ctx, account, arn, "SetDefaultPolicyVersion", func(p *ManagedPolicy) error {
		if _, ok := p.Version(versionID); !ok {
			return errNoSuchVersion(arn, versionID)
		}
		p.DefaultVersionID = versionID
		return nil
	})
}

// ListEntitiesInput selects the entities ListEntitiesForPolicy returns.
type ListEntitiesInput struct {
	EntityFilter      string // "", User, Role, Group, LocalManagedPolicy or AWSManagedPolicy
	PathPrefix        string
	PolicyUsageFilter string
	PageInput
}

// PolicyRole is a role a managed policy is attached to.
type PolicyRole struct {
	Name string
	ID   string
}

// ListEntitiesForPolicy returns a page of the account's roles the managed
// policy is attached to, ordered by name. Reservoir has no users or groups,
// so filters for them select nothing.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, account, arn string, in ListEntitiesInput) (Page[PolicyRole], error) {
	if err := checkARNParam(account, arn); err != nil {
		return Page[PolicyRole]{}, err
	}
	var v validator
	v.enum("entityFilter", in.EntityFilter, entityFilterEnum, "User", entityRole, "Group", "LocalManagedPolicy", "AWSManagedPolicy")
	v.enum("policyUsageFilter", in.PolicyUsageFilter, policyUsageEnum, usagePermissions, usageBoundary)
	if in.PathPrefix != "" {
		v.str("pathPrefix", in.PathPrefix, 1, maxPathLen, pathPattern, validPath)
	}
	v.page(in.PageInput)
	if err := v.err(); err != nil {
		return Page[PolicyRole]{}, err
	}
	if _, err := s.findPolicy(account, arn); err != nil {
		return Page[PolicyRole]{}, err
	}
	roles := []PolicyRole{}
	if (in.EntityFilter == "" || in.EntityFilter == entityRole) && in.PolicyUsageFilter != usageBoundary {
		s.mu.RLock()
		for _, r := range s.accounts[account] {
			if slices.Contains(r.AttachedPolicies, arn) && strings.HasPrefix(r.Path, in.PathPrefix) {
				roles = append(roles, PolicyRole{Name: r.Name, ID: r.ID})
			}
		}
		s.mu.RUnlock()
	}
	return paginate(roles, func(r PolicyRole) string { return strings.ToLower(r.Name) }, in.PageInput)
}

// TagPolicy adds tags to a customer managed policy, replacing the value of
// any key it has already (keys compare case-insensitively).
func (s *Service) TagPolicy(ctx context.Context, account, arn string, tags []Tag) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.policyARN(arn)
	if len(tags) == 0 {
		v.fail("null", "tags", "not be null")
	}
	v.tags("tags", tags)
	if err := v.err(); err != nil {
		return err
	}
	if err := uniqueTagKeys(tags); err != nil {
		return err
	}
	return s.updatePolicy(ctx, account, arn, "TagPolicy", func(p *ManagedPolicy) error {
		p.Tags = retag(p.Tags, tags)
		if len(p.Tags) > MaxTagsPerPolicy {
			return newError(CodeLimitExceeded, msgTagsPerPolicyMax)
		}
		return nil
	})
}

// UntagPolicy removes the tags with the given keys from a customer managed
// policy; keys it does not have are ignored.
func (s *Service) UntagPolicy(ctx context.Context, account, arn string, keys []string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.policyARN(arn)
	v.tagKeys(keys)
	if err := v.err(); err != nil {
		return err
	}
	return s.updatePolicy(ctx, account, arn, "UntagPolicy", func(p *ManagedPolicy) error {
		p.Tags = untag(p.Tags, keys)
		return nil
	})
}

// ListPolicyTags returns a page of a managed policy's tags, ordered by key.
func (s *Service) ListPolicyTags(ctx context.Context, account, arn string, in PageInput) (Page[Tag], error) {
	if err := checkARNParam(account, arn); err != nil {
		return Page[Tag]{}, err
	}
	var v validator
	v.page(in)
	if err := v.err(); err != nil {
		return Page[Tag]{}, err
	}
	p, err := s.findPolicy(account, arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return paginate(p.TagList(), func(t Tag) string { return t.Key }, in)
}

// findPolicy returns the policy with the ARN: one of AWS's or one of the
// account's own. A committed policy's slices and maps must not be modified.
func (s *Service) findPolicy(account, arn string) (ManagedPolicy, error) {
	owner, path, name, ok := parsePolicyARN(arn)
	if !ok {
		return ManagedPolicy{}, errInvalidARN(arn)
	}
	if owner == awsAccount {
		if p, ok := s.catalog[arn]; ok {
			return p, nil
		}
		return ManagedPolicy{}, errNoSuchPolicy(arn)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.policies[account][strings.ToLower(name)]
	if owner != account || !ok || p.Name != name || p.Path != path {
		return ManagedPolicy{}, errNoSuchPolicy(arn)
	}
	return p, nil
}

// findOwnPolicy is findPolicy for a change: AWS managed policies are read-only.
func (s *Service) findOwnPolicy(account, arn, action string) (ManagedPolicy, error) {
	p, err := s.findPolicy(account, arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if p.IsAWSManaged() {
		return ManagedPolicy{}, newError(CodeAccessDenied, "User: arn:aws:iam::"+account+":root is not authorized to perform: iam:"+
			action+" on resource: policy "+arn+" because AWS managed policies cannot be changed")
	}
	return p, nil
}

// updatePolicy runs change on a copy of the account's policy and, if it
// returns nil, saves the copy and commits it, all under the writer slot.
func (s *Service) updatePolicy(ctx context.Context, account, arn, action string, change func(p *ManagedPolicy) error) error {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := s.findOwnPolicy(account, arn, action)
	if err != nil {
		return err
	}
	next := clonePolicy(cur)
	if err := change(&next); err != nil {
		return err
	}
	next.UpdateDate = next.CreateDate
	for _, ver := range next.Versions {
		if ver.CreateDate.After(next.UpdateDate) {
			next.UpdateDate = ver.CreateDate
		}
	}
	if err := s.store.SavePolicy(ctx, next); err != nil {
		return fmt.Errorf("iam: save policy %s of %s: %w", next.Name, account, err)
	}
	s.putPolicy(next)
	return nil
}

// putPolicy commits p. Callers hold the writer slot (or own s exclusively).
func (s *Service) putPolicy(p ManagedPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.policies[p.Account]
	if m == nil {
		m = make(map[string]ManagedPolicy)
		s.policies[p.Account] = m
	}
	m[strings.ToLower(p.Name)] = p
}

// info returns a copy of p with the account's figures for it.
func (s *Service) info(account string, p ManagedPolicy) PolicyInfo {
	return PolicyInfo{ManagedPolicy: clonePolicy(p), AttachmentCount: s.attachmentCount(account, p.ARN())}
}

// attachmentCount is the number of the account's roles the policy with the
// ARN is attached to.
func (s *Service) attachmentCount(account, arn string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, r := range s.accounts[account] {
		if slices.Contains(r.AttachedPolicies, arn) {
			n++
		}
	}
	return n
}

// attachable reports whether the account may attach the policy with the
// ARN: one of AWS's or one of its own.
func (s *Service) attachable(account, arn string) bool {
	p, err := s.findPolicy(account, arn)
	return err == nil && p.ARN() == arn
}

// clonePolicy returns a deep copy of p.
func clonePolicy(p ManagedPolicy) ManagedPolicy {
	p.Versions = slices.Clone(p.Versions)
	p.Tags = maps.Clone(p.Tags)
	return p
}

// versionNumber returns N of a version id vN or vN.suffix, or 0 when id does
// not match v[1-9][0-9]*(\.[A-Za-z0-9-]*)?.
func versionNumber(id string) int {
	rest, ok := strings.CutPrefix(id, "v")
	if !ok {
		return 0
	}
	digits, suffix, _ := strings.Cut(rest, ".")
	if digits == "" || digits[0] == '0' || len(digits) > 9 || !all(digits, func(r rune) bool { return r >= '0' && r <= '9' }) ||
		!all(suffix, func(r rune) bool {
			return r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		}) {
		return 0
	}
	n, _ := strconv.Atoi(digits)
	return n
}

// parsePolicyARN returns the owner (an account or "aws"), path and name of a
// managed policy ARN.
func parsePolicyARN(arn string) (owner, path, name string, ok bool) {
	path, name, ok = splitPolicyARN(arn)
	if !ok {
		return "", "", "", false
	}
	return strings.SplitN(arn, ":", 6)[4], path, name, true
}

func errNoSuchPolicy(arn string) *Error {
	return newError(CodeNoSuchEntity, "Policy "+arn+" was not found.")
}

func errNoSuchVersion(arn, versionID string) *Error {
	return newError(CodeNoSuchEntity, "Policy "+arn+" version "+versionID+" does not exist or is not attachable.")
}

func errInvalidARN(arn string) *Error {
	return newError(CodeInvalidInput, "ARN "+arn+" is not valid.")
}

// policyARN records the violations of a required policy ARN parameter.
func (v *validator) policyARN(arn string) {
	if v.required("policyArn", arn) {
		v.str("policyArn", arn, minArnLen, maxArnLen, "", nil)
	}
}

// enum records a violation when a non-empty value is not one of allowed.
func (v *validator) enum(field, value, set string, allowed ...string) {
	if value != "" && !slices.Contains(allowed, value) {
		v.fail("'"+value+"'", field, "satisfy enum value set: "+set)
	}
}

// checkARNParam validates the account and the policy ARN of a call.
func checkARNParam(account, arn string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.policyARN(arn)
	return v.err()
}

// checkVersionParams validates the account, policy ARN and version id.
func checkVersionParams(account, arn, versionID string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.policyARN(arn)
	if v.required("versionId", versionID) {
		v.str("versionId", versionID, 0, 1<<20, versionIDPattern, func(s string) bool { return versionNumber(s) > 0 })
	}
	return v.err()
}
