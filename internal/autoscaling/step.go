package autoscaling

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Step scaling messages. AWS's where AWS is seen to send them (the bounds
// left unspecified, the missing unbounded step, and the alarm history's "No
// step adjustment found"); the ones marked "chosen" are Reservoir's.
const (
	msgStepBothNull     = "Both lower and upper bounds of a step adjustment cannot be left unspecified"
	msgStepNeedNullLow  = "There must be a StepAdjustment with an unspecified lower bound (i.e., lower bound is null) when one StepAdjustment has a negative lower bound"
	msgStepNeedNullHigh = "There must be a StepAdjustment with an unspecified upper bound (i.e., upper bound is null) when one StepAdjustment has a positive upper bound"
	msgStepTwoNullLow   = "At most one StepAdjustment may have an unspecified lower bound"                           // chosen
	msgStepTwoNullHigh  = "At most one StepAdjustment may have an unspecified upper bound"                           // chosen
	msgStepOrder        = "The upper bound of a StepAdjustment must be greater than its lower bound"                 // chosen
	msgStepGap          = "The ranges of the StepAdjustments cannot overlap or have a gap"                           // chosen
	msgStepNone         = "StepScalingPolicyConfiguration must have at least one StepAdjustment"                     // chosen
	msgStepNoType       = "StepScalingPolicyConfiguration must have an AdjustmentType"                               // chosen
	msgStepMinMagnitude = "MinAdjustmentMagnitude is only allowed with AdjustmentType PercentChangeInCapacity"       // chosen
	msgStepExactNeg     = "ScalingAdjustment cannot be negative for AdjustmentType ExactCapacity"                    // chosen
	msgStepConfigNeeded = "StepScalingPolicyConfiguration is required for a policy of type StepScaling"              // chosen
	msgStepTTNotAllowed = "TargetTrackingScalingPolicyConfiguration is not allowed for a policy of type StepScaling" // chosen
	msgStepNegative     = "MinAdjustmentMagnitude and Cooldown cannot be negative"                                   // chosen
	msgStepNoMetric     = "the alarm of a step scaling policy must watch one metric (metric math is not supported)"  // chosen
	msgStepNoData       = "no data for the alarm's metric"                                                           // chosen
)

// checkStepScaling validates a StepScaling policy's input by AWS's rules for
// step adjustments: bounds relative to the alarm threshold, no overlap and
// no gap, at most one step unbounded below (required when a lower bound is
// negative) and at most one unbounded above (required when an upper bound
// is positive), never both bounds null in one step.
func checkStepScaling(in PutPolicyInput) error {
	ss := in.StepScaling
	if ss == nil {
		return newErr(CodeValidation, msgStepConfigNeeded)
	}
	if in.TargetTracking != nil {
		return newErr(CodeValidation, msgStepTTNotAllowed)
	}
	switch ss.AdjustmentType {
	case ChangeInCapacity, ExactCapacity, PercentChangeInCapacity:
	case "":
		return newErr(CodeValidation, msgStepNoType)
	default:
		return newErr(CodeValidation, "1 validation error detected: Value '%s' at 'stepScalingPolicyConfiguration.adjustmentType' failed to satisfy constraint: Member must satisfy enum value set: [ChangeInCapacity, PercentChangeInCapacity, ExactCapacity]", ss.AdjustmentType)
	}
	switch ss.MetricAggregationType {
	case "", "Average", "Minimum", "Maximum":
	default:
		return newErr(CodeValidation, "1 validation error detected: Value '%s' at 'stepScalingPolicyConfiguration.metricAggregationType' failed to satisfy constraint: Member must satisfy enum value set: [Average, Minimum, Maximum]", ss.MetricAggregationType)
	}
	if ss.MinAdjustmentMagnitude != nil && ss.AdjustmentType != PercentChangeInCapacity {
		return newErr(CodeValidation, msgStepMinMagnitude)
	}
	if ss.MinAdjustmentMagnitude != nil && *ss.MinAdjustmentMagnitude < 0 || ss.Cooldown != nil && *ss.Cooldown < 0 {
		return newErr(CodeValidation, msgStepNegative)
	}
	if len(ss.Steps) == 0 {
		return newErr(CodeValidation, msgStepNone)
	}
	var nullLow, nullHigh, negLow, posHigh int
	for _, st := range ss.Steps {
		switch {
		case st.Lower == nil && st.Upper == nil:
			return newErr(CodeValidation, msgStepBothNull)
		case st.Lower != nil && st.Upper != nil && *st.Upper <= *st.Lower:
			return newErr(CodeValidation, msgStepOrder)
		case ss.AdjustmentType == ExactCapacity && st.Adjustment < 0:
			return newErr(CodeValidation, msgStepExactNeg)
		}
		if st.Lower == nil {
			nullLow++
		} else if *st.Lower < 0 {
			negLow++
		}
		if st.Upper == nil {
			nullHigh++
		} else if *st.Upper > 0 {
			posHigh++
		}
	}
	switch {
	case nullLow > 1:
		return newErr(CodeValidation, msgStepTwoNullLow)
	case nullHigh > 1:
		return newErr(CodeValidation, msgStepTwoNullHigh)
	case negLow > 0 && nullLow == 0:
		return newErr(CodeValidation, msgStepNeedNullLow)
	case posHigh > 0 && nullHigh == 0:
		return newErr(CodeValidation, msgStepNeedNullHigh)
	}
	// Sorted by lower bound (unbounded first), each step starts where the
	// one before it ends.
	steps := sortedSteps(ss.Steps)
	for i := 1; i < len(steps); i++ {
		if steps[i-1].Upper == nil || steps[i].Lower == nil || *steps[i-1].Upper != *steps[i].Lower {
			return newErr(CodeValidation, msgStepGap)
		}
	}
	return nil
}

