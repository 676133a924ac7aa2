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

// Store is the durable home of IAM roles. Every write is durable when it
// returns nil and changes nothing when it returns an error. Safe for
// concurrent use.
type Store interface {
	// LoadRoles returns every stored role of every account.
	LoadRoles(ctx context.Context) ([]Role, error)
	// SaveRole stores r, replacing any role with the same account and name.
	SaveRole(ctx context.Context, r Role) error
	// DeleteRole removes a role; deleting a missing one is not an error.
	DeleteRole(ctx context.Context, account, name string) error
}
