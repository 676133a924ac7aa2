package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Clock is the engine's time source; clockwork.Clock satisfies it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Lambda is what the domain needs of Lambda (the app wires *lambda.Service).
type Lambda interface {
	// CheckTarget returns a ValidationException *Error when the function
	// or its qualifier does not exist, or the qualifier is $LATEST.
	CheckTarget(ctx context.Context, sc Scope, function, qualifier string) error
	// Provisioned is the provisioned concurrency the qualifier's config
	// requests, 0 without one.
	Provisioned(ctx context.Context, sc Scope, function, qualifier string) (int, error)
	// SetProvisioned changes it through PutProvisionedConcurrencyConfig
	// (n 0: DeleteProvisionedConcurrencyConfig); an error's text is the
	// reason a Failed activity reports.
	SetProvisioned(ctx context.Context, sc Scope, function, qualifier string, n int) error
}

// AlarmSpec is a CloudWatch metric alarm a policy creates.
type AlarmSpec struct {
	Name               string
	Description        string
	Namespace          string
	MetricName         string
	Dimensions         []MetricDimension
	Statistic          string
	Unit               string
	Period             int32
	EvaluationPeriods  int32
	DatapointsToAlarm  int32
	Threshold          float64
	ComparisonOperator string
	AlarmActions       []string
}

// Alarms is what the domain needs of CloudWatch (the app wires
// *cloudwatch.Service).
type Alarms interface {
	PutAlarm(ctx context.Context, sc Scope, a AlarmSpec) (arn string, err error)
	DeleteAlarms(ctx context.Context, sc Scope, names []string) error
	// Latest is the alarm metric's value over its last period that has
	// data, ending at or before at; ok false without data.
	Latest(ctx context.Context, sc Scope, a AlarmSpec, at time.Time) (v float64, ok bool, err error)
	// Alarm is a user's alarm on one metric (ok false when there is no
	// such alarm or it watches metric math).
	Alarm(ctx context.Context, sc Scope, name string) (a AlarmSpec, ok bool, err error)
	// Recent is the alarm metric's statistic over up to n of its last
	// periods that have data, ending at or before at, oldest first.
	Recent(ctx context.Context, sc Scope, a AlarmSpec, at time.Time, n int) ([]float64, error)
	// Naming are the alarms whose alarm actions name arn.
	Naming(ctx context.Context, sc Scope, arn string) ([]AlarmRef, error)
}

// Options configure a Service.
type Options struct {
	Store  Store
	Lambda Lambda
	Alarms Alarms
	Clock  Clock // nil: the real clock
	Logger *slog.Logger
	// TickInterval is how often scheduled actions and the min/max bounds are
	// checked: 0 every minute (on the minute, plus TickDelay); negative
	// never (tests call Tick).
	TickInterval time.Duration
	// EnsureRole, if set, is called after a target is registered, to make
	// the service-linked role it reports exist in IAM.
	EnsureRole func(ctx context.Context, sc Scope) error
}

// TickDelay is how long after each minute the engine ticks.
const TickDelay = 2 * time.Second

// Service implements Application Auto Scaling for Lambda. Safe for
// concurrent use.
type Service struct {
	store  Store
	lambda Lambda
	alarms Alarms
	clock  Clock
	log    *slog.Logger
	role   func(ctx context.Context, sc Scope) error

	// scaleMu admits one change of capacity at a time (decisions read the
	// current capacity and write it), and deregistrations between them.
	scaleMu sync.Mutex

	mu         sync.Mutex
	targets    map[TargetKey]*Target
	policies   map[NamedKey]*Policy
	actions    map[NamedKey]*ScheduledAction
	activities map[TargetKey][]Activity // oldest first

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// maxActivities is how many activities a target keeps (older are dropped).
const maxActivities = 200

// NewService loads the stored state and starts the engine (unless
// TickInterval is negative). Close stops it.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.Store == nil || o.Lambda == nil || o.Alarms == nil {
		return nil, errors.New("autoscaling: NewService needs a store, Lambda and alarms")
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: o.Store, lambda: o.Lambda, alarms: o.Alarms, clock: o.Clock, log: o.Logger, role: o.EnsureRole,
		targets: map[TargetKey]*Target{}, policies: map[NamedKey]*Policy{}, actions: map[NamedKey]*ScheduledAction{},
		activities: map[TargetKey][]Activity{}, stop: make(chan struct{}), done: make(chan struct{})}
	snap, err := o.Store.LoadAutoscaling(ctx)
	if err != nil {
		return nil, fmt.Errorf("autoscaling: load: %w", err)
	}
	for i := range snap.Targets {
		t := snap.Targets[i]
		s.targets[TargetKey{t.Scope, t.Resource}] = &t
	}
	for i := range snap.Policies {
		p := snap.Policies[i]
		s.policies[NamedKey{p.Scope, p.Resource, p.Name}] = &p
	}
	for i := range snap.Actions {
		a := snap.Actions[i]
		s.actions[NamedKey{a.Scope, a.Resource, a.Name}] = &a
	}
	for _, a := range snap.Activities {
		k := TargetKey{a.Scope, a.Resource}
		s.activities[k] = append(s.activities[k], a)
	}
	for k := range s.activities {
		slices.SortFunc(s.activities[k], func(a, b Activity) int { return a.Start.Compare(b.Start) })
	}
	if o.TickInterval >= 0 {
		go s.loop(o.TickInterval)
	} else {
		close(s.done)
	}
	return s, nil
}

