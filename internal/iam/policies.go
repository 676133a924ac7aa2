package iam

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// PutRolePolicy adds or replaces an inline policy of the role.
func (s *Service) PutRolePolicy(ctx context.Context, account, roleName, policyName, document string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", roleName)
	v.policyName(policyName)
	v.document("policyDocument", document)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkPolicyJSON(document); err != nil {
		return err
	}
	_, err := s.update(ctx, account, roleName, func(r *Role) error {
		if r.InlinePolicies == nil {
			r.InlinePolicies = make(map[string]string, 1)
		}
		r.InlinePolicies[policyName] = document
		total := 0
		for _, doc := range r.InlinePolicies {
			total += policySize(doc)
		}
		if total > MaxInlinePolicySize {
			return newError(CodeLimitExceeded, "Maximum policy size of "+strconv.Itoa(MaxInlinePolicySize)+
				" bytes exceeded for role "+r.Name)
		}
		return nil
	})
	return err
}

// GetRolePolicy returns the document of an inline policy of the role.
func (s *Service) GetRolePolicy(ctx context.Context, account, roleName, policyName string) (string, error) {
	if err := checkAccount(account); err != nil {
		return "", err
	}
	var v validator
	v.roleName("roleName", roleName)
	v.policyName(policyName)
	if err := v.err(); err != nil {
		return "", err
	}
	r, err := s.get(account, roleName)
	if err != nil {
		return "", err
	}
	doc, ok := r.InlinePolicies[policyName]
	if !ok {
		return "", errNoSuchRolePolicy(policyName)
	}
	return doc, nil
}

// DeleteRolePolicy deletes an inline policy of the role.
func (s *Service) DeleteRolePolicy(ctx context.Context, account, roleName, policyName string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", roleName)
	v.policyName(policyName)
	if err := v.err(); err != nil {
		return err
	}
	_, err := s.update(ctx, account, roleName, func(r *Role) error {
		if _, ok := r.InlinePolicies[policyName]; !ok {
			return errNoSuchRolePolicy(policyName)
		}
		delete(r.InlinePolicies, policyName)
		if len(r.InlinePolicies) == 0 {
			r.InlinePolicies = nil
		}
		return nil
	})
	return err
}

// ListRolePolicies returns a page of the names of the role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, account, roleName string, in PageInput) (Page[string], error) {
	if err := checkRoleName(account, roleName); err != nil {
		return Page[string]{}, err
	}
	var v validator
	v.page(in)
	if err := v.err(); err != nil {
		return Page[string]{}, err
	}
	r, err := s.get(account, roleName)
	if err != nil {
		return Page[string]{}, err
	}
	names := make([]string, 0, len(r.InlinePolicies))
	for name := range r.InlinePolicies {
		names = append(names, name)
	}
	return paginate(names, func(s string) string { return s }, in)
}

