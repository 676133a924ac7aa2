// Package autoscalingapi is the Application Auto Scaling wire layer: the
// JSON 1.1 protocol (X-Amz-Target: AnyScaleFrontendService.<Op>, signing
// name "application-autoscaling") translated into calls of the autoscaling
// domain, with botocore's member names. It decides nothing itself.
package autoscalingapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// The protocol constants of botocore's application-autoscaling model.
const (
	SigningName  = "application-autoscaling"
	TargetPrefix = "AnyScaleFrontendService"
)

type api struct{ d *autoscaling.Service }

// Service returns the RPC service for Router.RegisterRPC.
func Service(d *autoscaling.Service) awsproto.RPCService {
	a := api{d}
	return awsproto.RPCService{
		SigningName:  SigningName,
		TargetPrefix: TargetPrefix,
		JSONVersion:  awsproto.JSON11,
		Operations: map[string]awsproto.Operation{
			"RegisterScalableTarget":    awsproto.Op(a.registerScalableTarget),
			"DescribeScalableTargets":   awsproto.Op(a.describeScalableTargets),
			"DeregisterScalableTarget":  awsproto.Op(a.deregisterScalableTarget),
			"PutScalingPolicy":          awsproto.Op(a.putScalingPolicy),
			"DescribeScalingPolicies":   awsproto.Op(a.describeScalingPolicies),
			"DeleteScalingPolicy":       awsproto.Op(a.deleteScalingPolicy),
			"PutScheduledAction":        awsproto.Op(a.putScheduledAction),
			"DescribeScheduledActions":  awsproto.Op(a.describeScheduledActions),
			"DeleteScheduledAction":     awsproto.Op(a.deleteScheduledAction),
			"DescribeScalingActivities": awsproto.Op(a.describeScalingActivities),
			"TagResource":               awsproto.Op(a.tagResource),
			"UntagResource":             awsproto.Op(a.untagResource),
			"ListTagsForResource":       awsproto.Op(a.listTagsForResource),
		},
		Errors: wireError,
	}
}

