package autoscaling

import "context"

// TargetKey names a scalable target.
type TargetKey struct {
	Scope    Scope
	Resource ResourceID
}

// NamedKey names a policy or a scheduled action of a target.
type NamedKey struct {
	Scope    Scope
	Resource ResourceID
	Name     string
}

// Snapshot is everything stored.
type Snapshot struct {
	Targets    []Target
	Policies   []Policy
	Actions    []ScheduledAction
	Activities []Activity
}

// Change is one durable write: puts replace what has the same key.
type Change struct {
	Targets          []Target
	DeleteTargets    []TargetKey
	Policies         []Policy
	DeletePolicies   []NamedKey
	Actions          []ScheduledAction
	DeleteActions    []NamedKey
	Activities       []Activity // keyed by scope, resource and ID
	DeleteActivities []Activity
}

// Store is the durable home of targets, policies, scheduled actions and
// activities. SaveAutoscaling applies a whole Change in one durable
// (fsync'd) transaction or, on error, nothing. Safe for concurrent use.
type Store interface {
	LoadAutoscaling(ctx context.Context) (Snapshot, error)
	SaveAutoscaling(ctx context.Context, c Change) error
}
