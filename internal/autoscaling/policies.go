package autoscaling

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The alarms AWS creates for a target-tracking policy: the scale-out alarm
// fires after 3 one-minute datapoints above the target, the scale-in alarm
// after 15 one-minute datapoints below 90% of it; both use the Average of
// the metric (the predefined metric's statistic; a customized metric names
// its own).
const (
	highDatapoints = 3
	lowDatapoints  = 15
	lowFactor      = 0.9
	alarmPeriod    = 60
)

// PutPolicyInput is PutScalingPolicy's input.
type PutPolicyInput struct {
	Namespace, Dimension, ResourceID string
	Name                             string
	Type                             string // "": TargetTrackingScaling
	TargetTracking                   *TargetTracking
	StepScaling                      *StepScaling
}

var policyNameOK = func(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == ':' || r == '/' || r > 0x7e && r < 0xa0 {
			return false
		}
	}
	return true
}

// PutScalingPolicy creates or updates a policy and its alarms.
func (s *Service) PutScalingPolicy(ctx context.Context, sc Scope, in PutPolicyInput) (Policy, error) {
	r, err := checkIDs(in.Namespace, in.Dimension, in.ResourceID)
	if err != nil {
		return Policy{}, err
	}
	if !policyNameOK(in.Name) {
		return Policy{}, newErr(CodeValidation, "1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{Print}+", in.Name)
	}
	if in.Type == "" {
		in.Type = PolicyTargetTracking
	}
	switch in.Type {
	case PolicyTargetTracking:
		if err := checkTargetTracking(in); err != nil {
			return Policy{}, err
		}
	case PolicyStepScaling:
		if err := checkStepScaling(in); err != nil {
			return Policy{}, err
		}
	default:
		return Policy{}, newErr(CodeValidation, "1 validation error detected: Value '%s' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [PredictiveScaling, StepScaling, TargetTrackingScaling]", in.Type)
	}

	s.mu.Lock()
	if s.targets[TargetKey{sc, r}] == nil {
		s.mu.Unlock()
		return Policy{}, errNoTarget(r)
	}
	k := NamedKey{sc, r, in.Name}
	var p Policy
	if old := s.policies[k]; old != nil {
		p = *old
	} else {
		p = Policy{Scope: sc, Resource: r, Name: in.Name, ID: uuid.NewString(), Created: s.clock.Now()}
	}
	// A policy changing type drops the alarms it had.
	var drop []string
	for _, a := range p.Alarms {
		drop = append(drop, a.Name)
	}
	p.Type, p.TargetTracking, p.StepScaling, p.Alarms = in.Type, nil, nil, nil
	var specs []AlarmSpec
	if in.Type == PolicyTargetTracking {
		ttc := *in.TargetTracking
		p.TargetTracking = &ttc
		high, low := s.alarmSpecs(&p)
		specs = []AlarmSpec{high, low}
		p.Alarms = []AlarmRef{{Name: high.Name}, {Name: low.Name}}
		for i := range p.Alarms {
			p.Alarms[i].ARN = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", sc.Region, sc.Account, p.Alarms[i].Name)
		}
		drop = slices.DeleteFunc(drop, func(n string) bool { return n == high.Name || n == low.Name })
	} else {
		ss := *in.StepScaling
		ss.Steps = slices.Clone(ss.Steps)
		p.StepScaling = &ss
	}
	if err := s.store.SaveAutoscaling(ctx, Change{Policies: []Policy{p}}); err != nil {
		s.mu.Unlock()
		return Policy{}, err
	}
	s.policies[k] = &p
	s.mu.Unlock()
	// After the durable write: the alarms, created or updated in place, and
	// those of a former type deleted.
	for _, spec := range specs {
		if _, err := s.alarms.PutAlarm(ctx, sc, spec); err != nil {
			return Policy{}, fmt.Errorf("autoscaling: put alarm %s: %w", spec.Name, err)
		}
	}
	if len(drop) > 0 {
		if err := s.alarms.DeleteAlarms(ctx, sc, drop); err != nil {
			return Policy{}, fmt.Errorf("autoscaling: delete alarms %v: %w", drop, err)
		}
	}
	return p, nil
}