// AttachedPolicy is a managed policy attached to a role.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// AttachRolePolicy attaches a managed policy to the role; attaching one that
// is attached already changes nothing. The policy must be one of AWS's
// (from the catalog) or one of the account's own.
func (s *Service) AttachRolePolicy(ctx context.Context, account, roleName, policyARN string) error {
	if err := checkPolicyARN(account, roleName, policyARN); err != nil {
		return err
	}
	_, err := s.update(ctx, account, roleName, func(r *Role) error {
		if !s.attachable(account, policyARN) {
			return newError(CodeNoSuchEntity, "Policy "+policyARN+" does not exist or is not attachable.")
		}
		if slices.Contains(r.AttachedPolicies, policyARN) {
			return nil
		}
		if len(r.AttachedPolicies) >= MaxAttachedPoliciesPerRole {
			return newError(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerRole: "+strconv.Itoa(MaxAttachedPoliciesPerRole))
		}
		r.AttachedPolicies = append(r.AttachedPolicies, policyARN)
		return nil
	})
	return err
}

// DetachRolePolicy detaches a managed policy from the role.
func (s *Service) DetachRolePolicy(ctx context.Context, account, roleName, policyARN string) error {
	if err := checkPolicyARN(account, roleName, policyARN); err != nil {
		return err
	}
	_, err := s.update(ctx, account, roleName, func(r *Role) error {
		i := slices.Index(r.AttachedPolicies, policyARN)
		if i < 0 {
			return newError(CodeNoSuchEntity, "Policy "+policyARN+" was not found.")
		}
		r.AttachedPolicies = slices.Delete(r.AttachedPolicies, i, i+1)
		if len(r.AttachedPolicies) == 0 {
			r.AttachedPolicies = nil
		}
		return nil
	})
	return err
}

// ListAttachedRolePolicies returns a page of the managed policies attached to
// the role whose path starts with pathPrefix ("" for all), ordered by ARN.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, account, roleName, pathPrefix string, in PageInput) (Page[AttachedPolicy], error) {
	if err := checkAccount(account); err != nil {
		return Page[AttachedPolicy]{}, err
	}
	var v validator
	v.roleName("roleName", roleName)
	if pathPrefix != "" {
		v.str("pathPrefix", pathPrefix, 1, maxPathLen, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, validPolicyPathPrefix)
	}
	v.page(in)
	if err := v.err(); err != nil {
		return Page[AttachedPolicy]{}, err
	}
	r, err := s.get(account, roleName)
	if err != nil {
		return Page[AttachedPolicy]{}, err
	}
	policies := make([]AttachedPolicy, 0, len(r.AttachedPolicies))
	for _, a := range r.AttachedPolicies {
		path, name, _ := splitPolicyARN(a)
		if strings.HasPrefix(path, pathPrefix) {
			policies = append(policies, AttachedPolicy{Name: name, ARN: a})
		}
	}
	return paginate(policies, func(p AttachedPolicy) string { return p.ARN }, in)
}

func errNoSuchRolePolicy(name string) *Error {
	return newError(CodeNoSuchEntity, "The role policy with name "+name+" cannot be found.")
}

// policyName records the violations of a required policy name.
func (v *validator) policyName(name string) {
	if v.required("policyName", name) {
		v.str("policyName", name, 1, maxPolicyNameLen, policyNamePattern, validRoleName)
	}
}

// checkPolicyARN validates the arguments of Attach/DetachRolePolicy.
func checkPolicyARN(account, roleName, policyARN string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", roleName)
	if v.required("policyArn", policyARN) {
		v.str("policyArn", policyARN, minArnLen, maxArnLen, "", nil)
	}
	if err := v.err(); err != nil {
		return err
	}
	if _, _, ok := splitPolicyARN(policyARN); !ok {
		return newError(CodeInvalidInput, "ARN "+policyARN+" is not valid.")
	}
	return nil
}

// splitPolicyARN returns the path and the name of a managed policy ARN,
// arn:PARTITION:iam::(aws|ACCOUNT):policy/PATH/NAME, and whether it is one.
func splitPolicyARN(arn string) (path, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") ||
		parts[2] != "iam" || parts[3] != "" || !(parts[4] == "aws" || isAccountID(parts[4])) {
		return "", "", false
	}
	resource, ok := strings.CutPrefix(parts[5], "policy/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(resource, '/')
	path, name = "/"+resource[:i+1], resource[i+1:]
	if !validRoleName(name) || len(name) > maxPolicyNameLen || !validPath(path) {
		return "", "", false
	}
	return path, name, true
}

func isAccountID(s string) bool {
	return len(s) == 12 && all(s, func(r rune) bool { return r >= '0' && r <= '9' })
}

// validPolicyPathPrefix matches ((/[A-Za-z0-9\.,\+@=_-]+)*)/.
func validPolicyPathPrefix(s string) bool {
	if s == "" || s[len(s)-1] != '/' {
		return false
	}
	for _, seg := range strings.Split(s[:len(s)-1], "/")[1:] {
		if seg == "" || !validRoleName(seg) {
			return false
		}
	}
	return s[0] == '/'
}