// Close stops the engine and waits for a tick in progress.
func (s *Service) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Service) loop(every time.Duration) {
	defer close(s.done)
	for {
		wait := every
		if every == 0 {
			now := s.clock.Now()
			wait = now.Truncate(time.Minute).Add(time.Minute + TickDelay).Sub(now)
		}
		select {
		case <-s.stop:
			return
		case <-s.clock.After(wait):
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.Tick(ctx); err != nil {
			s.log.Warn("autoscaling: tick", "err", err)
		}
		cancel()
	}
}

// checkTargetIDs validates namespace, dimension and resource id.
func checkIDs(namespace, dimension, resource string) (ResourceID, error) {
	if namespace != NamespaceLambda {
		return ResourceID{}, newErr(CodeValidation, msgUnsupported)
	}
	if dimension != DimensionLambdaPC {
		return ResourceID{}, newErr(CodeValidation, msgUnsupported)
	}
	return ParseResourceID(resource)
}

// RegisterInput is RegisterScalableTarget's input.
type RegisterInput struct {
	Namespace, Dimension, ResourceID string
	Min, Max                         *int
	// Suspended's nil members keep the target's values (false for a new
	// target); it is merged under the service's lock, so two concurrent
	// registrations setting different members both take effect.
	Suspended SuspendedUpdate
	Tags      map[string]string
}

// RegisterScalableTarget creates or updates a target and returns its ARN.
func (s *Service) RegisterScalableTarget(ctx context.Context, sc Scope, in RegisterInput) (string, error) {
	r, err := checkIDs(in.Namespace, in.Dimension, in.ResourceID)
	if err != nil {
		return "", err
	}
	if (in.Min != nil && *in.Min < 0) || (in.Max != nil && *in.Max < 0) {
		return "", newErr(CodeValidation, msgNegative)
	}
	if r.Qualifier == "$LATEST" {
		return "", newErr(CodeValidation, msgLatest)
	}
	if err := s.lambda.CheckTarget(ctx, sc, r.Function, r.Qualifier); err != nil {
		return "", err
	}
	s.mu.Lock()
	k := TargetKey{sc, r}
	old := s.targets[k]
	var t Target
	if old == nil {
		if in.Min == nil || in.Max == nil {
			s.mu.Unlock()
			return "", newErr(CodeValidation, msgNewTargetNeedsMM)
		}
		t = Target{Scope: sc, Resource: r, ID: "0" + strings.ReplaceAll(uuid.NewString(), "-", ""), Created: s.clock.Now(), Tags: in.Tags}
	} else {
		t = *old
		t.Tags = maps.Clone(old.Tags)
		for k, v := range in.Tags {
			if t.Tags == nil {
				t.Tags = map[string]string{}
			}
			t.Tags[k] = v
		}
	}
	if in.Min != nil {
		t.Min = *in.Min
	}
	if in.Max != nil {
		t.Max = *in.Max
	}
	t.Suspended = in.Suspended.apply(t.Suspended)
	if t.Min > t.Max {
		s.mu.Unlock()
		return "", newErr(CodeValidation, msgMinOverMax)
	}
	if err := s.store.SaveAutoscaling(ctx, Change{Targets: []Target{t}}); err != nil {
		s.mu.Unlock()
		return "", err
	}
	s.targets[k] = &t
	s.mu.Unlock()
	if s.role != nil {
		if err := s.role(ctx, sc); err != nil {
			s.log.Warn("autoscaling: service-linked role", "err", err)
		}
	}
	// After the durable write: capacity is brought within the new bounds.
	s.enforceBounds(ctx, k)
	return t.ARN(), nil
}

// PageInput pages a Describe call.
type PageInput struct {
	MaxResults *int
	NextToken  string
}

func page[T any](items []T, key func(T) string, p PageInput) ([]T, string, error) {
	limit := 50
	if p.MaxResults != nil {
		if *p.MaxResults < 1 || *p.MaxResults > 50 {
			return nil, "", newErr(CodeValidation, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50", *p.MaxResults)
		}
		limit = *p.MaxResults
	}
	start := 0
	if p.NextToken != "" {
		start = -1
		for i, it := range items {
			if key(it) > p.NextToken {
				start = i
				break
			}
		}
		if start < 0 {
			start = len(items)
		}
	}
	items = items[start:]
	if len(items) > limit {
		return items[:limit], key(items[limit-1]), nil
	}
	return items, "", nil
}

// DescribeTargetsInput filters DescribeScalableTargets.
type DescribeTargetsInput struct {
	Namespace   string
	Dimension   string
	ResourceIDs []string
	PageInput
}

func (s *Service) checkNamespace(ns, dim string) error {
	if ns != NamespaceLambda {
		return newErr(CodeValidation, msgUnsupported)
	}
	if dim != "" && dim != DimensionLambdaPC {
		return newErr(CodeValidation, msgUnsupported)
	}
	return nil
}

func targetSortKey(t Target) string { return t.Resource.String() }

// DescribeScalableTargets lists targets.
func (s *Service) DescribeScalableTargets(ctx context.Context, sc Scope, in DescribeTargetsInput) ([]Target, string, error) {
	if err := s.checkNamespace(in.Namespace, in.Dimension); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	var out []Target
	for k, t := range s.targets {
		if k.Scope == sc && (len(in.ResourceIDs) == 0 || slices.Contains(in.ResourceIDs, k.Resource.String())) {
			c := *t
			c.Tags = maps.Clone(t.Tags)
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(targetSortKey(a), targetSortKey(b)) })
	return page(out, targetSortKey, in.PageInput)
}

// DeregisterScalableTarget removes a target with its policies (and their
// alarms) and scheduled actions. The provisioned config stays as it is.
func (s *Service) DeregisterScalableTarget(ctx context.Context, sc Scope, namespace, dimension, resource string) error {
	r, err := checkIDs(namespace, dimension, resource)
	if err != nil {
		return err
	}
	// A change of capacity in progress ends first, and none starts after
	// (each checks the target under scaleMu): once deregistered, the
	// target's provisioned config is the user's alone (Terraform deletes
	// it right after).
	s.scaleMu.Lock()
	s.mu.Lock()
	k := TargetKey{sc, r}
	if s.targets[k] == nil {
		s.mu.Unlock()
		s.scaleMu.Unlock()
		return errNoTargetFound(r)
	}
	c := Change{DeleteTargets: []TargetKey{k}}
	var alarms []string
	for pk, p := range s.policies {
		if pk.Scope == sc && pk.Resource == r {
			c.DeletePolicies = append(c.DeletePolicies, pk)
			for _, a := range p.Alarms {
				alarms = append(alarms, a.Name)
			}
		}
	}
	for ak := range s.actions {
		if ak.Scope == sc && ak.Resource == r {
			c.DeleteActions = append(c.DeleteActions, ak)
		}
	}
	c.DeleteActivities = s.activities[k]
	if err := s.store.SaveAutoscaling(ctx, c); err != nil {
		s.mu.Unlock()
		s.scaleMu.Unlock()
		return err
	}
	delete(s.targets, k)
	delete(s.activities, k)
	for _, pk := range c.DeletePolicies {
		delete(s.policies, pk)
	}
	for _, ak := range c.DeleteActions {
		delete(s.actions, ak)
	}
	s.mu.Unlock()
	s.scaleMu.Unlock()
	if len(alarms) > 0 {
		if err := s.alarms.DeleteAlarms(ctx, sc, alarms); err != nil {
			s.log.Warn("autoscaling: delete alarms of deregistered target", "target", r.String(), "err", err)
		}
	}
	return nil
}

// targetByARN finds a target by its ARN.
func (s *Service) targetByARN(sc Scope, arn string) *Target {
	for k, t := range s.targets {
		if k.Scope == sc && t.ARN() == arn {
			return t
		}
	}
	return nil
}

func errNoResource(arn string) error {
	return newErr(CodeResourceNotFound, "No scalable target found for ARN %s", arn) // chosen
}

// TagResource adds tags to a target.
func (s *Service) TagResource(ctx context.Context, sc Scope, arn string, tags map[string]string) error {
	return s.retag(ctx, sc, arn, func(m map[string]string) error {
		if len(m)+len(tags) > 50 {
			n := len(m)
			for k := range tags {
				if _, ok := m[k]; !ok {
					n++
				}
			}
			if n > 50 {
				return newErr(CodeTooManyTags, "The scalable target %s has too many tags (more than 50)", arn) // chosen
			}
		}
		maps.Copy(m, tags)
		return nil
	})
}

// UntagResource removes tags from a target.
func (s *Service) UntagResource(ctx context.Context, sc Scope, arn string, keys []string) error {
	return s.retag(ctx, sc, arn, func(m map[string]string) error {
		for _, k := range keys {
			delete(m, k)
		}
		return nil
	})
}

func (s *Service) retag(ctx context.Context, sc Scope, arn string, f func(map[string]string) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.targetByARN(sc, arn)
	if t == nil {
		return errNoResource(arn)
	}
	c := *t
	c.Tags = maps.Clone(t.Tags)
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	if err := f(c.Tags); err != nil {
		return err
	}
	if err := s.store.SaveAutoscaling(ctx, Change{Targets: []Target{c}}); err != nil {
		return err
	}
	s.targets[TargetKey{c.Scope, c.Resource}] = &c
	return nil
}

// ListTagsForResource returns a target's tags.
func (s *Service) ListTagsForResource(ctx context.Context, sc Scope, arn string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.targetByARN(sc, arn)
	if t == nil {
		return nil, errNoResource(arn)
	}
	return maps.Clone(t.Tags), nil
}

// record saves an activity (new or updated) and keeps it in memory.
// Callers hold mu.
func (s *Service) recordLocked(ctx context.Context, a Activity, extra Change) error {
	extra.Activities = append(extra.Activities, a)
	k := TargetKey{a.Scope, a.Resource}
	list := s.activities[k]
	var drop []Activity
	if i := slices.IndexFunc(list, func(x Activity) bool { return x.ID == a.ID }); i < 0 && len(list) >= maxActivities {
		drop = list[:len(list)-maxActivities+1]
		extra.DeleteActivities = append(extra.DeleteActivities, drop...)
	}
	if err := s.store.SaveAutoscaling(ctx, extra); err != nil {
		return err
	}
	list = list[len(drop):]
	if i := slices.IndexFunc(list, func(x Activity) bool { return x.ID == a.ID }); i >= 0 {
		list[i] = a
	} else {
		list = append(list, a)
	}
	s.activities[k] = list
	return nil
}

// DescribeActivitiesInput filters DescribeScalingActivities.
type DescribeActivitiesInput struct {
	Namespace, Dimension, ResourceID string
	PageInput
}

// DescribeScalingActivities lists activities, newest first.
func (s *Service) DescribeScalingActivities(ctx context.Context, sc Scope, in DescribeActivitiesInput) ([]Activity, string, error) {
	if err := s.checkNamespace(in.Namespace, in.Dimension); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	var out []Activity
	for k, list := range s.activities {
		if k.Scope == sc && (in.ResourceID == "" || in.ResourceID == k.Resource.String()) {
			out = append(out, list...)
		}
	}
	s.mu.Unlock()
	key := func(a Activity) string { return fmt.Sprintf("%020d/%s", 1<<62-a.Start.UnixNano(), a.ID) }
	slices.SortFunc(out, func(a, b Activity) int { return strings.Compare(key(a), key(b)) })
	return page(out, key, in.PageInput)
}