func sortedSteps(in []StepAdjustment) []StepAdjustment {
	steps := slices.Clone(in)
	slices.SortFunc(steps, func(a, b StepAdjustment) int {
		switch {
		case a.Lower == nil:
			return -1
		case b.Lower == nil:
			return 1
		}
		return cmpFloat(*a.Lower, *b.Lower)
	})
	return steps
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// PickStep returns the step whose interval holds value - threshold, by
// AWS's rule: with the metric at or above the threshold, a lower bound is
// inclusive and an upper bound exclusive; below it, the other way round.
func PickStep(steps []StepAdjustment, value, threshold float64) (StepAdjustment, bool) {
	d := value - threshold
	above := value >= threshold
	for _, st := range steps {
		if st.Lower != nil && (above && d < *st.Lower || !above && d <= *st.Lower) {
			continue
		}
		if st.Upper != nil && (above && d >= *st.Upper || !above && d > *st.Upper) {
			continue
		}
		return st, true
	}
	return StepAdjustment{}, false
}

// StepDesired is the capacity a step asks for from base, by its adjustment
// type, clamped to [lo, hi]. A PercentChangeInCapacity change is rounded as
// AWS rounds it (between 0 and 1: 1; above 1: down; between -1 and 0: -1;
// below -1: up) and raised to MinAdjustmentMagnitude in size.
func StepDesired(ss *StepScaling, adjustment, base, lo, hi int) int {
	var d int
	switch ss.AdjustmentType {
	case ExactCapacity:
		d = adjustment
	case ChangeInCapacity:
		d = base + adjustment
	case PercentChangeInCapacity:
		delta := float64(base) * float64(adjustment) / 100
		var n int
		switch {
		case delta > 0 && delta < 1:
			n = 1
		case delta >= 1:
			n = int(math.Floor(delta))
		case delta < 0 && delta > -1:
			n = -1
		case delta <= -1:
			n = int(math.Ceil(delta))
		}
		if m := ss.MinAdjustmentMagnitude; m != nil && adjustment != 0 && abs(n) < *m {
			n = *m
			if adjustment < 0 {
				n = -n
			}
		}
		d = base + n
	}
	return min(max(d, lo), hi)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// stepAction carries out a step scaling policy named by alarm's action.
// Callers hold scaleMu.
func (s *Service) stepAction(ctx context.Context, sc Scope, alarmName string, pol Policy, tk TargetKey, target Target, at time.Time) error {
	ss := pol.StepScaling
	spec, ok, err := s.alarms.Alarm(ctx, sc, alarmName)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s", msgStepNoMetric)
	}
	agg := ss.MetricAggregationType
	if agg == "" {
		agg = "Average"
	}
	// The alarm's statistic over its evaluation periods with data,
	// aggregated by the policy's MetricAggregationType.
	values, err := s.alarms.Recent(ctx, sc, spec, at, int(max(spec.EvaluationPeriods, 1)))
	if err != nil {
		return err
	}
	if len(values) == 0 {
		return fmt.Errorf("%s", msgStepNoData)
	}
	var value float64
	switch agg {
	case "Minimum":
		value = slices.Min(values)
	case "Maximum":
		value = slices.Max(values)
	default:
		for _, v := range values {
			value += v
		}
		value /= float64(len(values))
	}
	step, ok := PickStep(ss.Steps, value, spec.Threshold)
	if !ok {
		vs := make([]string, len(values))
		for i, v := range values {
			vs[i] = fmt.Sprint(v)
		}
		return fmt.Errorf("No step adjustment found for metric value [%s] and breach threshold %v", strings.Join(vs, ", "), spec.Threshold)
	}
	current, err := s.lambda.Provisioned(ctx, sc, pol.Resource.Function, pol.Resource.Qualifier)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	cooldown := time.Duration(0)
	if ss.Cooldown != nil {
		cooldown = time.Duration(*ss.Cooldown) * time.Second
	}
	desired := StepDesired(ss, step.Adjustment, current, target.Min, target.Max)
	var mark func(*Target)
	switch {
	case desired > current:
		if target.Suspended.DynamicScalingOut {
			return nil
		}
		if cooldown > 0 && now.Before(target.LastScaleOut.Add(cooldown)) {
			// Within the cooldown, what the scale-out that started it added
			// counts toward this one: only a larger scale-out proceeds, and
			// the cooldown keeps its start.
			desired = StepDesired(ss, step.Adjustment, target.ScaleOutFrom, target.Min, target.Max)
			if desired <= current {
				return nil
			}
		} else {
			from := current
			mark = func(t *Target) { t.LastScaleOut, t.ScaleOutFrom = now, from }
		}
	case desired < current:
		if target.Suspended.DynamicScalingIn || cooldown > 0 && now.Before(target.LastScaleIn.Add(cooldown)) {
			return nil
		}
		mark = func(t *Target) { t.LastScaleIn = now }
	default:
		return nil
	}
	cause := fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", alarmName, pol.Name)
	s.scale(ctx, tk, desired, cause, mark)
	return nil
}
