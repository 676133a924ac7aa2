package autoscaling

import (
	"errors"
	"testing"
)

func fp(v float64) *float64 { return &v }

// AWS's example: threshold 50, [0, 10) covers 50 ≤ metric < 60 and
// (-10, 0] covers 40 < metric ≤ 50.
func TestPickStepBoundsAsAWSDocuments(t *testing.T) {
	steps := []StepAdjustment{
		{Upper: fp(-10), Adjustment: -2},
		{Lower: fp(-10), Upper: fp(0), Adjustment: -1},
		{Lower: fp(0), Upper: fp(10), Adjustment: 1},
		{Lower: fp(10), Adjustment: 2},
	}
	for _, tc := range []struct {
		value float64
		want  int
	}{{50, 1}, {59.99, 1}, {60, 2}, {1e9, 2}, {49.99, -1}, {40.01, -1}, {40, -2}, {-5, -2}} {
		st, ok := PickStep(steps, tc.value, 50)
		if !ok || st.Adjustment != tc.want {
			t.Errorf("metric %v: step %+v, %v; want adjustment %d", tc.value, st, ok, tc.want)
		}
	}
	if st, ok := PickStep(steps[2:], 45, 50); ok {
		t.Errorf("a metric below every step's range picked %+v", st)
	}
}

func TestStepDesired(t *testing.T) {
	mag := 3
	for _, tc := range []struct {
		name                   string
		ss                     StepScaling
		adj, base, lo, hi, out int
	}{
		{"change", StepScaling{AdjustmentType: ChangeInCapacity}, 2, 5, 1, 100, 7},
		{"change clamped to max", StepScaling{AdjustmentType: ChangeInCapacity}, 20, 5, 1, 10, 10},
		{"change clamped to min", StepScaling{AdjustmentType: ChangeInCapacity}, -20, 5, 2, 10, 2},
		{"exact", StepScaling{AdjustmentType: ExactCapacity}, 4, 9, 1, 10, 4},
		{"percent 12.7 rounds down", StepScaling{AdjustmentType: PercentChangeInCapacity}, 127, 10, 0, 100, 22},
		{"percent 0.67 rounds to 1", StepScaling{AdjustmentType: PercentChangeInCapacity}, 67, 1, 0, 100, 2},
		{"percent -0.5 rounds to -1", StepScaling{AdjustmentType: PercentChangeInCapacity}, -50, 1, 0, 100, 0},
		{"percent -6.67 rounds up", StepScaling{AdjustmentType: PercentChangeInCapacity}, -67, 10, 0, 100, 4},
		{"percent raised to the magnitude", StepScaling{AdjustmentType: PercentChangeInCapacity, MinAdjustmentMagnitude: &mag}, 10, 10, 0, 100, 13},
		{"negative percent raised to the magnitude", StepScaling{AdjustmentType: PercentChangeInCapacity, MinAdjustmentMagnitude: &mag}, -10, 10, 0, 100, 7},
	} {
		if got := StepDesired(&tc.ss, tc.adj, tc.base, tc.lo, tc.hi); got != tc.out {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.out)
		}
	}
}

// AWS's rules for step adjustments, each broken once; every refusal is a
// ValidationException.
func TestCheckStepScalingRules(t *testing.T) {
	mag, neg := 1, -1
	ok := []StepAdjustment{{Upper: fp(0), Adjustment: -1}, {Lower: fp(0), Upper: fp(10), Adjustment: 1}, {Lower: fp(10), Adjustment: 2}}
	for _, tc := range []struct {
		name string
		ss   *StepScaling
		tt   *TargetTracking
		good bool
	}{
		{"valid", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: ok}, nil, true},
		{"valid in any order", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{ok[2], ok[0], ok[1]}}, nil, true},
		{"one step above", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(0), Adjustment: 1}}}, nil, true},
		{"percent with magnitude", &StepScaling{AdjustmentType: PercentChangeInCapacity, MinAdjustmentMagnitude: &mag, Steps: ok}, nil, true},
		{"no configuration", nil, nil, false},
		{"target tracking as well", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: ok}, &TargetTracking{TargetValue: 1}, false},
		{"no adjustment type", &StepScaling{Steps: ok}, nil, false},
		{"unknown adjustment type", &StepScaling{AdjustmentType: "Double", Steps: ok}, nil, false},
		{"unknown aggregation", &StepScaling{AdjustmentType: ChangeInCapacity, MetricAggregationType: "Sum", Steps: ok}, nil, false},
		{"magnitude without percent", &StepScaling{AdjustmentType: ChangeInCapacity, MinAdjustmentMagnitude: &mag, Steps: ok}, nil, false},
		{"negative cooldown", &StepScaling{AdjustmentType: ChangeInCapacity, Cooldown: &neg, Steps: ok}, nil, false},
		{"no steps", &StepScaling{AdjustmentType: ChangeInCapacity}, nil, false},
		{"both bounds null", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Adjustment: 1}}}, nil, false},
		{"upper not above lower", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(5), Upper: fp(5), Adjustment: 1}, {Lower: fp(5), Adjustment: 1}}}, nil, false},
		{"two null lower", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Upper: fp(0), Adjustment: 1}, {Upper: fp(-1), Adjustment: 1}}}, nil, false},
		{"two null upper", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(0), Adjustment: 1}, {Lower: fp(1), Adjustment: 1}}}, nil, false},
		{"negative lower, no null lower", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(-5), Upper: fp(0), Adjustment: 1}}}, nil, false},
		{"positive upper, no null upper", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(0), Upper: fp(5), Adjustment: 1}}}, nil, false},
		{"gap", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(0), Upper: fp(5), Adjustment: 1}, {Lower: fp(6), Adjustment: 2}}}, nil, false},
		{"overlap", &StepScaling{AdjustmentType: ChangeInCapacity, Steps: []StepAdjustment{{Lower: fp(0), Upper: fp(5), Adjustment: 1}, {Lower: fp(4), Adjustment: 2}}}, nil, false},
		{"exact below zero", &StepScaling{AdjustmentType: ExactCapacity, Steps: []StepAdjustment{{Lower: fp(0), Adjustment: -1}}}, nil, false},
	} {
		err := checkStepScaling(PutPolicyInput{Type: PolicyStepScaling, StepScaling: tc.ss, TargetTracking: tc.tt})
		var e *Error
		switch {
		case tc.good && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.good && (!errors.As(err, &e) || e.Code != CodeValidation):
			t.Errorf("%s: %v, want a ValidationException", tc.name, err)
		}
	}
}
