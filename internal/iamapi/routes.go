package iamapi

import (
	"maps"
	"slices"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// IAMActions and STSActions name the actions the handler serves, sorted: a
// router sends unsigned query requests without a Version by them.
func IAMActions() []string { return slices.Sorted(maps.Keys(iamRoutes(nil))) }

// STSActions: see IAMActions.
func STSActions() []string { return slices.Sorted(maps.Keys(stsRoutes())) }

// iamRoutes is the table of the IAM actions the handler serves.
func iamRoutes(svc *iam.Service) map[string]operation {
	roles := roleHandlers{svc: svc}
	tags := tagHandlers{svc: svc}
	policies := policyHandlers{svc: svc}
	managed := managedHandlers{svc: svc}
	return map[string]operation{
		"CreateRole":                  roles.createRole,
		"GetRole":                     roles.getRole,
		"DeleteRole":                  roles.deleteRole,
		"ListRoles":                   roles.listRoles,
		"UpdateRole":                  roles.updateRole,
		"UpdateRoleDescription":       roles.updateRoleDescription,
		"UpdateAssumeRolePolicy":      roles.updateAssumeRolePolicy,
		"ListInstanceProfilesForRole": roles.listInstanceProfilesForRole,
		"GetUser":                     userHandlers{svc: svc}.getUser,

		"TagRole":      tags.tagRole,
		"UntagRole":    tags.untagRole,
		"ListRoleTags": tags.listRoleTags,

		"PutRolePolicy":            policies.putRolePolicy,
		"GetRolePolicy":            policies.getRolePolicy,
		"DeleteRolePolicy":         policies.deleteRolePolicy,
		"ListRolePolicies":         policies.listRolePolicies,
		"AttachRolePolicy":         policies.attachRolePolicy,
		"DetachRolePolicy":         policies.detachRolePolicy,
		"ListAttachedRolePolicies": policies.listAttachedRolePolicies,

		"CreatePolicy":            managed.createPolicy,
		"GetPolicy":               managed.getPolicy,
		"DeletePolicy":            managed.deletePolicy,
		"ListPolicies":            managed.listPolicies,
		"CreatePolicyVersion":     managed.createPolicyVersion,
		"GetPolicyVersion":        managed.getPolicyVersion,
		"ListPolicyVersions":      managed.listPolicyVersions,
		"DeletePolicyVersion":     managed.deletePolicyVersion,
		"SetDefaultPolicyVersion": managed.setDefaultPolicyVersion,
		"ListEntitiesForPolicy":   managed.listEntitiesForPolicy,
		"TagPolicy":               managed.tagPolicy,
		"UntagPolicy":             managed.untagPolicy,
		"ListPolicyTags":          managed.listPolicyTags,
	}
}

// stsRoutes is the table of the STS actions the handler serves.
func stsRoutes() map[string]operation {
	return map[string]operation{
		"GetCallerIdentity": getCallerIdentity,
	}
}
