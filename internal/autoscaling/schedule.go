package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// schedule is a parsed Schedule expression.
type schedule struct {
	at    time.Time     // at(...)
	every time.Duration // rate(...)
	cron  *cronExpr     // cron(...)
}

func errSchedule(s string) error {
	return newErr(CodeValidation, "Schedule expression %s is not valid", s) // chosen
}

// parseSchedule parses at(yyyy-mm-ddThh:mm:ss), rate(N unit) and
// cron(min hour day-of-month month day-of-week year), in loc.
func parseSchedule(expr string, loc *time.Location) (schedule, error) {
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return schedule{}, errSchedule(expr)
	}
	kind, body := expr[:open], strings.TrimSpace(expr[open+1:len(expr)-1])
	switch kind {
	case "at":
		t, err := time.ParseInLocation("2006-01-02T15:04:05", body, loc)
		if err != nil {
			return schedule{}, errSchedule(expr)
		}
		return schedule{at: t}, nil
	case "rate":
		f := strings.Fields(body)
		if len(f) != 2 {
			return schedule{}, errSchedule(expr)
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return schedule{}, errSchedule(expr)
		}
		unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[f[1]]
		if unit == 0 || (n == 1) != !strings.HasSuffix(f[1], "s") {
			return schedule{}, errSchedule(expr)
		}
		return schedule{every: time.Duration(n) * unit}, nil
	case "cron":
		c, err := parseCron(body)
		if err != nil {
			return schedule{}, errSchedule(expr)
		}
		return schedule{cron: c}, nil
	}
	return schedule{}, errSchedule(expr)
}

// lookback bounds how far back a tick looks for a missed due time of a cron
// or rate schedule: one that was due while the server was down longer ago
// is not run (the latest due time within it is, once).
const lookback = 24 * time.Hour

// latestDue is the latest time ≤ now the schedule was due, after `after`
// (exclusive) and within [start, end]; ok false if none.
func (sc schedule) latestDue(after, now, start, end time.Time, loc *time.Location) (time.Time, bool) {
	if !end.IsZero() && now.After(end) {
		now = end
	}
	lo := after
	if !start.IsZero() && start.After(lo) {
		lo = start.Add(-time.Nanosecond)
	}
	switch {
	case !sc.at.IsZero():
		if sc.at.After(lo) && !sc.at.After(now) {
			return sc.at, true
		}
	case sc.every > 0:
		origin := start
		if origin.IsZero() {
			return time.Time{}, false
		}
		if now.Before(origin) {
			return time.Time{}, false
		}
		k := now.Sub(origin) / sc.every
		t := origin.Add(k * sc.every)
		if t.After(lo) {
			return t, true
		}
	case sc.cron != nil:
		m := now.In(loc).Truncate(time.Minute)
		floor := now.Add(-lookback)
		for ; m.After(lo) && m.After(floor); m = m.Add(-time.Minute) {
			if sc.cron.matches(m.In(loc)) {
				return m, true
			}
		}
	}
	return time.Time{}, false
}

// PutScheduledInput is PutScheduledAction's input.
type PutScheduledInput struct {
	Namespace, Dimension, ResourceID string
	Name                             string
	Schedule                         *string
	Timezone                         *string
	Start, End                       *time.Time
	Min, Max                         *int
	HasTargetAction                  bool
}