// checkTargetTracking validates a TargetTrackingScaling policy's input.
func checkTargetTracking(in PutPolicyInput) error {
	tt := in.TargetTracking
	if tt == nil {
		return newErr(CodeValidation, "TargetTrackingScalingPolicyConfiguration is required for a policy of type TargetTrackingScaling") // chosen
	}
	if in.StepScaling != nil {
		return newErr(CodeValidation, "StepScalingPolicyConfiguration is not allowed for a policy of type TargetTrackingScaling") // chosen
	}
	if math.IsNaN(tt.TargetValue) || tt.TargetValue < 8.515920e-109 || tt.TargetValue > 6.174270e+307 {
		return newErr(CodeValidation, "1 validation error detected: Value '%v' at 'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: Member must have value greater than or equal to 8.515920e-109", tt.TargetValue)
	}
	switch {
	case tt.Predefined != "" && tt.Customized != nil, tt.Predefined == "" && tt.Customized == nil:
		return newErr(CodeValidation, "Exactly one of PredefinedMetricSpecification or CustomizedMetricSpecification must be specified") // chosen
	case tt.Predefined != "" && tt.Predefined != PredefinedLambdaPCUtil:
		return newErr(CodeValidation, "Unsupported metric type %s for service namespace lambda", tt.Predefined) // chosen
	case tt.Customized != nil:
		c := tt.Customized
		if c.Namespace == "" || c.MetricName == "" || c.Statistic == "" {
			return newErr(CodeValidation, "CustomizedMetricSpecification needs Namespace, MetricName and Statistic") // chosen
		}
		if !slices.Contains([]string{"Average", "Minimum", "Maximum", "SampleCount", "Sum"}, c.Statistic) {
			return newErr(CodeValidation, "1 validation error detected: Value '%s' at 'targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.statistic' failed to satisfy constraint: Member must satisfy enum value set: [Average, Minimum, Maximum, SampleCount, Sum]", c.Statistic)
		}
	}
	for _, cd := range []*int{tt.ScaleInCooldown, tt.ScaleOutCooldown} {
		if cd != nil && *cd < 0 {
			return newErr(CodeValidation, "Cooldown cannot be negative") // chosen
		}
	}
	return nil
}

// alarmSpecs are a target-tracking policy's two alarms.
func (s *Service) alarmSpecs(p *Policy) (high, low AlarmSpec) {
	tt := p.TargetTracking
	base := AlarmSpec{
		Description:  "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.ARN() + ".",
		Namespace:    "AWS/Lambda",
		MetricName:   "ProvisionedConcurrencyUtilization",
		Dimensions:   []MetricDimension{{"FunctionName", p.Resource.Function}, {"Resource", p.Resource.Function + ":" + p.Resource.Qualifier}},
		Statistic:    "Average",
		Period:       alarmPeriod,
		AlarmActions: []string{p.ARN()},
	}
	if c := tt.Customized; c != nil {
		base.Namespace, base.MetricName, base.Dimensions, base.Statistic, base.Unit = c.Namespace, c.MetricName, slices.Clone(c.Dimensions), c.Statistic, c.Unit
	}
	prefix := "TargetTracking-" + p.Resource.String()
	high, low = base, base
	high.Name = prefix + "-AlarmHigh-" + p.ID
	high.EvaluationPeriods, high.DatapointsToAlarm = highDatapoints, highDatapoints
	high.Threshold, high.ComparisonOperator = tt.TargetValue, "GreaterThanThreshold"
	low.Name = prefix + "-AlarmLow-" + p.ID
	low.EvaluationPeriods, low.DatapointsToAlarm = lowDatapoints, lowDatapoints
	low.Threshold, low.ComparisonOperator = tt.TargetValue*lowFactor, "LessThanThreshold"
	return high, low
}

// DescribePoliciesInput filters DescribeScalingPolicies.
type DescribePoliciesInput struct {
	Namespace, Dimension, ResourceID string
	PolicyNames                      []string
	PageInput
}

// DescribeScalingPolicies lists policies.
func (s *Service) DescribeScalingPolicies(ctx context.Context, sc Scope, in DescribePoliciesInput) ([]Policy, string, error) {
	if err := s.checkNamespace(in.Namespace, in.Dimension); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	var out []Policy
	for k, p := range s.policies {
		if k.Scope == sc && (in.ResourceID == "" || in.ResourceID == k.Resource.String()) &&
			(len(in.PolicyNames) == 0 || slices.Contains(in.PolicyNames, k.Name)) {
			out = append(out, *p)
		}
	}
	s.mu.Unlock()
	key := func(p Policy) string { return p.Resource.String() + "\x00" + p.Name }
	slices.SortFunc(out, func(a, b Policy) int { return strings.Compare(key(a), key(b)) })
	out, next, err := page(out, key, in.PageInput)
	if err != nil {
		return nil, "", err
	}
	// A step scaling policy's alarms are the user's alarms that name it,
	// as AWS reports them.
	for i := range out {
		if out[i].Type == PolicyStepScaling {
			if out[i].Alarms, err = s.alarms.Naming(ctx, sc, out[i].ARN()); err != nil {
				return nil, "", err
			}
		}
	}
	return out, next, nil
}

// DeleteScalingPolicy deletes a policy and its alarms.
func (s *Service) DeleteScalingPolicy(ctx context.Context, sc Scope, namespace, dimension, resource, name string) error {
	r, err := checkIDs(namespace, dimension, resource)
	if err != nil {
		return err
	}
	s.mu.Lock()
	k := NamedKey{sc, r, name}
	p := s.policies[k]
	if p == nil {
		s.mu.Unlock()
		return errNoPolicy(r, name)
	}
	if err := s.store.SaveAutoscaling(ctx, Change{DeletePolicies: []NamedKey{k}}); err != nil {
		s.mu.Unlock()
		return err
	}
	delete(s.policies, k)
	s.mu.Unlock()
	names := make([]string, len(p.Alarms))
	for i, a := range p.Alarms {
		names[i] = a.Name
	}
	return s.alarms.DeleteAlarms(ctx, sc, names)
}

