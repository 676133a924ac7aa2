package iamapi

import (
	"context"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// roleService is what the role actions need of the domain.
type roleService interface {
	CreateRole(ctx context.Context, account string, in iam.CreateRoleInput) (iam.Role, error)
	GetRole(ctx context.Context, account, name string) (iam.Role, error)
	DeleteRole(ctx context.Context, account, name string) error
	ListRoles(ctx context.Context, account string, in iam.ListRolesInput) (iam.Page[iam.Role], error)
	UpdateRole(ctx context.Context, account, name string, in iam.UpdateRoleInput) (iam.Role, error)
	UpdateAssumeRolePolicy(ctx context.Context, account, name, document string) error
	ListInstanceProfilesForRole(ctx context.Context, account, name string, in iam.PageInput) (iam.Page[string], error)
}

type roleHandlers struct {
	svc roleService
}

func (h roleHandlers) createRole(r *request) (any, error) {
	maxSession, err := r.params.intOrZero("MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	role, err := h.svc.CreateRole(r.ctx, r.account, iam.CreateRoleInput{
		Name:                     r.params.get("RoleName"),
		Path:                     r.params.get("Path"),
		AssumeRolePolicyDocument: r.params.get("AssumeRolePolicyDocument"),
		Description:              r.params.get("Description"),
		MaxSessionDuration:       maxSession,
		PermissionsBoundary:      r.params.get("PermissionsBoundary"),
		Tags:                     r.params.tags("Tags"),
	})
	if err != nil {
		return nil, err
	}
	x := toRoleXML(role, fullView)
	x.RoleLastUsed = nil // CreateRole does not report last use
	return roleResult{Role: x}, nil
}

func (h roleHandlers) getRole(r *request) (any, error) {
	role, err := h.svc.GetRole(r.ctx, r.account, r.params.get("RoleName"))
	if err != nil {
		return nil, err
	}
	return roleResult{Role: toRoleXML(role, fullView)}, nil
}

func (h roleHandlers) deleteRole(r *request) (any, error) {
	return nil, h.svc.DeleteRole(r.ctx, r.account, r.params.get("RoleName"))
}

func (h roleHandlers) listRoles(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	roles, err := h.svc.ListRoles(r.ctx, r.account, iam.ListRolesInput{PathPrefix: r.params.get("PathPrefix"), PageInput: page})
	if err != nil {
		return nil, err
	}
	out := listRolesResult{IsTruncated: roles.IsTruncated, Marker: roles.Marker}
	out.Roles.Members = make([]roleXML, len(roles.Items))
	for i, role := range roles.Items {
		out.Roles.Members[i] = toRoleXML(role, listView)
	}
	return out, nil
}

func (h roleHandlers) updateRole(r *request) (any, error) {
	maxSession, err := r.params.optInt("MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	_, err = h.svc.UpdateRole(r.ctx, r.account, r.params.get("RoleName"), iam.UpdateRoleInput{
		Description:        r.params.optString("Description"),
		MaxSessionDuration: maxSession,
	})
	if err != nil {
		return nil, err
	}
	return emptyResult{}, nil
}

func (h roleHandlers) updateRoleDescription(r *request) (any, error) {
	desc := r.params.optString("Description")
	if desc == nil {
		return nil, errMissingParameter("Description")
	}
	role, err := h.svc.UpdateRole(r.ctx, r.account, r.params.get("RoleName"), iam.UpdateRoleInput{Description: desc})
	if err != nil {
		return nil, err
	}
	return roleResult{Role: toRoleXML(role, fullView)}, nil
}

func (h roleHandlers) updateAssumeRolePolicy(r *request) (any, error) {
	return nil, h.svc.UpdateAssumeRolePolicy(r.ctx, r.account, r.params.get("RoleName"), r.params.get("PolicyDocument"))
}

func (h roleHandlers) listInstanceProfilesForRole(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	profiles, err := h.svc.ListInstanceProfilesForRole(r.ctx, r.account, r.params.get("RoleName"), page)
	if err != nil {
		return nil, err
	}
	out := listInstanceProfilesForRoleResult{IsTruncated: profiles.IsTruncated, Marker: profiles.Marker}
	out.InstanceProfiles.Members = make([]instanceProfileXML, len(profiles.Items))
	for i, name := range profiles.Items {
		out.InstanceProfiles.Members[i] = instanceProfileXML{InstanceProfileName: name}
	}
	return out, nil
}