// PutScheduledAction creates or updates a scheduled action.
func (s *Service) PutScheduledAction(ctx context.Context, sc Scope, in PutScheduledInput) error {
	r, err := checkIDs(in.Namespace, in.Dimension, in.ResourceID)
	if err != nil {
		return err
	}
	if !policyNameOK(in.Name) {
		return newErr(CodeValidation, "1 validation error detected: Value '%s' at 'scheduledActionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!((^[ ]+.*)|(.*([\\u0000-\\u001f]|[\\u007f-\\u009f]|[:/|])+.*)|(.*[ ]+$))).+", in.Name)
	}
	if (in.Min != nil && *in.Min < 0) || (in.Max != nil && *in.Max < 0) {
		return newErr(CodeValidation, msgNegative)
	}
	if in.Min != nil && in.Max != nil && *in.Min > *in.Max {
		return newErr(CodeValidation, msgMinOverMax)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.targets[TargetKey{sc, r}] == nil {
		return errNoTarget(r)
	}
	k := NamedKey{sc, r, in.Name}
	var a ScheduledAction
	if old := s.actions[k]; old != nil {
		a = *old
	} else {
		if in.Schedule == nil {
			return newErr(CodeValidation, "Schedule is required for a new scheduled action") // chosen
		}
		a = ScheduledAction{Scope: sc, Resource: r, Name: in.Name, ID: uuid.NewString(), Created: s.clock.Now(), Timezone: "UTC"}
	}
	if in.Schedule != nil {
		a.Schedule = *in.Schedule
	}
	if in.Timezone != nil {
		a.Timezone = *in.Timezone
	}
	if in.Start != nil {
		a.Start = *in.Start
	}
	if in.End != nil {
		a.End = *in.End
	}
	if in.HasTargetAction {
		a.Min, a.Max = in.Min, in.Max
	}
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil || a.Timezone == "" || a.Timezone == "Local" {
		return newErr(CodeValidation, "Given timezone %s is invalid", a.Timezone) // chosen
	}
	if _, err := parseSchedule(a.Schedule, loc); err != nil {
		return err
	}
	if !a.Start.IsZero() && !a.End.IsZero() && a.End.Before(a.Start) {
		return newErr(CodeValidation, "EndTime cannot be before StartTime") // chosen
	}
	// A changed schedule starts afresh from now.
	if old := s.actions[k]; old != nil && (old.Schedule != a.Schedule || old.Timezone != a.Timezone || !old.Start.Equal(a.Start)) {
		a.LastFired = time.Time{}
		a.Created = s.clock.Now()
	}
	if err := s.store.SaveAutoscaling(ctx, Change{Actions: []ScheduledAction{a}}); err != nil {
		return err
	}
	s.actions[k] = &a
	return nil
}

// DescribeScheduledInput filters DescribeScheduledActions.
type DescribeScheduledInput struct {
	Namespace, Dimension, ResourceID string
	Names                            []string
	PageInput
}

// DescribeScheduledActions lists scheduled actions.
func (s *Service) DescribeScheduledActions(ctx context.Context, sc Scope, in DescribeScheduledInput) ([]ScheduledAction, string, error) {
	if err := s.checkNamespace(in.Namespace, in.Dimension); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	var out []ScheduledAction
	for k, a := range s.actions {
		if k.Scope == sc && (in.ResourceID == "" || in.ResourceID == k.Resource.String()) &&
			(len(in.Names) == 0 || slices.Contains(in.Names, k.Name)) {
			out = append(out, *a)
		}
	}
	s.mu.Unlock()
	key := func(a ScheduledAction) string { return a.Resource.String() + "\x00" + a.Name }
	slices.SortFunc(out, func(a, b ScheduledAction) int { return strings.Compare(key(a), key(b)) })
	return page(out, key, in.PageInput)
}

// DeleteScheduledAction deletes a scheduled action.
func (s *Service) DeleteScheduledAction(ctx context.Context, sc Scope, namespace, dimension, resource, name string) error {
	r, err := checkIDs(namespace, dimension, resource)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := NamedKey{sc, r, name}
	if s.actions[k] == nil {
		return errNoScheduled(r, name)
	}
	if err := s.store.SaveAutoscaling(ctx, Change{DeleteActions: []NamedKey{k}}); err != nil {
		return err
	}
	delete(s.actions, k)
	return nil
}

// Tick runs the scheduled actions that are due, then brings every target's
// capacity within its bounds. The engine calls it every minute.
func (s *Service) Tick(ctx context.Context) error {
	now := s.clock.Now()
	s.mu.Lock()
	var due []NamedKey
	for k := range s.actions {
		due = append(due, k)
	}
	s.mu.Unlock()
	slices.SortFunc(due, func(a, b NamedKey) int {
		return strings.Compare(a.Resource.String()+a.Name, b.Resource.String()+b.Name)
	})
	var errs []error
	for _, k := range due {
		if err := s.runScheduled(ctx, k, now); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	var targets []TargetKey
	for k := range s.targets {
		targets = append(targets, k)
	}
	s.mu.Unlock()
	for _, k := range targets {
		s.enforceBounds(ctx, k)
	}
	if len(errs) > 0 {
		return fmt.Errorf("scheduled actions: %v", errs)
	}
	return nil
}

// runScheduled runs one scheduled action if it is due: the target's new
// bounds and the action's LastFired are written together, so it runs once.
func (s *Service) runScheduled(ctx context.Context, k NamedKey, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actions[k]
	t := s.targets[TargetKey{k.Scope, k.Resource}]
	if a == nil || t == nil {
		return nil
	}
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		return err
	}
	sch, err := parseSchedule(a.Schedule, loc)
	if err != nil {
		return err
	}
	after := a.LastFired
	if after.IsZero() {
		after = a.Created.Add(-time.Nanosecond)
		if sch.every > 0 || sch.cron != nil {
			after = a.Created.Truncate(time.Minute).Add(-time.Nanosecond)
		}
	}
	start := a.Start
	if sch.every > 0 && start.IsZero() {
		start = a.Created
	}
	when, ok := sch.latestDue(after, now, start, a.End, loc)
	if !ok {
		return nil
	}
	na := *a
	na.LastFired = when
	c := Change{Actions: []ScheduledAction{na}}
	if t.Suspended.Scheduled {
		if err := s.store.SaveAutoscaling(ctx, c); err != nil {
			return err
		}
		s.actions[k] = &na
		return nil
	}
	nt := *t
	if a.Min != nil {
		nt.Min = *a.Min
	}
	if a.Max != nil {
		nt.Max = *a.Max
	}
	// A new min above the max raises the max too, and the other way round.
	if a.Min != nil && nt.Max < nt.Min {
		nt.Max = nt.Min
	}
	if a.Max != nil && nt.Min > nt.Max {
		nt.Min = nt.Max
	}
	c.Targets = []Target{nt}
	act := Activity{Scope: k.Scope, Resource: k.Resource, ID: uuid.NewString(),
		Description: fmt.Sprintf("Setting min capacity to %d and max capacity to %d", nt.Min, nt.Max),
		Cause:       fmt.Sprintf("scheduled action name %s was triggered", a.Name),
		Start:       now, End: now, Status: StatusSuccessful,
		Message: fmt.Sprintf("Successfully set min capacity to %d and max capacity to %d", nt.Min, nt.Max)}
	if err := s.recordLocked(ctx, act, c); err != nil {
		return err
	}
	s.actions[k] = &na
	s.targets[TargetKey{k.Scope, k.Resource}] = &c.Targets[0]
	return nil
}

// enforceBounds brings a target's capacity within [min, max] (the config a
// user changed by hand, or a scheduled action's new bounds). A refusal that
// repeats the last activity's is not recorded again.
func (s *Service) enforceBounds(ctx context.Context, k TargetKey) {
	s.scaleMu.Lock()
	defer s.scaleMu.Unlock()
	s.mu.Lock()
	t := s.targets[k]
	if t == nil {
		s.mu.Unlock()
		return
	}
	lo, hi := t.Min, t.Max
	var last *Activity
	if l := s.activities[k]; len(l) > 0 {
		last = &l[len(l)-1]
	}
	s.mu.Unlock()
	cur, err := s.lambda.Provisioned(ctx, k.Scope, k.Resource.Function, k.Resource.Qualifier)
	if err != nil {
		return
	}
	want := min(max(cur, lo), hi)
	if want == cur {
		return
	}
	desc := fmt.Sprintf("Setting desired concurrency to %d.", want)
	if last != nil && last.Status == StatusFailed && last.Description == desc {
		return
	}
	bound := "minimum"
	if want == hi && cur > hi {
		bound = "maximum"
	}
	s.scale(ctx, k, want, fmt.Sprintf("the current concurrency %d is outside the %s capacity %d of the scalable target", cur, bound, want), nil)
}
