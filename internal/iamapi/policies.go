package iamapi

import (
	"context"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// policyService is what the inline and attached policy actions need of the
// domain.
type policyService interface {
	PutRolePolicy(ctx context.Context, account, roleName, policyName, document string) error
	GetRolePolicy(ctx context.Context, account, roleName, policyName string) (string, error)
	DeleteRolePolicy(ctx context.Context, account, roleName, policyName string) error
	ListRolePolicies(ctx context.Context, account, roleName string, in iam.PageInput) (iam.Page[string], error)
	AttachRolePolicy(ctx context.Context, account, roleName, policyARN string) error
	DetachRolePolicy(ctx context.Context, account, roleName, policyARN string) error
	ListAttachedRolePolicies(ctx context.Context, account, roleName, pathPrefix string, in iam.PageInput) (iam.Page[iam.AttachedPolicy], error)
}

type policyHandlers struct {
	svc policyService
}

func (h policyHandlers) putRolePolicy(r *request) (any, error) {
	return nil, h.svc.PutRolePolicy(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PolicyName"), r.params.get("PolicyDocument"))
}

func (h policyHandlers) getRolePolicy(r *request) (any, error) {
	role, name := r.params.get("RoleName"), r.params.get("PolicyName")
	doc, err := h.svc.GetRolePolicy(r.ctx, r.account, role, name)
	if err != nil {
		return nil, err
	}
	return getRolePolicyResult{RoleName: role, PolicyName: name, PolicyDocument: escapePolicy(doc)}, nil
}

func (h policyHandlers) deleteRolePolicy(r *request) (any, error) {
	return nil, h.svc.DeleteRolePolicy(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PolicyName"))
}

func (h policyHandlers) listRolePolicies(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	names, err := h.svc.ListRolePolicies(r.ctx, r.account, r.params.get("RoleName"), page)
	if err != nil {
		return nil, err
	}
	out := listRolePoliciesResult{IsTruncated: names.IsTruncated, Marker: names.Marker}
	out.PolicyNames.Members = names.Items
	return out, nil
}

func (h policyHandlers) attachRolePolicy(r *request) (any, error) {
	return nil, h.svc.AttachRolePolicy(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PolicyArn"))
}

func (h policyHandlers) detachRolePolicy(r *request) (any, error) {
	return nil, h.svc.DetachRolePolicy(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PolicyArn"))
}

func (h policyHandlers) listAttachedRolePolicies(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	policies, err := h.svc.ListAttachedRolePolicies(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PathPrefix"), page)
	if err != nil {
		return nil, err
	}
	out := listAttachedRolePoliciesResult{IsTruncated: policies.IsTruncated, Marker: policies.Marker}
	out.AttachedPolicies.Members = make([]attachedPolicyXML, len(policies.Items))
	for i, p := range policies.Items {
		out.AttachedPolicies.Members[i] = attachedPolicyXML{PolicyName: p.Name, PolicyArn: p.ARN}
	}
	return out, nil
}