// Operations lists the operations served, sorted.
func Operations() []string {
	ops := Service(nil).Operations
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// wireError maps the domain's errors: every code is a 400 of its name.
func wireError(err error) (*awsproto.RPCError, bool) {
	var e *autoscaling.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	return &awsproto.RPCError{Status: http.StatusBadRequest, Code: string(e.Code), Message: e.Message}, true
}

func scope(ctx context.Context) autoscaling.Scope {
	c := awsproto.CallerOf(ctx)
	return autoscaling.Scope{Account: c.Account, Region: c.Region}
}

// required reports missing required members as AWS's ValidationException.
type required []string

func (r *required) need(member string, absent bool) {
	if absent {
		*r = append(*r, member)
	}
}

func (r required) err() error {
	if len(r) == 0 {
		return nil
	}
	parts := make([]string, len(r))
	for i, m := range r {
		parts[i] = "Value null at '" + m + "' failed to satisfy constraint: Member must not be null"
	}
	head := "1 validation error detected: "
	if len(r) > 1 {
		head = fmt.Sprintf("%d validation errors detected: ", len(r))
	}
	return &awsproto.RPCError{Status: http.StatusBadRequest, Code: string(autoscaling.CodeValidation), Message: head + strings.Join(parts, "; ")}
}

type ids struct {
	ServiceNamespace  *string `json:"ServiceNamespace"`
	ResourceId        *string `json:"ResourceId"`
	ScalableDimension *string `json:"ScalableDimension"`
}

func (i ids) check(r *required) {
	r.need("serviceNamespace", i.ServiceNamespace == nil)
	r.need("resourceId", i.ResourceId == nil)
	r.need("scalableDimension", i.ScalableDimension == nil)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type suspendedState struct {
	DynamicScalingInSuspended  *bool `json:"DynamicScalingInSuspended,omitempty"`
	DynamicScalingOutSuspended *bool `json:"DynamicScalingOutSuspended,omitempty"`
	ScheduledScalingSuspended  *bool `json:"ScheduledScalingSuspended,omitempty"`
}

type registerInput struct {
	ids
	MinCapacity    *int              `json:"MinCapacity"`
	MaxCapacity    *int              `json:"MaxCapacity"`
	RoleARN        string            `json:"RoleARN"`
	SuspendedState *suspendedState   `json:"SuspendedState"`
	Tags           map[string]string `json:"Tags"`
}

type registerOutput struct {
	ScalableTargetARN string `json:"ScalableTargetARN"`
}

func (a api) registerScalableTarget(ctx context.Context, in *registerInput) (*registerOutput, error) {
	var r required
	in.check(&r)
	if err := r.err(); err != nil {
		return nil, err
	}
	var sus autoscaling.SuspendedUpdate
	if s := in.SuspendedState; s != nil {
		sus = autoscaling.SuspendedUpdate{DynamicScalingIn: s.DynamicScalingInSuspended,
			DynamicScalingOut: s.DynamicScalingOutSuspended, Scheduled: s.ScheduledScalingSuspended}
	}
	arn, err := a.d.RegisterScalableTarget(ctx, scope(ctx), autoscaling.RegisterInput{Namespace: *in.ServiceNamespace,
		Dimension: *in.ScalableDimension, ResourceID: *in.ResourceId, Min: in.MinCapacity, Max: in.MaxCapacity, Suspended: sus, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return &registerOutput{ScalableTargetARN: arn}, nil
}

type describeInput struct {
	ServiceNamespace  *string `json:"ServiceNamespace"`
	ScalableDimension string  `json:"ScalableDimension"`
	MaxResults        *int    `json:"MaxResults"`
	NextToken         string  `json:"NextToken"`
}

func (in describeInput) check() error {
	var r required
	r.need("serviceNamespace", in.ServiceNamespace == nil)
	return r.err()
}

func (in describeInput) page() autoscaling.PageInput {
	return autoscaling.PageInput{MaxResults: in.MaxResults, NextToken: in.NextToken}
}

type scalableTarget struct {
	ServiceNamespace  string             `json:"ServiceNamespace"`
	ResourceId        string             `json:"ResourceId"`
	ScalableDimension string             `json:"ScalableDimension"`
	MinCapacity       int                `json:"MinCapacity"`
	MaxCapacity       int                `json:"MaxCapacity"`
	RoleARN           string             `json:"RoleARN"`
	CreationTime      awsproto.Timestamp `json:"CreationTime"`
	SuspendedState    suspendedState     `json:"SuspendedState"`
	ScalableTargetARN string             `json:"ScalableTargetARN"`
}

type describeTargetsInput struct {
	describeInput
	ResourceIds []string `json:"ResourceIds"`
}

type describeTargetsOutput struct {
	ScalableTargets []scalableTarget `json:"ScalableTargets"`
	NextToken       string           `json:"NextToken,omitempty"`
}

func (a api) describeScalableTargets(ctx context.Context, in *describeTargetsInput) (*describeTargetsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	ts, next, err := a.d.DescribeScalableTargets(ctx, sc, autoscaling.DescribeTargetsInput{Namespace: *in.ServiceNamespace,
		Dimension: in.ScalableDimension, ResourceIDs: in.ResourceIds, PageInput: in.page()})
	if err != nil {
		return nil, err
	}
	out := &describeTargetsOutput{ScalableTargets: []scalableTarget{}, NextToken: next}
	for _, t := range ts {
		out.ScalableTargets = append(out.ScalableTargets, scalableTarget{ServiceNamespace: autoscaling.NamespaceLambda,
			ResourceId: t.Resource.String(), ScalableDimension: autoscaling.DimensionLambdaPC, MinCapacity: t.Min, MaxCapacity: t.Max,
			RoleARN: sc.RoleARN(), CreationTime: awsproto.NewTimestamp(t.Created), ScalableTargetARN: t.ARN(),
			SuspendedState: suspendedState{DynamicScalingInSuspended: &t.Suspended.DynamicScalingIn,
				DynamicScalingOutSuspended: &t.Suspended.DynamicScalingOut, ScheduledScalingSuspended: &t.Suspended.Scheduled}})
	}
	return out, nil
}

func (a api) deregisterScalableTarget(ctx context.Context, in *ids) (*struct{}, error) {
	var r required
	in.check(&r)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &struct{}{}, a.d.DeregisterScalableTarget(ctx, scope(ctx), *in.ServiceNamespace, *in.ScalableDimension, *in.ResourceId)
}

type metricDimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type predefinedSpec struct {
	PredefinedMetricType string `json:"PredefinedMetricType"`
	ResourceLabel        string `json:"ResourceLabel,omitempty"`
}

type customizedSpec struct {
	MetricName string            `json:"MetricName,omitempty"`
	Namespace  string            `json:"Namespace,omitempty"`
	Dimensions []metricDimension `json:"Dimensions,omitempty"`
	Statistic  string            `json:"Statistic,omitempty"`
	Unit       string            `json:"Unit,omitempty"`
	Metrics    []any             `json:"Metrics,omitempty"`
}

type ttConfig struct {
	TargetValue                   *float64        `json:"TargetValue"`
	PredefinedMetricSpecification *predefinedSpec `json:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification *customizedSpec `json:"CustomizedMetricSpecification,omitempty"`
	ScaleOutCooldown              *int            `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown               *int            `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn                *bool           `json:"DisableScaleIn,omitempty"`
}

type stepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"MetricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"MetricIntervalUpperBound,omitempty"`
	ScalingAdjustment        *int     `json:"ScalingAdjustment"`
}

type stepConfig struct {
	AdjustmentType         string           `json:"AdjustmentType,omitempty"`
	StepAdjustments        []stepAdjustment `json:"StepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int             `json:"MinAdjustmentMagnitude,omitempty"`
	Cooldown               *int             `json:"Cooldown,omitempty"`
	MetricAggregationType  string           `json:"MetricAggregationType,omitempty"`
}

type alarm struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

type putPolicyInput struct {
	ids
	PolicyName                               *string         `json:"PolicyName"`
	PolicyType                               string          `json:"PolicyType"`
	TargetTrackingScalingPolicyConfiguration *ttConfig       `json:"TargetTrackingScalingPolicyConfiguration"`
	StepScalingPolicyConfiguration           *stepConfig     `json:"StepScalingPolicyConfiguration"`
	PredictiveScalingPolicyConfiguration     json.RawMessage `json:"PredictiveScalingPolicyConfiguration"`
}

type putPolicyOutput struct {
	PolicyARN string  `json:"PolicyARN"`
	Alarms    []alarm `json:"Alarms"`
}

func alarmsOut(p autoscaling.Policy) []alarm {
	out := make([]alarm, len(p.Alarms))
	for i, a := range p.Alarms {
		out[i] = alarm{AlarmName: a.Name, AlarmARN: a.ARN}
	}
	return out
}

func (a api) putScalingPolicy(ctx context.Context, in *putPolicyInput) (*putPolicyOutput, error) {
	var r required
	r.need("policyName", in.PolicyName == nil)
	in.check(&r)
	if c := in.TargetTrackingScalingPolicyConfiguration; c != nil {
		r.need("targetTrackingScalingPolicyConfiguration.targetValue", c.TargetValue == nil)
		if p := c.PredefinedMetricSpecification; p != nil {
			r.need("targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType", p.PredefinedMetricType == "")
		}
	}
	if c := in.StepScalingPolicyConfiguration; c != nil {
		for i, st := range c.StepAdjustments {
			r.need(fmt.Sprintf("stepScalingPolicyConfiguration.stepAdjustments.%d.member.scalingAdjustment", i+1), st.ScalingAdjustment == nil)
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	if len(in.PredictiveScalingPolicyConfiguration) > 0 && string(in.PredictiveScalingPolicyConfiguration) != "null" {
		return nil, &autoscaling.Error{Code: autoscaling.CodeValidation, Message: "Predictive scaling is not supported for service namespace lambda"}
	}
	pin := autoscaling.PutPolicyInput{Namespace: *in.ServiceNamespace, Dimension: *in.ScalableDimension, ResourceID: *in.ResourceId,
		Name: *in.PolicyName, Type: in.PolicyType}
	if c := in.StepScalingPolicyConfiguration; c != nil {
		ss := &autoscaling.StepScaling{AdjustmentType: c.AdjustmentType, MinAdjustmentMagnitude: c.MinAdjustmentMagnitude,
			Cooldown: c.Cooldown, MetricAggregationType: c.MetricAggregationType}
		for _, st := range c.StepAdjustments {
			ss.Steps = append(ss.Steps, autoscaling.StepAdjustment{Lower: st.MetricIntervalLowerBound, Upper: st.MetricIntervalUpperBound,
				Adjustment: *st.ScalingAdjustment})
		}
		pin.StepScaling = ss
	}
	if c := in.TargetTrackingScalingPolicyConfiguration; c != nil {
		tt := &autoscaling.TargetTracking{TargetValue: *c.TargetValue, ScaleInCooldown: c.ScaleInCooldown, ScaleOutCooldown: c.ScaleOutCooldown,
			DisableScaleIn: c.DisableScaleIn != nil && *c.DisableScaleIn}
		if p := c.PredefinedMetricSpecification; p != nil {
			tt.Predefined, tt.ResourceLabel = p.PredefinedMetricType, p.ResourceLabel
		}
		if cm := c.CustomizedMetricSpecification; cm != nil {
			if len(cm.Metrics) > 0 {
				return nil, &autoscaling.Error{Code: autoscaling.CodeValidation, Message: "CustomizedMetricSpecification.Metrics (metric math) is not supported by Reservoir"}
			}
			c := &autoscaling.CustomizedMetric{Namespace: cm.Namespace, MetricName: cm.MetricName, Statistic: cm.Statistic, Unit: cm.Unit}
			for _, d := range cm.Dimensions {
				c.Dimensions = append(c.Dimensions, autoscaling.MetricDimension{Name: d.Name, Value: d.Value})
			}
			tt.Customized = c
		}
		pin.TargetTracking = tt
	}
	p, err := a.d.PutScalingPolicy(ctx, scope(ctx), pin)
	if err != nil {
		return nil, err
	}
	return &putPolicyOutput{PolicyARN: p.ARN(), Alarms: alarmsOut(p)}, nil
}

type scalingPolicy struct {
	PolicyARN                                string             `json:"PolicyARN"`
	PolicyName                               string             `json:"PolicyName"`
	ServiceNamespace                         string             `json:"ServiceNamespace"`
	ResourceId                               string             `json:"ResourceId"`
	ScalableDimension                        string             `json:"ScalableDimension"`
	PolicyType                               string             `json:"PolicyType"`
	TargetTrackingScalingPolicyConfiguration *ttConfig          `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	StepScalingPolicyConfiguration           *stepConfig        `json:"StepScalingPolicyConfiguration,omitempty"`
	Alarms                                   []alarm            `json:"Alarms"`
	CreationTime                             awsproto.Timestamp `json:"CreationTime"`
}

type describePoliciesInput struct {
	describeInput
	ResourceId  string   `json:"ResourceId"`
	PolicyNames []string `json:"PolicyNames"`
}

type describePoliciesOutput struct {
	ScalingPolicies []scalingPolicy `json:"ScalingPolicies"`
	NextToken       string          `json:"NextToken,omitempty"`
}

func (a api) describeScalingPolicies(ctx context.Context, in *describePoliciesInput) (*describePoliciesOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	ps, next, err := a.d.DescribeScalingPolicies(ctx, scope(ctx), autoscaling.DescribePoliciesInput{Namespace: *in.ServiceNamespace,
		Dimension: in.ScalableDimension, ResourceID: in.ResourceId, PolicyNames: in.PolicyNames, PageInput: in.page()})
	if err != nil {
		return nil, err
	}
	out := &describePoliciesOutput{ScalingPolicies: []scalingPolicy{}, NextToken: next}
	for _, p := range ps {
		sp := scalingPolicy{PolicyARN: p.ARN(), PolicyName: p.Name, ServiceNamespace: autoscaling.NamespaceLambda, ResourceId: p.Resource.String(),
			ScalableDimension: autoscaling.DimensionLambdaPC, PolicyType: p.Type, Alarms: alarmsOut(p), CreationTime: awsproto.NewTimestamp(p.Created)}
		if tt := p.TargetTracking; tt != nil {
			v, dis := tt.TargetValue, tt.DisableScaleIn
			c := &ttConfig{TargetValue: &v, ScaleInCooldown: tt.ScaleInCooldown, ScaleOutCooldown: tt.ScaleOutCooldown, DisableScaleIn: &dis}
			if tt.Predefined != "" {
				c.PredefinedMetricSpecification = &predefinedSpec{PredefinedMetricType: tt.Predefined, ResourceLabel: tt.ResourceLabel}
			}
			if cm := tt.Customized; cm != nil {
				cs := &customizedSpec{MetricName: cm.MetricName, Namespace: cm.Namespace, Statistic: cm.Statistic, Unit: cm.Unit}
				for _, d := range cm.Dimensions {
					cs.Dimensions = append(cs.Dimensions, metricDimension{Name: d.Name, Value: d.Value})
				}
				c.CustomizedMetricSpecification = cs
			}
			sp.TargetTrackingScalingPolicyConfiguration = c
		}
		if ss := p.StepScaling; ss != nil {
			c := &stepConfig{AdjustmentType: ss.AdjustmentType, MinAdjustmentMagnitude: ss.MinAdjustmentMagnitude, Cooldown: ss.Cooldown,
				MetricAggregationType: ss.MetricAggregationType}
			for _, st := range ss.Steps {
				adj := st.Adjustment
				c.StepAdjustments = append(c.StepAdjustments, stepAdjustment{MetricIntervalLowerBound: st.Lower,
					MetricIntervalUpperBound: st.Upper, ScalingAdjustment: &adj})
			}
			sp.StepScalingPolicyConfiguration = c
		}
		out.ScalingPolicies = append(out.ScalingPolicies, sp)
	}
	return out, nil
}

type deletePolicyInput struct {
	ids
	PolicyName *string `json:"PolicyName"`
}

func (a api) deleteScalingPolicy(ctx context.Context, in *deletePolicyInput) (*struct{}, error) {
	var r required
	r.need("policyName", in.PolicyName == nil)
	in.check(&r)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &struct{}{}, a.d.DeleteScalingPolicy(ctx, scope(ctx), *in.ServiceNamespace, *in.ScalableDimension, *in.ResourceId, *in.PolicyName)
}

type targetAction struct {
	MinCapacity *int `json:"MinCapacity,omitempty"`
	MaxCapacity *int `json:"MaxCapacity,omitempty"`
}

type putScheduledInput struct {
	ids
	ScheduledActionName  *string             `json:"ScheduledActionName"`
	Schedule             *string             `json:"Schedule"`
	Timezone             *string             `json:"Timezone"`
	StartTime            *awsproto.Timestamp `json:"StartTime"`
	EndTime              *awsproto.Timestamp `json:"EndTime"`
	ScalableTargetAction *targetAction       `json:"ScalableTargetAction"`
}

func (a api) putScheduledAction(ctx context.Context, in *putScheduledInput) (*struct{}, error) {
	var r required
	in.check(&r)
	r.need("scheduledActionName", in.ScheduledActionName == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	pin := autoscaling.PutScheduledInput{Namespace: *in.ServiceNamespace, Dimension: *in.ScalableDimension, ResourceID: *in.ResourceId,
		Name: *in.ScheduledActionName, Schedule: in.Schedule, Timezone: in.Timezone}
	if in.StartTime != nil {
		t := in.StartTime.Time
		pin.Start = &t
	}
	if in.EndTime != nil {
		t := in.EndTime.Time
		pin.End = &t
	}
	if ta := in.ScalableTargetAction; ta != nil {
		pin.HasTargetAction, pin.Min, pin.Max = true, ta.MinCapacity, ta.MaxCapacity
	}
	return &struct{}{}, a.d.PutScheduledAction(ctx, scope(ctx), pin)
}

type scheduledAction struct {
	ScheduledActionName  string              `json:"ScheduledActionName"`
	ScheduledActionARN   string              `json:"ScheduledActionARN"`
	ServiceNamespace     string              `json:"ServiceNamespace"`
	Schedule             string              `json:"Schedule"`
	Timezone             string              `json:"Timezone,omitempty"`
	ResourceId           string              `json:"ResourceId"`
	ScalableDimension    string              `json:"ScalableDimension"`
	StartTime            *awsproto.Timestamp `json:"StartTime,omitempty"`
	EndTime              *awsproto.Timestamp `json:"EndTime,omitempty"`
	ScalableTargetAction *targetAction       `json:"ScalableTargetAction,omitempty"`
	CreationTime         awsproto.Timestamp  `json:"CreationTime"`
}

type describeScheduledInput struct {
	describeInput
	ResourceId           string   `json:"ResourceId"`
	ScheduledActionNames []string `json:"ScheduledActionNames"`
}

type describeScheduledOutput struct {
	ScheduledActions []scheduledAction `json:"ScheduledActions"`
	NextToken        string            `json:"NextToken,omitempty"`
}

func optTime(t time.Time) *awsproto.Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := awsproto.NewTimestamp(t)
	return &ts
}

func (a api) describeScheduledActions(ctx context.Context, in *describeScheduledInput) (*describeScheduledOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	as, next, err := a.d.DescribeScheduledActions(ctx, scope(ctx), autoscaling.DescribeScheduledInput{Namespace: *in.ServiceNamespace,
		Dimension: in.ScalableDimension, ResourceID: in.ResourceId, Names: in.ScheduledActionNames, PageInput: in.page()})
	if err != nil {
		return nil, err
	}
	out := &describeScheduledOutput{ScheduledActions: []scheduledAction{}, NextToken: next}
	for _, s := range as {
		sa := scheduledAction{ScheduledActionName: s.Name, ScheduledActionARN: s.ARN(), ServiceNamespace: autoscaling.NamespaceLambda,
			Schedule: s.Schedule, Timezone: s.Timezone, ResourceId: s.Resource.String(), ScalableDimension: autoscaling.DimensionLambdaPC,
			StartTime: optTime(s.Start), EndTime: optTime(s.End), CreationTime: awsproto.NewTimestamp(s.Created)}
		if s.Min != nil || s.Max != nil {
			sa.ScalableTargetAction = &targetAction{MinCapacity: s.Min, MaxCapacity: s.Max}
		}
		out.ScheduledActions = append(out.ScheduledActions, sa)
	}
	return out, nil
}

type deleteScheduledInput struct {
	ids
	ScheduledActionName *string `json:"ScheduledActionName"`
}

func (a api) deleteScheduledAction(ctx context.Context, in *deleteScheduledInput) (*struct{}, error) {
	var r required
	in.check(&r)
	r.need("scheduledActionName", in.ScheduledActionName == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &struct{}{}, a.d.DeleteScheduledAction(ctx, scope(ctx), *in.ServiceNamespace, *in.ScalableDimension, *in.ResourceId, *in.ScheduledActionName)
}

type describeActivitiesInput struct {
	describeInput
	ResourceId                 string `json:"ResourceId"`
	IncludeNotScaledActivities bool   `json:"IncludeNotScaledActivities"`
}

type scalingActivity struct {
	ActivityId        string              `json:"ActivityId"`
	ServiceNamespace  string              `json:"ServiceNamespace"`
	ResourceId        string              `json:"ResourceId"`
	ScalableDimension string              `json:"ScalableDimension"`
	Description       string              `json:"Description"`
	Cause             string              `json:"Cause"`
	StartTime         awsproto.Timestamp  `json:"StartTime"`
	EndTime           *awsproto.Timestamp `json:"EndTime,omitempty"`
	StatusCode        string              `json:"StatusCode"`
	StatusMessage     string              `json:"StatusMessage,omitempty"`
}

type describeActivitiesOutput struct {
	ScalingActivities []scalingActivity `json:"ScalingActivities"`
	NextToken         string            `json:"NextToken,omitempty"`
}

func (a api) describeScalingActivities(ctx context.Context, in *describeActivitiesInput) (*describeActivitiesOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	acts, next, err := a.d.DescribeScalingActivities(ctx, scope(ctx), autoscaling.DescribeActivitiesInput{Namespace: *in.ServiceNamespace,
		Dimension: in.ScalableDimension, ResourceID: in.ResourceId, PageInput: in.page()})
	if err != nil {
		return nil, err
	}
	out := &describeActivitiesOutput{ScalingActivities: []scalingActivity{}, NextToken: next}
	for _, x := range acts {
		out.ScalingActivities = append(out.ScalingActivities, scalingActivity{ActivityId: x.ID, ServiceNamespace: autoscaling.NamespaceLambda,
			ResourceId: x.Resource.String(), ScalableDimension: autoscaling.DimensionLambdaPC, Description: x.Description, Cause: x.Cause,
			StartTime: awsproto.NewTimestamp(x.Start), EndTime: optTime(x.End), StatusCode: x.Status, StatusMessage: x.Message})
	}
	return out, nil
}

type tagInput struct {
	ResourceARN *string           `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags"`
	TagKeys     []string          `json:"TagKeys"`
}

func (a api) tagResource(ctx context.Context, in *tagInput) (*struct{}, error) {
	var r required
	r.need("resourceARN", in.ResourceARN == nil)
	r.need("tags", in.Tags == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &struct{}{}, a.d.TagResource(ctx, scope(ctx), *in.ResourceARN, in.Tags)
}

func (a api) untagResource(ctx context.Context, in *tagInput) (*struct{}, error) {
	var r required
	r.need("resourceARN", in.ResourceARN == nil)
	r.need("tagKeys", in.TagKeys == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &struct{}{}, a.d.UntagResource(ctx, scope(ctx), *in.ResourceARN, in.TagKeys)
}

type listTagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

func (a api) listTagsForResource(ctx context.Context, in *tagInput) (*listTagsOutput, error) {
	var r required
	r.need("resourceARN", in.ResourceARN == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	tags, err := a.d.ListTagsForResource(ctx, scope(ctx), *in.ResourceARN)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return &listTagsOutput{Tags: tags}, nil
}
