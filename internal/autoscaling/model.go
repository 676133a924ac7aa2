// Package autoscaling is Reservoir's Application Auto Scaling domain for
// Lambda provisioned concurrency: scalable targets, target-tracking
// policies (whose two CloudWatch alarms it creates and whose actions it
// carries out), scheduled actions, and the scaling activities they cause.
// It speaks no HTTP, and reaches Lambda and CloudWatch only through the
// Lambda and Alarms interfaces the app wires.
package autoscaling

import (
	"fmt"
	"strings"
	"time"
)

// Scope is an account in a region.
type Scope struct {
	Account string
	Region  string
}

// The one namespace and dimension served.
const (
	NamespaceLambda        = "lambda"
	DimensionLambdaPC      = "lambda:function:ProvisionedConcurrency"
	PredefinedLambdaPCUtil = "LambdaProvisionedConcurrencyUtilization"
	PolicyTargetTracking   = "TargetTrackingScaling"
	PolicyStepScaling      = "StepScaling"
)

// ServiceLinkedRole is the role path and name AWS reports as a Lambda
// scalable target's RoleARN.
const (
	ServiceLinkedRolePath = "/aws-service-role/lambda.application-autoscaling.amazonaws.com/"
	ServiceLinkedRoleName = "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
)

// RoleARN is the service-linked role's ARN in the scope's account.
func (s Scope) RoleARN() string {
	return "arn:aws:iam::" + s.Account + ":role" + ServiceLinkedRolePath + ServiceLinkedRoleName
}

// ResourceID is a parsed Lambda resource id, function:<name>:<qualifier>.
type ResourceID struct {
	Function  string
	Qualifier string
}

func (r ResourceID) String() string { return "function:" + r.Function + ":" + r.Qualifier }

// ParseResourceID parses function:<name>:<alias or version>.
func ParseResourceID(s string) (ResourceID, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "function" || parts[1] == "" || parts[2] == "" {
		return ResourceID{}, newErr(CodeValidation, msgUnsupported)
	}
	return ResourceID{Function: parts[1], Qualifier: parts[2]}, nil
}

// Suspended is a target's SuspendedState.
type Suspended struct {
	DynamicScalingIn  bool
	DynamicScalingOut bool
	Scheduled         bool
}

// SuspendedUpdate is the SuspendedState of a RegisterScalableTarget call:
// a nil member keeps the target's current value, as on AWS.
type SuspendedUpdate struct {
	DynamicScalingIn  *bool
	DynamicScalingOut *bool
	Scheduled         *bool
}

// apply returns s with the members u sets.
func (u SuspendedUpdate) apply(s Suspended) Suspended {
	if u.DynamicScalingIn != nil {
		s.DynamicScalingIn = *u.DynamicScalingIn
	}
	if u.DynamicScalingOut != nil {
		s.DynamicScalingOut = *u.DynamicScalingOut
	}
	if u.Scheduled != nil {
		s.Scheduled = *u.Scheduled
	}
	return s
}

// Target is a registered scalable target.
type Target struct {
	Scope    Scope
	Resource ResourceID
	// ID is the random part of its ARN.
	ID        string
	Min, Max  int
	Suspended Suspended
	Created   time.Time
	Tags      map[string]string
	// LastScaleOut and LastScaleIn are when the last successful dynamic
	// scale-out and scale-in started (cooldowns count from them).
	LastScaleOut time.Time
	LastScaleIn  time.Time
	// ScaleOutFrom is the capacity the scale-out at LastScaleOut started
	// from: a step scale-out within its cooldown counts what that one
	// added as part of its own adjustment.
	ScaleOutFrom int
}

// ARN is the scalable target's ARN.
func (t *Target) ARN() string {
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", t.Scope.Region, t.Scope.Account, t.ID)
}

// MetricDimension is a customized metric's dimension.
type MetricDimension struct{ Name, Value string }

// CustomizedMetric is a target-tracking policy's own metric.
type CustomizedMetric struct {
	Namespace  string
	MetricName string
	Dimensions []MetricDimension
	Statistic  string
	Unit       string
}

// TargetTracking is a target-tracking policy's configuration.
type TargetTracking struct {
	TargetValue float64
	// Predefined is the predefined metric type ("" with Customized).
	Predefined    string
	ResourceLabel string
	Customized    *CustomizedMetric
	// Cooldowns in seconds; nil: AWS's default for Lambda, 0.
	ScaleOutCooldown *int
	ScaleInCooldown  *int
	DisableScaleIn   bool
}

// Adjustment types of a step scaling policy.
const (
	ChangeInCapacity        = "ChangeInCapacity"
	ExactCapacity           = "ExactCapacity"
	PercentChangeInCapacity = "PercentChangeInCapacity"
)

// StepAdjustment is one step of a step scaling policy: Adjustment applies
// when the alarm's metric minus its threshold is within [Lower, Upper)
// (metric at or above the threshold) or (Lower, Upper] (below it); a nil
// bound is unbounded.
type StepAdjustment struct {
	Lower, Upper *float64
	Adjustment   int
}

// StepScaling is a step scaling policy's configuration.
type StepScaling struct {
	AdjustmentType string
	Steps          []StepAdjustment
	// MinAdjustmentMagnitude is the least change a PercentChangeInCapacity
	// step makes (nil: none).
	MinAdjustmentMagnitude *int
	// Cooldown in seconds (nil: AWS's default for Lambda, 0).
	Cooldown *int
	// MetricAggregationType is Average, Minimum or Maximum ("" is Average).
	MetricAggregationType string
}

// AlarmRef is one of a policy's alarms.
type AlarmRef struct {
	Name string
	ARN  string
}

// Policy is a scaling policy.
type Policy struct {
	Scope    Scope
	Resource ResourceID
	Name     string
	// ID is the UUID in its ARN and in its alarms' names.
	ID             string
	Type           string
	TargetTracking *TargetTracking // with Type TargetTrackingScaling
	StepScaling    *StepScaling    // with Type StepScaling
	// Alarms are a target-tracking policy's own alarms (a step scaling
	// policy has none: the user's alarms name it).
	Alarms  []AlarmRef
	Created time.Time
}

// ARN is the policy's ARN.
func (p *Policy) ARN() string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/lambda/%s:policyName/%s",
		p.Scope.Region, p.Scope.Account, p.ID, p.Resource, p.Name)
}

// ScheduledAction is a scheduled action.
type ScheduledAction struct {
	Scope    Scope
	Resource ResourceID
	Name     string
	ID       string
	Schedule string
	Timezone string
	Start    time.Time // zero: none
	End      time.Time // zero: none
	Min, Max *int
	Created  time.Time
	// LastFired is the due time it last ran for (zero: never). It is written
	// in the same transaction as the change it made, so it never runs twice.
	LastFired time.Time
}

// ARN is the scheduled action's ARN.
func (a *ScheduledAction) ARN() string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scheduledAction:%s:resource/lambda/%s:scheduledActionName/%s",
		a.Scope.Region, a.Scope.Account, a.ID, a.Resource, a.Name)
}

// Activity status codes.
const (
	StatusInProgress = "InProgress"
	StatusSuccessful = "Successful"
	StatusFailed     = "Failed"
)

// Activity is a scaling activity.
type Activity struct {
	Scope       Scope
	Resource    ResourceID
	ID          string
	Description string
	Cause       string
	Start       time.Time
	End         time.Time // zero while in progress
	Status      string
	Message     string
}