// HandleAlarmAction carries out a policy named by an alarm's action (the
// cloudwatch ActionSink). It returns an error only when there is no such
// policy: a scaling that Lambda refuses is a Failed activity.
func (s *Service) HandleAlarmAction(ctx context.Context, sc Scope, alarmName, policyARN string, inAlarm bool, at time.Time) error {
	if !inAlarm {
		return nil
	}
	s.scaleMu.Lock()
	defer s.scaleMu.Unlock()
	s.mu.Lock()
	var p *Policy
	for k, q := range s.policies {
		if k.Scope == sc && q.ARN() == policyARN {
			p = q
			break
		}
	}
	if p == nil {
		s.mu.Unlock()
		return fmt.Errorf("no scaling policy %s", policyARN)
	}
	pol := *p
	tk := TargetKey{sc, p.Resource}
	t := s.targets[tk]
	if t == nil {
		s.mu.Unlock()
		return fmt.Errorf("no scalable target %s", p.Resource)
	}
	target := *t
	s.mu.Unlock()
	if pol.Type == PolicyStepScaling {
		return s.stepAction(ctx, sc, alarmName, pol, tk, target, at)
	}
	high, low := s.alarmSpecs(&pol)
	var out bool
	var spec AlarmSpec
	switch alarmName {
	case high.Name:
		out, spec = true, high
	case low.Name:
		out, spec = false, low
	default:
		return fmt.Errorf("alarm %s is not one of policy %s's", alarmName, pol.Name)
	}
	tt := pol.TargetTracking
	now := s.clock.Now()
	if out && target.Suspended.DynamicScalingOut || !out && (target.Suspended.DynamicScalingIn || tt.DisableScaleIn) {
		return nil
	}
	if out && tt.ScaleOutCooldown != nil && now.Before(target.LastScaleOut.Add(time.Duration(*tt.ScaleOutCooldown)*time.Second)) {
		return nil
	}
	if !out && tt.ScaleInCooldown != nil && now.Before(target.LastScaleIn.Add(time.Duration(*tt.ScaleInCooldown)*time.Second)) {
		return nil
	}
	current, err := s.lambda.Provisioned(ctx, sc, pol.Resource.Function, pol.Resource.Qualifier)
	if err != nil {
		return err
	}
	value, ok, err := s.alarms.Latest(ctx, sc, spec, at)
	if err != nil || !ok || current == 0 {
		return err
	}
	desired := Desired(current, value, tt.TargetValue, target.Min, target.Max)
	if out && desired <= current || !out && desired >= current {
		return nil
	}
	cause := fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", alarmName, pol.Name)
	s.scale(ctx, tk, desired, cause, func(t *Target) {
		if out {
			t.LastScaleOut, t.ScaleOutFrom = now, current
		} else {
			t.LastScaleIn = now
		}
	})
	return nil
}

// Desired is the target-tracking rule: the capacity that brings the metric
// to the target if it is proportional to the capacity, ceil(current ×
// value ÷ target), clamped to [min, max].
func Desired(current int, value, target float64, lo, hi int) int {
	d := int(math.Ceil(float64(current)*value/target - 1e-9))
	return min(max(d, lo), hi)
}

// scale records an InProgress activity (with mark's change of the target,
// in the same write), sets the capacity through Lambda, and records the
// outcome. Callers hold scaleMu.
func (s *Service) scale(ctx context.Context, tk TargetKey, n int, cause string, mark func(*Target)) {
	a := Activity{Scope: tk.Scope, Resource: tk.Resource, ID: uuid.NewString(),
		Description: fmt.Sprintf("Setting desired concurrency to %d.", n), Cause: cause, Start: s.clock.Now(), Status: StatusInProgress}
	s.mu.Lock()
	t := s.targets[tk]
	if t == nil {
		s.mu.Unlock()
		return
	}
	var c Change
	if mark != nil {
		nt := *t
		mark(&nt)
		c.Targets = []Target{nt}
	}
	if err := s.recordLocked(ctx, a, c); err != nil {
		s.mu.Unlock()
		s.log.Warn("autoscaling: record activity", "err", err)
		return
	}
	if len(c.Targets) == 1 {
		s.targets[tk] = &c.Targets[0]
	}
	s.mu.Unlock()
	err := s.lambda.SetProvisioned(ctx, tk.Scope, tk.Resource.Function, tk.Resource.Qualifier, n)
	a.End = s.clock.Now()
	if err != nil {
		a.Status = StatusFailed
		a.Message = fmt.Sprintf("Failed to set provisioned concurrency for function:%s:%s: %s", tk.Resource.Function, tk.Resource.Qualifier, err.Error())
	} else {
		a.Status = StatusSuccessful
		a.Message = fmt.Sprintf("Successfully set desired concurrency to %d. Change successfully fulfilled by lambda.", n)
	}
	s.mu.Lock()
	if s.targets[tk] != nil {
		if err := s.recordLocked(ctx, a, Change{}); err != nil {
			s.log.Warn("autoscaling: record activity", "err", err)
		}
	}
	s.mu.Unlock()
}
