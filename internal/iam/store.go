package iam

import (
	"context"
	"time"
)

// Role is an IAM role. IAM is global: a role belongs to an account, not to a region.
type Role struct {
	Account                  string
	Name                     string
	ID                       string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	CreateDate               time.Time
	Tags                     map[string]string
	// InlinePolicies maps the name of each inline policy to its document.
	InlinePolicies map[string]string
	// AttachedPolicies are the ARNs of the attached managed policies, in
	// attach order.
	AttachedPolicies []string
}

// ManagedPolicy is a customer managed policy: a standalone policy of an
// account, with up to MaxPolicyVersions versions of its document, one of them
// the default. Which roles it is attached to is recorded on the roles
// (Role.AttachedPolicies), never here, so the two cannot disagree.
type ManagedPolicy struct {
	Account     string
	Name        string
	ID          string
	Path        string
	Description string
	CreateDate  time.Time
	// UpdateDate is when the default version last changed.
	UpdateDate       time.Time
	DefaultVersionID string
	// Versions are the policy's versions, oldest first.
	Versions []PolicyVersion
	// NextVersion numbers the next version created, v<NextVersion>: IAM never
	// reuses the id of a deleted version.
	NextVersion int
	Tags        map[string]string
}

// PolicyVersion is one version of a managed policy's document.
type PolicyVersion struct {
	ID         string
	Document   string
	CreateDate time.Time
}

// Store is the durable home of IAM roles and customer managed policies. Every write is durable when it
// returns nil and changes nothing when it returns an error. Safe for
// concurrent use.
type Store interface {
	// LoadRoles returns every stored role of every account.
	LoadRoles(ctx context.Context) ([]Role, error)
	// SaveRole stores r, replacing any role with the same account and name.
	SaveRole(ctx context.Context, r Role) error
	// DeleteRole removes a role; deleting a missing one is not an error.
	DeleteRole(ctx context.Context, account, name string) error
	// LoadPolicies returns every stored managed policy of every account.
	LoadPolicies(ctx context.Context) ([]ManagedPolicy, error)
	// SavePolicy stores p, replacing any policy with the same account and name.
	SavePolicy(ctx context.Context, p ManagedPolicy) error
	// DeletePolicy removes a policy; deleting a missing one is not an error.
	DeletePolicy(ctx context.Context, account, name string) error
}
